/* probe: see probe.h. Every request here is documented in docs/probes.md. */
#include "probe.h"

#include <stdio.h>
#include <string.h>

#include "targets.h"
#include "util.h"
#include "verdict.h"

enum step {
    ST_LOGON = 0,
    ST_OWA,
    ST_FOLLOW,  /* one same-host redirect of /owa/ (RD §7.1) */
    ST_VERSION, /* the version endpoints, in order (version_idx) */
    ST_EXPORTTOOL,
    ST_PL, /* ProxyLogon trigger */
    ST_PL_BASE,
    ST_PS_OWA,  /* ProxyShell, errorfe variant */
    ST_PS_MAPI, /* ProxyShell, MAPI variant */
    ST_PS_BASE,
    ST_PNS, /* ProxyNotShell mitigation trigger */
    ST_PNS_BASE,
    ST_NTLM_RPC,
    ST_NTLM_EWS,
    ST_DONE,
};

/* RD §1.2 / §7.2: endpoints that usually carry X-OWA-Version. The first is
 * always asked: it also shows Exchange when OWA is not published (X-FEServer)
 * and a gateway that answers it with JSON (RD §6.6). */
static const char *const version_paths[] = {"/autodiscover/autodiscover.xml", "/owa/service", "/EWS/Exchange.asmx",
                                            "/Microsoft-Server-ActiveSync"};

/* RD §2.1: the Microsoft NSE's cookie. */
#define PL_PATH "/owa/auth/x.js"
#define PL_COOKIE                                                                                                      \
    "Cookie: X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; "                               \
    "X-BEResource=localhost/owa/auth/logon.aspx?~3;"
/* RD §2.2: GossiTheDog / nuclei requests. */
#define PS_OWA_PATH "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com"
#define PS_MAPI_PATH                                                                                                   \
    "/autodiscover/autodiscover.json?@test.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@test.com"
#define PS_BASE_PATH "/autodiscover/autodiscover.json"
/* RD §2.4: CronUp's request; the baseline drops the "Powershell" that every EOMTv2/EEMS rule version keys on. */
#define PNS_PATH                                                                                                       \
    "/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ"      \
    "&FooProtocol=Powershell"
#define PNS_BASE_PATH                                                                                                  \
    "/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ"
/* nmap http-ntlm-info's type-1 message (RD §3.1). */
#define NTLM_TYPE1 "Authorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=="

#define SMALL_BODY 4096
#define MAPI_BODY  16384

void ex_plan_init(ex_plan *p, const ex_plan_opts *o, const char *host_name)
{
    *p = (ex_plan){.o = *o, .step = ST_LOGON};
    ex_fp_init(&p->fp);
    ex_strlcpy(p->host_name, host_name ? host_name : "", sizeof p->host_name);
    ex_fp_set_host(&p->fp, host_name);
}

const char *ex_plan_current(const ex_plan *p)
{
    return p->current;
}

/* "endpoint: what went wrong" */
static void add_error(ex_plan *p, const char *where, const char *what)
{
    if (p->nerrors == EX_PLAN_MAX_ERRORS) {
        p->more_errors = true;
        return;
    }
    snprintf(p->errors[p->nerrors++], EX_PLAN_ERROR_LEN, "%s: %s", where, what);
}

void ex_plan_abort(ex_plan *p, ex_fail why, const char *text)
{
    p->fp.last_fail = why;
    add_error(p, p->current[0] ? p->current : "host", text);
    p->step = ST_DONE;
}

void ex_plan_certificate(ex_plan *p, const ex_cert_info *cert)
{
    if (p->fp.cert.seen || !cert->seen)
        return;
    p->fp.cert = *cert;
    ex_fp_set_host(&p->fp, p->host_name[0] ? p->host_name : NULL);
}

static void set_req(ex_plan *p, ex_http_request *r, const char *path, size_t keep)
{
    *r = (ex_http_request){.method = "GET", .body_keep = keep};
    ex_strlcpy(r->path, path, sizeof r->path);
    /* 150: the longest probe path (ProxyNotShell's, 127 bytes) is named whole in errors and evidence */
    snprintf(p->current, sizeof p->current, "GET %.150s", path);
}

bool ex_plan_next(ex_plan *p, ex_http_request *r)
{
    size_t big = p->o.max_body;
    switch (p->step) {
    case ST_LOGON: set_req(p, r, "/owa/auth/logon.aspx", big); break;
    case ST_OWA: set_req(p, r, "/owa/", SMALL_BODY); break;
    case ST_FOLLOW: set_req(p, r, p->follow, big); break;
    case ST_VERSION: set_req(p, r, version_paths[p->version_idx], SMALL_BODY); break;
    case ST_EXPORTTOOL:
        set_req(p, r, "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", big);
        break;
    case ST_PL:
        set_req(p, r, PL_PATH, SMALL_BODY);
        r->headers[0] = PL_COOKIE;
        ex_strlcpy(p->current, "GET " PL_PATH " (X-AnonResource-Backend cookie)", sizeof p->current);
        break;
    case ST_PL_BASE: set_req(p, r, PL_PATH, SMALL_BODY); break;
    case ST_PS_OWA: set_req(p, r, PS_OWA_PATH, SMALL_BODY); break;
    case ST_PS_MAPI: set_req(p, r, PS_MAPI_PATH, MAPI_BODY); break;
    case ST_PS_BASE: set_req(p, r, PS_BASE_PATH, SMALL_BODY); break;
    case ST_PNS: set_req(p, r, PNS_PATH, SMALL_BODY); break;
    case ST_PNS_BASE: set_req(p, r, PNS_BASE_PATH, SMALL_BODY); break;
    case ST_NTLM_RPC:
    case ST_NTLM_EWS:
        set_req(p, r, p->step == ST_NTLM_RPC ? "/rpc/" : "/EWS/Exchange.asmx", SMALL_BODY);
        r->headers[0] = NTLM_TYPE1;
        r->http1 = true; /* NTLM is bound to an HTTP/1.1 connection */
        break;
    default: return false;
    }
    p->requests++;
    return true;
}

/* ---- which steps are still needed ------------------------------------------------------------ */

/* A failure after which nothing more can be learnt from this host. */
static bool fatal(ex_fail f)
{
    switch (f) {
    case EX_FAIL_DNS:
    case EX_FAIL_REFUSED:
    case EX_FAIL_CONNECT_TIMEOUT:
    case EX_FAIL_TLS:
    case EX_FAIL_TLS_OLD:
    case EX_FAIL_TIMEOUT:
    case EX_FAIL_HEADERS_TOO_BIG:
    case EX_FAIL_BODY_TOO_BIG:
    case EX_FAIL_PROTOCOL:
    case EX_FAIL_EXCLUDED:
    case EX_FAIL_HOST_TIMEOUT: return true;
    default: return false;
    }
}

/* The build-only status class of each probed CVE for version v. */
static void build_statuses(const ex_plan *p, const ex_version *v, unsigned char st[EX_PROBE_COUNT])
{
    char key[EX_VERSION_STRLEN];
    int n = ex_version_format(v, key, sizeof key);
    ex_probe_cache *c = p->o.cache;
    unsigned slot = (unsigned)(n > 0 ? ex_hash64(key, (size_t)n, 7) % EX_PROBE_CACHE_SLOTS : 0);
    if (c && c->slot[slot].st[0] && ex_version_cmp(&c->slot[slot].v, v) == 0) {
        memcpy(st, c->slot[slot].st, EX_PROBE_COUNT);
        return;
    }
    ex_facts f = {.have_version = true, .version = *v};
    ex_assessment a;
    if (ex_assess(p->o.kb, &f, &a) != 0) {
        memset(st, EX_BUILD_OPEN, EX_PROBE_COUNT);
        return;
    }
    for (int i = 0; i < EX_PROBE_COUNT; i++) {
        const ex_cve_verdict *cv = ex_assessment_cve(&a, ex_probe_cve((ex_probe_id)i));
        st[i] = !cv ? EX_BUILD_NA : cv->status == EX_STATUS_PATCHED ? EX_BUILD_PATCHED : EX_BUILD_OPEN;
    }
    ex_assessment_free(&a);
    if (c) {
        c->slot[slot].v = *v;
        memcpy(c->slot[slot].st, st, EX_PROBE_COUNT);
    }
}

/* Does the build already settle this probe's CVE? Then the probe adds nothing
 * (a mitigation on a patched build changes nothing either). */
static bool probe_needed(ex_plan *p, ex_probe_id id)
{
    ex_probe_result *pr = &p->fp.probes[id];
    if (!p->o.active) {
        ex_strlcpy(pr->why_skipped, "--no-active", sizeof pr->why_skipped);
        return false;
    }
    ex_fp_result res;
    ex_fp_conclude(&p->fp, &res);
    if (!res.have_version || !p->o.kb)
        return true;
    unsigned char st[EX_PROBE_COUNT];
    build_statuses(p, &res.version, st);
    if (st[id] == EX_BUILD_NA)
        snprintf(pr->why_skipped, sizeof pr->why_skipped, "%s does not apply to this product line", ex_probe_cve(id));
    else if (st[id] == EX_BUILD_PATCHED)
        ex_strlcpy(pr->why_skipped, "the build is patched for it", sizeof pr->why_skipped);
    return st[id] == EX_BUILD_OPEN;
}

static int after_versions(ex_plan *p);

static int next_from(ex_plan *p, int step)
{
    ex_fp_result res;
    switch (step) {
    case ST_PL:
        if (probe_needed(p, EX_PROBE_PROXYLOGON))
            return ST_PL;
        /* fall through */
    case ST_PS_OWA:
        if (probe_needed(p, EX_PROBE_PROXYSHELL))
            return ST_PS_OWA;
        /* fall through */
    case ST_PNS:
        if (probe_needed(p, EX_PROBE_PROXYNOTSHELL))
            return ST_PNS;
        /* fall through */
    case ST_NTLM_RPC: return p->o.ntlm ? ST_NTLM_RPC : ST_DONE;
    case ST_VERSION:
        ex_fp_conclude(&p->fp, &res);
        /* the first version endpoint is asked of every host that is not plainly something else */
        if (p->version_idx == 0)
            return (res.kind == EX_KIND_ONLINE || res.kind == EX_KIND_DECOY || p->fp.tmg_page) ? ST_DONE : ST_VERSION;
        if (res.kind != EX_KIND_ONPREM)
            return ST_DONE;
        if (!ex_fp_build_is_exact(&res) && p->version_idx < (int)EX_ARRAY_LEN(version_paths))
            return ST_VERSION;
        return after_versions(p);
    default: return ST_DONE;
    }
}

static int after_versions(ex_plan *p)
{
    ex_fp_result res;
    ex_fp_conclude(&p->fp, &res);
    if (!res.have_version && !p->fp.build[EX_SRC_EXPORTTOOL].seen && !p->fp.exporttool)
        return ST_EXPORTTOOL;
    return next_from(p, ST_PL);
}

static void record_probe(ex_plan *p, ex_probe_id id, ex_probe_state s, const char *ev)
{
    p->fp.probes[id].state = s;
    ex_strlcpy(p->fp.probes[id].evidence, ev, sizeof p->fp.probes[id].evidence);
}

/* Keep the trigger's outcome until its baseline answers. */
static void hold_trigger(ex_plan *p, const ex_http_response *r)
{
    ex_strlcpy(p->pending_endpoint, r->endpoint ? r->endpoint : "", sizeof p->pending_endpoint);
    p->pending_trigger = (ex_http_response){.endpoint = p->pending_endpoint, .fail = r->fail};
}

/* A probe's trigger answered or failed. Returns the next step. */
static int on_trigger(ex_plan *p, ex_probe_id id, const ex_http_response *r, int base_step, int next_step)
{
    char ev[EX_FP_EVIDENCE];
    if (r->status <= 0) {
        if (r->fail == EX_FAIL_ABORTED) {
            hold_trigger(p, r);
            return base_step;
        }
        snprintf(ev, sizeof ev, "%s -> %s", r->endpoint, ex_fail_name(r->fail));
        record_probe(p, id, EX_PSTATE_INCONCLUSIVE, ev);
        return fatal(r->fail) ? ST_DONE : next_step;
    }
    ex_probe_state s = id == EX_PROBE_PROXYLOGON   ? ex_fp_read_proxylogon(&p->fp, r, ev, sizeof ev)
                       : id == EX_PROBE_PROXYSHELL ? ex_fp_read_proxyshell(&p->fp, r, ev, sizeof ev)
                                                   : ex_fp_read_proxynotshell(&p->fp, r, ev, sizeof ev);
    record_probe(p, id, s, ev);
    return next_step;
}

/* An abort that the baseline shows to be a URL-rewrite rule is a finding (mitigated), not an error:
 * take the trigger's error line back out of the host's errors. */
static void drop_trigger_error(ex_plan *p)
{
    size_t len = strlen(p->pending_endpoint);
    for (size_t i = p->nerrors; i-- > 0;) {
        if (strncmp(p->errors[i], p->pending_endpoint, len) != 0 || strncmp(p->errors[i] + len, ": ", 2) != 0)
            continue;
        memmove(p->errors[i], p->errors[i + 1], (p->nerrors - i - 1) * sizeof p->errors[0]);
        p->nerrors--;
        return;
    }
}

static int on_baseline(ex_plan *p, ex_probe_id id, const ex_http_response *r, int next_step)
{
    char ev[EX_FP_EVIDENCE];
    ex_probe_state s = ex_fp_read_abort(&p->pending_trigger, r, ev, sizeof ev);
    if (s == EX_PSTATE_MITIGATED)
        drop_trigger_error(p);
    record_probe(p, id, s, ev);
    return fatal(r->fail) ? ST_DONE : next_step;
}

/* ProxyShell: the owa variant decides when positive; otherwise the mapi variant is asked too. */
static int on_proxyshell(ex_plan *p, const ex_http_response *r)
{
    ex_probe_result *pr = &p->fp.probes[EX_PROBE_PROXYSHELL];
    if (p->step == ST_PS_OWA) {
        int n = on_trigger(p, EX_PROBE_PROXYSHELL, r, ST_PS_BASE, ST_PS_MAPI);
        if (n != ST_PS_MAPI || pr->state == EX_PSTATE_POSITIVE)
            return n == ST_PS_MAPI ? next_from(p, ST_PNS) : n;
        p->first_shell = pr->state;
        ex_strlcpy(p->first_shell_ev, pr->evidence, sizeof p->first_shell_ev);
        return ST_PS_MAPI;
    }
    int n = on_trigger(p, EX_PROBE_PROXYSHELL, r, ST_PS_BASE, ST_PNS);
    if (n == ST_PS_BASE)
        return n;
    /* Negative only when both variants were clean answers from Exchange. */
    if (pr->state == EX_PSTATE_NEGATIVE && p->first_shell != EX_PSTATE_NEGATIVE) {
        pr->state = EX_PSTATE_INCONCLUSIVE;
        ex_strlcpy(pr->evidence, p->first_shell_ev, sizeof pr->evidence);
    }
    return n == ST_DONE ? ST_DONE : next_from(p, ST_PNS);
}

static int on_ntlm(ex_plan *p, const ex_http_response *r)
{
    char v[4096];
    for (size_t i = 0; i < 4 && ex_http_header(r, "WWW-Authenticate", i, v, sizeof v) >= 0; i++) {
        ex_strlcpy(p->fp.ntlm.endpoint, r->endpoint ? r->endpoint : "", sizeof p->fp.ntlm.endpoint);
        if (ex_ntlm_parse_header(v, &p->fp.ntlm) == 0)
            return ST_DONE;
    }
    return p->step == ST_NTLM_RPC && !fatal(r->fail) ? ST_NTLM_EWS : ST_DONE;
}

/* /owa/ redirected to another page of this host (not the logon page already read): read it once. */
static bool want_follow(ex_plan *p, const ex_http_response *r)
{
    char to[sizeof p->follow];
    ex_fp_redirect_path(r, to, sizeof to);
    if (!to[0] || !strncmp(to, "/owa/auth/logon.aspx", 20) || !strcmp(to, "/owa/") || !strcmp(to, "/owa"))
        return false;
    char loc[sizeof p->follow];
    ex_http_header(r, "Location", 0, loc, sizeof loc);
    const char *rel = strstr(loc, "://") ? strchr(strstr(loc, "://") + 3, '/') : loc;
    ex_strlcpy(p->follow, rel && rel[0] == '/' ? rel : to, sizeof p->follow);
    return true;
}

static int on_early(ex_plan *p, const ex_http_response *r)
{
    if (p->step == ST_LOGON)
        return (r->status <= 0 && fatal(r->fail)) || fatal(r->fail) ? ST_DONE : ST_OWA;
    if (p->step == ST_OWA) {
        if (fatal(r->fail))
            return ST_DONE;
        ex_fp_result res;
        ex_fp_conclude(&p->fp, &res);
        if (res.kind == EX_KIND_ONLINE || res.kind == EX_KIND_DECOY)
            return ST_DONE;
        return want_follow(p, r) ? ST_FOLLOW : next_from(p, ST_VERSION);
    }
    if (p->step == ST_FOLLOW)
        return fatal(r->fail) ? ST_DONE : next_from(p, ST_VERSION);
    if (p->step == ST_VERSION) {
        p->version_idx++;
        return fatal(r->fail) ? ST_DONE : next_from(p, ST_VERSION);
    }
    return fatal(r->fail) ? ST_DONE : next_from(p, ST_PL); /* export tool */
}

void ex_plan_response(ex_plan *p, const ex_http_response *r)
{
    ex_http_response rr = *r;
    rr.endpoint = p->current;
    if (rr.status <= 0 || rr.fail != EX_FAIL_NONE)
        add_error(p, p->current, rr.error && rr.error[0] ? rr.error : ex_fail_name(rr.fail));
    ex_fp_observe(&p->fp, &rr);
    if (p->fp.redirect_loop[0] && !p->loop_reported) {
        p->loop_reported = true;
        add_error(p, p->current, p->fp.redirect_loop);
    }
    int n;
    switch (p->step) {
    case ST_PL: n = on_trigger(p, EX_PROBE_PROXYLOGON, &rr, ST_PL_BASE, -1); break;
    case ST_PL_BASE: n = on_baseline(p, EX_PROBE_PROXYLOGON, &rr, -1); break;
    case ST_PS_OWA:
    case ST_PS_MAPI: n = on_proxyshell(p, &rr); break;
    case ST_PS_BASE: n = on_baseline(p, EX_PROBE_PROXYSHELL, &rr, -2); break;
    case ST_PNS: n = on_trigger(p, EX_PROBE_PROXYNOTSHELL, &rr, ST_PNS_BASE, -3); break;
    case ST_PNS_BASE: n = on_baseline(p, EX_PROBE_PROXYNOTSHELL, &rr, -3); break;
    case ST_NTLM_RPC:
    case ST_NTLM_EWS: n = on_ntlm(p, &rr); break;
    default: n = on_early(p, &rr); break;
    }
    /* -1/-2/-3: continue after ProxyLogon / ProxyShell / ProxyNotShell */
    if (n == -1)
        n = next_from(p, ST_PS_OWA);
    else if (n == -2)
        n = next_from(p, ST_PNS);
    else if (n == -3)
        n = next_from(p, ST_NTLM_RPC);
    p->step = n;
}
