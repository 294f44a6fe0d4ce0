/* correlate: conclusions across files and analyzers, drawn after every file
 * was read. Attempt vs success (docs/hunt.md):
 *
 *  1. A Reset*VirtualDirectory answered 200 through the SSRF (HttpProxy), or a
 *     Set-*VirtualDirectory with script followed by the OAB virtual directory's
 *     removal and recreation (ECP server log), followed by requests to a page
 *     that is not part of Exchange (IIS): the web shell was written and used.
 *     One exploitation-success finding, CVE-2021-27065, on the first step's
 *     line, naming the later requests.
 *  2. The set with script followed by the removal and recreation, without a
 *     request seen: the configuration was written to disk; a success too
 *     (the blog's chain: Set -> reset -> file), critical, on the set's line.
 *  3. A web shell the files analyzer found (kind webshell, a path under
 *     FrontEnd\HttpProxy\owa\auth, ecp\auth, OAB or inetpub\wwwroot\aspnet_client)
 *     and requests to its URL in IIS logs (an_iis.c's store, which holds
 *     requests to stock page names too, since a modified stock page keeps its
 *     name, as HELSECERT's RedirSuiteServerProxy.aspx): the shell in use.
 * The chain's window is 7 days: HELSECERT's chain ran from 2021-03-03 06:49
 * to the shell's use on 2021-03-05 03:06. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/hunt_int.h"

#define CHAIN_WINDOW (7 * 86400)

static bool id_is(const ex_finding *f, const char *id)
{
    return f->id && strcmp(f->id, id) == 0;
}

static int push_copy(ex_findings *out, const ex_finding *model, ex_kind kind, ex_severity sev, const char *id,
                     const char *title, const char *match)
{
    ex_finding f;
    if (ex_finding_copy(&f, model) != 0)
        return -1;
    f.kind = kind;
    f.severity = sev;
    if (ex_finding_setz(&f.id, id) || ex_finding_setz(&f.title, title) || ex_finding_setz(&f.ev.match, match) ||
        ex_finding_setz(&f.rule, "correlation: the steps of the chain, in order, within 7 days") ||
        ex_finding_setz(&f.rule_source, "exaudit lib/hunt/correlate.c (docs/hunt.md)") || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

/* The first request to a foreign page after t (findings of iis.webshell.request). */
static const ex_finding *page_request_after(const ex_findings *l, int64_t t)
{
    const ex_finding *best = NULL;
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        if (!id_is(f, "iis.webshell.request") || f->kind != EX_KIND_WEBSHELL || f->time == EX_TIME_UNKNOWN)
            continue;
        if (f->time >= t && f->time - t <= CHAIN_WINDOW && (!best || f->time < best->time))
            best = f;
    }
    return best;
}

static const ex_finding *first_after(const ex_findings *l, const char *id, int64_t t)
{
    const ex_finding *best = NULL;
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        if (id_is(f, id) && f->time != EX_TIME_UNKNOWN && f->time >= t && f->time - t <= CHAIN_WINDOW &&
            (!best || f->time < best->time))
            best = f;
    }
    return best;
}

static void describe(char *buf, size_t n, const char *what, const ex_finding *f)
{
    char t[32] = "time unknown";
    if (f->time != EX_TIME_UNKNOWN) {
        time_t tt = (time_t)f->time;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s %s (%s:%lld)", len ? "; then " : "", what, t, f->ev.path ? f->ev.path : "?",
             (long long)f->ev.line);
}

static void chain_reset(const ex_findings *l, ex_findings *out)
{
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *r = &l->items[i];
        if (!id_is(r, "httpproxy.cve-2021-27065.reset-vdir") || r->time == EX_TIME_UNKNOWN)
            continue;
        const ex_finding *use = page_request_after(l, r->time);
        if (!use)
            continue;
        char match[900] = "";
        describe(match, sizeof match, "Reset*VirtualDirectory answered 200 at", r);
        describe(match, sizeof match, "a page not part of Exchange requested at", use);
        push_copy(out, r, EX_KIND_SUCCESS, EX_SEV_CRITICAL, "hunt.cve-2021-27065.chain",
                  "ProxyLogon CVE-2021-27065 succeeded: virtual directory reset, then a new page requested", match);
    }
}

static void chain_set(const ex_findings *l, ex_findings *out)
{
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *s = &l->items[i];
        if (!id_is(s, "ecp.cve-2021-27065.set-vdir-script") || s->time == EX_TIME_UNKNOWN)
            continue;
        const ex_finding *rm = first_after(l, "ecp.oab-vdir.removed", s->time);
        const ex_finding *mk = rm ? first_after(l, "ecp.oab-vdir.created", rm->time) : NULL;
        const ex_finding *reset = first_after(l, "httpproxy.cve-2021-27065.reset-vdir", s->time);
        if (!(rm && mk) && !reset)
            continue;
        const ex_finding *last = mk && (!reset || mk->time <= reset->time) ? mk : reset;
        const ex_finding *use = page_request_after(l, last->time);
        char match[900] = "";
        describe(match, sizeof match, "Set-*VirtualDirectory with script at", s);
        if (rm && mk) {
            describe(match, sizeof match, "OAB virtual directory removed at", rm);
            describe(match, sizeof match, "and created at", mk);
        } else {
            describe(match, sizeof match, "Reset*VirtualDirectory at", reset);
        }
        if (use)
            describe(match, sizeof match, "a page not part of Exchange requested at", use);
        push_copy(out, s, EX_KIND_SUCCESS, EX_SEV_CRITICAL, "hunt.cve-2021-27065.chain",
                  use ? "ProxyLogon CVE-2021-27065 succeeded: script set in a virtual directory, directory reset, "
                        "new page requested"
                      : "ProxyLogon CVE-2021-27065 succeeded: script set in a virtual directory, then the directory "
                        "was reset (the web shell file is written by the reset)",
                  match);
    }
}

/* The URL of a web shell file, or "" when it lies where IIS does not serve it. */
static void shell_url(const char *path, char *url, size_t n)
{
    static const struct {
        const char *glob, *marker, *prefix;
    } areas[] = {
        {"**FrontEnd/HttpProxy/owa/auth/**", "FrontEnd/HttpProxy/owa/auth/", "/owa/auth/"},
        {"**FrontEnd/HttpProxy/ecp/auth/**", "FrontEnd/HttpProxy/ecp/auth/", "/ecp/auth/"},
        {"**FrontEnd/HttpProxy/OAB/**", "FrontEnd/HttpProxy/OAB/", "/OAB/"},
        {"**inetpub/wwwroot/aspnet_client/**", "inetpub/wwwroot/aspnet_client/", "/aspnet_client/"},
    };
    url[0] = '\0';
    for (size_t i = 0; i < EX_ARRAY_LEN(areas); i++) {
        if (!ex_evpath_match(areas[i].glob, path))
            continue;
        const char *m = ex_strcasestr_n(path, strlen(path), areas[i].marker);
        if (m)
            snprintf(url, n, "%s%s", areas[i].prefix, m + strlen(areas[i].marker));
        return;
    }
}

static void shell_in_use(ex_hunt *h, const ex_findings *l, ex_findings *out)
{
    ex_aspx_store *store = ex_hunt_shared(h, EX_ASPX_STORE_KEY, NULL, NULL);
    if (!store)
        return;
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *w = &l->items[i];
        char url[1024];
        if (w->kind != EX_KIND_WEBSHELL || !w->ev.path || w->severity < EX_SEV_HIGH ||
            strncmp(w->id ? w->id : "", "iis.", 4) == 0)
            continue;
        shell_url(w->ev.path, url, sizeof url);
        const ex_aspx_url *u = url[0] ? ex_aspx_store_find(store, url) : NULL;
        for (size_t k = 0; u && k < u->n; k++) {
            const ex_aspx_req *q = &u->req[k];
            ex_finding f;
            ex_finding_init(&f);
            char title[300], match[1200];
            snprintf(title, sizeof title, "web shell in use: %s (flagged by %s) requested, status %d", url, w->id,
                     q->status);
            snprintf(match, sizeof match, "%s", q->text ? q->text : "");
            f.kind = EX_KIND_WEBSHELL;
            f.severity = q->status >= 200 && q->status < 400 ? EX_SEV_CRITICAL : EX_SEV_HIGH;
            f.time = q->time;
            f.ev.line = q->line;
            f.ev.offset = q->offset;
            if (ex_finding_setz(&f.id, "hunt.webshell.used") || ex_finding_setz(&f.title, title) ||
                ex_finding_setz(&f.subject, w->subject) || ex_finding_setz(&f.ev.path, q->path) ||
                ex_finding_setz(&f.ev.match, match) ||
                ex_finding_setz(&f.rule, "IIS request to the URL of a file flagged as a web shell") ||
                ex_finding_setz(&f.rule_source, "exaudit lib/hunt/correlate.c (docs/hunt.md)") ||
                ex_findings_push(out, &f))
                ex_finding_free(&f);
        }
    }
}

void hunt_correlate(ex_hunt *h)
{
    ex_findings add = {0};
    chain_reset(&h->findings, &add);
    chain_set(&h->findings, &add);
    shell_in_use(h, &h->findings, &add);
    for (size_t i = 0; i < add.count; i++)
        if (ex_findings_push(&h->findings, &add.items[i]) != 0)
            ex_finding_free(&add.items[i]);
    add.count = 0;
    ex_findings_free(&add);
}
