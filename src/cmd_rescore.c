/* exaudit rescore: re-evaluate the stored builds against the knowledge base in
 * use (after `exaudit kb update`). No network: the facts each verdict was
 * computed from are in the inventory. */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kb.h"
#include "out/store.h"
#include "util.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit rescore [--db FILE] [--data DIR] [--all] [--quiet]\n\n"
                 "Re-run the verdict of every host's current result against the knowledge base\n"
                 "in use (--data DIR, else the installed bundle, else the built-in tables), from\n"
                 "the facts the scan kept (build, precision, probe observations). --all also\n"
                 "re-evaluates the history. Prints every host whose verdict changed.\n"
                 "Exit status: 1 when a verdict became vulnerable, else 0; 2 usage, 3 runtime error.\n");
}

typedef struct rescore_ctx {
    bool quiet;
    size_t newly_vulnerable;
} rescore_ctx;

static void changed(void *ud, const char *target, const char *customer, const char *was, const char *now)
{
    rescore_ctx *c = ud;
    c->newly_vulnerable += !strcmp(now, "vulnerable");
    if (!c->quiet)
        printf("%-32s %-20s %s -> %s\n", target, customer && *customer ? customer : "-", was, now);
}

int cmd_rescore(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'}, {"data", required_argument, NULL, 'd'}, {"all", no_argument, NULL, 'a'},
        {"quiet", no_argument, NULL, 'q'},    {"help", no_argument, NULL, 'h'},       {0}};
    const char *db = NULL, *data = NULL;
    bool all = false;
    rescore_ctx ctx = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': db = optarg; break;
        case 'd': data = optarg; break;
        case 'a': all = true; break;
        case 'q': ctx.quiet = true; break;
        case 'h': usage(stdout); return EXIT_NOTHING_FOUND;
        default: return ex_usage_error("rescore", "unknown option");
        }
    }
    if (optind != argc)
        return ex_usage_error("rescore", "no arguments expected");
    const ex_kb *kb = ex_cli_kb(data);
    ex_store *s = ex_cli_store_existing("rescore", db);
    if (!s)
        return EXIT_RUNTIME;
    ex_rescore_stats st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = ex_store_rescore(s, kb, ex_today_days(), all, changed, &ctx, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        rc = ex_runtime_error("rescore", "%s; nothing changed", ex_store_errmsg(s));
        ex_store_close(s);
        return rc;
    }
    ex_store_close(s);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr,
            "rescored %zu results (%zu distinct builds and observations) against knowledge base %s in %.2f s: "
            "%zu changed, %zu verdicts changed\n",
            st.results, st.distinct, kb->version, secs, st.changed, st.verdicts_changed);
    return ctx.newly_vulnerable ? EXIT_FOUND : EXIT_NOTHING_FOUND;
}
