/* exaudit diff: what changed between two scan runs (default: the last two). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out/inventory.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit diff [--db FILE] [--json] [RUN_A RUN_B]\n\n"
                 "What changed from scan run A to scan run B (default: the last two complete scan\n"
                 "runs; unfinished or empty runs are skipped):\n"
                 "newly vulnerable hosts and CVEs, patched, build changed, now end of life,\n"
                 "unreachable, gone, new hosts; and the findings of the hunts recorded after A\n"
                 "up to B. Run ids are those `exaudit record`/`scan`/`hunt` print.\n"
                 "Exit status: 1 when something became vulnerable or a hunt found something,\n"
                 "else 0; 2 usage, 3 runtime error.\n");
}

typedef struct diff_out {
    bool json;
    size_t n[EX_CHANGE_COUNT];
} diff_out;

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int print_item(void *ud, const ex_diff_item *it)
{
    diff_out *o = ud;
    o->n[it->change]++;
    if (o->json) {
        json_t *j =
            json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "change", ex_change_name(it->change), "target",
                      str_or_null(it->target), "customer", str_or_null(it->customer), "before", str_or_null(it->before),
                      "after", str_or_null(it->after), "detail", str_or_null(it->detail));
        json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
        return 0;
    }
    printf("%-17s %-30s %-16s", ex_change_name(it->change), it->target ? it->target : "?",
           it->customer && *it->customer ? it->customer : "-");
    if (it->before || it->after)
        printf(" %s -> %s", it->before ? it->before : "(none)", it->after ? it->after : "(none)");
    if (it->detail)
        printf(" %s", it->detail);
    fputc('\n', stdout);
    return 0;
}

static int pick_runs(ex_store *s, int argc, char **argv, int64_t *a, int64_t *b)
{
    if (argc == 2) {
        char *e1, *e2;
        *a = strtoll(argv[0], &e1, 10);
        *b = strtoll(argv[1], &e2, 10);
        ex_run_info ra, rb;
        if (*e1 || *e2 || *a <= 0 || *b <= 0)
            return ex_usage_error("diff", "run ids are numbers");
        if (ex_run_get(s, *a, &ra) != 0 || ex_run_get(s, *b, &rb) != 0)
            return ex_runtime_error("diff", "no such run");
        /* A hunt run holds no host results: compared as a scan, every host would read "gone". */
        if (strcmp(ra.kind, "scan") != 0 || strcmp(rb.kind, "scan") != 0)
            return ex_runtime_error("diff", "run %lld is a %s run; diff compares two scan runs",
                                    (long long)(strcmp(ra.kind, "scan") ? *a : *b),
                                    strcmp(ra.kind, "scan") ? ra.kind : rb.kind);
        return 0;
    }
    /* The two newest complete scans: an unfinished or empty run lacks hosts, and
     * every missing host would read as "gone". */
    ex_run_info runs[64];
    int n = ex_runs_latest(s, "scan", runs, 64), found = 0;
    for (int i = 0; i < n && found < 2; i++) {
        long hosts = ex_run_results(s, runs[i].id);
        if (strcmp(runs[i].status, "done") != 0 || hosts <= 0) {
            fprintf(stderr, "exaudit diff: skipping scan run %lld (%s, %ld hosts)\n", (long long)runs[i].id,
                    runs[i].status, hosts);
            continue;
        }
        *(found++ ? a : b) = runs[i].id;
    }
    if (found < 2)
        return ex_runtime_error("diff", "the inventory holds fewer than two complete scan runs");
    return 0;
}

int cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'}, {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *db = NULL;
    diff_out o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': db = optarg; break;
        case 'j': o.json = true; break;
        case 'h': usage(stdout); return EXIT_NOTHING_FOUND;
        default: return ex_usage_error("diff", "unknown option");
        }
    }
    if (argc - optind != 0 && argc - optind != 2)
        return ex_usage_error("diff", "give two run ids, or none");
    ex_store *s = ex_cli_store_existing("diff", db);
    if (!s)
        return EXIT_RUNTIME;
    int64_t a = 0, b = 0;
    int rc = pick_runs(s, argc - optind, argv + optind, &a, &b);
    if (rc == 0) {
        if (!o.json)
            printf("changes from run %lld to run %lld\n", (long long)a, (long long)b);
        rc = ex_diff_runs(s, a, b, print_item, &o) != 0 ? ex_runtime_error("diff", "%s", ex_store_errmsg(s)) : 0;
    }
    ex_store_close(s);
    if (rc)
        return rc;
    return o.n[EX_CHANGE_NEWLY_VULNERABLE] || o.n[EX_CHANGE_NEW_CVE] || o.n[EX_CHANGE_HUNT_FINDING]
               ? EXIT_FOUND
               : EXIT_NOTHING_FOUND;
}
