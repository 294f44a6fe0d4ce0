/* exaudit hosts: the fleet, one line per host with its current state; and
 * add, import, tag, rm. */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kb.h"
#include "out/inventory.h"
#include "out/term.h"
#include "util.h"

#define CSV_MAX (64u << 20)

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit hosts [--db FILE] [--customer C] [--tag T] [--state S] [--cve CVE] [--json]\n"
                 "       exaudit hosts add [--db FILE] [--customer C] [--name N] [--tag T]... TARGET...\n"
                 "       exaudit hosts import [--db FILE] FILE.csv\n"
                 "       exaudit hosts tag [--db FILE] [--remove] TARGET TAG...\n"
                 "       exaudit hosts rm [--db FILE] TARGET...\n\n"
                 "Without a subcommand: one line per host with its current state: traffic light,\n"
                 "build, the most urgent open CVE, support, when it was last seen, the verdict of\n"
                 "its last hunt.\n"
                 "  --state S   red, yellow, green or grey\n"
                 "  --cve CVE   only hosts whose current build is not patched against CVE, with\n"
                 "              its status: which customers are hit by today's CVE (a CVE the\n"
                 "              knowledge base does not know is an error: kb update, rescore)\n"
                 "  --json      one JSON object per host\n"
                 "import: a CSV file with a header row naming 'target' and optionally 'customer',\n"
                 "  'name' and 'tags' (separated by ';' or spaces); all rows or none. Fields are\n"
                 "  separated by ',', or by ';' when the header row has no ',' (Excel in German).\n"
                 "Exit status: 1 when a listed host is red, else 0; 2 usage, 3 runtime error.\n");
}

typedef struct hosts_opts {
    const char *db;
    ex_fleet_filter filter;
    const char *customer, *name;
    const char *tags[32];
    int ntags;
    bool json, remove, color;
} hosts_opts;

typedef struct list_ctx {
    bool json, color;
    size_t count, red;
} list_ctx;

static const char *light_color(ex_light l, bool color)
{
    if (!color)
        return "";
    return l == EX_LIGHT_RED      ? EX_C_RED
           : l == EX_LIGHT_YELLOW ? EX_C_YELLOW
           : l == EX_LIGHT_GREEN  ? EX_C_GREEN
                                  : EX_C_GREY;
}

static void format_time(int64_t t, char *buf, size_t n)
{
    if (t <= 0) {
        snprintf(buf, n, "never");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%MZ", &tm);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void print_json(const ex_fleet_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", str_or_null(r->target));
    json_object_set_new(o, "name", str_or_null(r->name));
    json_object_set_new(o, "customer", str_or_null(r->customer));
    json_object_set_new(o, "tags", str_or_null(r->tags));
    json_object_set_new(o, "state", json_string(ex_light_name(r->light)));
    json_object_set_new(o, "reachable", r->scanned ? json_boolean(r->reachable) : json_null());
    json_object_set_new(o, "exchange", str_or_null(r->exchange));
    json_object_set_new(o, "verdict", str_or_null(r->verdict));
    json_object_set_new(o, "build", str_or_null(r->version));
    json_object_set_new(o, "product", str_or_null(r->product));
    json_object_set_new(o, "cu", str_or_null(r->cu));
    json_object_set_new(o, "update", str_or_null(r->update));
    json_object_set_new(o, "support", str_or_null(r->support));
    json_object_set_new(o, "worst_cve", str_or_null(r->worst_cve));
    json_object_set_new(o, "worst_cve_status", str_or_null(r->worst_status));
    if (r->cve_status)
        json_object_set_new(o, "cve_status", json_string(r->cve_status));
    json_object_set_new(o, "last_seen", r->last_seen ? json_integer(r->last_seen) : json_null());
    json_object_set_new(o, "hunt", str_or_null(r->hunt));
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
}

static void state_text(const ex_fleet_row *r, char *buf, size_t n)
{
    if (!r->scanned)
        snprintf(buf, n, "not scanned");
    else if (!r->reachable)
        snprintf(buf, n, "unreachable");
    else if (r->exchange && strcmp(r->exchange, "onprem") && strcmp(r->exchange, "unknown"))
        snprintf(buf, n, "exchange: %s", r->exchange);
    else
        snprintf(buf, n, "%s %s%s%s", r->version ? r->version : "build unknown", r->product ? r->product : "",
                 r->cu ? " " : "", r->cu ? r->cu : "");
}

static int print_row(void *ud, const ex_fleet_row *r)
{
    list_ctx *c = ud;
    c->count++;
    c->red += r->light == EX_LIGHT_RED;
    if (c->json) {
        print_json(r);
        return 0;
    }
    char state[160], seen[32], cve[80];
    state_text(r, state, sizeof state);
    format_time(r->last_seen, seen, sizeof seen);
    if (r->cve_status)
        snprintf(cve, sizeof cve, "%s", r->cve_status);
    else if (r->worst_cve)
        snprintf(cve, sizeof cve, "%s %s", r->worst_cve, r->worst_status ? r->worst_status : "");
    else
        snprintf(cve, sizeof cve, "%s", r->scanned && r->verdict && !strcmp(r->verdict, "patched") ? "none open" : "-");
    printf("%s%-6s%s %-28s %-16s %-34s %-28s %-10s %-17s hunt: %s\n", light_color(r->light, c->color),
           ex_light_name(r->light), c->color ? EX_C_RESET : "", r->name ? r->name : r->target,
           r->customer && *r->customer ? r->customer : "-", state, cve, r->support ? r->support : "-", seen,
           r->hunt ? r->hunt : "none");
    return 0;
}

static int list(ex_store *s, hosts_opts *o)
{
    list_ctx c = {.json = o->json, .color = o->color};
    if (ex_fleet_each(s, &o->filter, print_row, &c) != 0)
        return ex_runtime_error("hosts", "%s", ex_store_errmsg(s));
    if (!o->json)
        fprintf(stderr, "%zu host%s, %zu red\n", c.count, c.count == 1 ? "" : "s", c.red);
    /* After `kb update`, verdicts stay those of the old knowledge base until rescored. */
    const ex_kb *kb = ex_cli_kb(NULL);
    long stale = ex_fleet_stale(s, kb->version);
    if (stale > 0)
        fprintf(stderr,
                "exaudit hosts: warning: %ld host%s assessed with a knowledge base older than %s: run 'exaudit "
                "rescore'\n",
                stale, stale == 1 ? " was" : "s were", kb->version);
    return c.red ? EXIT_FOUND : EXIT_NOTHING_FOUND;
}

static int add(ex_store *s, hosts_opts *o, int argc, char **argv)
{
    if (argc == 0)
        return ex_usage_error("hosts", "add: which target?");
    for (int i = 0; i < argc; i++) {
        ex_host_entry h = {argv[i], o->name, o->customer};
        if (ex_store_add_host(s, &h) <= 0)
            return ex_runtime_error("hosts", "add %s: %s", argv[i], ex_store_errmsg(s));
        for (int t = 0; t < o->ntags; t++)
            if (ex_store_tag(s, argv[i], o->tags[t], false) != 0)
                return ex_runtime_error("hosts", "tag %s: %s", argv[i], ex_store_errmsg(s));
    }
    return EXIT_NOTHING_FOUND;
}

static int import(ex_store *s, int argc, char **argv)
{
    if (argc != 1)
        return ex_usage_error("hosts", "import: one CSV file");
    char err[512];
    size_t len;
    char *text = ex_read_file(argv[0], CSV_MAX, &len, err, sizeof err);
    if (!text)
        return ex_runtime_error("hosts", "%s: %s", argv[0], err);
    long n = ex_store_import_csv(s, text, len, err, sizeof err);
    free(text);
    if (n < 0)
        return ex_runtime_error("hosts", "%s: %s", argv[0], err[0] ? err : ex_store_errmsg(s));
    printf("%ld hosts imported\n", n);
    return EXIT_NOTHING_FOUND;
}

static int tag(ex_store *s, hosts_opts *o, int argc, char **argv)
{
    if (argc < 2)
        return ex_usage_error("hosts", "tag: TARGET TAG...");
    for (int i = 1; i < argc; i++) {
        int rc = ex_store_tag(s, argv[0], argv[i], o->remove);
        if (rc < 0)
            return ex_runtime_error("hosts", "tag: %s", ex_store_errmsg(s));
        if (rc == 1)
            return ex_runtime_error("hosts", "no host %s in the inventory", argv[0]);
    }
    return EXIT_NOTHING_FOUND;
}

static int rm(ex_store *s, int argc, char **argv)
{
    int missing = 0;
    for (int i = 0; i < argc; i++) {
        int rc = ex_store_remove_host(s, argv[i]);
        if (rc < 0)
            return ex_runtime_error("hosts", "rm: %s", ex_store_errmsg(s));
        if (rc == 1)
            fprintf(stderr, "exaudit hosts: no host %s in the inventory\n", argv[i]), missing++;
    }
    return missing ? EXIT_RUNTIME : EXIT_NOTHING_FOUND;
}

static int parse(hosts_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'},  {"customer", required_argument, NULL, 'c'},
        {"tag", required_argument, NULL, 't'}, {"state", required_argument, NULL, 's'},
        {"cve", required_argument, NULL, 'v'}, {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},      {"remove", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},      {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': o->db = optarg; break;
        case 'c': o->customer = o->filter.customer = optarg; break;
        case 't':
            o->filter.tag = optarg;
            if (o->ntags < 32)
                o->tags[o->ntags++] = optarg;
            break;
        case 's':
            if ((o->filter.light = ex_light_from_name(optarg)) < 0)
                return ex_usage_error("hosts", "--state: red, yellow, green or grey");
            break;
        case 'v': /* CVE ids are upper case in the knowledge base and the inventory */
            for (char *p = optarg; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            o->filter.cve = optarg;
            break;
        case 'n': o->name = optarg; break;
        case 'j': o->json = true; break;
        case 'r': o->remove = true; break;
        case 'h': usage(stdout); return -1;
        default: return ex_usage_error("hosts", "unknown option");
        }
    }
    return 0;
}

int cmd_hosts(int argc, char **argv)
{
    hosts_opts o = {.filter = {.light = -1}, .color = ex_use_color(stdout)};
    int rc = parse(&o, argc, argv);
    if (rc != 0)
        return rc < 0 ? EXIT_NOTHING_FOUND : rc;
    const char *sub = optind < argc ? argv[optind] : NULL;
    int nargs = argc - optind - (sub ? 1 : 0);
    char **args = argv + optind + (sub ? 1 : 0);
    if (sub && strcmp(sub, "add") && strcmp(sub, "import") && strcmp(sub, "tag") && strcmp(sub, "rm"))
        return ex_usage_error("hosts", "unknown subcommand '%s'", sub);
    /* "0 hosts" for a CVE the knowledge base does not know would read as "nobody is hit". */
    const ex_kb *kb = o.filter.cve ? ex_cli_kb(NULL) : NULL;
    if (kb && !ex_kb_find_cve(kb, o.filter.cve))
        return ex_runtime_error("hosts",
                                "%s is not in the knowledge base %s (%s): nothing can be said about it; "
                                "run 'exaudit kb update', then 'exaudit rescore'",
                                o.filter.cve, kb->version, kb->date);
    ex_store *s = ex_cli_store("hosts", o.db);
    if (!s)
        return EXIT_RUNTIME;
    if (!sub)
        rc = list(s, &o);
    else if (!strcmp(sub, "add"))
        rc = add(s, &o, nargs, args);
    else if (!strcmp(sub, "import"))
        rc = import(s, nargs, args);
    else if (!strcmp(sub, "tag"))
        rc = tag(s, &o, nargs, args);
    else
        rc = rm(s, nargs, args);
    ex_store_close(s);
    return rc;
}
