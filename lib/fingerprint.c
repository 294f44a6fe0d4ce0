/* fingerprint: see fingerprint.h. RD = ../shared/docs/remote-detection.md. */
#include "fingerprint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const char *ex_exchange_kind_name(ex_exchange_kind k)
{
    static const char *const n[] = {"unknown", "onprem", "online", "none", "decoy"};
    return (unsigned)k < EX_ARRAY_LEN(n) ? n[k] : "unknown";
}

const char *ex_build_source_name(ex_build_source s)
{
    static const char *const n[] = {"none", "owa-path", "exporttool", "owaver", "x-serverapplication", "x-owa-version"};
    return (unsigned)s < EX_ARRAY_LEN(n) ? n[s] : "none";
}

const char *ex_probe_name(ex_probe_id p)
{
    static const char *const n[] = {"proxylogon", "proxyshell", "proxynotshell"};
    return (unsigned)p < EX_ARRAY_LEN(n) ? n[p] : "?";
}

const char *ex_probe_cve(ex_probe_id p)
{
    static const char *const n[] = {"CVE-2021-26855", "CVE-2021-34473", "CVE-2022-41040"};
    return (unsigned)p < EX_ARRAY_LEN(n) ? n[p] : "?";
}

const char *ex_probe_state_name(ex_probe_state s)
{
    static const char *const n[] = {"not-run", "positive", "negative", "mitigated", "no-mitigation", "inconclusive"};
    return (unsigned)s < EX_ARRAY_LEN(n) ? n[s] : "?";
}

void ex_fp_init(ex_fp *fp)
{
    *fp = (ex_fp){0};
}

/* Printable copy of untrusted bytes: controls become '?', length bounded. */
static void clean_copy(char *dst, size_t n, const char *src, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n)
        dst[j] = '\0';
}

/* ---- build numbers in bodies ----------------------------------------------------------- */

/* Digits and dots at p (at most 40), followed by '/'. */
static size_t version_run(const char *p, const char *end)
{
    size_t n = 0;
    while (p + n < end && n < 40 && (isdigit((unsigned char)p[n]) || p[n] == '.'))
        n++;
    return (p + n < end && p[n] == '/') ? n : 0;
}

/* RD §1.1: "/owa/auth/15.1.2176/themes/..." (CU) or "/owa/14.3.123.3/themes/..." (2007/2010). */
bool ex_fp_owa_path_version(const char *body, size_t len, ex_version *v)
{
    const char *p = body, *end = body + len;
    while (p && p < end) {
        const char *hit = ex_strcasestr_n(p, (size_t)(end - p), "/owa/");
        if (!hit)
            return false;
        const char *q = hit + 5;
        if ((size_t)(end - q) >= 5 && strncasecmp(q, "auth/", 5) == 0)
            q += 5;
        size_t n = version_run(q, end);
        ex_version c;
        int parts = 0;
        for (size_t i = 0; i < n; i++)
            parts += q[i] == '.';
        if (n && (parts == 2 || parts == 3) && ex_version_parse(q, n, &c) == EX_VERSION_OK && c.major >= 6) {
            /* Exchange 2013+ never carries a fourth part there; a copy that does is not trusted further. */
            if (c.major >= 15)
                c.revision = -1;
            *v = c;
            return true;
        }
        p = hit + 5;
    }
    return false;
}

static const char *find_attr(const char *tag, const char *tag_end, const char *attr, size_t *vlen)
{
    size_t al = strlen(attr);
    for (const char *p = tag; p && p + al + 2 < tag_end; p++) {
        p = ex_strcasestr_n(p, (size_t)(tag_end - p), attr);
        if (!p)
            return NULL;
        bool boundary = p == tag || isspace((unsigned char)p[-1]);
        const char *q = p + al;
        while (q < tag_end && isspace((unsigned char)*q))
            q++;
        if (!boundary || q >= tag_end || *q != '=')
            continue;
        q++;
        while (q < tag_end && isspace((unsigned char)*q))
            q++;
        if (q >= tag_end || (*q != '"' && *q != '\''))
            continue;
        char quote = *q++;
        const char *e = memchr(q, quote, (size_t)(tag_end - q));
        if (!e)
            return NULL;
        *vlen = (size_t)(e - q);
        return q;
    }
    return NULL;
}

/* RD §1.3: the first assemblyIdentity whose name is the export tool, whatever the attribute order. */
bool ex_fp_exporttool_version(const char *body, size_t len, ex_version *v)
{
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *tag = ex_strcasestr_n(p, (size_t)(end - p), "assemblyIdentity");
        if (!tag)
            return false;
        const char *tag_end = memchr(tag, '>', (size_t)(end - tag));
        if (!tag_end)
            return false;
        size_t nl = 0, vl = 0;
        const char *name = find_attr(tag, tag_end, "name", &nl);
        const char *ver = find_attr(tag, tag_end, "version", &vl);
        static const char want[] = "microsoft.exchange.ediscovery.exporttool";
        if (name && ver && nl == sizeof want - 1 && strncasecmp(name, want, nl) == 0 &&
            ex_version_parse(ver, vl, v) == EX_VERSION_OK && ex_version_has_revision(v))
            return true;
        p = tag_end + 1;
    }
    return false;
}

/* RD §1 V5: "owaVer=15.2.858.2&..." in an errorfe redirect. */
bool ex_fp_owaver(const char *s, size_t len, ex_version *v)
{
    const char *hit = ex_strcasestr_n(s, len, "owaVer=");
    if (!hit)
        return false;
    const char *q = hit + 7, *end = s + len;
    size_t n = 0;
    while (q + n < end && n < 40 && (isdigit((unsigned char)q[n]) || q[n] == '.'))
        n++;
    return n && ex_version_parse(q, n, v) == EX_VERSION_OK && ex_version_has_revision(v);
}

/* ---- markers ------------------------------------------------------------------------------- */

static void note(char *dst, size_t n, const char *endpoint, const char *what, const char *value)
{
    if (dst[0])
        return; /* the first evidence is kept */
    char v[120];
    clean_copy(v, sizeof v, value, strlen(value));
    snprintf(dst, n, "%s -> %s%s%s", endpoint ? endpoint : "?", what, v[0] ? ": " : "", v);
}

static void set_build(ex_fp *fp, ex_build_source src, const ex_version *v, const ex_http_response *r, const char *what,
                      const char *value)
{
    ex_build_signal *b = &fp->build[src];
    if (b->seen)
        return;
    b->seen = true;
    b->v = *v;
    note(b->evidence, sizeof b->evidence, r->endpoint, what, value);
}

/* Exchange Online back-end server names look like "GV1P191MB2243" (RD §4, sample 19). */
static bool exo_server_name(const char *s)
{
    size_t n = strlen(s);
    const char *mb = strstr(s, "MB");
    if (n < 10 || n > 20 || !mb || !strchr(s, 'P'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return false;
    for (const char *d = mb + 2; *d; d++)
        if (!isdigit((unsigned char)*d))
            return false;
    return mb[2] != '\0';
}

static bool host_in(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    if (h < d || strcasecmp(host + h - d, domain) != 0)
        return false;
    return h == d || host[h - d - 1] == '.';
}

/* Microsoft's own service names (RD §4, §6.8: outlook.office365.com,
 * login.microsoftonline.com, *.outlook.com). */
static bool microsoft_name(const char *host)
{
    static const char *const ms[] = {"outlook.com", "office365.com", "office.com", "microsoftonline.com",
                                     "microsoft.com"};
    const char *h = host;
    if (h[0] == '*' && h[1] == '.')
        h += 2;
    for (size_t i = 0; i < EX_ARRAY_LEN(ms); i++)
        if (host_in(h, ms[i]))
            return true;
    return false;
}

/* Host part of an absolute URL in a Location header. */
static void location_host(const char *loc, char *host, size_t n)
{
    host[0] = '\0';
    const char *p = strstr(loc, "://");
    if (!p)
        return;
    p += 3;
    size_t l = strcspn(p, "/:?#");
    if (l >= n)
        return;
    memcpy(host, p, l);
    host[l] = '\0';
}

static void observe_exo(ex_fp *fp, const ex_http_response *r, bool *exo_here)
{
    char v[256];
    *exo_here = false;
    if (ex_http_header(r, "X-CalculatedFETarget", 0, v, sizeof v) >= 0 &&
        ex_strcasestr_n(v, strlen(v), "outlook.com")) {
        *exo_here = true;
        note(fp->exo_evidence, sizeof fp->exo_evidence, r->endpoint, "X-CalculatedFETarget", v);
    }
    if (ex_http_header(r, "X-CalculatedBETarget", 0, v, sizeof v) >= 0 &&
        ex_strcasestr_n(v, strlen(v), "prod.outlook.com")) {
        *exo_here = true;
        note(fp->exo_evidence, sizeof fp->exo_evidence, r->endpoint, "X-CalculatedBETarget", v);
    }
    if (ex_http_header(r, "X-BEServer", 0, v, sizeof v) >= 0 && exo_server_name(v)) {
        *exo_here = true;
        note(fp->exo_evidence, sizeof fp->exo_evidence, r->endpoint, "X-BEServer", v);
    }
    if (ex_http_header(r, "X-BeSku", 0, v, sizeof v) >= 0) {
        *exo_here = true;
        note(fp->exo_evidence, sizeof fp->exo_evidence, r->endpoint, "X-BeSku", v);
    }
    if (*exo_here)
        fp->exo_markers++;
    if (r->status >= 300 && r->status < 400 && ex_http_header(r, "Location", 0, v, sizeof v) >= 0) {
        char host[256];
        location_host(v, host, sizeof host);
        if (host[0] && (host_in(host, "login.microsoftonline.com") || host_in(host, "outlook.office365.com") ||
                        host_in(host, "outlook.office.com"))) {
            fp->exo_redirect = true;
            note(fp->exo_evidence, sizeof fp->exo_evidence, r->endpoint, "redirect to Microsoft 365", v);
        }
    }
}

static void set_waf(ex_fp *fp, const char *id, const char *name, const ex_http_response *r, const char *what,
                    const char *value)
{
    if (fp->waf_id[0])
        return;
    ex_strlcpy(fp->waf_id, id, sizeof fp->waf_id);
    ex_strlcpy(fp->waf, name, sizeof fp->waf);
    note(fp->waf_evidence, sizeof fp->waf_evidence, r->endpoint, what, value);
}

/* A WAF or gateway in front: the F5 ASM "TS01" cookie (RD §4, sample 10); a
 * zero-trust gateway that answers Autodiscover with JSON where Exchange
 * answers XML or 401 (RD §6.6, feilian-agw). */
static void observe_waf(ex_fp *fp, const ex_http_response *r)
{
    char v[256];
    for (size_t i = 0; i < 32 && ex_http_header(r, "Set-Cookie", i, v, sizeof v) >= 0; i++)
        if (strncmp(v, "TS01", 4) == 0)
            set_waf(fp, "f5-asm", "F5 BIG-IP ASM", r, "Set-Cookie", v);
    if (r->endpoint && ex_strcasestr_n(r->endpoint, strlen(r->endpoint), "/autodiscover/autodiscover.xml") &&
        r->status == 200 && ex_http_header(r, "Content-Type", 0, v, sizeof v) >= 0 &&
        ex_strcasestr_n(v, strlen(v), "json"))
        set_waf(fp, "ztna-gateway", "zero-trust gateway (Autodiscover answered with JSON)", r, "Content-Type", v);
}

/* "/owa/auth/logon.aspx" from "GET /owa/auth/logon.aspx?x" or from a Location URL. */
static void path_of(const char *s, char *out, size_t n)
{
    const char *p = s;
    if (strncmp(p, "GET ", 4) == 0)
        p += 4;
    const char *scheme = strstr(p, "://");
    if (scheme && scheme < p + 8) {
        p = strchr(scheme + 3, '/');
        if (!p)
            p = "/";
    }
    size_t l = strcspn(p, "? ");
    l = l < n - 1 ? l : n - 1;
    memcpy(out, p, l);
    out[l] = '\0';
}

void ex_fp_redirect_path(const ex_http_response *r, char *out, size_t n)
{
    char loc[1024];
    out[0] = '\0';
    if (r->status < 300 || r->status >= 400 || ex_http_header(r, "Location", 0, loc, sizeof loc) <= 0)
        return;
    if (strstr(loc, "://")) { /* absolute: only a redirect to this same host (name or address) is followed */
        char host[256];
        location_host(loc, host, sizeof host);
        if (!host[0])
            return;
    }
    path_of(loc, out, n);
    if (out[0] != '/')
        out[0] = '\0';
}

/* Two paths redirecting to each other: a loop (never followed, but named). */
static void observe_redirect(ex_fp *fp, const ex_http_response *r)
{
    char to[96], from[96];
    ex_fp_redirect_path(r, to, sizeof to);
    if (!to[0] || !r->endpoint)
        return;
    path_of(r->endpoint, from, sizeof from);
    for (size_t i = 0; i < fp->nredirects; i++)
        if (!strcmp(fp->redirects[i].from, to) && !strcmp(fp->redirects[i].to, from) && !fp->redirect_loop[0])
            snprintf(fp->redirect_loop, sizeof fp->redirect_loop, "redirect loop: %s -> %s -> %s", from, to, from);
    if (fp->nredirects < EX_ARRAY_LEN(fp->redirects)) {
        ex_strlcpy(fp->redirects[fp->nredirects].from, from, sizeof fp->redirects[0].from);
        ex_strlcpy(fp->redirects[fp->nredirects++].to, to, sizeof fp->redirects[0].to);
    }
}

static void observe_versions(ex_fp *fp, const ex_http_response *r, bool exo_here)
{
    char v[256];
    ex_version ver;
    int n = ex_http_header(r, "X-OWA-Version", 0, v, sizeof v);
    /* RD §1.2: case-insensitive; empty values are ignored (righel 912587b); EXO values are not on-prem builds. */
    if (n > 0 && ex_version_parse_str(v, &ver) == EX_VERSION_OK && ex_version_has_revision(&ver)) {
        if (exo_here)
            fp->exo_version_seen = true;
        else
            set_build(fp, EX_SRC_X_OWA_VERSION, &ver, r, "X-OWA-Version", v);
    }
    if (ex_http_header(r, "X-ServerApplication", 0, v, sizeof v) > 0 && strncasecmp(v, "Exchange/", 9) == 0 &&
        ex_version_parse_str(v, &ver) == EX_VERSION_OK && ex_version_has_revision(&ver))
        set_build(fp, EX_SRC_SERVERAPP, &ver, r, "X-ServerApplication", v);
    if (ex_http_header(r, "Location", 0, v, sizeof v) > 0 && ex_fp_owaver(v, strlen(v), &ver)) {
        char val[48];
        ex_version_format(&ver, val, sizeof val);
        set_build(fp, EX_SRC_OWAVER, &ver, r, "Location owaVer", val);
    }
    if (!r->body || r->status != 200)
        return;
    if (ex_fp_owa_path_version(r->body, r->body_len, &ver)) {
        char val[48];
        ex_version_format(&ver, val, sizeof val);
        set_build(fp, EX_SRC_OWA_PATH, &ver, r, "OWA asset path", val);
    }
    if (ex_fp_exporttool_version(r->body, r->body_len, &ver)) {
        char val[48];
        ex_version_format(&ver, val, sizeof val);
        fp->exporttool = true;
        set_build(fp, EX_SRC_EXPORTTOOL, &ver, r, "export-tool manifest assemblyIdentity version", val);
    }
}

/* RD §1.1 "is this really OWA" markers; the FBA GUID alone is shared with TMG/ISA. */
static void observe_page(ex_fp *fp, const ex_http_response *r)
{
    if (!r->body)
        return;
    static const char *const owa[] = {"<!-- OwaPage = ASP.auth_logon_aspx -->", "function IsOwaPremiumBrowser",
                                      "To use Outlook, browser settings must allow scripts to run."};
    for (size_t i = 0; i < EX_ARRAY_LEN(owa); i++)
        if (ex_http_body_has(r, owa[i]) && !fp->owa_page) {
            fp->owa_page = true;
            note(fp->onprem_evidence, sizeof fp->onprem_evidence, r->endpoint, "OWA logon page marker", owa[i]);
        }
    if (ex_http_body_ihas(r, "{57A118C6-2DA9-419d-BE9A-F92B0F9A418B}"))
        fp->fba_guid = true;
    bool tmg = fp->fba_guid && !fp->owa_page && !fp->build[EX_SRC_X_OWA_VERSION].seen && !fp->fe_server[0];
    if (tmg && !fp->tmg_page) {
        fp->tmg_page = true;
        set_waf(fp, "tmg", "Forefront TMG/ISA", r, "forms logon page", "FBA GUID without OWA markers");
    }
}

void ex_fp_observe(ex_fp *fp, const ex_http_response *r)
{
    char v[256];
    if (r->status <= 0 || r->fail != EX_FAIL_NONE) {
        fp->failures++;
        fp->last_fail = r->fail;
        return;
    }
    fp->responses++;
    fp->any_response = true;
    if (ex_http_header(r, "Server", 0, v, sizeof v) >= 0) {
        if (!fp->server_header[0])
            clean_copy(fp->server_header, sizeof fp->server_header, v, strlen(v));
        fp->iis |= ex_istarts_with(v, "Microsoft-IIS");
    }
    if (ex_http_header(r, "X-FEServer", 0, v, sizeof v) > 0 && !fp->fe_server[0]) {
        clean_copy(fp->fe_server, sizeof fp->fe_server, v, strlen(v));
        note(fp->onprem_evidence, sizeof fp->onprem_evidence, r->endpoint, "X-FEServer", v);
    }
    bool exo_here;
    observe_exo(fp, r, &exo_here);
    observe_waf(fp, r);
    observe_versions(fp, r, exo_here);
    observe_page(fp, r);
    observe_redirect(fp, r);
}

void ex_fp_set_host(ex_fp *fp, const char *host_name)
{
    fp->microsoft_host = host_name && microsoft_name(host_name);
    if (fp->cert.seen) {
        fp->microsoft_host |= fp->cert.subject_cn[0] && microsoft_name(fp->cert.subject_cn);
        for (size_t i = 0; i < fp->cert.nsans; i++)
            fp->microsoft_host |= microsoft_name(fp->cert.sans[i]);
    }
}

/* ---- conclusion --------------------------------------------------------------------------- */

/* Only X-OWA-Version carries the installed build (see ex_fp_build_is_exact). */
static const ex_build_signal *full_build(const ex_fp *fp, ex_build_source *src)
{
    *src = EX_SRC_X_OWA_VERSION;
    return fp->build[EX_SRC_X_OWA_VERSION].seen ? &fp->build[EX_SRC_X_OWA_VERSION] : NULL;
}

static bool onprem_signals(const ex_fp *fp)
{
    ex_build_source s;
    return fp->owa_page || fp->fe_server[0] || fp->exporttool || full_build(fp, &s) || fp->build[EX_SRC_OWAVER].seen ||
           fp->build[EX_SRC_SERVERAPP].seen || (fp->build[EX_SRC_OWA_PATH].seen && fp->fba_guid);
}

/* The product line (major.minor) of two signals must agree; a copy of a page
 * served with another version's headers is an impersonation (RD §6.7). */
static bool signals_conflict(const ex_fp *fp, char *why, size_t n)
{
    const ex_build_signal *a = NULL;
    for (int s = EX_SRC_OWA_PATH; s < EX_SRC_COUNT; s++) {
        const ex_build_signal *b = &fp->build[s];
        if (!b->seen)
            continue;
        if (a && (a->v.major != b->v.major || a->v.minor != b->v.minor)) {
            snprintf(why, n, "build signals of different products: %s / %s", a->evidence, b->evidence);
            return true;
        }
        a = a ? a : b;
    }
    return false;
}

static void conclude_version(const ex_fp *fp, ex_fp_result *out)
{
    ex_build_source src;
    const ex_build_signal *full = full_build(fp, &src);
    const ex_build_signal *path = &fp->build[EX_SRC_OWA_PATH];
    if (full) {
        out->version = full->v;
        out->source = src;
        ex_strlcpy(out->version_evidence, full->evidence, sizeof out->version_evidence);
        out->have_version = true;
        return;
    }
    if (path->seen) {
        /* CU only, except the 4-part paths of 2007/2010 (RD §1.1). */
        out->version = path->v;
        out->source = EX_SRC_OWA_PATH;
        ex_strlcpy(out->version_evidence, path->evidence, sizeof out->version_evidence);
        out->have_version = true;
        return;
    }
    /* Component builds (RD §1 V5/V6, §1.3, §6.9): the CU is all they prove. */
    static const ex_build_source cu_only[] = {EX_SRC_OWAVER, EX_SRC_SERVERAPP, EX_SRC_EXPORTTOOL};
    for (size_t i = 0; i < EX_ARRAY_LEN(cu_only); i++) {
        const ex_build_signal *b = &fp->build[cu_only[i]];
        if (!b->seen)
            continue;
        out->version = b->v;
        out->version.revision = -1;
        out->source = cu_only[i];
        snprintf(out->version_evidence, sizeof out->version_evidence, "%s (a component build: taken as CU only)",
                 b->evidence);
        out->have_version = true;
        return;
    }
}

void ex_fp_conclude(const ex_fp *fp, ex_fp_result *out)
{
    *out = (ex_fp_result){.kind = EX_KIND_UNKNOWN_HOST};
    char why[EX_FP_EVIDENCE];
    if (!fp->any_response) {
        snprintf(out->reason, sizeof out->reason, "no HTTP answer (%s)", ex_fail_name(fp->last_fail));
        return;
    }
    bool onprem = onprem_signals(fp);
    if (fp->exo_markers && !fp->microsoft_host) {
        out->kind = EX_KIND_DECOY;
        snprintf(out->reason, sizeof out->reason,
                 "Exchange Online back-end names on a host that is not Microsoft's: %s", fp->exo_evidence);
        return;
    }
    if (fp->exo_markers || (fp->exo_redirect && !onprem)) {
        out->kind = EX_KIND_ONLINE;
        snprintf(out->reason, sizeof out->reason, "Exchange Online: %s", fp->exo_evidence);
        return;
    }
    if (onprem && signals_conflict(fp, why, sizeof why)) {
        out->kind = EX_KIND_DECOY;
        snprintf(out->reason, sizeof out->reason, "inconsistent markers: %s", why);
        return;
    }
    if (onprem) {
        out->kind = EX_KIND_ONPREM;
        ex_build_source s;
        const ex_build_signal *b = full_build(fp, &s);
        ex_strlcpy(out->reason,
                   fp->onprem_evidence[0] ? fp->onprem_evidence
                   : b                    ? b->evidence
                                          : fp->build[EX_SRC_EXPORTTOOL].evidence,
                   sizeof out->reason);
        conclude_version(fp, out);
        return;
    }
    if (fp->tmg_page) {
        /* RD §1.1: the FBA GUID without OWA markers and without X-OWA-Version is ISA/TMG's own logon page. */
        snprintf(out->reason, sizeof out->reason,
                 "a Forefront TMG/ISA forms logon page answers: what it publishes cannot be seen without logging in");
        return;
    }
    if (fp->redirect_loop[0]) {
        ex_strlcpy(out->reason, fp->redirect_loop, sizeof out->reason);
        return;
    }
    out->kind = EX_KIND_NONE;
    snprintf(out->reason, sizeof out->reason, "no Exchange marker%s%s", fp->server_header[0] ? "; Server: " : "",
             fp->server_header);
}

bool ex_fp_build_is_exact(const ex_fp_result *r)
{
    return r->have_version && ex_version_has_revision(&r->version);
}

/* ---- behavioural probes --------------------------------------------------------------------- */

/* Exchange's own headers, or (on a host already shown to be Exchange, with
 * nothing in front) the IIS that serves it: request-id and Server:
 * Microsoft-IIS (RD §4). 401/403/407 prove nothing (RD §6.4). */
bool ex_fp_clean_exchange_answer(const ex_fp *fp, const ex_http_response *r)
{
    static const char *const exch[] = {"X-FEServer",    "X-BEServer", "X-CalculatedBETarget",
                                       "X-OWA-Version", "X-DiagInfo", "X-ServerApplication"};
    char v[128];
    if (r->status <= 0 || r->fail != EX_FAIL_NONE || r->status == 401 || r->status == 403 || r->status == 407 ||
        fp->waf_id[0])
        return false;
    for (size_t i = 0; i < EX_ARRAY_LEN(exch); i++)
        if (ex_http_header(r, exch[i], 0, NULL, 0) > 0)
            return true;
    bool iis = ex_http_header(r, "Server", 0, v, sizeof v) >= 0 && ex_istarts_with(v, "Microsoft-IIS");
    return onprem_signals(fp) && (iis || ex_http_header(r, "request-id", 0, NULL, 0) > 0);
}

static void evidence(char *ev, size_t n, const ex_http_response *r, const char *what)
{
    snprintf(ev, n, "%s -> %d%s%s", r->endpoint ? r->endpoint : "?", r->status, what[0] ? ", " : "", what);
}

/* RD §2.1, the final Microsoft NSE (447396bda): X-CalculatedBETarget names localhost, any status. */
ex_probe_state ex_fp_read_proxylogon(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen)
{
    char v[256], w[300];
    if (ex_http_header(r, "X-CalculatedBETarget", 0, v, sizeof v) >= 0 && ex_strcasestr_n(v, strlen(v), "localhost")) {
        clean_copy(w, 120, v, strlen(v));
        snprintf(ev, evlen, "%s -> X-CalculatedBETarget: %s", r->endpoint, w);
        return EX_PSTATE_POSITIVE;
    }
    /* The trigger lives under /owa/: where OWA is not published, its 404 says nothing about the SSRF. */
    bool owa_published = fp->owa_page || fp->build[EX_SRC_OWA_PATH].seen;
    if (ex_fp_clean_exchange_answer(fp, r) && owa_published) {
        evidence(ev, evlen, r, "no X-CalculatedBETarget naming localhost");
        return EX_PSTATE_NEGATIVE;
    }
    evidence(ev, evlen, r,
             r->status == 401 ? "401 proves nothing"
             : !owa_published ? "OWA is not published on this host: the probe cannot reach its code path"
                              : "answer not demonstrably from Exchange");
    return EX_PSTATE_INCONCLUSIVE;
}

/* RD §2.2: 302 to errorfe.aspx with OwaADUserNotFoundException, or the 200 MAPI page. */
ex_probe_state ex_fp_read_proxyshell(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen)
{
    char loc[1024], w[160];
    if (r->status >= 300 && r->status < 400 && ex_http_header(r, "Location", 0, loc, sizeof loc) >= 0 &&
        ex_strcasestr_n(loc, strlen(loc), "errorfe.aspx") &&
        ex_strcasestr_n(loc, strlen(loc), "OwaADUserNotFoundException")) {
        clean_copy(w, sizeof w, loc, strlen(loc));
        snprintf(ev, evlen, "%s -> %d Location: %s", r->endpoint, r->status, w);
        return EX_PSTATE_POSITIVE;
    }
    if (r->status == 200 && ex_http_body_has(r, "Exchange MAPI/HTTP Connectivity Endpoint")) {
        evidence(ev, evlen, r, "body: Exchange MAPI/HTTP Connectivity Endpoint");
        return EX_PSTATE_POSITIVE;
    }
    if (ex_fp_clean_exchange_answer(fp, r)) {
        evidence(ev, evlen, r, "no errorfe redirect and no MAPI page");
        return EX_PSTATE_NEGATIVE;
    }
    evidence(ev, evlen, r, r->status == 401 ? "401 proves nothing" : "answer not demonstrably from Exchange");
    return EX_PSTATE_INCONCLUSIVE;
}

/* RD §2.4 / logs-and-builds §6.2: an answer to the trigger means no URL-rewrite rule aborted it. */
ex_probe_state ex_fp_read_proxynotshell(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen)
{
    evidence(ev, evlen, r, "the trigger was answered: no AbortRequest rule");
    return r->status > 0 ? EX_PSTATE_NO_MITIGATION : EX_PSTATE_INCONCLUSIVE;
}

ex_probe_state ex_fp_read_abort(const ex_http_response *trigger, const ex_http_response *baseline, char *ev,
                                size_t evlen)
{
    if (trigger->fail == EX_FAIL_ABORTED && baseline && baseline->status > 0) {
        /* the baseline's status before its URL: a long URL may be cut, the decisive answer is not */
        snprintf(ev, evlen, "%s -> connection closed without a response; without the trigger: %d to %s",
                 trigger->endpoint, baseline->status, baseline->endpoint);
        return EX_PSTATE_MITIGATED;
    }
    snprintf(ev, evlen, "%s -> %s%s%s", trigger->endpoint, ex_fail_name(trigger->fail), baseline ? "; baseline " : "",
             baseline ? ex_fail_name(baseline->fail) : "");
    return EX_PSTATE_INCONCLUSIVE;
}

void ex_fp_facts(const ex_fp *fp, const ex_fp_result *res, ex_observation *obs, ex_facts *facts)
{
    facts->have_version = res->kind == EX_KIND_ONPREM && res->have_version;
    facts->version = res->version;
    facts->version_evidence = res->version_evidence;
    facts->obs = obs;
    facts->nobs = 0;
    if (res->kind != EX_KIND_ONPREM)
        return;
    for (int p = 0; p < EX_PROBE_COUNT; p++) {
        ex_probe_outcome o = EX_PROBE_NONE;
        switch (fp->probes[p].state) {
        case EX_PSTATE_POSITIVE: o = EX_PROBE_POSITIVE; break;
        case EX_PSTATE_NEGATIVE: o = EX_PROBE_NEGATIVE; break;
        case EX_PSTATE_MITIGATED: o = EX_PROBE_MITIGATED; break;
        default: break;
        }
        if (o != EX_PROBE_NONE)
            obs[facts->nobs++] = (ex_observation){ex_probe_cve((ex_probe_id)p), o, fp->probes[p].evidence};
    }
}
