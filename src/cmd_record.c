/* exaudit record: put scan or hunt results given as JSON into the inventory,
 * through the same store calls that `exaudit scan --db` and `exaudit hunt
 * --db` make (one transaction per host). */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kb.h"
#include "out/finding_json.h"
#include "out/hunt_report.h"
#include "out/recorder.h"
#include "out/store.h"

#define RECORD_LINE_MAX (8u << 20)

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit record scan [--db FILE] [--resume] FILE|-\n"
                 "       exaudit record hunt [--db FILE] [--host NAME] FILE|-\n\n"
                 "scan: host records as JSON Lines (the output of `exaudit scan --json` or\n"
                 "  `exaudit build --json`), one run; each host is committed when it is read.\n"
                 "  The host is the record's \"target\" (else its \"input\"), with \":port\" when\n"
                 "  its \"port\" is not 443, as `exaudit scan --db` names it. A record may carry\n"
                 "  \"facts\" (what the verdict was computed from) and \"findings\".\n"
                 "  --resume continues the newest unfinished recorded scan and skips the hosts\n"
                 "  it already holds.\n"
                 "hunt: the findings of one server, as the output of `exaudit hunt --json`\n"
                 "  (findings, then the summary object: log coverage and timeline) or as one\n"
                 "  object {\"host\", \"findings\", \"coverage\", \"timeline\"}.\n"
                 "  --host names the server (default: the summary's subject).\n"
                 "--db FILE: the inventory (default $XDG_DATA_HOME/exaudit/inventory.db).\n");
}

static FILE *open_input(const char *path)
{
    return strcmp(path, "-") ? fopen(path, "r") : stdin;
}

/* The next line of at most RECORD_LINE_MAX bytes; longer lines are an error. */
static ssize_t next_line(FILE *in, char **line, size_t *cap)
{
    ssize_t n = getline(line, cap, in);
    if (n > (ssize_t)RECORD_LINE_MAX)
        return -2;
    return n;
}

static int load_findings(const json_t *arr, ex_findings *out)
{
    const json_t *j;
    size_t i;
    json_array_foreach(arr, i, j)
    {
        ex_finding f;
        if (ex_finding_from_json(j, &f) != 0)
            return -1;
        if (ex_findings_push(out, &f) != 0) {
            ex_finding_free(&f);
            return -1;
        }
    }
    return 0;
}

typedef struct record_run {
    ex_store *s;
    int64_t run;
    bool resume;
    long stored, skipped, unreadable;
} record_run;

static int record_host(record_run *r, json_t *rec, long lineno)
{
    const char *label = json_string_value(json_object_get(rec, "target"));
    if (!label)
        label = json_string_value(json_object_get(rec, "input"));
    if (!label || !*label) {
        fprintf(stderr, "exaudit record: line %ld: a host record without target; skipped\n", lineno);
        return 0;
    }
    char target[EX_STORE_NAME_MAX + 16];
    ex_recorder_target(label, (long)json_integer_value(json_object_get(rec, "port")), target, sizeof target);
    if (r->resume && ex_store_run_has(r->s, r->run, target)) {
        r->skipped++;
        return 0;
    }
    ex_findings findings = {0};
    json_t *facts = json_incref(json_object_get(rec, "facts"));
    if (load_findings(json_object_get(rec, "findings"), &findings) != 0)
        fprintf(stderr, "exaudit record: line %ld: unreadable findings ignored\n", lineno);
    json_object_del(rec, "facts");
    json_object_del(rec, "findings");
    ex_stored_facts sf;
    bool have_facts = facts && ex_facts_parse(facts, 0, &sf) == 0;
    int rc = ex_store_put_host(r->s, r->run, target, rec, have_facts ? &sf.facts : NULL, &findings);
    json_decref(facts);
    ex_findings_free(&findings);
    if (rc != 0)
        return ex_runtime_error("record", "%s: %s", target, ex_store_errmsg(r->s)), -1;
    r->stored++;
    return 0;
}

static int record_scan(ex_store *s, const char *path, bool resume)
{
    FILE *in = open_input(path);
    if (!in)
        return ex_runtime_error("record", "%s: cannot open", path);
    record_run r = {.s = s, .resume = resume};
    if (resume && (r.run = ex_store_resume_run(s, "scan", NULL)) <= 0) {
        fprintf(stderr, "exaudit record: no unfinished scan to resume; starting a new run\n");
        r.resume = false;
    }
    if (!r.resume) {
        json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "command", "record scan", "source", path, "tool_version",
                                   EXAUDIT_VERSION, "kb_version", ex_kb_builtin()->version);
        r.run = ex_store_begin_run(s, "scan", params);
        json_decref(params);
    }
    if (r.run <= 0) {
        if (in != stdin)
            fclose(in);
        return ex_runtime_error("record", "cannot start a run: %s", ex_store_errmsg(s));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (n = next_line(in, &line, &cap)) != -1) {
        lineno++;
        json_error_t e;
        json_t *rec = n == -2 ? NULL : json_loadb(line, (size_t)n, 0, &e);
        if (json_is_object(rec))
            rc = record_host(&r, rec, lineno);
        else if (line[strspn(line, " \t\r\n")] != '\0') {
            fprintf(stderr, "exaudit record: line %ld: not a JSON object; skipped\n", lineno);
            r.unreadable++;
        }
        json_decref(rec);
    }
    free(line);
    if (in != stdin)
        fclose(in);
    ex_store_end_run(s, r.run, rc == 0 ? "done" : "interrupted");
    printf("run %lld: %ld hosts recorded%s", (long long)r.run, r.stored, r.skipped ? "" : "\n");
    if (r.skipped)
        printf(", %ld already recorded before the interruption\n", r.skipped);
    if (rc == 0 && r.unreadable) /* the hosts of those lines are missing from the run */
        return ex_runtime_error("record", "%s: %ld unreadable line%s skipped", path, r.unreadable,
                                r.unreadable == 1 ? "" : "s");
    return rc == 0 ? EXIT_NOTHING_FOUND : EXIT_RUNTIME;
}

static bool is_hunt_summary(const json_t *j)
{
    const char *schema = json_string_value(json_object_get(j, "schema"));
    return schema && !strcmp(schema, EX_HUNT_SUMMARY_SCHEMA);
}

static bool at_end(FILE *in)
{
    int c;
    while ((c = getc(in)) != EOF)
        if (!isspace(c)) {
            ungetc(c, in);
            return false;
        }
    return true;
}

/* The stream of `exaudit hunt --json`: findings, then the summary, whose log
 * coverage and facts become the document's coverage and timeline. NULL when a
 * value in it is not JSON: a hunt cut short must not be recorded as complete. */
static json_t *hunt_stream(FILE *in, json_t *first)
{
    json_error_t e;
    json_t *arr = json_array(), *doc = json_object(), *next = first, *coverage = NULL, *timeline = NULL;
    for (; next; next = at_end(in) ? NULL : json_loadf(in, JSON_DISABLE_EOF_CHECK, &e)) {
        if (!is_hunt_summary(next)) {
            json_array_append_new(arr, next);
            continue;
        }
        json_object_set(doc, "host", json_object_get(next, "subject"));
        if (ex_recorder_hunt_shapes(next, &coverage, &timeline) == 0) {
            json_object_set_new(doc, "coverage", coverage ? coverage : json_null());
            json_object_set_new(doc, "timeline", timeline ? timeline : json_null());
        }
        json_decref(next);
    }
    json_object_set_new(doc, "findings", arr);
    if (!at_end(in)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* A hunt document: one object, or JSON Lines of findings (and a summary). */
static json_t *load_hunt(FILE *in)
{
    json_error_t e;
    json_t *doc = json_loadf(in, JSON_DISABLE_EOF_CHECK, &e);
    if (json_is_object(doc) && json_is_array(json_object_get(doc, "findings")))
        return doc;
    if (json_is_object(doc))
        return hunt_stream(in, doc);
    json_decref(doc); /* not JSON: never a hunt that found nothing */
    return NULL;
}

static int record_hunt(ex_store *s, const char *path, const char *host)
{
    FILE *in = open_input(path);
    if (!in)
        return ex_runtime_error("record", "%s: cannot open", path);
    json_t *doc = load_hunt(in);
    if (in != stdin)
        fclose(in);
    if (!doc)
        return ex_runtime_error("record", "%s: not the JSON output of exaudit hunt; nothing recorded", path);
    const char *name = host ? host : json_string_value(json_object_get(doc, "host"));
    ex_findings findings = {0};
    if (!name || load_findings(json_object_get(doc, "findings"), &findings) != 0) {
        json_decref(doc);
        ex_findings_free(&findings);
        return ex_usage_error("record", name ? "unreadable findings" : "which server? give --host NAME");
    }
    json_t *params = json_pack("{s:s, s:s, s:s, s:s}", "command", "record hunt", "source", path, "host", name,
                               "tool_version", EXAUDIT_VERSION);
    int64_t run = ex_store_begin_run(s, "hunt", params);
    json_decref(params);
    int rc = run > 0 ? ex_store_put_hunt(s, run, name, &findings, json_object_get(doc, "coverage"),
                                         json_object_get(doc, "timeline"))
                     : -1;
    if (run > 0)
        ex_store_end_run(s, run, rc == 0 ? "done" : "interrupted");
    if (rc == 0)
        printf("run %lld: hunt of %s recorded, %zu finding%s\n", (long long)run, name, findings.count,
               findings.count == 1 ? "" : "s");
    ex_findings_free(&findings);
    json_decref(doc);
    return rc == 0 ? EXIT_NOTHING_FOUND : ex_runtime_error("record", "%s", ex_store_errmsg(s));
}

int cmd_record(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'D'},
                                             {"resume", no_argument, NULL, 'r'},
                                             {"host", required_argument, NULL, 'H'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
    const char *db = NULL, *host = NULL;
    bool resume = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': db = optarg; break;
        case 'r': resume = true; break;
        case 'H': host = optarg; break;
        case 'h': usage(stdout); return EXIT_NOTHING_FOUND;
        default: return ex_usage_error("record", "unknown option");
        }
    }
    if (optind + 2 != argc || (strcmp(argv[optind], "scan") && strcmp(argv[optind], "hunt")))
        return ex_usage_error("record", "expected: scan FILE or hunt FILE");
    ex_store *s = ex_cli_store("record", db);
    if (!s)
        return EXIT_RUNTIME;
    int rc = !strcmp(argv[optind], "scan") ? record_scan(s, argv[optind + 1], resume)
                                           : record_hunt(s, argv[optind + 1], host);
    ex_store_close(s);
    return rc;
}
