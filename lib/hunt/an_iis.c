/* an_iis: IIS W3C logs (u_ex*.log; %SystemDrive%\inetpub\logs\LogFiles\W3SVC1
 * front end, W3SVC2 back end). Columns come from "#Fields:" in any order; a
 * new "#Fields:" line (IIS writes one at every restart) replaces the map.
 *
 * Patterns and their sources (../shared/docs/logs-and-builds.md §3.5,
 * ioc-hunting.md §1.3, §1.4, §4):
 *  - ProxyLogon: POSTs to static OWA/ECP resources (Volexity; CHIRP;
 *    signature-base LOG_APT_HAFNIUM_Exchange_Log_Traces_Mar21_1 and
 *    EXPL_LOG_CVE_2021_26858_Exchange_Forensic_Artefacts_Mar21_1): /owa/auth/Current/...,
 *    /ecp/default.flt, /ecp/main.css, /ecp/<name>.js; Microsoft Sentinel's URIs
 *    /owa/auth/[A-Za-z0-9]{1,30}.js and /ecp/[A-Za-z0-9]{1,30}.(js|flt|css);
 *  - ProxyShell: autodiscover.json with a back-end path (Sentinel "Exchange SSRF
 *    Autodiscover ProxyShell"; signature-base Failed = 401, Successful = 200/302);
 *  - ProxyNotShell: the same, authenticated and to PowerShell (signature-base
 *    expl_cve_2022_41040_proxynoshell.yar; PoC "/autodiscover.json x=a",
 *    "/autodiscover/admin@localhost/");
 *  - OWASSRF: POST /owa/<x>@<y>/powershell, and the back end's POST /powershell
 *    on port 444 with no user (CrowdStrike via signature-base), minus the user
 *    agents ClientInfo, Microsoft WinRM Client, Exchange BackEnd Probes;
 *  - ProxyToken: POST to /ecp/ .../RulesEditor/InboxRules.svc/NewObject or
 *    SecurityToken= answered 500 (signature-base exploit_cve_2021_33766_proxytoken.yar);
 *  - web shells in use: requests to .aspx/.ashx/.asmx under /aspnet_client/
 *    (any), /ecp/auth/ (any but TimeoutLogoff.aspx), /owa/auth/Current/ and
 *    /owa/auth/<version>/ (any), /owa/auth/ (not a stock page) (Volexity,
 *    CISA AA21-062A, MSERT guidance);
 *  - tool user agents: ExchangeServicesClient/0.0.0.0, python-requests/2.19.1
 *    and 2.25.1 on /ecp/ or /owa/ (Volexity; signature-base), antSword (web
 *    shell manager).
 * Attempt or success: docs/hunt.md. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/logscan.h"
#include "util.h"

/* Each literal is a rare part of what the checks look for (a line that holds
 * "/owa/auth/" holds "a/auth/"): the prefilter's fingerprint is a literal's
 * first three bytes, and "/ow", "aut", "Exc" or "adm" start far more benign
 * words than "a/a", "r.j", "esC" or "n@l". Every line with a literal is then
 * parsed and checked in full. */
static const char *const lits[] = {
    "#Fields:",    "a/auth/",          "/ecp/",      "r.json", "/powershell", "/aspnet_client/", "tyToken=",
    "n@localhost", "esClient/0.0.0.0", "n-requests", "tSword", "/oab/",
};
enum { L_UA_FIRST = 8, L_UA_LAST = 10 }; /* esClient/0.0.0.0, n-requests, tSword: user agents */
static ex_lit *lit_set;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void)
{
    lit_set = ex_lit_new(lits, EX_ARRAY_LEN(lits));
}

const char *const *ex_an_iis_literals(size_t *n)
{
    *n = EX_ARRAY_LEN(lits) - 1;
    return lits + 1;
}

/* Stock pages of FrontEnd\HttpProxy\owa\auth. Not from a Microsoft baseline
 * (the CompareExchangeHashes baselines, logs-and-builds.md §2.2, would be the
 * authoritative list): the pages a default Exchange 2013-2019 front end serves
 * there; errorFE.aspx and OutlookCN.aspx are also the names HELSECERT's
 * look-alike shells imitate (ErrorAA.aspx, OutlookEN.aspx). A modified stock
 * page is found by the files analyzer and tied to its requests in correlate.c. */
static const char *const owa_auth_stock[] = {
    "logon.aspx",   "logoff.aspx",    "errorFE.aspx",     "ExpiredPassword.aspx",       "frowny.aspx",
    "signout.aspx", "OutlookCN.aspx", "SvmFeedback.aspx", "RedirSuiteServerProxy.aspx",
};

enum { C_DATE, C_TIME, C_METHOD, C_STEM, C_QUERY, C_PORT, C_USER, C_CIP, C_UA, C_STATUS, C_COUNT };
static const char *const colnames[C_COUNT] = {"date",   "time",        "cs-method", "cs-uri-stem",    "cs-uri-query",
                                              "s-port", "cs-username", "c-ip",      "cs(User-Agent)", "sc-status"};

static const ex_log_rule r_static_post = {
    "iis.proxylogon.static-post", "CVE-2021-26855",
    "POST to /owa/auth/Current/*, /ecp/default.flt, /ecp/main.css, /ecp/<name>.js, /owa/auth/<name>.js",
    "Volexity (HAFNIUM); cisagov/CHIRP AA21062A.yaml; Neo23x0/signature-base apt_hafnium_log_sigs.yar",
    "logs-and-builds.md §3.5; ioc-hunting.md §1.3"};
static const ex_log_rule r_probe = {
    "iis.proxylogon.probe", "CVE-2021-26855",
    "GET /owa/auth/[A-Za-z0-9]{1,30}.js or /ecp/[A-Za-z0-9]{1,30}.(js|flt|css)",
    "Azure/Azure-Sentinel Exchange Server ProxyLogon URIs; the nmap NSE check requests GET /owa/auth/x.js",
    "logs-and-builds.md §3.5, §4"};
static const ex_log_rule r_proxyshell = {
    "iis.proxyshell", "CVE-2021-34473",
    "cs-uri-stem has autodiscover.json and the query carries a back-end path (/mapi/, powershell, /EWS/, X-Rps-CAT, "
    "Email=autodiscover, @domain/path, :port/)",
    "Azure/Azure-Sentinel Exchange SSRF Autodiscover ProxyShell; Neo23x0/signature-base expl_proxyshell.yar",
    "logs-and-builds.md §3.5; ioc-hunting.md §1.4"};
static const ex_log_rule r_proxynotshell = {
    "iis.proxynotshell", "CVE-2022-41040",
    "authenticated autodiscover.json ... owershell answered 200; PoC /autodiscover.json x=a, "
    "/autodiscover/admin@localhost/",
    "Neo23x0/signature-base expl_cve_2022_41040_proxynoshell.yar, vuln_proxynotshell_cve_2022_41040.yar",
    "ioc-hunting.md §1.4"};
static const ex_log_rule r_owassrf = {
    "iis.owassrf", "CVE-2022-41080", "POST /owa/[^/ ]{1,30}(@|%40)[^/ .]{1,30}.[^/ ]{2,3}/powershell",
    "Neo23x0/signature-base expl_proxynotshell_owassrf_dec22.yar (CrowdStrike)", "ioc-hunting.md §1.4"};
static const ex_log_rule r_owassrf_be = {
    "iis.owassrf.backend", "CVE-2022-41082", "POST /powershell - 444 - ... 200 (back end, no user)",
    "Neo23x0/signature-base expl_proxynotshell_owassrf_dec22.yar (CrowdStrike)", "ioc-hunting.md §1.4"};
static const ex_log_rule r_proxytoken = {
    "iis.proxytoken", "CVE-2021-33766",
    "POST /ecp/ ... /RulesEditor/InboxRules.svc/NewObject or SecurityToken= ... 500",
    "Neo23x0/signature-base exploit_cve_2021_33766_proxytoken.yar", "ioc-hunting.md §1.4"};
static const ex_log_rule r_webshell = {
    "iis.webshell.request", NULL,
    "request to an .aspx/.ashx/.asmx under /aspnet_client/, /ecp/auth/ (but TimeoutLogoff.aspx), /owa/auth/Current/, "
    "/owa/auth/<version>/, or a non-stock page of /owa/auth/",
    "Volexity; CISA AA21-062A; Microsoft MSERT guidance (CSS-Exchange)", "logs-and-builds.md §2.1; ioc-hunting.md §4"};
static const ex_log_rule r_tool_ua = {
    "iis.tool-user-agent", "CVE-2021-26855",
    "user agent ExchangeServicesClient/0.0.0.0, python-requests/2.19.1 or 2.25.1 on /ecp/ or /owa/",
    "Volexity (via CISA AA21-062A); Neo23x0/signature-base LOG_APT_HAFNIUM_Exchange_Log_Traces_Mar21_1",
    "logs-and-builds.md §3.5"};
static const ex_log_rule r_antsword = {"iis.antsword", NULL, "user agent antSword",
                                       "Volexity (via CISA AA21-062A); Neo23x0/signature-base",
                                       "logs-and-builds.md §3.5"};

typedef struct iis_state {
    ex_logscan scan; /* first: ex_logscan_feed_state */
    ex_hunt *h;
    const ex_hunt_file *f;
    ex_header hdr;
    int col[C_COUNT];
    bool no_header_reported;
    ex_aspx_store *store;
} iis_state;

static bool iis_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("u_ex*.log", ex_evpath_base(f->path));
}

typedef struct req {
    char method[16], stem[1024], query[1024], user[256], ua[512];
    int port, status;
    int64_t time;
} req;

static void text_of(const ex_field *f, size_t n, int i, char *buf, size_t len)
{
    if (i >= 0 && (size_t)i < n)
        ex_field_text(&f[i], buf, len);
    else
        buf[0] = '\0';
}

static int int_of(const ex_field *f, size_t n, int i)
{
    if (i < 0 || (size_t)i >= n || !f[i].n || f[i].n > 6)
        return -1;
    int v = 0;
    for (size_t k = 0; k < f[i].n; k++) {
        if (!isdigit((unsigned char)f[i].p[k]))
            return -1;
        v = v * 10 + (f[i].p[k] - '0');
    }
    return v;
}

static bool has(const char *s, const char *needle)
{
    return ex_icontains(s, needle);
}
static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}
static bool is_post(const req *r)
{
    return strcasecmp(r->method, "POST") == 0;
}
static bool ok_status(int st)
{
    return (st >= 200 && st < 300) || st == 301 || st == 302;
}

/* /<dir>/<name>.<ext> with name [A-Za-z0-9]{1,30} directly under dir. */
static bool short_static(const char *stem, const char *dir, const char *const *exts, size_t nexts)
{
    size_t dn = strlen(dir);
    if (strncasecmp(stem, dir, dn) != 0)
        return false;
    const char *name = stem + dn, *dot = strchr(name, '.');
    if (!dot || dot == name || dot - name > 30)
        return false;
    for (const char *c = name; c < dot; c++)
        if (!isalnum((unsigned char)*c))
            return false;
    for (size_t i = 0; i < nexts; i++)
        if (strcasecmp(dot + 1, exts[i]) == 0)
            return true;
    return false;
}

static bool proxylogon_static(const char *stem)
{
    static const char *const js[] = {"js"}, *const ecp[] = {"js", "flt", "css"};
    return ex_istarts_with(stem, "/owa/auth/Current/") || short_static(stem, "/owa/auth/", js, 1) ||
           short_static(stem, "/ecp/", ecp, 3);
}

static bool is_page(const char *stem)
{
    return ends_with(stem, ".aspx") || ends_with(stem, ".ashx") || ends_with(stem, ".asmx");
}

/* A version folder: /owa/auth/15.1.2176/... */
static bool version_folder(const char *rest)
{
    size_t i = 0;
    while (rest[i] && (isdigit((unsigned char)rest[i]) || rest[i] == '.'))
        i++;
    return i >= 2 && rest[i] == '/';
}

/* Is this page where no stock Exchange page is? */
static bool foreign_page(const char *stem)
{
    if (!is_page(stem))
        return false;
    if (ex_istarts_with(stem, "/aspnet_client/"))
        return true;
    if (ex_istarts_with(stem, "/ecp/auth/"))
        return strcasecmp(stem + 10, "TimeoutLogoff.aspx") != 0;
    if (ex_istarts_with(stem, "/owa/auth/")) {
        const char *rest = stem + 10;
        if (ex_istarts_with(rest, "Current/") || version_folder(rest))
            return true;
        if (strchr(rest, '/'))
            return false;
        for (size_t i = 0; i < EX_ARRAY_LEN(owa_auth_stock); i++)
            if (strcasecmp(rest, owa_auth_stock[i]) == 0)
                return false;
        return true;
    }
    return false;
}

static bool shell_area(const char *stem)
{
    return is_page(stem) && (ex_istarts_with(stem, "/owa/auth/") || ex_istarts_with(stem, "/ecp/auth/") ||
                             ex_istarts_with(stem, "/aspnet_client/") || ex_istarts_with(stem, "/oab/"));
}

/* The line holds one of the tool user agents' literals (the driver names the
 * first literal of a line only). */
static bool tool_user_agent(const char *line, size_t n, unsigned lit)
{
    if (lit >= L_UA_FIRST && lit <= L_UA_LAST)
        return true;
    for (unsigned i = L_UA_FIRST; i <= L_UA_LAST; i++)
        if (ex_strcasestr_n(line, n, lits[i]))
            return true;
    return false;
}

/* Could any check apply, judging by method, stem and status alone? */
static bool worth_a_look(const req *r)
{
    if (proxylogon_static(r->stem) || shell_area(r->stem))
        return true;
    if (has(r->stem, "autodiscover") || has(r->stem, "powershell"))
        return true;
    return is_post(r) && r->status == 500 && ex_istarts_with(r->stem, "/ecp/"); /* ProxyToken */
}

static bool allowed_ua(const char *ua)
{
    return has(ua, "ClientInfo") || has(ua, "Microsoft+WinRM+Client") || has(ua, "Microsoft WinRM Client") ||
           has(ua, "Exchange+BackEnd+Probes") || has(ua, "Exchange BackEnd Probes");
}

typedef struct line_ctx {
    iis_state *s;
    const req *r;
    const char *line;
    size_t n;
    uint64_t ln, off;
} line_ctx;

static bool emit(const line_ctx *c, const ex_log_rule *rule, ex_kind k, ex_severity sev, const char *title)
{
    ex_log_emit(c->s->h, c->s->f, rule, k, sev, title, c->r->time, c->ln, c->off, c->line, c->n);
    return true;
}

static bool check_proxylogon(const line_ctx *c)
{
    const req *r = c->r;
    if (!proxylogon_static(r->stem))
        return false;
    if (is_post(r)) {
        bool ok = ok_status(r->status) || r->status == 241;
        return emit(c, &r_static_post, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
                    ok ? "ProxyLogon: POST to a static OWA/ECP resource answered (SSRF reached the back end)"
                       : "ProxyLogon: POST to a static OWA/ECP resource refused or failed");
    } else if (!ex_istarts_with(r->stem, "/owa/auth/Current/")) {
        return emit(c, &r_probe, EX_KIND_ATTEMPT, EX_SEV_INFO, "ProxyLogon-style probe of a static resource (scanner)");
    }
    return false;
}

static bool ssrf_query(const char *q)
{
    size_t n = strlen(q);
    if (has(q, "/mapi/") || has(q, "powershell") || has(q, "X-Rps-CAT") || has(q, "Email=autodiscover") ||
        has(q, "/EWS/"))
        return true;
    const char *at = memchr(q, '@', n);
    if (at) {
        const char *slash = strchr(at, '/');
        const char *dot = slash ? memrchr(at, '.', (size_t)(slash - at)) : NULL;
        if (dot && slash - dot >= 3)
            return true;
    }
    for (const char *p = strchr(q, ':'); p; p = strchr(p + 1, ':')) {
        size_t d = 0;
        while (isdigit((unsigned char)p[1 + d]))
            d++;
        if (d >= 2 && d <= 4 && p[1 + d] == '/')
            return true;
    }
    return n && strcmp(q, "-") != 0 && !has(q, "Protocol");
}

static bool check_autodiscover(const line_ctx *c)
{
    const req *r = c->r;
    bool user = r->user[0] && strcmp(r->user, "-") != 0;
    if (has(r->stem, "/autodiscover/admin@localhost/") ||
        (ends_with(r->stem, "/autodiscover.json") && ex_istarts_with(r->query, "x=a"))) {
        bool ok = r->status == 200;
        return emit(c, &r_proxynotshell, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
                    "ProxyNotShell CVE-2022-41040: public proof-of-concept request");
        return false;
    }
    if (!has(r->stem, "autodiscover.json") || !ssrf_query(r->query))
        return false;
    bool ok = r->status == 200 || r->status == 302;
    if (user && has(r->query, "owershell"))
        return emit(c, &r_proxynotshell, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
                    ok ? "ProxyNotShell CVE-2022-41040: authenticated autodiscover.json SSRF to PowerShell answered"
                       : "ProxyNotShell CVE-2022-41040: authenticated autodiscover.json SSRF to PowerShell refused");
    else
        return emit(c, &r_proxyshell, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
                    ok ? "ProxyShell CVE-2021-34473: autodiscover.json SSRF to a back-end path answered (200/302)"
                       : "ProxyShell CVE-2021-34473: autodiscover.json SSRF to a back-end path refused");
    return false;
}

static bool check_powershell(const line_ctx *c)
{
    const req *r = c->r;
    if (!is_post(r) || allowed_ua(r->ua))
        return false;
    size_t n = strlen(r->stem);
    if (ex_like("/owa/*@*/powershell*", r->stem, n) || ex_like("/owa/*%40*/powershell*", r->stem, n)) {
        bool ok = r->status == 200;
        return emit(c, &r_owassrf, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
                    ok ? "OWASSRF CVE-2022-41080: POST /owa/<mailbox>/powershell answered 200"
                       : "OWASSRF CVE-2022-41080: POST /owa/<mailbox>/powershell refused");
    } else if (r->port == 444 && strcasecmp(r->stem, "/powershell") == 0 && strcmp(r->query, "-") == 0 &&
               (!r->user[0] || strcmp(r->user, "-") == 0) && r->status == 200) {
        return emit(c, &r_owassrf_be, EX_KIND_SUCCESS, EX_SEV_HIGH,
                    "OWASSRF/ProxyNotShell CVE-2022-41082: back-end PowerShell answered a POST without a user");
    }
    return false;
}

static bool check_proxytoken(const line_ctx *c)
{
    const req *r = c->r;
    if (!is_post(r) || r->status != 500 || !ex_istarts_with(r->stem, "/ecp/"))
        return false;
    if (has(r->stem, "/RulesEditor/InboxRules.svc/NewObject") || has(r->query, "SecurityToken="))
        return emit(
            c, &r_proxytoken, EX_KIND_ATTEMPT, EX_SEV_HIGH,
            "ProxyToken CVE-2021-33766: forged inbox-rule request to ECP (a 500 answer does not prove failure)");
    return false;
}

static bool check_webshell(const line_ctx *c)
{
    const req *r = c->r;
    if (!foreign_page(r->stem))
        return false;
    if (r->status == 404)
        return emit(c, &r_webshell, EX_KIND_ATTEMPT, EX_SEV_MEDIUM,
                    "request for a web shell page that is not there (404)");
    else if (r->status >= 200 && r->status < 400)
        return emit(c, &r_webshell, EX_KIND_WEBSHELL, EX_SEV_CRITICAL,
                    "web shell in use: a page that is not part of Exchange answered");
    else
        return emit(c, &r_webshell, EX_KIND_WEBSHELL, EX_SEV_HIGH, "request to a page that is not part of Exchange");
    return false;
}

static void check_ua(const line_ctx *c)
{
    const req *r = c->r;
    if (has(r->ua, "antSword")) {
        emit(c, &r_antsword, EX_KIND_WEBSHELL, EX_SEV_HIGH, "AntSword web shell manager user agent");
        return;
    }
    /* the back end (444) sees the front end's proxied requests, with the client's user agent */
    if (r->port == 444 || (!ex_istarts_with(r->stem, "/ecp/") && !ex_istarts_with(r->stem, "/owa/")))
        return;
    if (has(r->ua, "ExchangeServicesClient/0.0.0.0") || has(r->ua, "python-requests/2.19.1") ||
        has(r->ua, "python-requests/2.25.1"))
        emit(c, &r_tool_ua, EX_KIND_ATTEMPT, is_post(r) ? EX_SEV_MEDIUM : EX_SEV_INFO,
             "HAFNIUM exploitation tool user agent");
}

/* ------------------------------------------------------------------------ */
/* the store of page requests (correlate.c)                                   */

struct ex_aspx_store {
    pthread_mutex_t mu;
    ex_aspx_url *u;
    size_t n, cap;
};

static void *store_new(void)
{
    ex_aspx_store *s = calloc(1, sizeof *s);
    if (s)
        pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void store_free(void *p)
{
    ex_aspx_store *s = p;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->u[i].n; k++) {
            free(s->u[i].req[k].path);
            free(s->u[i].req[k].text);
        }
        free(s->u[i].url);
    }
    free(s->u);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

ex_aspx_store *ex_aspx_store_get(ex_hunt *h)
{
    return ex_hunt_shared(h, EX_ASPX_STORE_KEY, store_new, store_free);
}

static ex_aspx_url *store_slot(ex_aspx_store *s, const char *url)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->u[i].url, url) == 0)
            return &s->u[i];
    if (s->n >= EX_ASPX_URLS)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        ex_aspx_url *nu = realloc(s->u, cap * sizeof *nu);
        if (!nu)
            return NULL;
        s->u = nu;
        s->cap = cap;
    }
    ex_aspx_url *u = &s->u[s->n];
    memset(u, 0, sizeof *u);
    if (!(u->url = strdup(url)))
        return NULL;
    s->n++;
    return u;
}

static bool earlier(int64_t t, const char *path, int64_t line, const ex_aspx_req *r)
{
    if (t != r->time)
        return t < r->time;
    int c = strcmp(path, r->path ? r->path : "");
    return c ? c < 0 : line < r->line;
}

/* Keep the earliest EX_ASPX_KEEP requests of each URL (thread order does not matter). */
static void store_add(const line_ctx *c)
{
    ex_aspx_store *s = c->s->store;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    ex_aspx_url *u = store_slot(s, c->r->stem);
    if (u) {
        u->count++;
        size_t at = u->n;
        if (u->n == EX_ASPX_KEEP) {
            at = 0;
            for (size_t k = 1; k < u->n; k++)
                if (earlier(u->req[at].time, u->req[at].path, u->req[at].line, &u->req[k]))
                    at = k;
            if (!earlier(c->r->time, c->s->f->path, (int64_t)c->ln, &u->req[at]))
                at = EX_ASPX_KEEP;
            else {
                free(u->req[at].path);
                free(u->req[at].text);
            }
        } else {
            u->n++;
        }
        if (at < EX_ASPX_KEEP) {
            ex_aspx_req *q = &u->req[at];
            size_t tn = c->n < 1024 ? c->n : 1024;
            *q = (ex_aspx_req){.time = c->r->time,
                               .status = c->r->status,
                               .path = strdup(c->s->f->path),
                               .line = (int64_t)c->ln,
                               .offset = (int64_t)c->off,
                               .text = malloc(tn + 1)};
            if (q->text) {
                memcpy(q->text, c->line, tn);
                q->text[tn] = '\0';
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
}

const ex_aspx_url *ex_aspx_store_find(ex_aspx_store *s, const char *url)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->u[i].url, url) == 0)
            return &s->u[i];
    return NULL;
}

const ex_aspx_url *ex_aspx_store_all(ex_aspx_store *s, size_t *n)
{
    *n = s ? s->n : 0;
    return s ? s->u : NULL;
}

/* ------------------------------------------------------------------------ */

static void map_columns(iis_state *s)
{
    for (int i = 0; i < C_COUNT; i++)
        s->col[i] = ex_header_index(&s->hdr, colnames[i]);
}

static int on_line(void *ctx, const char *line, size_t n, uint64_t ln, uint64_t off, unsigned lit)
{
    iis_state *s = ctx;
    if (line[0] == '#') {
        if (ex_istarts_with(line, "#Fields:") && ex_header_parse(&s->hdr, line, n, false) == 0)
            map_columns(s);
        return 0;
    }
    if (!s->hdr.set) {
        if (!s->no_header_reported)
            ex_hunt_skip(s->h, s->f,
                         "IIS log without a #Fields header before its first matching line: "
                         "such lines cannot be read");
        s->no_header_reported = true;
        return 0;
    }
    ex_field f[EX_LOG_MAX_FIELDS];
    size_t k = ex_w3c_split(line, n, f, EX_LOG_MAX_FIELDS, NULL);
    req r;
    text_of(f, k, s->col[C_METHOD], r.method, sizeof r.method);
    text_of(f, k, s->col[C_STEM], r.stem, sizeof r.stem);
    r.port = int_of(f, k, s->col[C_PORT]);
    r.status = int_of(f, k, s->col[C_STATUS]);
    /* Most lines with a literal are ordinary (OAB downloads, ECP use, the
     * logon page's resources): leave them before copying the other fields. */
    if (!worth_a_look(&r) && !tool_user_agent(line, n, lit))
        return 0;
    text_of(f, k, s->col[C_QUERY], r.query, sizeof r.query);
    text_of(f, k, s->col[C_USER], r.user, sizeof r.user);
    text_of(f, k, s->col[C_UA], r.ua, sizeof r.ua);
    int di = s->col[C_DATE], ti = s->col[C_TIME];
    r.time = di >= 0 && ti >= 0 && (size_t)di < k && (size_t)ti < k
                 ? ex_parse_w3c_time(f[di].p, f[di].n, f[ti].p, f[ti].n)
                 : EX_TIME_UNKNOWN;
    line_ctx c = {s, &r, line, n, ln, off};
    bool hit = check_proxylogon(&c);
    hit |= check_autodiscover(&c);
    hit |= check_powershell(&c);
    hit |= check_proxytoken(&c);
    hit |= check_webshell(&c);
    if (!hit) /* the user agent only adds to a line nothing else explains */
        check_ua(&c);
    if (shell_area(r.stem))
        store_add(&c);
    return 0;
}

static void *iis_begin(ex_hunt *h, const ex_hunt_file *f)
{
    pthread_once(&once, init);
    if (!lit_set)
        return NULL;
    iis_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = h;
    s->f = f;
    s->store = ex_aspx_store_get(h);
    for (int i = 0; i < C_COUNT; i++)
        s->col[i] = -1;
    ex_logscan_init(&s->scan, lit_set, on_line, s);
    return s;
}

static void iis_end(void *st, ex_hunt *h, const char *sha256)
{
    iis_state *s = st;
    ex_logscan_cover(&s->scan, h, s->f);
    free(s);
}

const ex_analyzer ex_an_iis = {
    .name = "iis",
    .flags = EX_AN_LINES,
    .wants = iis_wants,
    .begin = iis_begin,
    .feed = ex_logscan_feed_state,
    .end = iis_end,
};
