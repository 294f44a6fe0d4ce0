/* personas: every persona that is not a plain on-premises Exchange, and the
 * dispatch table. Sources: ../shared/docs/remote-detection.md ("RD"), §6 in
 * particular (failure modes users of the peer tools hit). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"

/* ---- shared helpers ------------------------------------------------------------------------------ */

void lab_request_id(const lab_ctx *c, char *buf, size_t n)
{
    uint64_t a = lab_mix64(c->host->rnd ^ (c->seq * 0x9e3779b97f4a7c15ull)), b = lab_mix64(a);
    snprintf(buf, n, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
             0x4000u | ((unsigned)a & 0x0fff), 0x8000u | ((unsigned)(b >> 48) & 0x3fff),
             (unsigned long long)(b & 0xffffffffffffull));
}

const char *lab_host_or_internal(const lab_ctx *c)
{
    return (c->req->has_host && c->req->host[0]) ? c->req->host : c->host->internal_ip;
}

/* IIS and ASP.NET headers seen on every Exchange answer (RD §4: request-id, X-Powered-By,
 * Server: Microsoft-IIS/10.0). The IIS version follows the host's Windows release. */
void lab_iis_headers(const lab_ctx *c, lab_resp *r)
{
    char id[48], date[64];
    lab_request_id(c, id, sizeof id);
    lab_http_date(date, sizeof date);
    lab_resp_header(r, "Server", "Microsoft-IIS/%s", c->host->os->iis);
    lab_resp_header(r, "request-id", "%s", id);
    lab_resp_header(r, "X-Powered-By", "ASP.NET");
    lab_resp_header(r, "Date", "%s", date);
}

void lab_iis_404(const lab_ctx *c, lab_resp *r)
{
    (void)c;
    lab_resp_status(r, 404, "Not Found");
    lab_resp_header(r, "Content-Type", "text/html");
    lab_resp_bodyf(r, "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                      "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html><head><title>404 - File or "
                      "directory not found.</title></head><body><div id=\"header\"><h1>Server Error</h1></div>"
                      "<div id=\"content\"><fieldset><h2>404 - File or directory not found.</h2><h3>The resource you "
                      "are looking for might have been removed, had its name changed, or is temporarily "
                      "unavailable.</h3></fieldset></div></body></html>\r\n");
}

/* A 302 with the small "Object moved" body IIS writes. */
void lab_redirect(lab_resp *r, const char *location)
{
    lab_resp_status(r, 302, "Found");
    lab_resp_header(r, "Location", "%s", location);
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_bodyf(r,
                   "<html><head><title>Object moved</title></head><body><h2>Object moved to <a href=\"%s\">here</a>."
                   "</h2></body></html>\r\n",
                   location);
}

static bool path_is(const lab_ctx *c, const char *a)
{
    return strcmp(c->req->path_lc, a) == 0;
}
static bool path_under(const lab_ctx *c, const char *a)
{
    size_t n = strlen(a);
    return strncmp(c->req->path_lc, a, n) == 0 && (c->req->path_lc[n] == '\0' || c->req->path_lc[n] == '/');
}

/* ---- Exchange Online -------------------------------------------------------------------------------- */

/* EXO answers with its own front/back-end names (RD §4, sample 19, msxfaq.de): X-CalculatedFETarget
 * *.internal.outlook.com, X-BEServer like GV1P191MB2243, X-BeSku, X-CalculatedBETarget
 * *.PROD.OUTLOOK.COM, X-BackEndHttpStatus; OWA redirects to login.microsoftonline.com (RD §6.8). The
 * X-OWA-Version values are EXO's own 15.20.x line, not on-prem builds (RD §1.2). */
static void exo_headers(const lab_ctx *c, lab_resp *r, int be_status)
{
    static const char *const fe[] = {"AM0PR02", "DB9PR05", "VI1PR08", "BY5PR11", "CH2PR14", "SN6PR01"};
    uint64_t x = c->host->rnd;
    const char *f = fe[x % 6];
    char be[32], id[48], date[64];
    snprintf(be, sizeof be, "GV1P%03uMB%04u", (unsigned)(x >> 8) % 300, (unsigned)(x >> 20) % 10000);
    lab_request_id(c, id, sizeof id);
    lab_http_date(date, sizeof date);
    lab_resp_header(r, "Server", "Microsoft-IIS/10.0");
    lab_resp_header(r, "request-id", "%s", id);
    lab_resp_header(r, "X-CalculatedFETarget", "%sCU%03u.internal.outlook.com", f, (unsigned)(x >> 32) % 1000);
    lab_resp_header(r, "X-BackEndHttpStatus", "%d", be_status);
    lab_resp_header(r, "X-FEServer", "%sCA%04u", f, (unsigned)(x >> 40) % 10000);
    lab_resp_header(r, "X-BEServer", "%s", be);
    lab_resp_header(r, "X-BeSku", "WCS%u", 5 + (unsigned)(x >> 50) % 3);
    lab_resp_header(r, "X-CalculatedBETarget", "%s.EURP%03u.PROD.OUTLOOK.COM", be, (unsigned)(x >> 8) % 300);
    lab_resp_header(r, "X-DiagInfo", "%s", be);
    lab_resp_header(r, "X-OWA-Version", "15.20.%u.%u", 7000 + (unsigned)(x >> 12) % 2000,
                    10 + (unsigned)(x >> 24) % 30);
    lab_resp_header(r, "X-Powered-By", "ASP.NET");
    lab_resp_header(r, "Date", "%s", date);
}

static void exo(const lab_ctx *c, lab_resp *r)
{
    char loc[700], id[48];
    lab_request_id(c, id, sizeof id);
    if (path_is(c, "/")) {
        exo_headers(c, r, 302);
        lab_redirect(r, "https://outlook.office365.com/owa/");
    } else if (path_under(c, "/owa") || path_under(c, "/ecp")) {
        exo_headers(c, r, 302);
        snprintf(loc, sizeof loc,
                 "https://login.microsoftonline.com/common/oauth2/authorize?client_id=00000002-0000-0ff1-ce00-"
                 "000000000000&redirect_uri=https%%3a%%2f%%2foutlook.office365.com%%2fowa%%2f&resource=00000002-0000-"
                 "0ff1-ce00-000000000000&response_mode=form_post&response_type=code+id_token&scope=openid&msafed=1&"
                 "msaredir=1&client-request-id=%s&protectedtoken=true",
                 id);
        lab_redirect(r, loc);
    } else if (path_under(c, "/ews") || path_under(c, "/autodiscover") ||
               path_under(c, "/microsoft-server-activesync") || path_under(c, "/mapi") || path_under(c, "/rpc") ||
               path_under(c, "/oab") || path_is(c, "/autodiscover/autodiscover.json")) {
        exo_headers(c, r, 401);
        lab_resp_status(r, 401, "Unauthorized");
        lab_resp_header(r, "WWW-Authenticate",
                        "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", "
                        "trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", "
                        "token_types=\"app_asserted_user_v1 service_asserted_app_v1\", "
                        "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"");
        lab_resp_header(r, "WWW-Authenticate", "Basic Realm=\"\"");
    } else {
        exo_headers(c, r, 404);
        lab_resp_status(r, 404, "Not Found");
    }
}

/* ---- Havoc C2 decoy --------------------------------------------------------------------------------- */

/* The Havoc C2 default/sample profile replays OWA/EXO headers, X-OWA-Version 15.1.1240.20 with
 * X-OWA-OWSVersion and EXO back-end names (RD §1.2, §6.7, sample 18; >= 6 public copies). 15.1.1240 is
 * no Exchange 2016 CU. A listener answers every path the same way; the status and body of its
 * non-agent answers are not in the notes: the lab sends a bare 404 with the profile headers. */
static void havoc(const lab_ctx *c, lab_resp *r)
{
    char date[64];
    lab_http_date(date, sizeof date);
    lab_resp_status(r, 404, "Not Found");
    lab_resp_header(r, "Cache-Control", "private");
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_header(r, "Server", "Microsoft-IIS/10.0");
    lab_resp_header(r, "request-id", "6d1c3f3a-2b1e-4e5c-9a7f-3f0c2e5b8d41");
    lab_resp_header(r, "X-CalculatedBETarget", "BY2PR06MB549.namprd06.prod.outlook.com");
    lab_resp_header(r, "X-Content-Type-Options", "nosniff");
    lab_resp_header(r, "X-OWA-Version", "15.1.1240.20");
    lab_resp_header(r, "X-OWA-OWSVersion", "V2017_06_15");
    lab_resp_header(r, "X-OWA-MinimumSupportedOWSVersion", "V2_6");
    lab_resp_header(r, "X-Frame-Options", "SAMEORIGIN");
    lab_resp_header(r, "X-DiagInfo", "BY2PR06MB549");
    lab_resp_header(r, "X-UA-Compatible", "IE=EmulateIE7");
    lab_resp_header(r, "X-Powered-By", "ASP.NET");
    lab_resp_header(r, "X-FEServer", "CY4PR02CA0010");
    lab_resp_header(r, "Date", "%s", date);
    (void)c;
}

/* ---- Forefront TMG / ISA ---------------------------------------------------------------------------- */

/* TMG/ISA forms-based authentication pages carry the same FBA GUID as OWA
 * ({57A118C6-2DA9-419d-BE9A-F92B0F9A418B}) but no X-OWA-Version; Exchange's own monitoring code tells
 * them apart by that header (RD §1.1, §6.7). The CookieAuth.dll URL form (curl=Z2F..., formdir=3) is
 * TMG's; it is not in the notes and no scanner should need more than the GUID and the header. */
static void tmg(const lab_ctx *c, lab_resp *r)
{
    char loc[600];
    char date[64];
    lab_http_date(date, sizeof date);
    lab_resp_header(r, "Date", "%s", date);
    if (path_is(c, "/cookieauth.dll")) {
        lab_resp_header(r, "Cache-Control", "no-cache");
        lab_resp_header(r, "Pragma", "no-cache");
        lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
        lab_resp_bodyf(
            r,
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\r\n"
            "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\r\n"
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
            "<title>Outlook Web App</title>\r\n"
            "<link type=\"text/css\" rel=\"stylesheet\" href=\"/CookieAuth.dll?GetPic?formdir=3&image=logon.css\">\r\n"
            "</head><body>\r\n"
            "<form action=\"/CookieAuth.dll?Logon\" method=\"POST\" name=\"logonForm\" autocomplete=\"off\">\r\n"
            "<input type=\"hidden\" name=\"curl\" value=\"Z2FowaZ2F\">\r\n"
            "<input type=\"hidden\" name=\"flags\" value=\"0\">\r\n"
            "<input type=\"hidden\" name=\"forcedownlevel\" value=\"0\">\r\n"
            "<input type=\"hidden\" name=\"formdir\" value=\"3\">\r\n"
            "<label for=\"username\">Domain\\user name:</label><input id=\"username\" name=\"username\">\r\n"
            "<label for=\"password\">Password:</label><input id=\"password\" name=\"password\" type=\"password\">\r\n"
            "<input type=\"submit\" value=\"Sign in\">\r\n</form>\r\n</body></html>\r\n");
        return;
    }
    char curl[300];
    size_t o = 0;
    for (const char *p = c->req->path_lc; *p && o + 4 < sizeof curl; p++) {
        if (*p == '/') {
            memcpy(curl + o, "Z2F", 3);
            o += 3;
        } else {
            curl[o++] = *p;
        }
    }
    curl[o] = '\0';
    snprintf(loc, sizeof loc, "https://%s/CookieAuth.dll?GetLogon?curl=%s&reason=0&formdir=3", lab_host_or_internal(c),
             curl);
    lab_redirect(r, loc);
}

/* ---- plain web servers ----------------------------------------------------------------------------- */

/* A Windows server with only the IIS default site: no Exchange marker anywhere. */
static void iis(const lab_ctx *c, lab_resp *r)
{
    lab_iis_headers(c, r);
    if (path_is(c, "/") || path_is(c, "/iisstart.htm")) {
        lab_resp_header(r, "Content-Type", "text/html");
        lab_resp_header(r, "Last-Modified", "Sat, 04 May 2019 18:07:12 GMT");
        lab_resp_header(r, "Accept-Ranges", "bytes");
        lab_resp_bodyf(
            r, "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
               "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html "
               "xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<meta http-equiv=\"Content-Type\" "
               "content=\"text/html; charset=iso-8859-1\" />\r\n<title>IIS Windows Server</title>\r\n</head>\r\n"
               "<body>\r\n<div id=\"container\">\r\n<a href=\"http://go.microsoft.com/fwlink/?linkid=66138&amp;"
               "clcid=0x409\"><img src=\"iisstart.png\" alt=\"IIS\" width=\"960\" height=\"600\" /></a>\r\n"
               "</div>\r\n</body>\r\n</html>");
        return;
    }
    lab_iis_404(c, r);
}

static void nginx(const lab_ctx *c, lab_resp *r)
{
    char date[64];
    lab_http_date(date, sizeof date);
    lab_resp_header(r, "Server", "nginx/1.22.1");
    lab_resp_header(r, "Date", "%s", date);
    lab_resp_header(r, "Content-Type", "text/html");
    if (path_is(c, "/") || path_is(c, "/index.html")) {
        lab_resp_bodyf(r, "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
                          "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
                          "installed and working. Further configuration is required.</p>\n</body>\n</html>\n");
        return;
    }
    lab_resp_status(r, 404, "Not Found");
    lab_resp_bodyf(r, "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
                      "</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n");
}

/* ---- WAFs and gateways in front of Exchange ---------------------------------------------------------- */

/* F5 BIG-IP ASM: its TS01xxxxxx cookie on every answer (RD §4, sample 10), and attack signatures
 * that answer the SSRF probes with the ASM blocking page, status 200 (RD §6.6: WAFs alter status
 * codes; Metasploit's "any 500 = ProxyLogon" is FP-prone behind such devices). The page text is F5's
 * default blocking response. */
static bool f5_blocks(const lab_req *req)
{
    char decoded[LAB_MAX_TARGET];
    if (lab_cookie_has(req, "X-AnonResource") || lab_cookie_has(req, "X-BEResource") ||
        lab_cookie_has(req, "SecurityToken="))
        return true;
    lab_url_decode(req->target, decoded, sizeof decoded);
    size_t n = strlen(decoded);
    return ex_strcasestr_n(decoded, n, "autodiscover.json") &&
           (strchr(req->query, '@') || strstr(decoded, "@") || ex_strcasestr_n(decoded, n, "email=autodiscover") ||
            ex_strcasestr_n(decoded, n, "powershell"));
}

static void f5_cookie(const lab_ctx *c, lab_resp *r)
{
    uint64_t a = lab_mix64(c->host->rnd ^ 0xf5), b = lab_mix64(a ^ c->seq), d = lab_mix64(b);
    lab_resp_header(r, "Set-Cookie", "TS01%06llx=01%016llx%016llx%016llx; Path=/; Secure; HTTPOnly",
                    (unsigned long long)(a & 0xffffff), (unsigned long long)b, (unsigned long long)d,
                    (unsigned long long)lab_mix64(d));
}

static void waf_f5(const lab_ctx *c, lab_resp *r)
{
    if (f5_blocks(c->req)) {
        lab_resp_header(r, "Cache-Control", "no-cache");
        lab_resp_header(r, "Pragma", "no-cache");
        lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
        f5_cookie(c, r);
        r->close = true;
        lab_resp_bodyf(r,
                       "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. "
                       "Please consult with your administrator.<br><br>Your support ID is: %llu<br><br><a "
                       "href='javascript:history.back();'>[Go Back]</a></body></html>",
                       (unsigned long long)(lab_mix64(c->host->rnd ^ c->seq) % 10000000000000000000ull));
        return;
    }
    lab_exchange_handle(c, r);
    if (!r->abort)
        f5_cookie(c, r);
}

/* A zero-trust gateway that turns every error into 200: the feilian-agw answers
 * /autodiscover/autodiscover.xml with JSON and /powershell/ with "200 Content-Length: 0", "a trap
 * for status-only checks" (RD §6.6); its Exchange still shows X-OWA-Version (RD §1.2: 15.2.1748.x,
 * 15.1.2308.27 behind it). Headers pass through; the body and WWW-Authenticate do not. */
static void waf_gateway(const lab_ctx *c, lab_resp *r)
{
    lab_exchange_handle(c, r);
    if (r->abort || r->status < 400)
        return;
    lab_resp_status(r, 200, "OK");
    lab_resp_remove_header(r, "WWW-Authenticate");
    lab_resp_remove_header(r, "Content-Type");
    ex_buf_reset(&r->body);
    if (path_under(c, "/autodiscover")) {
        lab_resp_header(r, "Content-Type", "application/json");
        lab_resp_bodyf(r, "{}");
    }
}

static void exchange(const lab_ctx *c, lab_resp *r)
{
    unsigned f = c->host->persona->flags;
    if (f & LAB_F_WAF_F5)
        waf_f5(c, r);
    else if (f & LAB_F_WAF_GW)
        waf_gateway(c, r);
    else
        lab_exchange_handle(c, r);
}

/* ---- hostile servers ------------------------------------------------------------------------------- */

/* Endless headers: a status line and header lines for as long as the client reads (server.c
 * streams them; memory stays one buffer). */
static void endless_headers(const lab_ctx *c, lab_resp *r)
{
    lab_iis_headers(c, r);
    r->stream = LAB_STREAM_ENDLESS_HEADERS;
}

/* A 5 GiB body, generated as it is sent and stopped when the client goes. */
static void huge_body(const lab_ctx *c, lab_resp *r)
{
    lab_iis_headers(c, r);
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    r->stream = LAB_STREAM_HUGE_BODY;
    r->stream_len = 5ull << 30;
}

/* Malformed chunked encoding, one of four defects per host, then the connection closes. */
static void bad_chunked(const lab_ctx *c, lab_resp *r)
{
    static const char *const bodies[] = {
        "zz\r\n<html>\r\n0\r\n\r\n",                /* chunk size is not hex */
        "ffffffffffffffffffff\r\n<html><body>\r\n", /* chunk size overflows 64 bits */
        "10\r\n<html>\r\n0\r\n\r\n",                /* chunk shorter than its size, then EOF */
        "6\r\n<html>XXXX\r\n0\r\n\r\n",             /* no CRLF after the chunk data */
    };
    char date[64];
    lab_http_date(date, sizeof date);
    r->raw = true;
    r->close = true;
    lab_resp_bodyf(r,
                   "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nDate: %s\r\nContent-Type: text/html\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%s",
                   date, bodies[c->host->rnd % 4]);
}

/* / -> /owa/ -> logon.aspx -> /owa/ -> ...: a loop any redirect-following client must cut. */
static void redirect_loop(const lab_ctx *c, lab_resp *r)
{
    char loc[400];
    const char *host = lab_host_or_internal(c);
    lab_iis_headers(c, r);
    if (path_is(c, "/owa/") || path_is(c, "/owa"))
        snprintf(loc, sizeof loc, "https://%s/owa/auth/logon.aspx?url=https%%3a%%2f%%2f%s%%2fowa%%2f&reason=0", host,
                 host);
    else
        snprintf(loc, sizeof loc, "https://%s/owa/", host);
    lab_redirect(r, loc);
}

/* Part of an answer, then a TCP reset (SO_LINGER 0, server.c). */
static void reset_mid_response(const lab_ctx *c, lab_resp *r)
{
    lab_iis_headers(c, r);
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_bodyf(r, "<!DOCTYPE html>\r\n<html>\r\n<head>\r\n<!-- OwaPage = ASP.auth_logon_aspx -->\r\n");
    while (r->body.len < 40000)
        lab_resp_bodyf(r, "<!-- %06zu -->\r\n", r->body.len);
    r->truncate = 1500;
}

/* What a client that does complete a TLS 1.0 handshake sees: an Exchange 2010 SP3. */
static void old_tls(const lab_ctx *c, lab_resp *r)
{
    lab_exchange_handle(c, r);
}

static void never(const lab_ctx *c, lab_resp *r)
{
    (void)c;
    r->abort = true; /* tarpit and broken TLS never reach HTTP (server.c) */
}

static const lab_handler handlers[LAB_K_COUNT] = {
    [LAB_K_EXCHANGE] = exchange,
    [LAB_K_EXO] = exo,
    [LAB_K_HAVOC] = havoc,
    [LAB_K_TMG] = tmg,
    [LAB_K_IIS] = iis,
    [LAB_K_NGINX] = nginx,
    [LAB_K_TARPIT] = never,
    [LAB_K_ENDLESS_HEADERS] = endless_headers,
    [LAB_K_HUGE_BODY] = huge_body,
    [LAB_K_BAD_CHUNKED] = bad_chunked,
    [LAB_K_REDIRECT_LOOP] = redirect_loop,
    [LAB_K_BROKEN_TLS] = never,
    [LAB_K_OLD_TLS] = old_tls,
    [LAB_K_RESET] = reset_mid_response,
};

void lab_handle(const lab_ctx *c, lab_resp *r)
{
    lab_kind k = c->host->persona->kind;
    r->head_only = strcmp(c->req->method, "HEAD") == 0;
    if ((unsigned)k < LAB_K_COUNT && handlers[k])
        handlers[k](c, r);
    else
        never(c, r);
}
