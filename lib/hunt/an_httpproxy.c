/* an_httpproxy: Exchange HttpProxy logs, every protocol
 * (<install>\Logging\HttpProxy\<Protocol>\HttpProxy_*.LOG).
 *
 * Facts followed (../shared/docs/logs-and-builds.md §1, §3.1; ioc-hunting.md §1.3, §1.4):
 *  - columns are mapped by the header ("#Fields:" or a bare "DateTime,..."
 *    first line), never by position; old (2013) and new layouts differ; a new
 *    "#Fields:" line mid-file replaces the map; fields may be quoted with ""
 *    escapes (GenericInfo holds ',' and ';');
 *  - CVE-2021-26855, Test-ProxyLogon's final condition (CSS 19778cd80):
 *      AnchorMailbox -like 'ServerInfo~* / *' -and -notlike 'ServerInfo~* / autodiscover*'
 *                                            -and -notlike 'ServerInfo~localhost* / *'
 *    (written here with spaces around '/', which C comments cannot hold after '*')
 *    -like is case-insensitive. Autodiscover-only and localhost rows are kept
 *    apart at lower severity (the commit message: "too many false positives");
 *  - CVE-2021-27065: AnchorMailbox -like 'ServerInfo~* / *Reset*VirtualDirectory#'
 *    with HttpStatus 200 ("WebShell possibly downloaded in file system");
 *  - ProxyShell / ProxyNotShell: autodiscover.json requests carrying a
 *    back-end path (Microsoft Sentinel "Exchange SSRF Autodiscover ProxyShell",
 *    signature-base expl_proxyshell.yar / expl_cve_2022_41040_proxynoshell.yar);
 *  - OWASSRF: /owa/<x>@<y>/powershell, and the PowerShell-backend trace of
 *    CrowdStrike's rule (signature-base expl_proxynotshell_owassrf_dec22.yar):
 *    /powershell, Kerberos, authenticated, 200, GenericInfo
 *    "S:ServiceCommonMetadata.HttpMethod=POST", user agent none of ClientInfo,
 *    Microsoft WinRM Client, Exchange BackEnd Probes.
 * Attempt or success: docs/hunt.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/logscan.h"
#include "util.h"

enum { L_SERVERINFO, L_FIELDS, L_AUTODISCOVER_JSON, L_POWERSHELL };
/* Rare parts of what the checks look for (the prefilter's fingerprint is a
 * literal's first three bytes; "Ser" and "aut" start many benign words):
 * "rInfo~" for ServerInfo~, "r.json" for autodiscover.json. */
static const char *const lits[] = {"rInfo~", "#Fields:", "r.json", "/powershell"};
static ex_lit *lit_set;
static pthread_once_t lit_once = PTHREAD_ONCE_INIT;
static void lit_init(void)
{
    lit_set = ex_lit_new(lits, EX_ARRAY_LEN(lits));
}

const char *const *ex_an_httpproxy_literals(size_t *n)
{
    *n = EX_ARRAY_LEN(lits);
    return lits;
}

enum {
    C_DATETIME,
    C_ANCHOR,
    C_STATUS,
    C_STEM,
    C_QUERY,
    C_UA,
    C_CLIENTIP,
    C_AUTHUSER,
    C_ISAUTH,
    C_AUTHTYPE,
    C_GENERICINFO,
    C_REQUESTID,
    C_COUNT
};
static const char *const colnames[C_COUNT] = {
    "DateTime",        "AnchorMailbox",      "HttpStatus",      "UrlStem",
    "UrlQuery",        "UserAgent",          "ClientIpAddress", "AuthenticatedUser",
    "IsAuthenticated", "AuthenticationType", "GenericInfo",     "RequestId",
};
_Static_assert(sizeof colnames / sizeof colnames[0] == C_COUNT, "a name per column");

static const ex_log_rule r26855 = {
    "httpproxy.cve-2021-26855", "CVE-2021-26855",
    "AnchorMailbox -like 'ServerInfo~*/*' -and -notlike 'ServerInfo~*/autodiscover*' -and -notlike "
    "'ServerInfo~localhost*/*'",
    "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve26855", "logs-and-builds.md §1.1"};
static const ex_log_rule r26855_autod = {
    "httpproxy.cve-2021-26855.autodiscover", "CVE-2021-26855", "AnchorMailbox -like 'ServerInfo~*/autodiscover*'",
    "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (excluded as noise by commit 19778cd80)", "logs-and-builds.md §1.1"};
static const ex_log_rule r26855_local = {
    "httpproxy.cve-2021-26855.localhost", "CVE-2021-26855", "AnchorMailbox -like 'ServerInfo~localhost*/*'",
    "microsoft/CSS-Exchange Test-ProxyLogon.ps1 (excluded as noise by commit 19778cd80)", "logs-and-builds.md §1.1"};
static const ex_log_rule r27065 = {
    "httpproxy.cve-2021-27065.reset-vdir", "CVE-2021-27065",
    "AnchorMailbox -like 'ServerInfo~*/*Reset*VirtualDirectory#' -and HttpStatus -eq 200",
    "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve27065", "logs-and-builds.md §1.4"};
static const ex_log_rule rproxyshell = {
    "httpproxy.proxyshell", "CVE-2021-34473",
    "UrlStem has autodiscover.json and UrlQuery carries a back-end path (/mapi/, powershell, X-Rps-CAT, "
    "Email=autodiscover, @domain/path, :port/)",
    "Azure/Azure-Sentinel Exchange SSRF Autodiscover ProxyShell; Neo23x0/signature-base expl_proxyshell.yar",
    "logs-and-builds.md §3.5; ioc-hunting.md §1.4"};
static const ex_log_rule rproxynotshell = {"httpproxy.proxynotshell", "CVE-2022-41040",
                                           "authenticated autodiscover.json request whose UrlQuery carries powershell",
                                           "Neo23x0/signature-base expl_cve_2022_41040_proxynoshell.yar",
                                           "ioc-hunting.md §1.4"};
static const ex_log_rule rowassrf = {
    "httpproxy.owassrf", "CVE-2022-41080", "UrlStem -like '/owa/*@*/powershell*' (or %40)",
    "Neo23x0/signature-base expl_proxynotshell_owassrf_dec22.yar (CrowdStrike)", "ioc-hunting.md §1.4"};
static const ex_log_rule rowassrf_ps = {
    "httpproxy.owassrf.powershell-backend", "CVE-2022-41082",
    ",/powershell...,Kerberos,true,...,200,... S:ServiceCommonMetadata.HttpMethod=POST; user agent not ClientInfo, "
    "Microsoft WinRM Client, Exchange BackEnd Probes",
    "Neo23x0/signature-base expl_proxynotshell_owassrf_dec22.yar (CrowdStrike)", "ioc-hunting.md §1.4"};

typedef struct hp_state {
    ex_hunt *h;
    const ex_hunt_file *f;
    ex_logscan scan;
    ex_header hdr;
    int col[C_COUNT];
    bool powershell_dir;
    bool no_header_reported;
    uint64_t shifted_rows, first_shift_line;
} hp_state;

static bool hp_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    const char *base = ex_evpath_base(f->path);
    if (!ex_evpath_match("*.log", base))
        return false;
    return ex_evpath_match("**Logging/HttpProxy/**", f->path) || ex_evpath_match("HttpProxy_*", base);
}

static void map_columns(hp_state *s)
{
    for (int i = 0; i < C_COUNT; i++)
        s->col[i] = ex_header_index(&s->hdr, colnames[i]);
}

static const ex_field *col(const hp_state *s, const ex_field *f, size_t n, int c)
{
    int i = s->col[c];
    return i >= 0 && (size_t)i < n ? &f[i] : NULL;
}

static int status_of(const ex_field *st)
{
    int v = 0;
    if (!st || !st->n || st->n > 4)
        return -1;
    for (size_t i = 0; i < st->n; i++) {
        if (st->p[i] < '0' || st->p[i] > '9')
            return -1;
        v = v * 10 + (st->p[i] - '0');
    }
    return v;
}

static bool has(const char *s, const char *needle)
{
    return ex_icontains(s, needle);
}

/* "%40" or "@" in an /owa/ path followed by /powershell: OWASSRF */
static bool owassrf_stem(const char *stem)
{
    return ex_like("/owa/*@*/powershell*", stem, strlen(stem)) || ex_like("/owa/*%40*/powershell*", stem, strlen(stem));
}

/* Sentinel's conditions on the query of an autodiscover.json request. */
static bool autodiscover_ssrf(const char *query)
{
    size_t n = strlen(query);
    if (has(query, "/mapi/") || has(query, "powershell") || has(query, "X-Rps-CAT") ||
        has(query, "Email=autodiscover") || has(query, "/EWS/"))
        return true;
    /* "@" and ".[a-z]{2,4}[a-z]{0,4}/": a domain followed by a path */
    const char *at = memchr(query, '@', n);
    if (at) {
        const char *slash = memchr(at, '/', n - (size_t)(at - query));
        const char *dot = slash ? memrchr(at, '.', (size_t)(slash - at)) : NULL;
        if (dot && slash - dot >= 3)
            return true;
    }
    /* ":[0-9]{2,4}/": a port */
    for (const char *c = memchr(query, ':', n); c; c = memchr(c + 1, ':', n - (size_t)(c + 1 - query))) {
        size_t d = 0;
        while (c[1 + d] >= '0' && c[1 + d] <= '9')
            d++;
        if (d >= 2 && d <= 4 && c[1 + d] == '/')
            return true;
    }
    /* a query without "Protocol": Sentinel's first condition */
    return n && !has(query, "Protocol");
}

typedef struct row {
    const ex_field *f;
    size_t n;
    char anchor[1024], stem[1024], query[1024], ua[512], authuser[256], isauth[16], authtype[64], gi[2048];
    char reqid[64];
    int status;
    int64_t time;
} row;

static void get(const hp_state *s, const row *r, int c, char *buf, size_t len)
{
    const ex_field *x = col(s, r->f, r->n, c);
    if (x)
        ex_field_text(x, buf, len);
    else
        buf[0] = '\0';
}

static void emit(hp_state *s, const ex_log_rule *rule, ex_kind k, ex_severity sev, const char *title, const row *r,
                 const char *line, size_t n, uint64_t lineno, uint64_t off)
{
    ex_log_emit(s->h, s->f, rule, k, sev, title, r->time, lineno, off, line, n);
    if (r->reqid[0] && rule->cve && strncmp(rule->id, "httpproxy.cve-2021-26855", 24) == 0)
        ex_reqid_note(s->h, r->reqid, strlen(r->reqid), k, sev, title);
}

static void check_serverinfo(hp_state *s, const row *r, const char *line, size_t n, uint64_t ln, uint64_t off)
{
    const char *a = r->anchor;
    size_t an = strlen(a);
    if (!ex_like("ServerInfo~*/*", a, an))
        return;
    if (r->status == 200 && ex_like("ServerInfo~*/*Reset*VirtualDirectory#", a, an))
        emit(s, &r27065, EX_KIND_ATTEMPT, EX_SEV_HIGH,
             "ProxyLogon CVE-2021-27065: Reset*VirtualDirectory through the SSRF answered 200 (web shell possibly "
             "written)",
             r, line, n, ln, off);
    if (ex_like("ServerInfo~localhost*/*", a, an)) {
        emit(s, &r26855_local, EX_KIND_ATTEMPT, EX_SEV_INFO,
             "ProxyLogon CVE-2021-26855 probe to localhost (scanner noise per Test-ProxyLogon)", r, line, n, ln, off);
    } else if (ex_like("ServerInfo~*/autodiscover*", a, an)) {
        emit(s, &r26855_autod, EX_KIND_ATTEMPT, EX_SEV_MEDIUM,
             "ProxyLogon CVE-2021-26855 SSRF to autodiscover only (no valid mailbox found yet)", r, line, n, ln, off);
    } else if (r->status >= 200 && r->status < 300) {
        emit(s, &r26855, EX_KIND_SUCCESS, EX_SEV_CRITICAL,
             "ProxyLogon CVE-2021-26855 SSRF answered by the back end (2xx)", r, line, n, ln, off);
    } else {
        emit(s, &r26855, EX_KIND_ATTEMPT, r->status < 0 ? EX_SEV_HIGH : EX_SEV_REFUSED,
             r->status < 0 ? "ProxyLogon CVE-2021-26855 SSRF request (status unknown)"
                           : "ProxyLogon CVE-2021-26855 SSRF request refused or failed (no 2xx)",
             r, line, n, ln, off);
    }
}

static void check_autodiscover_json(hp_state *s, const row *r, const char *line, size_t n, uint64_t ln, uint64_t off)
{
    if (!has(r->stem, "autodiscover.json") || !autodiscover_ssrf(r->query))
        return;
    bool authenticated = r->authuser[0] || strcasecmp(r->isauth, "true") == 0;
    bool ps = has(r->query, "powershell");
    bool ok = r->status == 200 || r->status == 302;
    if (ps && authenticated)
        emit(s, &rproxynotshell, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
             ok ? "ProxyNotShell CVE-2022-41040: authenticated autodiscover.json SSRF to PowerShell answered"
                : "ProxyNotShell CVE-2022-41040: authenticated autodiscover.json SSRF to PowerShell refused",
             r, line, n, ln, off);
    else
        emit(s, &rproxyshell, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
             ok ? "ProxyShell CVE-2021-34473: autodiscover.json SSRF to a back-end path answered (200/302)"
                : "ProxyShell CVE-2021-34473: autodiscover.json SSRF to a back-end path refused",
             r, line, n, ln, off);
}

static void check_powershell(hp_state *s, const row *r, const char *line, size_t n, uint64_t ln, uint64_t off)
{
    if (owassrf_stem(r->stem)) {
        bool ok = r->status == 200;
        emit(s, &rowassrf, ok ? EX_KIND_SUCCESS : EX_KIND_ATTEMPT, ok ? EX_SEV_CRITICAL : EX_SEV_REFUSED,
             ok ? "OWASSRF CVE-2022-41080: /owa/<mailbox>/powershell answered 200"
                : "OWASSRF CVE-2022-41080: /owa/<mailbox>/powershell request",
             r, line, n, ln, off);
        return;
    }
    if (!s->powershell_dir || !ex_istarts_with(r->stem, "/powershell"))
        return;
    if (strcasecmp(r->authtype, "Kerberos") != 0 || strcasecmp(r->isauth, "true") != 0 || r->status != 200 ||
        !has(r->gi, "S:ServiceCommonMetadata.HttpMethod=POST"))
        return;
    if (has(r->ua, "ClientInfo") || has(r->ua, "Microsoft WinRM Client") || has(r->ua, "Exchange BackEnd Probes"))
        return;
    emit(s, &rowassrf_ps, EX_KIND_SUCCESS, EX_SEV_HIGH,
         "ProxyNotShell/OWASSRF CVE-2022-41082: remote PowerShell reached through the proxy with an unusual client", r,
         line, n, ln, off);
}

/* A row whose field count differs from the header: the columns shifted (a
 * writer changed layout without a new header, or the file is damaged). The
 * row is still read by name where the index exists, and the shift reported. */
static void note_shift(hp_state *s, size_t nfields, uint64_t ln)
{
    if (nfields == s->hdr.n)
        return;
    if (!s->shifted_rows)
        s->first_shift_line = ln;
    s->shifted_rows++;
}

/* Recognise the AnchorMailbox value by content ("ServerInfo~" at the start
 * of a field): for rows without a header, or whose columns shifted. */
static void by_content(hp_state *s, row *r, const char *line, size_t n, uint64_t ln, uint64_t off)
{
    for (size_t i = 0; i < r->n; i++) {
        char v[1024];
        ex_field_text(&r->f[i], v, sizeof v);
        if (ex_istarts_with(v, "ServerInfo~")) {
            snprintf(r->anchor, sizeof r->anchor, "%s", v);
            r->status = -1;
            r->time = ex_log_line_time(line, n);
            check_serverinfo(s, r, line, n, ln, off);
            return;
        }
    }
}

static void headerless(hp_state *s, row *r, const char *line, size_t n, uint64_t ln, uint64_t off)
{
    if (!s->no_header_reported)
        ex_hunt_skip(s->h, s->f, "HttpProxy log without a #Fields header: rows read by content only");
    s->no_header_reported = true;
    by_content(s, r, line, n, ln, off);
}

static int on_line(void *ctx, const char *line, size_t n, uint64_t ln, uint64_t off, unsigned lit)
{
    hp_state *s = ctx;
    if (n >= 8 && line[0] == '#') {
        if (ex_istarts_with(line, "#Fields:") && ex_header_parse(&s->hdr, line, n, true) == 0)
            map_columns(s);
        return 0;
    }
    ex_field f[EX_LOG_MAX_FIELDS];
    row *r = calloc(1, sizeof *r);
    if (!r)
        return 0;
    r->f = f;
    r->n = ex_csv_split(line, n, f, EX_LOG_MAX_FIELDS, NULL);
    if (!s->hdr.set) {
        headerless(s, r, line, n, ln, off);
        free(r);
        return 0;
    }
    note_shift(s, r->n, ln);
    get(s, r, C_ANCHOR, r->anchor, sizeof r->anchor);
    get(s, r, C_STEM, r->stem, sizeof r->stem);
    get(s, r, C_QUERY, r->query, sizeof r->query);
    get(s, r, C_UA, r->ua, sizeof r->ua);
    get(s, r, C_AUTHUSER, r->authuser, sizeof r->authuser);
    get(s, r, C_ISAUTH, r->isauth, sizeof r->isauth);
    get(s, r, C_AUTHTYPE, r->authtype, sizeof r->authtype);
    get(s, r, C_GENERICINFO, r->gi, sizeof r->gi);
    get(s, r, C_REQUESTID, r->reqid, sizeof r->reqid);
    r->status = status_of(col(s, f, r->n, C_STATUS));
    const ex_field *dt = col(s, f, r->n, C_DATETIME);
    r->time = dt ? ex_parse_iso_time(dt->p, dt->n) : EX_TIME_UNKNOWN;
    if (r->n != s->hdr.n && lit == L_SERVERINFO && !ex_istarts_with(r->anchor, "ServerInfo~"))
        by_content(s, r, line, n, ln, off);
    else
        check_serverinfo(s, r, line, n, ln, off);
    check_autodiscover_json(s, r, line, n, ln, off);
    check_powershell(s, r, line, n, ln, off);
    free(r);
    return 0;
}

static void *hp_begin(ex_hunt *h, const ex_hunt_file *f)
{
    pthread_once(&lit_once, lit_init);
    if (!lit_set)
        return NULL;
    hp_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = h;
    s->f = f;
    s->powershell_dir = ex_evpath_match("**HttpProxy/PowerShell/**", f->path);
    for (int i = 0; i < C_COUNT; i++)
        s->col[i] = -1;
    ex_logscan_init(&s->scan, lit_set, on_line, s);
    return s;
}

/* A bare "DateTime,..." first line is the header (Import-Csv reads the
 * first line as the header). */
static void bare_header(hp_state *s, const char *data, size_t len)
{
    size_t n;
    const char *line = ex_logscan_first_line(data, len, &n);
    ex_field f[2];
    if (ex_csv_split(line, n, f, 2, NULL) >= 2 && ex_field_ieq(&f[0], "DateTime") &&
        ex_header_parse(&s->hdr, line, n, true) == 0)
        map_columns(s);
}

static int hp_feed(void *st, const char *data, size_t len, uint64_t offset)
{
    hp_state *s = st;
    if (offset == 0)
        bare_header(s, data, len);
    return ex_logscan_feed(&s->scan, data, len, offset);
}

static void hp_end(void *st, ex_hunt *h, const char *sha256)
{
    hp_state *s = st;
    ex_logscan_cover(&s->scan, h, s->f);
    if (s->shifted_rows) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "%llu matching rows do not have the header's %zu columns (first at line %llu): columns shifted",
                 (unsigned long long)s->shifted_rows, s->hdr.n, (unsigned long long)s->first_shift_line);
        ex_hunt_skip(h, s->f, msg);
    }
    free(s);
}

const ex_analyzer ex_an_httpproxy = {
    .name = "httpproxy",
    .flags = EX_AN_LINES,
    .wants = hp_wants,
    .begin = hp_begin,
    .feed = hp_feed,
    .end = hp_end,
};
