/* exaudit build: what a build number is and what it is exposed to. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "host.h"
#include "kb.h"
#include "out/finding_json.h"
#include "out/summary.h"
#include "out/term.h"
#include "util.h"

#define LINE_MAX_BUILD 1024

typedef struct build_opts {
    bool json;
    bool verbose;
    bool color;
    const ex_kb *kb;
    int64_t today;
    int vulnerable;
    int invalid;
} build_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit build [options] [BUILD...]\n\n"
                 "Look up Exchange builds: product, CU, security update, support status, the\n"
                 "status of every known CVE, and the shortest update path. Without BUILD\n"
                 "arguments (or with '-'), builds are read from standard input, one per line.\n\n"
                 "Accepted forms: 15.1.2176.9  15.01.2176.009  15.1.2176 (CU only)\n"
                 "  Exchange/15.02.0858.002  'Version 15.1 (Build 2176.9)'  14.3.123.4  owaVer=15.2.858.2\n"
                 "  (owaVer= and Exchange/ carry component builds: only their CU is used, as in scan)\n\n"
                 "Options:\n"
                 "  --json        one JSON object per build (schema: docs/schema.md)\n"
                 "  -v, --verbose one line per CVE instead of one per family\n"
                 "  --data DIR    use the knowledge-base bundle installed in DIR\n"
                 "  -h, --help    this text\n\n"
                 "Exit status: 0 nothing vulnerable, 1 a build is vulnerable, 2 usage error or\n"
                 "unparsable build, 3 runtime error.\n");
}

/* One compact JSON line; serialised in memory first, written once. */
static void print_json_line(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

static void print_error(build_opts *o, const char *input, const char *msg)
{
    o->invalid++;
    if (o->json) {
        json_t *j = json_object();
        json_object_set_new(j, "input", ex_json_string_lossy(input));
        json_object_set_new(j, "error", json_string(msg));
        print_json_line(j);
        json_decref(j);
    } else {
        fprintf(stderr, "exaudit build: '%s': %s\n", input, msg);
    }
}

/* owaVer= and X-ServerApplication carry component builds, not the installed
 * SU (docs/probes.md "Precision"; RD §1 V5/V6, §6.9): like scan, take the CU only. */
static bool is_component_build(const char *input)
{
    input += strspn(input, " \t");
    return strncasecmp(input, "owaVer=", 7) == 0 || strncasecmp(input, "Exchange/", 9) == 0;
}

static int lookup(build_opts *o, const char *input)
{
    ex_facts facts = {.today = o->today, .have_version = true, .version_evidence = "command line"};
    int err = ex_version_parse_str(input, &facts.version);
    if (err) {
        print_error(o, input, ex_version_strerror(err));
        return 0;
    }
    if (is_component_build(input)) {
        facts.version.revision = -1;
        facts.version_evidence = "command line (a component build: taken as CU only)";
    }
    ex_assessment a;
    if (ex_assess(o->kb, &facts, &a) != 0)
        return -1;
    o->vulnerable += a.worst == EX_STATUS_VULNERABLE;
    if (o->json) {
        ex_buf b = {0};
        ex_jsonw w;
        ex_jsonw_init(&w, &b);
        ex_jsonw_obj(&w);
        ex_host_write_members(&w, &a);
        ex_jsonw_kstr(&w, "input", input);
        ex_jsonw_end_obj(&w);
        if (b.data) {
            fwrite(b.data, 1, b.len, stdout);
            fputc('\n', stdout);
        }
        ex_buf_free(&b);
    } else {
        ex_summary_opts so = {.color = o->color, .verbose = o->verbose};
        ex_print_assessment(stdout, input, &a, &so);
        fputc('\n', stdout);
    }
    ex_assessment_free(&a);
    return 0;
}

/* Builds on stdin, one per line; an overlong line is an error, not a crash. */
static int lookup_stdin(build_opts *o)
{
    char line[LINE_MAX_BUILD];
    bool first = true;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        /* A list saved by Windows tools (Out-File -Encoding utf8) starts with a UTF-8 BOM. */
        size_t skip = first && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        first = false;
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
            print_error(o, "(overlong line)", "line longer than 1023 bytes");
            continue;
        }
        char *build = line + skip;
        build[strcspn(build, "\r\n")] = '\0';
        if (build[strspn(build, " \t")] == '\0')
            continue;
        if (lookup(o, build) != 0)
            return -1;
    }
    return ferror(stdin) ? -1 : 0;
}

int cmd_build(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"data", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    build_opts o = {.color = ex_use_color(stdout), .today = ex_today_days()};
    const char *data_dir = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = true; break;
        case 'v': o.verbose = true; break;
        case 'd': data_dir = optarg; break;
        case 'h': usage(stdout); return EXIT_NOTHING_FOUND;
        default: return ex_usage_error("build", "unknown option");
        }
    }
    o.kb = ex_cli_kb(data_dir);
    int rc = 0;
    if (optind == argc || (optind + 1 == argc && !strcmp(argv[optind], "-")))
        rc = lookup_stdin(&o);
    else
        for (int i = optind; i < argc && rc == 0; i++)
            rc = lookup(&o, argv[i]);
    if (rc != 0 && ferror(stdin))
        return ex_runtime_error("build", "cannot read standard input");
    if (rc != 0 || fflush(stdout) != 0)
        return ex_runtime_error("build", "output or memory error");
    if (o.vulnerable)
        return EXIT_FOUND;
    return o.invalid ? EXIT_USAGE : EXIT_NOTHING_FOUND;
}
