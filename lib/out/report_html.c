/* report_html: one self-contained HTML file. Inline CSS with print rules (a
 * page per server, the browser's print gives a clean PDF), no script, no
 * external resource of any kind. Every string that came from the network or
 * from evidence passes ex_html_escape(). */
#include <stdlib.h>
#include <string.h>

#include "out/finding_json.h"
#include "out/i18n.h"
#include "out/report.h"
#include "out/state.h"
#include "report_text.h"
#include "verdict.h"

static const char *const css =
    "@page{size:A4;margin:16mm 14mm}"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:10pt;color:#111;line-height:1.35;"
    "margin:0 auto;max-width:190mm}"
    "@media screen{body{padding:12pt}}"
    "h1{font-size:22pt;margin:0 0 8pt}h2{font-size:15pt;margin:14pt 0 6pt;border-bottom:1px solid #999}"
    "h3{font-size:11.5pt;margin:10pt 0 4pt}"
    "table{border-collapse:collapse;width:100%;margin:4pt 0 8pt}"
    "th,td{border:1px solid #bbb;padding:2pt 4pt;vertical-align:top;text-align:left;overflow-wrap:break-word}"
    "td.mono,.mono{overflow-wrap:anywhere}"
    "table.servers{font-size:8.5pt}"
    "th{background:#eee}thead{display:table-header-group}tr{break-inside:avoid}"
    "table.kv th{width:32%}"
    ".light{display:inline-block;padding:0 6pt;border-radius:8pt;font-weight:bold;white-space:nowrap}"
    ".red{background:#c62828;color:#fff}.yellow{background:#f9a825;color:#000}"
    ".green{background:#2e7d32;color:#fff}.grey{background:#757575;color:#fff}"
    ".title-page{break-after:page;padding-top:40mm}"
    ".title-page .meta th{width:30%}"
    "section.server,section.gdpr,section.methods{break-before:page}"
    "section.gdpr.draft{border:2px solid #c62828;padding:2pt 10pt 8pt}"
    ".warn{border-left:4pt solid #c62828;background:#fdecea;padding:4pt 8pt;margin:6pt 0}"
    ".note{border-left:4pt solid #757575;background:#f2f2f2;padding:4pt 8pt;margin:6pt 0}"
    ".fill{border:1px dashed #555;padding:4pt 6pt 16pt;margin:4pt 0;color:#444}"
    ".mono{font-family:'DejaVu Sans Mono',monospace;font-size:8.5pt}"
    ".small{font-size:8.5pt;color:#444}"
    "ol.actions li{margin-bottom:4pt}";

/* --- escaping --- */

static const char *html_sub(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default:
        return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? "\xEF\xBF\xBD" : NULL; /* controls are not text */
    }
}

void ex_html_escape(FILE *o, const char *s)
{
    ex_report_escape(o, s, html_sub);
}

#define E(s) ex_html_escape(o, (s))

static const char *jstr(const json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

static void light_badge(FILE *o, const char *light)
{
    fprintf(o, "<span class=\"light %s\">", light && ex_report_light_text(light) ? light : "grey");
    E(ex_report_light_text(light));
    fputs("</span>", o);
}

/* Any JSON value as text: scalars plainly, arrays of scalars joined, the rest as compact JSON. */
static void value_text(FILE *o, const json_t *v)
{
    char num[64];
    if (json_is_string(v))
        E(json_string_value(v));
    else if (json_is_integer(v))
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), fputs(num, o);
    else if (json_is_real(v))
        snprintf(num, sizeof num, "%g", json_real_value(v)), fputs(num, o);
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? _("yes") : _("no"), o);
    else if (json_is_null(v) || !v)
        fputs("-", o);
    else {
        char *d = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputs("<span class=\"mono\">", o);
        E(d);
        fputs("</span>", o);
        free(d);
    }
}

static void kv_row(FILE *o, const char *label, const char *value)
{
    fputs("<tr><th>", o);
    E(label);
    fputs("</th><td>", o);
    E(value ? value : "-");
    fputs("</td></tr>\n", o);
}

static void kv_row_json(FILE *o, const char *label, const json_t *v)
{
    fputs("<tr><th>", o);
    E(label);
    fputs("</th><td>", o);
    if (json_is_object(v)) { /* certificate, NTLM: whatever fields the scanner recorded */
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            fputs("<span class=\"small\">", o);
            E(k);
            fputs(":</span> ", o);
            value_text(o, x);
            fputs("<br>", o);
        }
    } else {
        value_text(o, v);
    }
    fputs("</td></tr>\n", o);
}

/* --- blocks (GDPR, methods, exposure) --- */

static void blocks(FILE *o, const json_t *bl)
{
    const json_t *b, *it;
    size_t i, k;
    json_array_foreach(bl, i, b)
    {
        const char *t = jstr(b, "t"), *s = jstr(b, "s");
        if (!strcmp(t, "ul")) {
            fputs("<ul>", o);
            json_array_foreach(json_object_get(b, "items"), k, it)
            {
                fputs("<li>", o);
                E(json_string_value(it));
                fputs("</li>", o);
            }
            fputs("</ul>\n", o);
        } else if (!strcmp(t, "kv")) {
            fputs("<table class=\"kv\">", o);
            json_array_foreach(json_object_get(b, "items"), k, it)
                kv_row(o, json_string_value(json_array_get(it, 0)), json_string_value(json_array_get(it, 1)));
            fputs("</table>\n", o);
        } else if (!strcmp(t, "fill")) {
            fputs("<div class=\"fill\">", o);
            E(s);
            fprintf(o, ": <em>%s</em></div>\n", _("to be filled in by the controller"));
        } else {
            bool div = !strcmp(t, "warn") || !strcmp(t, "note");
            fprintf(o, "<%s%s%s>", div ? "div" : t, div ? " class=" : "", div ? t : "");
            E(s);
            fprintf(o, "</%s>\n", div ? "div" : t);
        }
    }
}

/* --- title page, summary, GDPR --- */

static void title_page(FILE *o, ex_report *r)
{
    const json_t *h = r->head, *scope = json_object_get(h, "scope"), *kb = json_object_get(h, "kb");
    char *customers = ex_report_name_list(json_object_get(scope, "customers"), 12), n[32];
    fprintf(o, "<section class=\"title-page\"><h1>%s</h1>\n<table class=\"kv meta\">", _("Exchange security report"));
    kv_row(o, _("Customer"), jstr(h, "customer") ? jstr(h, "customer") : (*customers ? customers : _("all")));
    kv_row(o, _("Date"), jstr(h, "generated"));
    snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(scope, "servers")));
    kv_row(o, _("Scope: servers"), n);
    kv_row(o, _("Scope: customers"), *customers ? customers : "-");
    kv_row(o, _("Scan runs"), jstr(scope, "scans"));
    kv_row(o, _("Hunt runs"), jstr(scope, "hunts"));
    kv_row(o, _("Tool"), jstr(h, "tool"));
    char kbt[160];
    /* The origin is "built-in" or the bundle's local path, which means nothing to the customer. */
    const char *origin = jstr(kb, "origin");
    snprintf(kbt, sizeof kbt, "%s (%s), %s", jstr(kb, "version"), jstr(kb, "date"),
             origin && !strcmp(origin, "built-in") ? _("built in") : _("installed update"));
    kv_row(o, _("Knowledge base"), kbt);
    fprintf(o, "</table><p class=\"small\">%s</p></section>\n",
            _("Prepared with exaudit from the scans and hunts recorded in its inventory."));
    free(customers);
}

static void summary_table(FILE *o, ex_report *r)
{
    const json_t *s;
    size_t i;
    fprintf(o,
            "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
            "</tr></thead><tbody>\n",
            _("Server"), _("Customer"), _("State"), _("Build"), _("Most urgent CVE"), _("Support"), _("Hunt"));
    json_array_foreach(r->servers, i, s)
    {
        fputs("<tr><td>", o);
        E(jstr(s, "name"));
        fputs("</td><td>", o);
        E(jstr(s, "customer") && *jstr(s, "customer") ? jstr(s, "customer") : "-");
        fputs("</td><td>", o);
        light_badge(o, jstr(s, "light"));
        fputs("</td><td>", o);
        E(jstr(s, "build")                                ? jstr(s, "build")
          : json_is_true(json_object_get(s, "reachable")) ? _("unknown")
                                                          : _("no answer"));
        fputs("</td><td>", o);
        if (jstr(s, "worst_cve")) {
            E(jstr(s, "worst_cve"));
            fputs(" ", o);
            E(ex_report_status_text(jstr(s, "worst_status")));
        } else
            fputs("-", o);
        fputs("</td><td>", o);
        E(ex_report_support_text(jstr(s, "support")));
        fputs("</td><td>", o);
        E(ex_report_hunt_text(jstr(s, "hunt")));
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody></table>\n", o);
}

static void summary(FILE *o, ex_report *r)
{
    static const char *const lights[] = {"red", "yellow", "green", "grey"};
    const json_t *counts = json_object_get(r->head, "counts"), *a;
    size_t i;
    fprintf(o, "<section class=\"summary\"><h2>%s</h2><p>", _("Executive summary"));
    for (size_t k = 0; k < 4; k++) {
        light_badge(o, lights[k]);
        fprintf(o, " %lld &nbsp; ", (long long)json_integer_value(json_object_get(counts, lights[k])));
    }
    fprintf(o, "</p>\n<h3>%s</h3>\n", _("The three most urgent actions"));
    if (!json_array_size(r->actions))
        fprintf(o, "<p>%s</p>\n", _("Nothing urgent: no server needs an action."));
    fputs("<ol class=\"actions\">", o);
    json_array_foreach(r->actions, i, a)
    {
        char *t = ex_report_action_text(a);
        fputs("<li>", o);
        E(t);
        fputs("</li>\n", o);
        free(t);
    }
    fprintf(o, "</ol>\n<h3>%s</h3>\n", _("Servers"));
    summary_table(o, r);
    fputs("</section>\n", o);
}

static int html_begin(FILE *o, ex_report *r)
{
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n",
            r->opts.lang ? r->opts.lang : "en");
    /* Belt and braces: even if a value slipped through unescaped, the browser
     * would load nothing and run nothing. */
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          o);
    E(_("Exchange security report"));
    if (r->opts.customer) {
        fputs(" - ", o);
        E(r->opts.customer);
    }
    fprintf(o, "</title>\n<style>%s</style></head><body>\n", css);
    title_page(o, r);
    summary(o, r);
    json_t *g = ex_report_gdpr_blocks(r);
    fprintf(o, "<section class=\"gdpr%s\" id=\"gdpr\">\n",
            json_is_true(json_object_get(r->gdpr, "reportable")) ? " draft" : "");
    blocks(o, g);
    fputs("</section>\n", o);
    json_decref(g);
    return 0;
}

/* --- one server --- */

static void identity(FILE *o, const json_t *h)
{
    const json_t *scan = json_object_get(h, "scan");
    char addr[320], seen[32];
    fprintf(o, "<h3>%s</h3><table class=\"kv\">", _("Identity"));
    kv_row(o, _("Name"), jstr(h, "name"));
    kv_row(o, _("Target"), jstr(h, "target"));
    if (jstr(scan, "ip")) {
        snprintf(addr, sizeof addr, "%s%s%lld", jstr(scan, "ip"),
                 json_is_integer(json_object_get(scan, "port")) ? ":" : "",
                 (long long)json_integer_value(json_object_get(scan, "port")));
        kv_row(o, _("Address"), addr);
    }
    kv_row(o, _("Customer"), jstr(h, "customer") && *jstr(h, "customer") ? jstr(h, "customer") : NULL);
    kv_row(o, _("Tags"), jstr(h, "tags"));
    if (json_object_get(scan, "exchange"))
        kv_row(o, _("Exchange"), jstr(scan, "exchange"));
    if (json_object_get(scan, "tls"))
        kv_row_json(o, _("Certificate"), json_object_get(scan, "tls"));
    if (json_object_get(scan, "ntlm"))
        kv_row_json(o, _("NTLM names"), json_object_get(scan, "ntlm"));
    json_int_t last = json_integer_value(json_object_get(h, "last_seen"));
    kv_row(o, _("Last seen"), last ? ex_report_iso(last, seen, sizeof seen) : NULL);
    if (json_array_size(json_object_get(scan, "errors")))
        kv_row_json(o, _("Errors"), json_object_get(scan, "errors"));
    fputs("</table>\n", o);
}

/* Every probe the scanner recorded, with its evidence, whatever its fields. */
static void probes_table(FILE *o, const json_t *scan)
{
    const json_t *p, *v;
    const char *k;
    size_t i;
    if (!json_array_size(json_object_get(scan, "probes")))
        return;
    fprintf(o, "<h3>%s</h3><table><thead><tr><th style=\"width:22%%\">%s</th><th>%s</th></tr></thead><tbody>\n",
            _("Probes and their evidence"), _("Probe"), _("Request and answer"));
    json_array_foreach(json_object_get(scan, "probes"), i, p)
    {
        const char *name = jstr(p, "name") ? jstr(p, "name") : jstr(p, "probe") ? jstr(p, "probe") : jstr(p, "id");
        fputs("<tr><td class=\"mono\">", o);
        E(name ? name : "-");
        fputs("</td><td class=\"mono\">", o);
        json_object_foreach((json_t *)p, k, v)
        {
            if (json_string_value(v) && json_string_value(v) == name)
                continue;
            E(k);
            fputs(": ", o);
            value_text(o, v);
            fputs("<br>", o);
        }
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody></table>\n", o);
}

static const char *precision_text(const char *p)
{
    if (!p)
        return "-";
    if (!strcmp(p, "su"))
        return _("exact build");
    if (!strcmp(p, "cu"))
        return _("cumulative update only: the security update is not known");
    if (!strcmp(p, "approx"))
        return _("approximate: not in the tables, named after the nearest lower known build");
    return p;
}

static void build_support(FILE *o, const json_t *a)
{
    const json_t *b = json_object_get(a, "build"), *s = json_object_get(a, "support");
    fprintf(o, "<h3>%s</h3><table class=\"kv\">", _("Build and support"));
    if (!json_is_object(b)) {
        kv_row(o, _("Build"), _("not seen"));
        fputs("</table>\n", o);
        return;
    }
    char ver[96];
    snprintf(ver, sizeof ver, "%s (%s)", jstr(b, "version"), jstr(b, "version_long"));
    kv_row(o, _("Build"), ver);
    kv_row(o, _("Precision"), precision_text(jstr(b, "precision")));
    kv_row(o, _("Product"), jstr(b, "product"));
    kv_row(o, _("Cumulative update (CU)"), jstr(b, "cu"));
    kv_row(o, _("Security update (SU)"), jstr(b, "update"));
    kv_row(o, _("Release date"), jstr(b, "release_date"));
    kv_row(o, _("KB article"), jstr(b, "kb"));
    if (jstr(b, "note"))
        kv_row(o, _("Note"), jstr(b, "note"));
    char sup[160];
    const char *st = jstr(s, "status");
    snprintf(sup, sizeof sup, "%s%s%s%s", ex_report_support_text(st), jstr(s, "end") && *jstr(s, "end") ? " " : "",
             jstr(s, "end") ? jstr(s, "end") : "",
             st && !strcmp(st, "ended") && jstr(s, "security_updates") && !strcmp(jstr(s, "security_updates"), "esu")
                 ? _(" (security updates for paid ESU customers only)")
                 : "");
    kv_row(o, _("Support"), sup);
    kv_row(o, _("Verdict"), ex_report_status_text(jstr(a, "verdict")));
    kv_row(o, _("Knowledge base of the verdict"), jstr(json_object_get(a, "kb"), "version"));
    fputs("</table>\n", o);
}

/* The KB article of the build that fixes a CVE, from the knowledge base in use. */
static const char *fix_kb(const ex_kb *kb, const char *fixed_in)
{
    ex_version v;
    if (!fixed_in || ex_version_parse_str(fixed_in, &v) != EX_VERSION_OK)
        return NULL;
    const ex_kb_build *b = ex_kb_find_build(kb, &v);
    return b && b->kb[0] ? b->kb : NULL;
}

static void cve_row(FILE *o, const ex_kb *kb, const json_t *c)
{
    fputs("<tr><td class=\"mono\">", o);
    E(jstr(c, "id"));
    fputs("</td><td>", o);
    E(jstr(c, "family") ? jstr(c, "family") : "");
    fprintf(o, "</td><td>");
    E(ex_report_status_text(jstr(c, "status")));
    fputs("</td><td>", o);
    E(jstr(c, "basis"));
    if (jstr(c, "evidence")) {
        fprintf(o, "<br><span class=\"small\">%s ",
                json_is_true(json_object_get(c, "by_probe")) ? _("probe:") : _("evidence:"));
        E(jstr(c, "evidence"));
        fputs("</span>", o);
    }
    if (json_is_true(json_object_get(c, "data_uncertain")))
        fprintf(o, "<br><span class=\"small\">%s</span>", _("the fix data is flagged uncertain in the knowledge base"));
    fputs("</td><td>", o);
    E(jstr(c, "fixed_by"));
    if (jstr(c, "fixed_in")) {
        fputs(" ", o);
        E(jstr(c, "fixed_in"));
    }
    if (fix_kb(kb, jstr(c, "fixed_in"))) {
        fputs(" (", o);
        E(fix_kb(kb, jstr(c, "fixed_in")));
        fputs(")", o);
    }
    fputs("</td></tr>\n", o);
}

static void cves(FILE *o, const ex_kb *kb, const json_t *a)
{
    const json_t *c;
    size_t i, patched = 0;
    fprintf(o, "<h3>%s</h3>", _("CVEs"));
    fprintf(o,
            "<table><thead><tr><th style=\"width:17%%\">CVE</th><th style=\"width:14%%\">%s</th>"
            "<th style=\"width:13%%\">%s</th><th>%s</th><th style=\"width:17%%\">%s</th></tr></thead><tbody>\n",
            _("Family"), _("Status"), _("Evidence"), _("Fixed by"));
    /* Most urgent first: status, then a named family; the knowledge base's order within. */
    for (int urgency = 2 * EX_STATUS_VULNERABLE + 1; urgency >= 0; urgency--)
        json_array_foreach(json_object_get(a, "cves"), i, c) if (ex_cve_urgency(c) == urgency) cve_row(o, kb, c);
    json_array_foreach(json_object_get(a, "cves"), i, c) patched += ex_cve_urgency(c) < 0;
    fputs("</tbody></table>\n", o);
    if (patched) {
        fprintf(o, "<p class=\"small\">%s (%zu): ", _("Patched"), patched);
        size_t k = 0;
        json_array_foreach(json_object_get(a, "cves"), i,
                           c) if (jstr(c, "status") && !strcmp(jstr(c, "status"), "patched"))
        {
            fputs(k++ ? ", " : "", o);
            E(jstr(c, "id"));
        }
        fputs("</p>\n", o);
    }
}

static void update_path(FILE *o, const json_t *a)
{
    const json_t *s;
    size_t i;
    fprintf(o, "<h3>%s</h3>", _("Update path"));
    if (!json_array_size(json_object_get(a, "remediation"))) {
        fprintf(o, "<p>%s</p>\n", ex_report_no_update_text(a));
        return;
    }
    fputs("<ol>", o);
    json_array_foreach(json_object_get(a, "remediation"), i, s)
    {
        fputs("<li>", o);
        E(jstr(s, "step"));
        if (jstr(s, "kb") && !strstr(jstr(s, "step") ? jstr(s, "step") : "", jstr(s, "kb"))) {
            fputs(" <b>", o);
            E(jstr(s, "kb"));
            fputs("</b>", o);
        }
        fputs("</li>", o);
    }
    fputs("</ol>\n", o);
}

static void finding_rows(FILE *o, const json_t *list)
{
    const json_t *f;
    size_t i;
    json_array_foreach(list, i, f)
    {
        const json_t *ev = json_object_get(f, "evidence"), *rule = json_object_get(f, "rule");
        fputs("<tr><td>", o);
        E(ex_report_severity_text(jstr(f, "severity")));
        fputs("<br><span class=\"small\">", o);
        E(ex_report_kind_text(jstr(f, "kind")));
        fputs("</span></td><td class=\"mono\">", o);
        E(jstr(f, "time") ? jstr(f, "time") : "-");
        fputs("</td><td>", o);
        E(jstr(f, "title"));
        if (jstr(f, "cve")) {
            fputs(" <span class=\"mono\">", o);
            E(jstr(f, "cve"));
            fputs("</span>", o);
        }
        fputs("</td><td class=\"mono\">", o);
        E(jstr(ev, "path"));
        if (json_is_integer(json_object_get(ev, "line")))
            fprintf(o, ":%lld", (long long)json_integer_value(json_object_get(ev, "line")));
        if (jstr(ev, "sha256")) {
            fputs("<br>SHA-256 ", o);
            E(jstr(ev, "sha256"));
        }
        if (jstr(ev, "match")) {
            fputs("<br>", o);
            E(jstr(ev, "match"));
        }
        fputs("</td><td>", o);
        E(jstr(rule, "name"));
        if (jstr(rule, "source")) {
            fputs("<br><span class=\"small\">", o);
            E(jstr(rule, "source"));
            if (jstr(rule, "author")) {
                fputs(", ", o);
                E(jstr(rule, "author"));
            }
            fputs("</span>", o);
        }
        fputs("</td></tr>\n", o);
    }
}

static void findings_table(FILE *o, const json_t *list)
{
    fprintf(o,
            "<table><thead><tr><th style=\"width:11%%\">%s</th><th style=\"width:15%%\">%s</th><th>%s</th>"
            "<th style=\"width:30%%\">%s</th><th style=\"width:16%%\">%s</th></tr></thead><tbody>\n",
            _("Severity"), _("Time"), _("Finding"), _("Evidence (path, hash, match)"), _("Rule"));
    finding_rows(o, list);
    fputs("</tbody></table>\n", o);
}

static void coverage_table(FILE *o, const json_t *cov)
{
    const char *k;
    json_t *v;
    if (!json_object_size(cov))
        return;
    fprintf(o, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n", _("Log directory"),
            _("From"), _("To"));
    json_object_foreach((json_t *)cov, k, v)
    {
        fputs("<tr><td class=\"mono\">", o);
        E(k);
        fputs("</td><td class=\"mono\">", o);
        E(jstr(v, "first"));
        fputs("</td><td class=\"mono\">", o);
        E(jstr(v, "last"));
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody></table>\n", o);
}

static void hunt(FILE *o, const json_t *h)
{
    const json_t *hu = json_object_get(h, "hunt");
    fprintf(o, "<h3>%s</h3>", _("Hunt findings"));
    if (!json_is_object(hu)) {
        fprintf(o, "<p>%s</p>\n", _("No compromise hunt was recorded for this server."));
    } else {
        fprintf(o, "<p>%s ", _("Verdict of the last hunt:"));
        E(ex_report_hunt_text(jstr(hu, "verdict")));
        fprintf(o, " (%s ", _("finished"));
        E(jstr(hu, "finished"));
        fputs(")</p>\n", o);
        if (json_array_size(json_object_get(hu, "findings")))
            findings_table(o, json_object_get(hu, "findings"));
    }
    if (json_array_size(json_object_get(h, "findings"))) {
        fprintf(o, "<p>%s</p>", _("Further findings of the scan:"));
        findings_table(o, json_object_get(h, "findings"));
    }
    fprintf(o, "<h3>%s</h3>", _("Log coverage and exposure window"));
    coverage_table(o, json_object_get(hu, "coverage"));
    json_t *bl = ex_report_exposure_blocks(h);
    blocks(o, bl);
    json_decref(bl);
}

static int html_host(FILE *o, ex_report *r, const json_t *h)
{
    const json_t *a = json_object_get(h, "assessment");
    fputs("<section class=\"server\"><h2>", o);
    E(jstr(h, "name"));
    fputs(" ", o);
    light_badge(o, jstr(h, "light"));
    fputs("</h2>\n", o);
    identity(o, h);
    probes_table(o, json_object_get(h, "scan"));
    if (json_is_object(a)) {
        build_support(o, a);
        cves(o, r->kb, a);
        update_path(o, a);
    } else {
        fprintf(o, "<p>%s</p>\n", _("This server has not been scanned."));
    }
    hunt(o, h);
    fputs("</section>\n", o);
    return ferror(o) ? -1 : 0;
}

static int html_end(FILE *o, ex_report *r)
{
    json_t *m = ex_report_methods_blocks(r);
    fputs("<section class=\"methods\">\n", o);
    blocks(o, m);
    fputs("</section>\n</body></html>\n", o);
    json_decref(m);
    return ferror(o) ? -1 : 0;
}

const ex_report_writer ex_report_html = {"html", html_begin, html_host, html_end};
