#include "hunt/event.h"

#include "hunt/logscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ex_event_init(ex_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->text.max = EX_EVENT_TEXT_MAX + 1;
    ex_event_reset(ev);
}

void ex_event_reset(ex_event *ev)
{
    ex_buf text = ev->text;
    memset(ev, 0, sizeof *ev);
    ev->text = text;
    ex_buf_reset(&ev->text);
    ev->time = EX_TIME_UNKNOWN;
    ev->event_id = -1;
    ev->level = EX_EVENT_LEVEL_UNKNOWN;
}

void ex_event_free(ex_event *ev)
{
    ex_buf_free(&ev->text);
    memset(ev, 0, sizeof *ev);
}

void ex_event_set_name(char dst[EX_EVENT_NAME_MAX], const char *s, size_t len)
{
    if (len >= EX_EVENT_NAME_MAX)
        len = EX_EVENT_NAME_MAX - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* Store len bytes of s as one NUL-terminated value; *off receives its offset.
 * 1 when stored (perhaps shortened), 0 when dropped, -1 out of memory. */
static int store_value(ex_event *ev, const char *s, size_t len, size_t *off)
{
    size_t room = EX_EVENT_TEXT_MAX > ev->text.len ? EX_EVENT_TEXT_MAX - ev->text.len : 0;
    if (room < 2) {
        ev->cut = true;
        return 0;
    }
    if (len > room - 1) {
        len = room - 1;
        ev->cut = true;
    }
    *off = ev->text.len;
    if (ex_buf_append(&ev->text, s, len) != 0 || ex_buf_append(&ev->text, "", 1) != 0)
        return -1;
    return 1;
}

int ex_event_add_data(ex_event *ev, const char *s, size_t len)
{
    if (ev->ndata >= EX_EVENT_MAX_DATA) {
        ev->cut = true;
        return 0;
    }
    size_t off;
    int r = store_value(ev, s, len, &off);
    if (r > 0)
        ev->data_off[ev->ndata++] = off;
    return r < 0 ? -1 : 0;
}

int ex_event_set_message(ex_event *ev, const char *s, size_t len)
{
    size_t off;
    int r = store_value(ev, s, len, &off);
    if (r > 0) {
        ev->has_message = true;
        ev->message_off = off;
    }
    return r < 0 ? -1 : 0;
}

const char *ex_event_data(const ex_event *ev, size_t i)
{
    return i < ev->ndata ? ev->text.data + ev->data_off[i] : NULL;
}

const char *ex_event_message(const ex_event *ev)
{
    return ev->has_message ? ev->text.data + ev->message_off : NULL;
}

/* --- time ----------------------------------------------------------------------------- */

int64_t ex_event_parse_time(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '"')) /* CSV and attribute values may keep their quotes */
        s++, len--;
    /* After the seconds and any fraction: 'Z', a quote, nothing, or an offset that must be UTC. */
    size_t i = 19;
    if (len > i && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            ;
    if (len > i && (s[i] == '+' || s[i] == '-') && !(len - i >= 3 && s[i + 1] == '0' && s[i + 2] == '0'))
        return EX_TIME_UNKNOWN;
    return ex_parse_iso_time(s, len);
}

/* --- stats ------------------------------------------------------------------------------ */

void ex_event_stats_init(ex_event_stats *st)
{
    memset(st, 0, sizeof *st);
    st->first = st->last = EX_TIME_UNKNOWN;
}

void ex_event_stats_add(ex_event_stats *st, const ex_event *ev)
{
    st->events++;
    st->cut += ev->cut;
    if (ev->time == EX_TIME_UNKNOWN)
        return;
    if (st->first == EX_TIME_UNKNOWN || ev->time < st->first)
        st->first = ev->time;
    if (st->last == EX_TIME_UNKNOWN || ev->time > st->last)
        st->last = ev->time;
}

void ex_event_stats_unreadable(ex_event_stats *st, const char *reason)
{
    if (st->unreadable++ == 0)
        ex_strlcpy(st->first_error, reason ? reason : "unknown error", sizeof st->first_error);
}

size_t ex_event_stats_describe(const ex_event_stats *st, char *buf, size_t n)
{
    if (!st->unreadable) {
        if (n)
            buf[0] = '\0';
        return 0;
    }
    int w = snprintf(buf, n, "%llu of %llu events unreadable (first: %s)", (unsigned long long)st->unreadable,
                     (unsigned long long)(st->unreadable + st->events), st->first_error);
    return w < 0 ? 0 : (size_t)w;
}

/* --- rules -------------------------------------------------------------------------------- */

/* Case-insensitive search in a NUL-terminated string. */
static const char *find_ci(const char *hay, const char *needle)
{
    return hay ? ex_strcasestr_n(hay, strlen(hay), needle) : NULL;
}

static bool names_match(const char *have, const char *want)
{
    return have[0] && ex_strieq(have, want);
}

/* A finding with the fields every event rule shares. */
static int push_finding(ex_findings *out, const ex_event *ev, const ex_event_where *w, ex_finding *f, const char *match,
                        size_t matchlen)
{
    f->time = ev->time;
    f->ev.line = w->line;
    f->ev.offset = w->offset;
    if (ex_finding_setz(&f->ev.path, w->path) || ex_finding_set(&f->ev.match, match, matchlen) ||
        ex_findings_push(out, f)) {
        ex_finding_free(f);
        return -1;
    }
    return 1;
}

/* The title, with the record number and the slack-space note when they apply. */
static int set_title(ex_finding *f, const ex_event *ev, const ex_event_where *w, const char *what)
{
    char title[400], rec[64] = "";
    if (ev->record_id)
        snprintf(rec, sizeof rec, ", record %llu", (unsigned long long)ev->record_id);
    snprintf(title, sizeof title, "%s%s%s", what, rec, w->recovered ? " (recovered from slack space)" : "");
    return ex_finding_setz(&f->title, title);
}

/* CVE-2021-26857: Test-ProxyLogon Get-Cve26857 (logs-and-builds.md §1.2). */
static int rule_um_26857(const ex_event *ev, const ex_event_where *w, ex_findings *out)
{
    if (!names_match(ev->provider, "MSExchange Unified Messaging") || ev->level != EX_EVENT_LEVEL_ERROR)
        return 0;
    const char *hit = NULL;
    for (size_t i = 0; i < ev->ndata && !hit; i++)
        if (find_ci(ex_event_data(ev, i), "System.InvalidCastException"))
            hit = ex_event_data(ev, i);
    if (!hit && find_ci(ex_event_message(ev), "System.InvalidCastException"))
        hit = ex_event_message(ev);
    if (!hit)
        return 0;
    ex_finding f;
    ex_finding_init(&f);
    f.severity = EX_SEV_HIGH;
    f.kind = EX_KIND_ATTEMPT;
    if (ex_finding_setz(&f.id, "evtx.cve-2021-26857") || ex_finding_setz(&f.cve, "CVE-2021-26857") ||
        set_title(&f, ev, w,
                  "Unified Messaging error with System.InvalidCastException: CVE-2021-26857 deserialization "
                  "attempt (ProxyLogon)") ||
        ex_finding_setz(&f.rule, "MSExchange Unified Messaging error with System.InvalidCastException") ||
        ex_finding_setz(&f.rule_source, "exaudit event rules, after Test-ProxyLogon.ps1 Get-Cve26857") ||
        ex_finding_setz(&f.rule_author, "Microsoft CSS-Exchange") ||
        ex_finding_setz(&f.rule_ref, "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 (logs-and-builds.md "
                                     "§1.2)")) {
        ex_finding_free(&f);
        return -1;
    }
    return push_finding(out, ev, w, &f, hit, strlen(hit));
}

/* The MSExchange Management cmdlets that wrote web shells (ioc-hunting.md §3.3, §4). */
static const struct cmdlet_rule {
    const char *cmdlet;
    const char *needle; /* what the parameters carry when the cmdlet wrote a web shell */
    const char *id;
    const char *cve;
    const char *what;
} cmdlet_rules[] = {
    {"Set-OabVirtualDirectory", "script", "evtx.proxylogon.set-oabvirtualdirectory", "CVE-2021-27065",
     "Set-OabVirtualDirectory with a script in its parameters (ProxyLogon web shell via the OAB virtual "
     "directory)"},
    {"New-MailboxExportRequest", "aspx", "evtx.proxyshell.new-mailboxexportrequest", "CVE-2021-31207",
     "New-MailboxExportRequest exporting a mailbox to an .aspx file (ProxyShell PST web shell)"},
    {"New-ExchangeCertificate", "aspx", "evtx.proxyshell.new-exchangecertificate", "CVE-2021-31207",
     "New-ExchangeCertificate writing its request to an .aspx file (ProxyShell DER web shell)"},
};

/* How far after the cmdlet name the needle may appear when the event carries
 * one flat text instead of separate values: keeps a stack trace further down
 * ("...ScriptBlock...") from completing the match. */
#define CMDLET_WINDOW 4096

/* The parameters of a cmdlet run: Data[1] when Data[0] names the cmdlet (the
 * CmdletLogs layout), else the text following the cmdlet's name in any value
 * or in the message. *len bounds the window. */
static const char *cmdlet_params(const ex_event *ev, const char *cmdlet, size_t *len)
{
    const char *d0 = ex_event_data(ev, 0);
    if (d0 && ev->ndata >= 2) {
        while (*d0 == ' ')
            d0++;
        size_t n = strlen(cmdlet);
        if (ex_istarts_with(d0, cmdlet) && (d0[n] == '\0' || d0[n] == ' ')) {
            const char *p = ex_event_data(ev, 1);
            *len = strlen(p);
            return p;
        }
    }
    for (size_t i = 0; i <= ev->ndata; i++) {
        const char *s = i < ev->ndata ? ex_event_data(ev, i) : ex_event_message(ev);
        const char *at = find_ci(s, cmdlet);
        if (at) {
            size_t rest = strlen(at);
            *len = rest < CMDLET_WINDOW ? rest : CMDLET_WINDOW;
            return at;
        }
    }
    return NULL;
}

static bool is_management_event(const ex_event *ev)
{
    return names_match(ev->provider, "MSExchange CmdletLogs") || names_match(ev->channel, "MSExchange Management");
}

static int rule_cmdlet(const struct cmdlet_rule *r, const ex_event *ev, const ex_event_where *w, ex_findings *out)
{
    size_t len = 0;
    const char *params = cmdlet_params(ev, r->cmdlet, &len);
    if (!params || !ex_strcasestr_n(params, len, r->needle))
        return 0;
    /* Event 1 is a cmdlet that completed; 6 (level Error) one that failed. */
    bool ran = ev->event_id == 1 && ev->level != EX_EVENT_LEVEL_ERROR;
    char what[400], match[EX_FINDING_TEXT_MAX];
    snprintf(what, sizeof what, "%s%s", r->what, ran ? "" : ": the cmdlet did not complete or its outcome is unknown");
    int m = params == ex_event_data(ev, 1) ? snprintf(match, sizeof match, "%s %.*s", r->cmdlet, (int)len, params)
                                           : snprintf(match, sizeof match, "%.*s", (int)len, params);
    ex_finding f;
    ex_finding_init(&f);
    f.severity = ran ? EX_SEV_CRITICAL : EX_SEV_HIGH;
    f.kind = ran ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT;
    if (ex_finding_setz(&f.id, r->id) || ex_finding_setz(&f.cve, r->cve) || set_title(&f, ev, w, what) ||
        ex_finding_setz(&f.rule, r->cmdlet) ||
        ex_finding_setz(&f.rule_source,
                        "exaudit event rules, after Velociraptor Windows.Detection.ProxyLogon.ProxyShell") ||
        ex_finding_setz(&f.rule_author, "Deepak Sharma (Velociraptor artifact exchange)") ||
        ex_finding_setz(&f.rule_ref, "Velocidex/velociraptor-docs content/exchange/artifacts/"
                                     "Windows.Detection.ProxyLogon.ProxyShell.yaml (ioc-hunting.md §3.3)")) {
        ex_finding_free(&f);
        return -1;
    }
    return push_finding(out, ev, w, &f, match, m < 0 ? 0 : (size_t)m < sizeof match ? (size_t)m : sizeof match - 1);
}

int ex_event_check(const ex_event *ev, const ex_event_where *w, ex_findings *out)
{
    int total = 0, r = rule_um_26857(ev, w, out);
    if (r < 0)
        return -1;
    total += r;
    if (!is_management_event(ev))
        return total;
    for (size_t i = 0; i < EX_ARRAY_LEN(cmdlet_rules); i++) {
        r = rule_cmdlet(&cmdlet_rules[i], ev, w, out);
        if (r < 0)
            return -1;
        total += r;
    }
    return total;
}
