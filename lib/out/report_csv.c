/* report_csv: one row per server, for MSP tools. Column names are stable
 * English identifiers (not translated); values are the machine words of
 * docs/schema.md. */
#include <string.h>

#include "out/finding_json.h"
#include "out/report.h"

void ex_csv_field(FILE *o, const char *s)
{
    json_t *clean = ex_json_string_lossy(s ? s : "");
    const char *p = json_string_value(clean);
    fputc('"', o);
    if (p && strchr("=+-@\t\r", p[0]) && p[0])
        fputc('\'', o); /* a spreadsheet must not run it as a formula */
    for (; p && *p; p++) {
        if (*p == '"')
            fputc('"', o);
        fputc(*p, o);
    }
    fputc('"', o);
    json_decref(clean);
}

static const char *jstr(const json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

static const char *const columns[] = {"customer",  "server",      "target",    "state",        "verdict",
                                      "build",     "product",     "cu",        "update",       "release_date",
                                      "support",   "support_end", "worst_cve", "worst_status", "open_cves",
                                      "next_step", "next_kb",     "last_seen", "hunt",         "hunt_findings"};

static int csv_begin(FILE *o, ex_report *r)
{
    (void)r;
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        fprintf(o, "%s%s", i ? "," : "", columns[i]);
    fputs("\r\n", o);
    return 0;
}

static size_t open_cves(const json_t *a)
{
    const json_t *c;
    size_t i, n = 0;
    json_array_foreach(json_object_get(a, "cves"), i, c) n +=
        jstr(c, "status") && !strcmp(jstr(c, "status"), "vulnerable");
    return n;
}

static int csv_host(FILE *o, ex_report *r, const json_t *h)
{
    const json_t *a = json_object_get(h, "assessment"), *b = json_object_get(a, "build");
    const json_t *s = json_object_get(a, "support"), *step = json_array_get(json_object_get(a, "remediation"), 0);
    const json_t *hunt = json_object_get(h, "hunt");
    char n[32], seen[32], nf[32];
    json_int_t last = json_integer_value(json_object_get(h, "last_seen"));
    snprintf(n, sizeof n, "%zu", open_cves(a));
    snprintf(nf, sizeof nf, "%zu", json_array_size(json_object_get(hunt, "findings")));
    const char *vals[] = {jstr(h, "customer"),
                          jstr(h, "name"),
                          jstr(h, "target"),
                          jstr(h, "light"),
                          jstr(a, "verdict"),
                          jstr(b, "version"),
                          jstr(b, "product"),
                          jstr(b, "cu"),
                          jstr(b, "update"),
                          jstr(b, "release_date"),
                          jstr(s, "status"),
                          jstr(s, "end"),
                          jstr(h, "worst_cve"),
                          jstr(h, "worst_status"),
                          n,
                          jstr(step, "step"),
                          jstr(step, "kb"),
                          last ? ex_report_iso(last, seen, sizeof seen) : NULL,
                          jstr(hunt, "verdict"),
                          json_is_object(hunt) ? nf : NULL};
    (void)r;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        if (i)
            fputc(',', o);
        ex_csv_field(o, vals[i]);
    }
    fputs("\r\n", o);
    return ferror(o) ? -1 : 0;
}

static int csv_end(FILE *o, ex_report *r)
{
    (void)r;
    return ferror(o) ? -1 : 0;
}

const ex_report_writer ex_report_csv = {"csv", csv_begin, csv_host, csv_end};
