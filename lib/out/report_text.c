/* report_text: see report_text.h. The legal facts of the GDPR section are
 * those of ../shared/docs/README.md ("GDPR (EU 2016/679), Art. 33"); the
 * methods follow docs/probes.md, remote-detection.md and logs-and-builds.md. */
#include "report_text.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "out/i18n.h"
#include "util.h"

/* --- enum texts --- */

typedef struct text_pair {
    const char *key, *text;
} text_pair;

static const char *lookup(const text_pair *t, size_t n, const char *key)
{
    for (size_t i = 0; key && i < n; i++)
        if (!strcmp(t[i].key, key))
            return _(t[i].text);
    return key ? key : "-";
}

const char *ex_report_status_text(const char *s)
{
    static const text_pair t[] = {{"vulnerable", N_("vulnerable")},
                                  {"possibly", N_("possibly vulnerable")},
                                  {"config", N_("depends on configuration")},
                                  {"mitigated", N_("mitigated")},
                                  {"patched", N_("patched")},
                                  {"unknown", N_("unknown")}};
    return lookup(t, EX_ARRAY_LEN(t), s);
}

const char *ex_report_light_text(const char *s)
{
    static const text_pair t[] = {
        {"red", N_("red")}, {"yellow", N_("yellow")}, {"green", N_("green")}, {"grey", N_("grey")}};
    return lookup(t, EX_ARRAY_LEN(t), s);
}

const char *ex_report_support_text(const char *s)
{
    static const text_pair t[] = {{"supported", N_("supported")}, {"ended", N_("ended")}, {"unknown", N_("unknown")}};
    return lookup(t, EX_ARRAY_LEN(t), s);
}

const char *ex_report_hunt_text(const char *s)
{
    static const text_pair t[] = {
        {"compromised", N_("compromised")}, {"suspicious", N_("suspicious")}, {"clean", N_("nothing found")}};
    return s ? lookup(t, EX_ARRAY_LEN(t), s) : _("no hunt");
}

const char *ex_report_severity_text(const char *s)
{
    static const text_pair t[] = {
        {"critical", N_("critical")}, {"high", N_("high")}, {"medium", N_("medium")}, {"info", N_("info")}};
    return lookup(t, EX_ARRAY_LEN(t), s);
}

const char *ex_report_kind_text(const char *s)
{
    static const text_pair t[] = {{"exposure", N_("exposure")},
                                  {"exploitation-attempt", N_("exploitation attempt")},
                                  {"exploitation-success", N_("successful exploitation")},
                                  {"webshell", N_("web shell")},
                                  {"persistence", N_("persistence")},
                                  {"credential-theft", N_("credential theft")},
                                  {"exfiltration-staging", N_("exfiltration staging")}};
    return lookup(t, EX_ARRAY_LEN(t), s);
}

const char *ex_report_no_update_text(const json_t *a)
{
    const char *verdict = json_string_value(json_object_get(a, "verdict"));
    const char *version = json_string_value(json_object_get(json_object_get(a, "build"), "version"));
    if (!version || !verdict || !strcmp(verdict, "unknown"))
        return _("No update path: the build is not known.");
    return _("No update needed according to the knowledge base.");
}

/* --- blocks --- */

static void add(json_t *blocks, const char *type, const char *text)
{
    json_array_append_new(blocks, json_pack("{s:s, s:s}", "t", type, "s", text ? text : ""));
}

static void addf(json_t *blocks, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void addf(json_t *blocks, const char *type, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    add(blocks, type, buf);
}

static json_t *add_list(json_t *blocks, const char *type)
{
    json_t *items = json_array();
    json_array_append_new(blocks, json_pack("{s:s, s:o}", "t", type, "items", items));
    return items;
}

static void add_kv(json_t *kv, const char *label, const char *value)
{
    json_array_append_new(kv, json_pack("[s, s]", label, value ? value : "-"));
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

char *ex_report_name_list(const json_t *names, size_t max)
{
    ex_buf b = {.max = 1 << 16};
    size_t n = json_array_size(names);
    for (size_t i = 0; i < n && i < max; i++)
        ex_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(json_array_get(names, i)) ?: "?");
    if (n > max)
        ex_buf_printf(&b, _(" and %zu more"), n - max);
    return ex_buf_steal(&b);
}

char *ex_report_action_text(const json_t *a)
{
    const char *kind = jstr(a, "kind"), *step = jstr(a, "step"), *kb = jstr(a, "kb");
    if (kb && step && strstr(step, kb))
        kb = NULL; /* the step names it already */
    char *hosts = ex_report_name_list(json_object_get(a, "hosts"), 6);
    char *cves = ex_report_name_list(json_object_get(a, "cves"), 4);
    ex_buf b = {.max = 1 << 16};
    if (!strcmp(kind, "incident"))
        ex_buf_printf(&b,
                      _("Treat %s as compromised: isolate, preserve the evidence, start incident response, "
                        "and decide on the GDPR notification (see the Art. 33 section)."),
                      hosts);
    else if (!strcmp(kind, "update"))
        ex_buf_printf(&b, _("Update %s now: %s%s%s%s (closes %s)."), hosts, step ? step : "", kb ? " (" : "",
                      kb ? kb : "", kb ? ")" : "", cves);
    else if (!strcmp(kind, "investigate"))
        ex_buf_printf(&b, _("Have the hunt findings on %s examined: exploitation was attempted."), hosts);
    else if (!strcmp(kind, "migrate"))
        ex_buf_printf(&b,
                      _("Plan the move of %s to Exchange Server SE: support for their version has ended, "
                        "security updates only reach paid ESU customers or none at all."),
                      hosts);
    else if (!strcmp(kind, "configure"))
        ex_buf_printf(&b, _("On %s: %s (%s)."), hosts, step ? step : "", cves);
    else
        ex_buf_printf(&b, _("Find out the build of %s: the scan got no usable answer."), hosts);
    free(hosts);
    free(cves);
    return ex_buf_steal(&b);
}

/* --- GDPR Art. 33 --- */

static void gdpr_incidents(json_t *blocks, const json_t *gdpr)
{
    json_t *items = add_list(blocks, "ul"), *inc, *f;
    size_t i, k;
    json_array_foreach(json_object_get(gdpr, "incidents"), i, inc)
    {
        ex_buf b = {.max = 1 << 16};
        ex_buf_printf(&b, "%s: %s", jstr(inc, "host"),
                      !strcmp(jstr(inc, "reason"), "compromise")
                          ? _("signs of a successful compromise")
                          : _("exploitation attempts against a CVE the server was vulnerable to: success cannot "
                              "be excluded"));
        if (jstr(inc, "first_seen"))
            ex_buf_printf(&b, _("; first sign %s"), jstr(inc, "first_seen"));
        ex_buf_puts(&b, _("; findings: "));
        json_array_foreach(json_object_get(inc, "findings"), k, f)
        {
            const char *path = jstr(json_object_get(f, "evidence"), "path");
            ex_buf_printf(&b, "%s%s%s%s%s", k ? "; " : "", jstr(f, "title") ?: "?", path ? " (" : "", path ? path : "",
                          path ? ")" : "");
        }
        json_array_append_new(items, json_string(b.data ? b.data : ""));
        ex_buf_free(&b);
    }
}

static void gdpr_measures(json_t *blocks, const json_t *gdpr)
{
    json_t *items = add_list(blocks, "ul"), *inc, *m;
    size_t i, k;
    json_array_append_new(items, json_string(_("Taken by the controller so far (with dates): to be filled in.")));
    json_array_append_new(items, json_string(_("Proposed: disconnect the affected servers from the internet; "
                                               "preserve disk images and logs before anything is cleaned.")));
    json_array_append_new(items, json_string(_("Proposed: remove the web shells and persistence named in the "
                                               "findings; reset the credentials of accounts that may have been "
                                               "exposed; review mailbox access and outgoing data.")));
    json_array_foreach(json_object_get(gdpr, "incidents"), i, inc)
    {
        json_array_foreach(json_object_get(inc, "measures"), k, m)
        {
            char line[600];
            snprintf(line, sizeof line, _("Proposed for %s: %s"), jstr(inc, "host"), json_string_value(m));
            json_array_append_new(items, json_string(line));
        }
    }
    json_array_append_new(items, json_string(_("Proposed: hunt the other servers and the network for the same "
                                               "indicators.")));
}

static void gdpr_draft(json_t *blocks, const json_t *gdpr)
{
    add(blocks, "h2", _("Draft: notification of a personal data breach (GDPR Art. 33)"));
    add(blocks, "warn",
        _("DRAFT for the controller and its data protection officer, not legal advice. The controller decides "
          "whether to notify: no notification is needed when the breach is unlikely to result in a risk to the "
          "rights and freedoms of natural persons (Art. 33(1))."));
    json_t *kv = add_list(blocks, "kv");
    add_kv(kv, _("Time of awareness"), jstr(gdpr, "aware"));
    add_kv(kv, _("Source of that time"),
           !strcmp(jstr(gdpr, "aware_source") ?: "", "option") ? _("given by the user (--aware-since)")
                                                               : _("the end of the hunt that found the incident"));
    add_kv(kv, _("Notification deadline (72 hours after awareness)"), jstr(gdpr, "deadline"));
    if (json_is_true(json_object_get(gdpr, "deadline_passed")))
        add(blocks, "warn",
            _("The 72-hour deadline has passed: a notification made now must give the reasons for the delay "
              "(Art. 33(1))."));
    add(blocks, "p",
        _("Information that is not yet available may be provided in phases without undue further delay "
          "(Art. 33(4))."));
    add(blocks, "h3", _("(a) Nature of the breach"));
    /* Attempts against a vulnerable server are reportable, but are not a compromise: say only what is known. */
    bool compromise = false;
    const json_t *inc;
    size_t k;
    json_array_foreach(json_object_get(gdpr, "incidents"), k, inc)
    {
        if (!strcmp(jstr(inc, "reason") ? jstr(inc, "reason") : "", "compromise"))
            compromise = true;
    }
    add(blocks, "p",
        compromise ? _("Microsoft Exchange servers show signs of attack and compromise:")
                   : _("Microsoft Exchange servers show signs of attack; a compromise cannot be excluded:"));
    gdpr_incidents(blocks, gdpr);
    add(blocks, "p",
        _("An Exchange server holds mailboxes: e-mails with attachments, contacts and calendars of the staff and "
          "of everyone they correspond with. Whoever controls the server can read these personal data."));
    add(blocks, "fill", _("Categories of data subjects concerned (e.g. staff, customers, correspondents)"));
    add(blocks, "fill", _("Approximate number of data subjects concerned"));
    add(blocks, "fill", _("Categories of personal data records concerned (e.g. e-mail content, contacts)"));
    add(blocks, "fill", _("Approximate number of personal data records concerned (e.g. mailboxes, messages)"));
    add(blocks, "h3", _("(b) Data protection officer or other contact point"));
    add(blocks, "fill", _("Name and contact details of the data protection officer or other contact point"));
    add(blocks, "h3", _("(c) Likely consequences"));
    add(blocks, "p",
        _("Depending on what the attacker did: disclosure of e-mails and attachments to unauthorised persons, "
          "theft of credentials, further attacks on the network from the server, misuse of the mail system "
          "for phishing."));
    add(blocks, "fill", _("The controller's assessment of the likely consequences"));
    add(blocks, "h3", _("(d) Measures taken or proposed"));
    gdpr_measures(blocks, gdpr);
    add(blocks, "h3", _("Supervisory authority"));
    add(blocks, "p",
        _("In Germany: the data protection authority of the Land (for most companies); the Federal Commissioner "
          "for Data Protection and Freedom of Information (BfDI) for federal public bodies and telecommunications "
          "providers."));
    add(blocks, "fill", _("Competent supervisory authority and the way of notification"));
    add(blocks, "h3", _("Documentation duty (Art. 33(5))"));
    add(blocks, "p",
        _("The controller documents every personal data breach, notified or not: the facts, its effects and the "
          "remedial action taken. This report can be part of that documentation."));
    add(blocks, "h3", _("Informing the data subjects (Art. 34)"));
    add(blocks, "p",
        _("Where the breach is likely to result in a high risk to the rights and freedoms of natural persons, the "
          "data subjects must also be told without undue delay (Art. 34)."));
}

static void gdpr_none(json_t *blocks, const json_t *gdpr)
{
    json_int_t hunted = json_integer_value(json_object_get(gdpr, "hunted"));
    json_int_t not_hunted = json_integer_value(json_object_get(gdpr, "not_hunted"));
    add(blocks, "h2", _("GDPR Art. 33: no notification draft"));
    if (hunted > 0)
        addf(blocks, "p",
             ngettext("No draft is given: the compromise hunt recorded for %lld server found no compromise, and "
                      "the server was not exploitable while exploitation attempts against it were seen.",
                      "No draft is given: the compromise hunts recorded for %lld servers found no compromise, and no "
                      "server was exploitable while exploitation attempts against it were seen.",
                      (unsigned long)hunted),
             (long long)hunted);
    else
        add(blocks, "p",
            _("No draft is given because no compromise hunt was recorded for the servers in this report: the "
              "report cannot say whether a personal data breach occurred."));
    if (not_hunted > 0)
        addf(blocks, "note",
             ngettext("%lld server was not hunted: whether it was compromised is not known. Vulnerable servers "
                      "should be hunted (exaudit hunt).",
                      "%lld servers were not hunted: whether they were compromised is not known. Vulnerable "
                      "servers should be hunted (exaudit hunt).",
                      (unsigned long)not_hunted),
             (long long)not_hunted);
    add(blocks, "p",
        _("The documentation duty of Art. 33(5) applies to every personal data breach, notified or not. "
          "This is not legal advice."));
}

json_t *ex_report_gdpr_blocks(const ex_report *r)
{
    json_t *blocks = json_array();
    if (json_is_true(json_object_get(r->gdpr, "reportable")))
        gdpr_draft(blocks, r->gdpr);
    else
        gdpr_none(blocks, r->gdpr);
    return blocks;
}

/* --- methods appendix --- */

static void methods_statuses(json_t *blocks)
{
    json_t *st = add_list(blocks, "ul");
    json_array_append_new(st, json_string(_("vulnerable: the exact build is below the fix, no fix exists for its "
                                            "cumulative update, or a behavioural check confirmed it.")));
    json_array_append_new(
        st, json_string(_("possibly vulnerable: cannot be decided. Only the cumulative update (CU) is known - the "
                          "OWA page shows three parts of the build, shared by every security update of that CU - "
                          "and the CU has both vulnerable and fixed builds; or a behavioural check and the build "
                          "disagree. \"Possibly\" does not mean \"probably\": it means the data is not enough.")));
    json_array_append_new(st, json_string(_("depends on configuration: the build can be made safe by a setting "
                                            "(Extended Protection, serialized data signing, hybrid application); "
                                            "whether it is on cannot be seen from outside.")));
    json_array_append_new(st, json_string(_("mitigated: a URL-rewrite mitigation blocked the trigger; the fix itself "
                                            "is not confirmed.")));
    json_array_append_new(st, json_string(_("patched: the build is at or above the fix (or a behavioural check "
                                            "answered cleanly where the build could not decide).")));
    json_array_append_new(st, json_string(_("unknown: no build and no check result.")));
}

static void methods_lights(json_t *blocks)
{
    json_t *l = add_list(blocks, "ul");
    json_array_append_new(l, json_string(_("red: vulnerable (at least one CVE), or the hunt found a compromise.")));
    json_array_append_new(l, json_string(_("yellow: possibly vulnerable, configuration-dependent, mitigated only, "
                                           "end of support, newer updates whose CVEs the knowledge base lacks, or "
                                           "suspicious hunt findings.")));
    json_array_append_new(l, json_string(_("green: every known CVE patched and the version supported.")));
    json_array_append_new(l, json_string(_("grey: unknown: no build seen, unreachable, or not an on-premises "
                                           "Exchange server.")));
}

static void methods_limits(json_t *blocks)
{
    json_t *l = add_list(blocks, "ul");
    json_array_append_new(l, json_string(_("A build-based verdict cannot see settings or mitigations: such CVEs are "
                                           "reported as depending on configuration.")));
    json_array_append_new(l, json_string(_("A reverse proxy or web application firewall can hide or change the "
                                           "server's answers; a server without an answer is grey, never green.")));
    json_array_append_new(l, json_string(_("The knowledge base knows what was published up to its date; after "
                                           "'exaudit kb update', 'exaudit rescore' re-evaluates the stored builds.")));
    json_array_append_new(l, json_string(_("A hunt sees only the evidence it was given. Exchange deletes old logs: "
                                           "where the logs do not reach back to the start of the exposure window, "
                                           "the absence of findings there is weak evidence.")));
    json_array_append_new(l, json_string(_("Findings are indications for an expert to confirm, not proof; a clean "
                                           "hunt does not prove a clean server.")));
}

json_t *ex_report_methods_blocks(const ex_report *r)
{
    json_t *blocks = json_array();
    add(blocks, "h2", _("Appendix: methods and limits"));
    add(blocks, "h3", _("Probes"));
    add(blocks, "p",
        _("The scan sends a few unauthenticated HTTPS requests, as a browser would: no exploit payload, no login, "
          "nothing written. The Outlook on the web logon page (its asset path carries the cumulative update), "
          "headers that carry the full build (X-OWA-Version) on OWA, EWS and similar endpoints, and the ECP export "
          "tool manifest. Where the build cannot decide, harmless behavioural checks follow: ProxyLogon "
          "(CVE-2021-26855: is the request routed back to the server itself, X-CalculatedBETarget), ProxyShell "
          "(CVE-2021-34473: the autodiscover path confusion) and ProxyNotShell (is Microsoft's URL-rewrite "
          "mitigation in place). An NTLM negotiation may name the internal server and its Windows build."));
    const json_t *seen = json_object_get(r->head, "probes_seen");
    if (json_object_size(seen)) {
        json_t *names = json_array();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)seen, k, v) json_array_append_new(names, json_string(k));
        char *list = ex_report_name_list(names, 40);
        addf(blocks, "p", _("Probes recorded for the servers in this report: %s."), list);
        free(list);
        json_decref(names);
    }
    add(blocks, "h3", _("From build to verdict"));
    addf(blocks, "p",
         _("Each build is compared with the knowledge base (data version %s of %s): every build with its release "
           "date and KB article, the first fixed build of every CVE per cumulative update, and the end of support "
           "of every version, each row with its public source (Microsoft's build tables and security update "
           "guide, CSS-Exchange HealthChecker). A build is fixed when it is at or above the newest fixed build of "
           "its product line, or when its own cumulative update received the fix and it is at or above it; "
           "otherwise it is vulnerable."),
         r->kb->version, r->kb->date);
    add(blocks, "h3", _("What the statuses mean"));
    methods_statuses(blocks);
    add(blocks, "h3", _("Traffic light"));
    methods_lights(blocks);
    add(blocks, "h3", _("Compromise hunting"));
    add(blocks, "p",
        _("A hunt reads the logs and files of one server, read-only, and matches them against published "
          "indicators and rules (Microsoft's Test-ProxyLogon logic, signature-base YARA rules, the IOC lists of "
          "the field notes). Every finding names the file, line, time, SHA-256 and rule it rests on."));
    add(blocks, "h3", _("Limits"));
    methods_limits(blocks);
    return blocks;
}

/* --- exposure window --- */

json_t *ex_report_exposure_blocks(const json_t *host)
{
    json_t *blocks = json_array();
    const json_t *e = json_object_get(host, "exposure"), *hunt = json_object_get(host, "hunt");
    if (jstr(e, "since"))
        addf(blocks, "p",
             _("Exposed since at least %s: the fix for %s was published then; exploitation may have "
               "begun earlier."),
             jstr(e, "since"), jstr(e, "since_cve") ?: "?");
    if (jstr(e, "until"))
        addf(blocks, "p", _("The evidence shows the fix installed at %s."), jstr(e, "until"));
    else if (json_is_true(json_object_get(e, "open")))
        add(blocks, "p", _("The window is still open: the server was vulnerable when it was last scanned."));
    if (!json_is_object(hunt)) {
        add(blocks, "note",
            _("No hunt recorded: whether the server was attacked, and how far its logs reach, is "
              "not known."));
        return blocks;
    }
    if (json_object_size(json_object_get(hunt, "coverage")) == 0)
        add(blocks, "warn", _("The hunt read no dated log entry: that it found nothing says nothing about attacks."));
    if (jstr(e, "logs_from"))
        addf(blocks, "p", _("The logs reach back to %s."), jstr(e, "logs_from"));
    json_int_t gap = json_integer_value(json_object_get(e, "uncovered_days"));
    if (gap > 0)
        addf(blocks, "warn",
             _("The logs do not cover the first %lld days of the exposure window: for that time the absence of "
               "findings says little."),
             (long long)gap);
    else if (jstr(e, "since") && jstr(e, "logs_from"))
        add(blocks, "p", _("The logs cover the exposure window."));
    return blocks;
}
