/* report_md: the report as Markdown, for tickets. Same content as the HTML
 * report, fewer details per finding. */
#include <stdlib.h>
#include <string.h>

#include "out/finding_json.h"
#include "out/i18n.h"
#include "out/report.h"
#include "report_text.h"

static const char *md_sub(unsigned char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\\': return "\\\\";
    case '`': return "\\`";
    case '*': return "\\*";
    case '_': return "\\_";
    case '[': return "\\[";
    case ']': return "\\]";
    case '|': return "\\|";
    case '#': return "\\#";
    case '!': return "\\!";
    case '{': return "\\{";
    case '}': return "\\}";
    default: return c < 0x20 || c == 0x7f ? " " : NULL; /* a value stays on its line */
    }
}

void ex_md_escape(FILE *o, const char *s)
{
    ex_report_escape(o, s, md_sub);
}

#define E(s) ex_md_escape(o, (s))

static const char *jstr(const json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

static void blocks(FILE *o, const json_t *bl)
{
    const json_t *b, *it;
    size_t i, k;
    json_array_foreach(bl, i, b)
    {
        const char *t = jstr(b, "t"), *s = jstr(b, "s");
        if (!strcmp(t, "ul") || !strcmp(t, "kv")) {
            json_array_foreach(json_object_get(b, "items"), k, it)
            {
                fputs("- ", o);
                if (json_is_array(it)) {
                    fputs("**", o);
                    E(json_string_value(json_array_get(it, 0)));
                    fputs(":** ", o);
                    E(json_string_value(json_array_get(it, 1)));
                } else
                    E(json_string_value(it));
                fputc('\n', o);
            }
        } else if (!strcmp(t, "fill")) {
            fputs("- [ ] ", o);
            E(s);
            fprintf(o, ": _%s_", _("to be filled in by the controller"));
        } else {
            fputs(!strcmp(t, "h2") ? "## " : !strcmp(t, "h3") ? "### " : !strcmp(t, "warn") ? "> **" : "", o);
            E(s);
            fputs(!strcmp(t, "warn") ? "**" : "", o);
        }
        fputs("\n\n", o);
    }
}

static int md_begin(FILE *o, ex_report *r)
{
    const json_t *h = r->head, *kb = json_object_get(h, "kb"), *s, *a;
    size_t i;
    fprintf(o, "# %s\n\n", _("Exchange security report"));
    fprintf(o, "- **%s:** ", _("Customer"));
    E(jstr(h, "customer") ? jstr(h, "customer") : _("all"));
    fprintf(o, "\n- **%s:** %s\n- **%s:** ", _("Date"), jstr(h, "generated"), _("Tool"));
    E(jstr(h, "tool"));
    fprintf(o, "\n- **%s:** %s (%s)\n\n## %s\n\n", _("Knowledge base"), jstr(kb, "version"), jstr(kb, "date"),
            _("Executive summary"));
    fprintf(o, "### %s\n\n", _("The three most urgent actions"));
    json_array_foreach(r->actions, i, a)
    {
        char *t = ex_report_action_text(a);
        fprintf(o, "%zu. ", i + 1);
        E(t);
        fputc('\n', o);
        free(t);
    }
    if (!json_array_size(r->actions))
        fprintf(o, "%s\n", _("Nothing urgent: no server needs an action."));
    fprintf(o, "\n| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", _("Server"), _("State"), _("Build"),
            _("Most urgent CVE"), _("Support"), _("Hunt"));
    json_array_foreach(r->servers, i, s)
    {
        fputs("| ", o);
        E(jstr(s, "name"));
        fputs(" | ", o);
        E(ex_report_light_text(jstr(s, "light")));
        fputs(" | ", o);
        E(jstr(s, "build") ? jstr(s, "build") : "-");
        fputs(" | ", o);
        E(jstr(s, "worst_cve") ? jstr(s, "worst_cve") : "-");
        fputs(" ", o);
        E(jstr(s, "worst_cve") ? ex_report_status_text(jstr(s, "worst_status")) : "");
        fputs(" | ", o);
        E(ex_report_support_text(jstr(s, "support")));
        fputs(" | ", o);
        E(ex_report_hunt_text(jstr(s, "hunt")));
        fputs(" |\n", o);
    }
    fputc('\n', o);
    json_t *g = ex_report_gdpr_blocks(r);
    blocks(o, g);
    json_decref(g);
    return 0;
}

static void md_cves(FILE *o, const json_t *a)
{
    const json_t *c;
    size_t i;
    fprintf(o, "\n| CVE | %s | %s |\n|---|---|---|\n", _("Status"), _("Evidence"));
    json_array_foreach(json_object_get(a, "cves"), i, c)
    {
        if (jstr(c, "status") && !strcmp(jstr(c, "status"), "patched"))
            continue;
        fputs("| ", o);
        E(jstr(c, "id"));
        fputs(" | ", o);
        E(ex_report_status_text(jstr(c, "status")));
        fputs(" | ", o);
        E(jstr(c, "basis"));
        fputs(" |\n", o);
    }
}

static void md_findings(FILE *o, const json_t *hu)
{
    const json_t *f;
    size_t i;
    json_array_foreach(json_object_get(hu, "findings"), i, f)
    {
        const json_t *ev = json_object_get(f, "evidence");
        fputs("- ", o);
        E(ex_report_severity_text(jstr(f, "severity")));
        fputs(" ", o);
        E(jstr(f, "time") ? jstr(f, "time") : "-");
        fputs(": ", o);
        E(jstr(f, "title"));
        fputs(" (", o);
        E(jstr(ev, "path"));
        if (jstr(ev, "sha256")) {
            fputs(", SHA-256 ", o);
            E(jstr(ev, "sha256"));
        }
        fputs(", ", o);
        E(jstr(json_object_get(f, "rule"), "name"));
        fputs(")\n", o);
    }
}

static int md_host(FILE *o, ex_report *r, const json_t *h)
{
    (void)r;
    const json_t *a = json_object_get(h, "assessment"), *b = json_object_get(a, "build"), *s;
    size_t i;
    fputs("\n## ", o);
    E(jstr(h, "name"));
    fputs(" (", o);
    E(ex_report_light_text(jstr(h, "light")));
    fputs(")\n\n", o);
    fprintf(o, "- **%s:** ", _("Build"));
    E(jstr(b, "version") ? jstr(b, "version") : _("not seen"));
    fputs(" ", o);
    E(jstr(b, "product"));
    fputs(" ", o);
    E(jstr(b, "cu"));
    fputs(" ", o);
    E(jstr(b, "update"));
    fprintf(o, "\n- **%s:** ", _("Verdict"));
    E(ex_report_status_text(jstr(a, "verdict")));
    fputc('\n', o);
    md_cves(o, a);
    fprintf(o, "\n**%s**\n\n", _("Update path"));
    if (!json_array_size(json_object_get(a, "remediation")))
        fprintf(o, "%s\n", ex_report_no_update_text(a));
    json_array_foreach(json_object_get(a, "remediation"), i, s)
    {
        fprintf(o, "%zu. ", i + 1);
        E(jstr(s, "step"));
        fputc('\n', o);
    }
    fprintf(o, "\n**%s:** ", _("Hunt findings"));
    E(ex_report_hunt_text(jstr(json_object_get(h, "hunt"), "verdict")));
    fputs("\n\n", o);
    md_findings(o, json_object_get(h, "hunt"));
    json_t *bl = ex_report_exposure_blocks(h);
    fputc('\n', o);
    blocks(o, bl);
    json_decref(bl);
    return ferror(o) ? -1 : 0;
}

static int md_end(FILE *o, ex_report *r)
{
    json_t *m = ex_report_methods_blocks(r);
    fputc('\n', o);
    blocks(o, m);
    json_decref(m);
    return ferror(o) ? -1 : 0;
}

const ex_report_writer ex_report_md = {"md", md_begin, md_host, md_end};
