/* exaudit report: the customer report from the inventory, as one
 * self-contained HTML file (print it for a PDF), Markdown, CSV or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kb.h"
#include "out/i18n.h"
#include "out/report.h"
#include "out/store.h"
#include "util.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit report [--db FILE] [--customer C] [--lang de|en] [--format html|md|csv|json]\n"
                 "                      [--aware-since YYYY-MM-DDTHH:MM:SSZ] [--data DIR] [-o FILE]\n\n"
                 "Write the report of the servers in the inventory (all, or one customer's): title page,\n"
                 "executive summary with a traffic light per server and the three most urgent actions,\n"
                 "a GDPR Art. 33 notification draft when a hunt found a compromise (or a vulnerable\n"
                 "server was attacked), one page per server, and the methods appendix.\n"
                 "  --format html   one self-contained file, no scripts, print-ready (default)\n"
                 "  --format md     Markdown for tickets; csv: one row per server; json: the model\n"
                 "  --lang          default from LANGUAGE / LC_ALL / LC_MESSAGES / LANG\n"
                 "  --aware-since   when the controller became aware of the breach (GDPR 72 hours);\n"
                 "                  default: when the hunt that found it ended\n"
                 "  -o FILE         default standard output\n"
                 "Exit status: 1 when a server is red, else 0; 2 usage, 3 runtime error.\n");
}

typedef struct report_args {
    const char *db, *data, *customer, *lang, *format, *output, *aware;
} report_args;

static int parse(report_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'D'},
                                             {"customer", required_argument, NULL, 'c'},
                                             {"lang", required_argument, NULL, 'l'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"aware-since", required_argument, NULL, 'a'},
                                             {"data", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': a->db = optarg; break;
        case 'c': a->customer = optarg; break;
        case 'l': a->lang = optarg; break;
        case 'f': a->format = optarg; break;
        case 'o': a->output = optarg; break;
        case 'a': a->aware = optarg; break;
        case 'd': a->data = optarg; break;
        case 'h': usage(stdout); return -1;
        default: return ex_usage_error("report", "unknown option");
        }
    }
    if (optind != argc)
        return ex_usage_error("report", "no arguments expected");
    return 0;
}

static int64_t parse_iso(const char *s)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
    if (!end || *end)
        return -1;
    return (int64_t)timegm(&tm);
}

/* The report's time; EXAUDIT_TODAY (YYYY-MM-DD) pins it for reproducible tests. */
static int64_t report_now(void)
{
    const char *pin = getenv("EXAUDIT_TODAY");
    return pin && *pin ? ex_today_days() * 86400 + 12 * 3600 : (int64_t)time(NULL);
}

/* 0; the errno of a failed file operation; or -1 (a database error). */
static int write_report(ex_report *r, const ex_report_writer *w, const char *output)
{
    if (!output || !strcmp(output, "-"))
        return ex_report_write(stdout, r, w) == 0 && fflush(stdout) == 0 ? 0 : -1;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", output, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return errno ? errno : -1;
    int rc = ex_report_write(f, r, w);
    if (fclose(f) != 0 && rc == 0)
        rc = errno ? errno : -1;
    if (rc == 0 && rename(tmp, output) != 0)
        rc = errno ? errno : -1;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_args a = {.format = "html"};
    int rc = parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_NOTHING_FOUND : rc;
    const ex_report_writer *w = ex_report_writer_find(a.format);
    if (!w)
        return ex_usage_error("report", "--format: html, md, csv or json");
    const char *lang = ex_i18n_init(a.lang, NULL);
    if (!lang)
        return ex_usage_error("report", "--lang: de or en");
    int64_t aware = a.aware ? parse_iso(a.aware) : 0;
    if (aware < 0)
        return ex_usage_error("report", "--aware-since: YYYY-MM-DDTHH:MM:SSZ (UTC)");
    const ex_kb *kb = ex_cli_kb(a.data);
    ex_store *s = ex_cli_store_existing("report", a.db);
    if (!s)
        return EXIT_RUNTIME;
    ex_report_opts o = {.customer = a.customer,
                        .lang = lang,
                        .now = report_now(),
                        .aware_since = aware,
                        .tool_version = "exaudit " EXAUDIT_VERSION};
    ex_report r;
    rc = ex_report_build(&r, s, kb, &o);
    if (rc != 0) {
        rc = ex_runtime_error("report", "cannot build the report: %s", ex_store_errmsg(s));
        ex_report_free(&r);
        ex_store_close(s);
        return rc;
    }
    /* A misspelt customer (the match is exact) must not yield a report that says "nothing urgent". */
    if (a.customer && json_array_size(r.servers) == 0) {
        rc = ex_runtime_error("report", "no servers of customer '%s' in the inventory (see exaudit hosts)", a.customer);
        ex_report_free(&r);
        ex_store_close(s);
        return rc;
    }
    rc = write_report(&r, w, a.output);
    json_int_t red = json_integer_value(json_object_get(json_object_get(r.head, "counts"), "red"));
    ex_report_free(&r);
    if (rc != 0) {
        rc = ex_runtime_error("report", "cannot write %s: %s", a.output ? a.output : "the report",
                              rc > 0 ? strerror(rc) : ex_store_errmsg(s));
        ex_store_close(s);
        return rc;
    }
    ex_store_close(s);
    if (a.output && strcmp(a.output, "-"))
        fprintf(stderr, "report written to %s\n", a.output);
    return red ? EXIT_FOUND : EXIT_NOTHING_FOUND;
}
