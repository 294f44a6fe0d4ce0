/* correlate: conclusions across files and analyzers, drawn after every file
 * was read. Attempt vs success (docs/hunt.md):
 *
 *  1. A Reset*VirtualDirectory answered 200 through the SSRF (HttpProxy), or a
 *     Set-*VirtualDirectory with script followed by the OAB virtual directory's
 *     removal and recreation (ECP server log), followed by requests to a page
 *     that is not part of Exchange (IIS): the web shell was written and used.
 *     The first step's finding becomes an exploitation-success (critical),
 *     its title naming what followed: one finding per log line.
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
#include <pthread.h>
#include <stdint.h>
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

/* ------------------------------------------------------------------------ */
/* request ids (an.h)                                                         */

typedef struct reqid_rec {
    char id[48];
    uint8_t kind, sev;
    const char *what; /* a static title */
} reqid_rec;

typedef struct reqid_store {
    pthread_mutex_t mu;
    reqid_rec *slot; /* open addressing, power-of-two capacity, at most half full */
    size_t n, cap;
} reqid_store;

static void *reqid_new(void)
{
    reqid_store *s = calloc(1, sizeof *s);
    if (s)
        pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void reqid_free(void *p)
{
    reqid_store *s = p;
    pthread_mutex_destroy(&s->mu);
    free(s->slot);
    free(s);
}

static size_t reqid_hash(const char *id, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)(id[i] | 0x20)) * 1099511628211ull;
    return (size_t)h;
}

static reqid_rec *reqid_slot(reqid_rec *tab, size_t cap, const char *id, size_t n)
{
    for (size_t i = reqid_hash(id, n) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!tab[i].id[0] || (strlen(tab[i].id) == n && strncasecmp(tab[i].id, id, n) == 0))
            return &tab[i];
}

static bool reqid_grow(reqid_store *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    reqid_rec *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i].id[0])
            *reqid_slot(t, cap, s->slot[i].id, strlen(s->slot[i].id)) = s->slot[i];
    free(s->slot);
    s->slot = t;
    s->cap = cap;
    return true;
}

void ex_reqid_note(ex_hunt *h, const char *id, size_t n, ex_kind kind, ex_severity sev, const char *what)
{
    reqid_store *s = ex_hunt_shared(h, "httpproxy.request-ids", reqid_new, reqid_free);
    if (!s || n == 0 || n >= sizeof((reqid_rec *)0)->id)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->n < EX_REQID_MAX && (2 * (s->n + 1) <= s->cap || reqid_grow(s))) {
        reqid_rec *r = reqid_slot(s->slot, s->cap, id, n);
        if (!r->id[0]) {
            memcpy(r->id, id, n);
            r->id[n] = '\0';
            s->n++;
        }
        r->kind = (uint8_t)kind;
        r->sev = (uint8_t)sev;
        r->what = what;
    }
    pthread_mutex_unlock(&s->mu);
}

bool ex_reqid_find(ex_hunt *h, const char *id, size_t n, ex_kind *kind, ex_severity *sev, const char **what)
{
    reqid_store *s = ex_hunt_shared(h, "httpproxy.request-ids", NULL, NULL);
    bool found = false;
    if (!s || !n || n >= sizeof((reqid_rec *)0)->id)
        return false;
    pthread_mutex_lock(&s->mu);
    if (s->cap) {
        reqid_rec *r = reqid_slot(s->slot, s->cap, id, n);
        if ((found = r->id[0] != '\0')) {
            *kind = (ex_kind)r->kind;
            *sev = (ex_severity)r->sev;
            *what = r->what;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* An IIS front-end line's ProxyLogon conclusion gives way to the HttpProxy
 * row of the same request, which sees the SSRF's target (ServerInfo~ anchor). */
static void iis_from_httpproxy(ex_hunt *h, ex_findings *l)
{
    for (size_t i = 0; i < l->count; i++) {
        ex_finding *f = &l->items[i];
        const char *m = f->ev.match ? strstr(f->ev.match, "cafeReqId=") : NULL;
        if (!id_is(f, "iis.proxylogon.static-post") || !m)
            continue;
        m += 10;
        size_t n = strcspn(m, ";& ");
        ex_kind kind;
        ex_severity sev;
        const char *what;
        if (!ex_reqid_find(h, m, n, &kind, &sev, &what))
            continue;
        if (kind == f->kind && sev == f->severity)
            continue; /* the HttpProxy row agrees */
        char t[EX_FINDING_TEXT_MAX];
        snprintf(t, sizeof t, "%s: the HttpProxy log shows this request (cafeReqId %.*s) as: %s",
                 f->title ? f->title : "", (int)n, m, what);
        f->kind = kind;
        f->severity = sev;
        ex_finding_setz(&f->title, t);
    }
}

/* The chain is concluded on its first step's own finding: one finding per
 * line, upgraded to a success, its title naming what followed. */
static void upgrade(ex_finding *f, const char *title, const char *chain)
{
    char t[EX_FINDING_TEXT_MAX];
    snprintf(t, sizeof t, "%s: %s", title, chain);
    f->kind = EX_KIND_SUCCESS;
    f->severity = EX_SEV_CRITICAL;
    ex_finding_setz(&f->title, t);
    ex_finding_setz(&f->rule, "the chain's steps in order within 7 days (exaudit lib/hunt/correlate.c, docs/hunt.md)");
}

/* The first request to a foreign page after t (findings of iis.webshell.request). */
static const ex_finding *page_request_after(const ex_findings *l, int64_t t)
{
    const ex_finding *best = NULL;
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        if (!(id_is(f, "iis.webshell.request") || id_is(f, "hunt.webshell.used")) || f->kind != EX_KIND_WEBSHELL ||
            f->time == EX_TIME_UNKNOWN)
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
    char t[32];
    ex_hunt_fmt_time(f->time, t, sizeof t);
    size_t len = strlen(buf);
    const char *base = f->ev.path ? strrchr(f->ev.path, '/') : NULL;
    snprintf(buf + len, n - len, "%s%s %s (%s:%lld)", len ? ", " : "", what, t,
             base ? base + 1 : (f->ev.path ? f->ev.path : "?"), (long long)f->ev.line);
}

static void chain_reset(ex_findings *l)
{
    for (size_t i = 0; i < l->count; i++) {
        ex_finding *r = &l->items[i];
        if (!id_is(r, "httpproxy.cve-2021-27065.reset-vdir") || r->time == EX_TIME_UNKNOWN)
            continue;
        const ex_finding *use = page_request_after(l, r->time);
        if (!use)
            continue;
        char chain[700] = "";
        describe(chain, sizeof chain, "web shell page requested at", use);
        upgrade(r, "ProxyLogon CVE-2021-27065 succeeded: Reset*VirtualDirectory answered 200", chain);
    }
}

static void chain_set(ex_findings *l)
{
    for (size_t i = 0; i < l->count; i++) {
        ex_finding *s = &l->items[i];
        if (!id_is(s, "ecp.cve-2021-27065.set-vdir-script") || s->time == EX_TIME_UNKNOWN)
            continue;
        const ex_finding *rm = first_after(l, "ecp.oab-vdir.removed", s->time);
        const ex_finding *mk = rm ? first_after(l, "ecp.oab-vdir.created", rm->time) : NULL;
        const ex_finding *reset = first_after(l, "httpproxy.cve-2021-27065.reset-vdir", s->time);
        if (!(rm && mk) && !reset)
            continue;
        char chain[700] = "";
        if (rm && mk) {
            describe(chain, sizeof chain, "OAB virtual directory removed at", rm);
            describe(chain, sizeof chain, "and created at", mk);
        } else {
            describe(chain, sizeof chain, "Reset*VirtualDirectory at", reset);
        }
        const ex_finding *last = rm && mk ? mk : reset;
        const ex_finding *use = page_request_after(l, last->time);
        if (use)
            describe(chain, sizeof chain, "web shell page requested at", use);
        upgrade(s, "ProxyLogon CVE-2021-27065 succeeded: script set in a virtual directory, then the directory reset",
                chain);
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

static const ex_finding *on_line(const ex_findings *l, const char *path, int64_t line)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].ev.line == line && l->items[i].ev.path && path && strcmp(l->items[i].ev.path, path) == 0)
            return &l->items[i];
    return NULL;
}

/* A tool user agent adds nothing to a line that is now explained as a web shell's use. */
static void drop_explained_user_agents(ex_findings *l, const ex_findings *used)
{
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        ex_finding *f = &l->items[i];
        if (id_is(f, "iis.tool-user-agent") && on_line(used, f->ev.path, f->ev.line)) {
            ex_finding_free(f);
            continue;
        }
        l->items[k++] = *f;
    }
    l->count = k;
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
            if (on_line(out, q->path, q->line)) /* the file was flagged by several rules */
                continue;
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
    iis_from_httpproxy(h, &h->findings);
    shell_in_use(h, &h->findings, &add);
    drop_explained_user_agents(&h->findings, &add);
    for (size_t i = 0; i < add.count; i++)
        if (ex_findings_push(&h->findings, &add.items[i]) != 0)
            ex_finding_free(&add.items[i]);
    add.count = 0;
    ex_findings_free(&add);
    chain_reset(&h->findings);
    chain_set(&h->findings);
}
