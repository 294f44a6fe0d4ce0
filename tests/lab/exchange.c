/* exchange: what an on-premises Exchange server answers, endpoint by endpoint.
 *
 * Every behaviour cites its sample or source in ../shared/docs/remote-detection.md
 * ("RD") or logs-and-builds.md ("LB"). Where the notes are silent on a detail (a status
 * code nobody recorded, a body nobody kept) the comment says so and the lab keeps the
 * answer minimal, so that no scanner can come to rely on an invented marker.
 *
 * The signals a scanner can see, and where the lab puts them:
 *   V1 CU-level build in the logon page asset paths (/owa/auth/15.x.y/...); 4 parts on 2010;
 *   V2 X-OWA-Version with the exact build, only on some responses: never on the logon page 200
 *      nor on the /owa/ 302 (samples 02/03 of a real 2019 CU9), but on EWS, ActiveSync,
 *      Autodiscover 401s and /owa/service; stripped on CU-only and hidden personas;
 *   V3 the export-tool manifest, which carries the CU release build, not the SU (RD §1.3);
 *   V5 owaVer= in the errorfe redirect of a ProxyShell-vulnerable server (sample 05);
 *   V6 the MAPI page behind the ProxyShell SSRF (sample 06);
 *   V7 the NTLM type 2 (ntlm.c). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"

/* ---- small helpers ----------------------------------------------------------------------------- */

static const lab_persona *persona(const lab_ctx *c)
{
    return c->host->persona;
}
static bool is2010(const lab_ctx *c)
{
    return persona(c)->build->product == LAB_P2010;
}

static lab_status truth_of(const lab_ctx *c, const char *cve)
{
    return lab_build_truth(cve, &persona(c)->version);
}

static void fmt_version(const ex_version *v, char *buf, size_t n)
{
    ex_version_format(v, buf, n);
}

/* "15.1.2176" as in /owa/auth/15.1.2176/ (2013+), "14.3.496.0" as in /owa/14.3.496.0/ (2010). */
static void asset_version(const lab_ctx *c, char *buf, size_t n)
{
    ex_version v = persona(c)->cu_rtm;
    if (is2010(c))
        v = persona(c)->version;
    else
        v.revision = -1;
    fmt_version(&v, buf, n);
}

/* X-FEServer: NetBIOS name of the CAS front end, on redirects, 401s and proxied answers; not on
 * logon.aspx 200; absent on Exchange 2010 (RD §4, samples 01, 02, 05-07, 09, 10; 3gstudent). */
static void fe_server(const lab_ctx *c, lab_resp *r)
{
    if (is2010(c))
        return;
    lab_resp_header(r, (c->host->quirks & LAB_Q_LOWER_FESERVER) ? "x-feserver" : "X-FEServer", "%s", c->host->computer);
}

/* Is the exact build visible on this persona? */
static bool shows_build(const lab_ctx *c)
{
    return !is2010(c) && !(persona(c)->flags & (LAB_F_CUONLY | LAB_F_HIDDEN));
}

/* X-OWA-Version (V2, RD §1.2): full build; "x-owa-version" in lower case on some hosts
 * (wappalyzer #5329). CU-only hosts strip it; some leave it empty (righel 912587b). */
static void owa_version(const lab_ctx *c, lab_resp *r, bool allow_empty)
{
    const char *name = (c->host->quirks & LAB_Q_LOWER_XOWA) ? "x-owa-version" : "X-OWA-Version";
    if (shows_build(c)) {
        char v[EX_VERSION_STRLEN];
        fmt_version(&persona(c)->version, v, sizeof v);
        lab_resp_header(r, name, "%s", v);
    } else if (allow_empty && (persona(c)->flags & LAB_F_CUONLY) && (c->host->quirks & LAB_Q_EMPTY_XOWA)) {
        lab_resp_header(r, name, "%s", "");
    }
}

/* URL-encode the way OWA writes its url= parameter: lower-case hex (sample 02). */
static void owa_encode(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
            ch == '-' || ch == '_')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, n - o, "%%%02x", ch);
    }
    out[o] = '\0';
}

/* ---- authentication -------------------------------------------------------------------------------- */

enum { AUTH_NEGOTIATE = 1, AUTH_NTLM = 2, AUTH_BASIC = 4, AUTH_BEARER = 8 };

/* A 401 from IIS Windows authentication; an NTLM type 1 gets its type 2 (V7, ntlm.c). */
static void unauthorized(const lab_ctx *c, lab_resp *r, unsigned schemes)
{
    char value[2048];
    lab_resp_status(r, 401, "Unauthorized");
    if ((schemes & (AUTH_NEGOTIATE | AUTH_NTLM)) &&
        lab_ntlm_answer(c->host, c->req->authorization, value, sizeof value)) {
        lab_resp_header(r, "WWW-Authenticate", "%s", value);
    } else {
        if (schemes & AUTH_NEGOTIATE)
            lab_resp_header(r, "WWW-Authenticate", "Negotiate");
        if (schemes & AUTH_NTLM)
            lab_resp_header(r, "WWW-Authenticate", "NTLM");
        /* Basic realm leaks the host, or the internal IP without a Host header (RD §3.3
         * owa_iis_internal_ip, §4 "foofus.net trick"). */
        if (schemes & AUTH_BASIC)
            lab_resp_header(r, "WWW-Authenticate", "Basic realm=\"%s\"", lab_host_or_internal(c));
        /* Hybrid modern authentication on ActiveSync (samples 10a/10b: "Bearer 401"). */
        if (schemes & AUTH_BEARER)
            lab_resp_header(r, "WWW-Authenticate",
                            "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", "
                            "trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", "
                            "token_types=\"app_asserted_user_v1 service_asserted_app_v1\", "
                            "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"");
    }
    lab_resp_header(r, "Content-Type", "text/html");
    lab_resp_bodyf(r, "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                      "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html><head><title>401 - "
                      "Unauthorized: Access is denied due to invalid credentials.</title></head><body><h2>401 - "
                      "Unauthorized: Access is denied due to invalid credentials.</h2></body></html>\r\n");
}

/* ---- V1: the logon page ----------------------------------------------------------------------------- */

/* OWA 2013+ logon page (RD §1.1): the asset prefix /owa/auth/<CU>/ (sample 03: 15.2.858 on a
 * 2019 CU9), the markers `<!-- OwaPage = ASP.auth_logon_aspx -->`, the FBA GUID
 * {57A118C6-2DA9-419d-BE9A-F92B0F9A418B}, `function IsOwaPremiumBrowser` and the scripts
 * sentence (Metasploit target_running_exchange?); title "Outlook" on 2016/2019, "Outlook Web App"
 * on 2013 (sample 16), "Exchange Admin Center" when url= points at /ecp (sample 04). */
static void logon_page_2013(const lab_ctx *c, lab_resp *r, bool ecp)
{
    char av[EX_VERSION_STRLEN];
    asset_version(c, av, sizeof av);
    bool owa2013 = persona(c)->build->product == LAB_P2013;
    const char *title = ecp ? "Exchange Admin Center" : owa2013 ? "Outlook Web App" : "Outlook";
    const char *app = owa2013 ? "Outlook Web App" : "Outlook";
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_bodyf(
        r,
        "<!DOCTYPE html>\r\n<html>\r\n<head>\r\n"
        "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=10\" />\r\n"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
        "<meta name=\"robots\" content=\"noindex, nofollow\">\r\n"
        "<!-- OwaPage = ASP.auth_logon_aspx -->\r\n"
        "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\r\n"
        "<link rel=\"shortcut icon\" href=\"/owa/auth/%s/themes/resources/favicon.ico\" type=\"image/x-icon\">\r\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0, maximum-scale=1.0, "
        "user-scalable=no\">\r\n"
        "<title>%s</title>\r\n"
        "<link rel=\"stylesheet\" type=\"text/css\" href=\"/owa/auth/%s/themes/resources/logon.css\">\r\n"
        "<link rel=\"stylesheet\" type=\"text/css\" href=\"/owa/auth/%s/themes/resources/owafont_en.css\">\r\n"
        "<script type=\"text/javascript\" src=\"/owa/auth/%s/scripts/premium/flogon.js\"></script>\r\n"
        "<script type=\"text/javascript\">\r\n"
        "    var a_fRC = 1; var g_fFcs = 1; var a_fLOff = 0; var a_fCAC = 1; var a_fEnbSMm = 0;\r\n"
        "    function IsOwaPremiumBrowser()\r\n    {\r\n"
        "        var m = window.navigator.userAgent.match(/MSIE (\\d+)/);\r\n"
        "        return !m || parseInt(m[1], 10) >= 10;\r\n    }\r\n"
        "</script>\r\n</head>\r\n"
        "<body class=\"signInBg\" style=\"background: #f2f2f2 url('/owa/auth/%s/themes/resources/bg_gradient.jpg') "
        "repeat-x\">\r\n"
        "<noscript>\r\n<div id=\"dvErr\">\r\n<table cellpadding=\"0\" cellspacing=\"0\"><tr><td>"
        "<div>To use %s, browser settings must allow scripts to run. For information about how to allow "
        "scripts, consult the Help for your browser. If your browser doesn't support scripts, you can download "
        "<a href=\"http://www.microsoft.com/windows/ie/downloads/default.mspx\">Windows Internet Explorer</a> "
        "for access to %s.</div></td></tr></table>\r\n</div>\r\n</noscript>\r\n"
        "<form action=\"/owa/auth.owa\" method=\"POST\" name=\"logonForm\" "
        "ENCTYPE=\"application/x-www-form-urlencoded\" "
        "autocomplete=\"off\">\r\n"
        "<input type=\"hidden\" name=\"destination\" value=\"https://%s/%s/\">\r\n"
        "<input type=\"hidden\" name=\"flags\" value=\"4\">\r\n"
        "<input type=\"hidden\" name=\"forcedownlevel\" value=\"0\">\r\n"
        "<div id=\"mainLogonDiv\" class=\"mouse\">\r\n"
        "<div class=\"sidebar\"><div class=\"owaLogoContainer\"><img "
        "src=\"/owa/auth/%s/themes/resources/owa_text_blue.png\" "
        "class=\"owaLogo\" aria-hidden=\"true\"></div></div>\r\n"
        "<div class=\"logonDiv\"><div class=\"signInInputLabel\" id=\"userNameLabel\">Domain\\user name:</div>\r\n"
        "<div><input id=\"username\" name=\"username\" class=\"signInInputText\" role=\"textbox\"></div>\r\n"
        "<div class=\"signInInputLabel\" id=\"passwordLabel\">Password:</div>\r\n"
        "<div><input id=\"password\" onfocus=\"g_fFcs=0\" name=\"password\" value=\"\" type=\"password\" "
        "class=\"signInInputText\"></div>\r\n"
        "<div class=\"signInEnter\"><div onclick=\"clkLgn()\" class=\"signinbutton\" role=\"button\" tabIndex=\"0\">"
        "<span class=\"signinTxt\">sign in</span></div></div>\r\n"
        "</div></div>\r\n<input name=\"isUtf8\" value=\"1\" type=\"hidden\"/>\r\n</form>\r\n</body>\r\n</html>\r\n",
        av, title, av, av, av, av, app, app, lab_host_or_internal(c), ecp ? "ecp" : "owa", av);
}

/* OWA 2010 logon page: the full 4-part build in the asset paths, /owa/14.3.123.3/themes/... (RD §1.1:
 * a copied 2010 SP3 page, WhatWeb outlook-web-app.rb), form posting to owaauth.dll, the FBA GUID. */
static void logon_page_2010(const lab_ctx *c, lab_resp *r, bool ecp)
{
    char av[EX_VERSION_STRLEN];
    asset_version(c, av, sizeof av);
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_bodyf(
        r,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\r\n"
        "<!-- Copyright (c) 2006 Microsoft Corporation.  All rights reserved. -->\r\n"
        "<!-- OwaPage = ASP.auth_logon_aspx -->\r\n"
        "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\r\n"
        "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; CHARSET=utf-8\">\r\n"
        "<meta name=\"Robots\" content=\"NOINDEX, NOFOLLOW\">\r\n"
        "<title>%s</title>\r\n"
        "<link type=\"text/css\" rel=\"stylesheet\" href=\"/owa/%s/themes/resources/logon.css\">\r\n"
        "<link type=\"text/css\" rel=\"stylesheet\" href=\"/owa/%s/themes/resources/owafont_en.css\">\r\n"
        "<link rel=\"shortcut icon\" href=\"/owa/%s/themes/resources/favicon.ico\" type=\"image/x-icon\">\r\n"
        "<script type=\"text/javascript\" src=\"/owa/%s/scripts/premium/flogon.js\"></script>\r\n"
        "<script type=\"text/javascript\">\r\n"
        "    var a_fRC = 1; var g_fFcs = 1; var a_fLOff = 0; var a_fCAC = 1;\r\n"
        "    function IsOwaPremiumBrowser() { return true; }\r\n"
        "</script>\r\n</head>\r\n<body class=\"owaLgnBdy\">\r\n"
        "<noscript><div id=\"dvErr\"><table cellpadding=\"0\" cellspacing=\"0\"><tr><td><img "
        "src=\"/owa/%s/themes/base/warn.png\" alt=\"\"></td><td style=\"width:100%%\">To use Outlook Web App, "
        "browser settings must allow scripts to run. For information about how to allow scripts, consult the Help "
        "for your browser.</td></tr></table></div></noscript>\r\n"
        "<form action=\"/owa/auth/owaauth.dll\" method=\"POST\" name=\"logonForm\" autocomplete=\"off\">\r\n"
        "<input type=\"hidden\" name=\"destination\" value=\"https://%s/%s/\">\r\n"
        "<input type=\"hidden\" name=\"flags\" value=\"4\">\r\n"
        "<input type=\"hidden\" name=\"forcedownlevel\" value=\"0\">\r\n"
        "<table id=\"tblMain\" cellpadding=\"0\" cellspacing=\"0\"><tr><td><img "
        "src=\"/owa/%s/themes/base/lgntopl.gif\" alt=\"\"></td></tr>\r\n"
        "<tr><td><label for=\"username\">Domain\\user name:</label></td><td><input id=\"username\" "
        "name=\"username\" type=\"text\" class=\"txt\"></td></tr>\r\n"
        "<tr><td><label for=\"password\">Password:</label></td><td><input id=\"password\" name=\"password\" "
        "type=\"password\" class=\"txt\"></td></tr>\r\n"
        "<tr><td><input type=\"submit\" class=\"btn\" value=\"Sign in\"></td></tr></table>\r\n"
        "</form>\r\n</body>\r\n</html>\r\n",
        ecp ? "Exchange Control Panel" : "Outlook Web App", av, av, av, av, av, lab_host_or_internal(c),
        ecp ? "ecp" : "owa", av);
}

static void logon_page(const lab_ctx *c, lab_resp *r)
{
    /* Neither X-OWA-Version nor X-FEServer on the logon page 200 (samples 03/04, RD §1.2, §4). */
    bool ecp = ex_strcasestr_n(c->req->query, strlen(c->req->query), "%2fecp") ||
               ex_strcasestr_n(c->req->query, strlen(c->req->query), "/ecp");
    lab_resp_header(r, "Cache-Control", "no-cache, no-store");
    lab_resp_header(r, "Pragma", "no-cache");
    lab_resp_header(r, "X-Frame-Options", "SAMEORIGIN");
    if (is2010(c))
        logon_page_2010(c, r, ecp);
    else
        logon_page_2013(c, r, ecp);
}

/* /owa/ -> 302 to the logon page with url= (sample 02); X-FEServer but no X-OWA-Version on the real
 * CU9, while ExchangeFinder expects X-OWA-Version there (RD §1.2): a per-host quirk. 2010 adds
 * replaceCurrent=1 (nuclei exposed-panel form). */
static void owa_redirect(const lab_ctx *c, lab_resp *r, const char *app)
{
    char enc[600], loc[900], url[320];
    snprintf(url, sizeof url, "https://%s/%s/", lab_host_or_internal(c), app);
    owa_encode(url, enc, sizeof enc);
    snprintf(loc, sizeof loc, "https://%s/owa/auth/logon.aspx?%surl=%s&reason=0", lab_host_or_internal(c),
             is2010(c) ? "replaceCurrent=1&" : "", enc);
    lab_redirect(r, loc);
    fe_server(c, r);
    if (c->host->quirks & LAB_Q_XOWA_ON_302)
        owa_version(c, r, false);
}

/* GET / -> 302 https://<host>/owa/ (sample 01; cert-lv "HEAD / must redirect exactly to
 * https://<ip>/owa/"). Without a Host header the internal address leaks (sample 01,
 * nuclei iis-internal-ip-disclosure). */
static void root_redirect(const lab_ctx *c, lab_resp *r)
{
    char loc[320];
    snprintf(loc, sizeof loc, "https://%s/owa/", lab_host_or_internal(c));
    lab_redirect(r, loc);
    fe_server(c, r);
}

/* Static files under the asset prefix. The real favicon bytes (Shodan hash 1768726119, V9) are
 * not reproduced: the lab serves a small placeholder icon and says so in docs/lab.md. */
static void asset(const lab_ctx *c, lab_resp *r, const char *rest)
{
    static const unsigned char ico[] = {0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0, 48, 0, 0, 0, 22, 0, 0, 0};
    if (strcmp(rest, "themes/resources/favicon.ico") == 0) {
        lab_resp_header(r, "Content-Type", "image/x-icon");
        lab_resp_body(r, (const char *)ico, sizeof ico);
    } else if (strcmp(rest, "themes/resources/logon.css") == 0) {
        lab_resp_header(r, "Content-Type", "text/css");
        lab_resp_bodyf(r, ".signInBg { background-color: #f2f2f2; }\r\n.signInInputText { width: 100%%; }\r\n");
    } else {
        lab_iis_404(c, r);
    }
}

/* ---- V3/V4: the export-tool manifest ------------------------------------------------------------------ */

/* Real responses are 15.8-16.5 KB with three assemblyIdentity elements carrying the same version:
 * the .application identity (xmlns= before name=), the exporttool dependency, and an as:-prefixed
 * copy in the signature; publicKeyToken differs per server (samples 12-14, RD §1.3). The version is
 * a CU release build (15.1.2375.7 = 2016 CU22, 15.2.721.2 = 2019 CU7): the lab writes the CU's
 * release build whatever SU is installed, so a scanner that reads it as the exact build is wrong. */
static void filler_b64(lab_resp *r, uint64_t *s, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[80];
    while (n) {
        size_t k = n < 76 ? n : 76;
        for (size_t i = 0; i < k; i++) {
            *s = lab_mix64(*s);
            line[i] = b64[*s & 63];
        }
        lab_resp_body(r, line, k);
        n -= k;
    }
}

static void exporttool_manifest(const lab_ctx *c, lab_resp *r)
{
    char v[EX_VERSION_STRLEN];
    fmt_version(&persona(c)->cu_rtm, v, sizeof v);
    const char *tok = c->host->pubkey_token;
    uint64_t s = c->host->rnd ^ 0xe4907ull;
    lab_resp_header(r, "Content-Type", "application/x-ms-application");
    lab_resp_header(r, "Last-Modified", "Tue, 15 Dec 2020 10:21:32 GMT");
    lab_resp_header(r, "Accept-Ranges", "bytes");
    lab_resp_header(r, "ETag", "\"%08llx5d2d71:0\"", (unsigned long long)(c->host->rnd & 0xffffffffu));
    lab_resp_bodyf(
        r,
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
        "<asmv1:assembly xsi:schemaLocation=\"urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd\" "
        "manifestVersion=\"1.0\" xmlns:asmv1=\"urn:schemas-microsoft-com:asm.v1\" "
        "xmlns=\"urn:schemas-microsoft-com:asm.v2\" xmlns:asmv2=\"urn:schemas-microsoft-com:asm.v2\" "
        "xmlns:xrml=\"urn:mpeg:mpeg21:2003:01-REL-R-NS\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xmlns:asmv3=\"urn:schemas-microsoft-com:asm.v3\" xmlns:dsig=\"http://www.w3.org/2000/09/xmldsig#\" "
        "xmlns:co.v1=\"urn:schemas-microsoft-com:clickonce.v1\" "
        "xmlns:co.v2=\"urn:schemas-microsoft-com:clickonce.v2\">\r\n"
        "  <assemblyIdentity xmlns=\"urn:schemas-microsoft-com:asm.v1\" "
        "name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"%s\" "
        "publicKeyToken=\"%s\" language=\"neutral\" processorArchitecture=\"msil\" />\r\n"
        "  <description asmv2:publisher=\"Microsoft Corporation\" co.v1:suiteName=\"Microsoft Exchange\" "
        "asmv2:product=\"Microsoft Exchange Server eDiscovery Export Tool\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" "
        "/>\r\n"
        "  <deployment install=\"false\" trustURLParameters=\"true\" mapFileExtensions=\"true\" "
        "co.v1:createDesktopShortcut=\"false\">\r\n    <deploymentProvider codebase=\"\" />\r\n  </deployment>\r\n"
        "  <compatibleFrameworks xmlns=\"urn:schemas-microsoft-com:clickonce.v2\">\r\n"
        "    <framework targetVersion=\"4.5\" profile=\"Full\" supportedRuntime=\"4.0.30319\" />\r\n"
        "  </compatibleFrameworks>\r\n  <dependency>\r\n"
        "    <dependentAssembly dependencyType=\"install\" "
        "codebase=\"%s\\microsoft.exchange.ediscovery.exporttool.exe.manifest\" size=\"%u\">\r\n"
        "      <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool\" version=\"%s\" "
        "publicKeyToken=\"%s\" language=\"neutral\" processorArchitecture=\"msil\" type=\"win32\" />\r\n"
        "      <hash>\r\n        <dsig:Transforms>\r\n"
        "          <dsig:Transform Algorithm=\"urn:schemas-microsoft-com:HashTransforms.Identity\" />\r\n"
        "        </dsig:Transforms>\r\n"
        "        <dsig:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha256\" />\r\n"
        "        <dsig:DigestValue>",
        v, tok, v, 18000u + (unsigned)(c->host->rnd % 4000), v, tok);
    filler_b64(r, &s, 43);
    lab_resp_bodyf(r, "=</dsig:DigestValue>\r\n      </hash>\r\n    </dependentAssembly>\r\n  </dependency>\r\n"
                      "<publisherIdentity name=\"CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, "
                      "S=Washington, C=US\" issuerKeyHash=\"");
    filler_b64(r, &s, 40);
    lab_resp_bodyf(r, "\" /><Signature Id=\"StrongNameSignature\" xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"
                      "<SignedInfo><CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\" />"
                      "<SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha256\" />"
                      "<Reference URI=\"\"><DigestValue>");
    filler_b64(r, &s, 43);
    lab_resp_bodyf(r, "=</DigestValue></Reference></SignedInfo><SignatureValue>");
    filler_b64(r, &s, 344);
    lab_resp_bodyf(r, "</SignatureValue><KeyInfo Id=\"StrongNameKeyInfo\"><KeyValue><RSAKeyValue><Modulus>");
    filler_b64(r, &s, 344);
    lab_resp_bodyf(r, "</Modulus><Exponent>AQAB</Exponent></RSAKeyValue></KeyValue><msrel:RelData "
                      "xmlns:msrel=\"http://schemas.microsoft.com/windows/rel/2005/reldata\"><r:license "
                      "xmlns:r=\"urn:mpeg:mpeg21:2003:01-REL-R-NS\" "
                      "xmlns:as=\"http://schemas.microsoft.com/windows/pki/2005/Authenticode\">"
                      "<r:grant><as:ManifestInformation Hash=\"");
    filler_b64(r, &s, 64);
    lab_resp_bodyf(r,
                   "\" Description=\"\" Url=\"\"><as:assemblyIdentity "
                   "name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"%s\" publicKeyToken=\"%s\" "
                   "language=\"neutral\" processorArchitecture=\"msil\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />"
                   "</as:ManifestInformation><as:SignedBy /><as:AuthenticodePublisher><as:X509SubjectName>CN=Microsoft "
                   "Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US</as:X509SubjectName>"
                   "</as:AuthenticodePublisher></r:grant><r:issuer><Signature Id=\"AuthenticodeSignature\" "
                   "xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignatureValue>",
                   v, tok);
    filler_b64(r, &s, 344);
    lab_resp_bodyf(r, "</SignatureValue><KeyInfo><X509Data>\r\n");
    for (int cert = 0; cert < 5; cert++) {
        lab_resp_bodyf(r, "<X509Certificate>");
        filler_b64(r, &s, 2200);
        lab_resp_bodyf(r, "</X509Certificate>\r\n");
    }
    lab_resp_bodyf(r, "</X509Data></KeyInfo></Signature></r:issuer></r:license></msrel:RelData></KeyInfo>"
                      "</Signature>\r\n</asmv1:assembly>");
}

/* ---- V2 carriers: 401s of the web services ----------------------------------------------------------- */

/* EWS: 401 with Negotiate/NTLM, X-OWA-Version (owa_info, 3gstudent read it here) and X-FEServer
 * (3gstudent: its absence means 2010 or older). RD §1.2, §3.4. */
static void ews(const lab_ctx *c, lab_resp *r)
{
    unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM | ((c->host->quirks & LAB_Q_BASIC_REALM) ? AUTH_BASIC : 0));
    fe_server(c, r);
    owa_version(c, r, true);
}

/* ActiveSync: Basic (realm = host or internal IP), Bearer on modern builds, X-OWA-Version
 * (samples 10a/10b: 15.2.1544.11 on a Bearer 401). */
static void activesync(const lab_ctx *c, lab_resp *r)
{
    bool modern = persona(c)->version.minor >= 2 && persona(c)->version.build >= 1544;
    unauthorized(c, r, AUTH_BASIC | (modern ? AUTH_BEARER : 0));
    fe_server(c, r);
    owa_version(c, r, false);
}

/* Autodiscover.xml: 401 with x-soap-enabled, x-wssecurity-enabled, x-oauth-enabled,
 * x-wssecurity-for (sample 08, nikto), and X-OWA-Version (stbuehler reads it here). */
static void autodiscover_xml(const lab_ctx *c, lab_resp *r)
{
    unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM | AUTH_BASIC);
    fe_server(c, r);
    if (!is2010(c)) {
        lab_resp_header(r, "x-soap-enabled", "True");
        lab_resp_header(r, "x-wssecurity-enabled", "True");
        lab_resp_header(r, "x-wssecurity-for", "None");
        lab_resp_header(r, "x-oauth-enabled", "True");
    }
    owa_version(c, r, false);
}

/* /owa/service: Metasploit exchange_get_version reads X-OWA-Version here (RD §3.3). The status of
 * an unauthenticated request is not in the notes; the lab answers 401. */
static void owa_service(const lab_ctx *c, lab_resp *r)
{
    unauthorized(c, r, 0);
    fe_server(c, r);
    owa_version(c, r, false);
}

static void rpc(const lab_ctx *c, lab_resp *r)
{
    /* Outlook Anywhere: NTLM type 2 via RPC_IN_DATA /rpc/rpcproxy.dll (Metasploit request_fqdn) or
     * GET /rpc/ with Negotiate (owa_info). */
    unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM | AUTH_BASIC);
    fe_server(c, r);
}

static void windows_auth(const lab_ctx *c, lab_resp *r)
{
    unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM);
    fe_server(c, r);
}

static void powershell(const lab_ctx *c, lab_resp *r)
{
    unauthorized(c, r, AUTH_NEGOTIATE); /* remote PowerShell is Kerberos-only from outside */
    fe_server(c, r);
}

/* ---- behavioural probes ------------------------------------------------------------------------------- */

/* The backend a proxied request lands on. */
static void backend_headers(const lab_ctx *c, lab_resp *r)
{
    lab_resp_header(r, "X-CalculatedBETarget", "%s", c->host->fqdn);
    lab_resp_header(r, "X-BEServer", "%s", c->host->computer);
    fe_server(c, r);
}

/* Extract the host of "X-AnonResource-Backend=<host>/..." or "X-BEResource=<host>/...~..." */
static bool proxylogon_target(const lab_req *req, char *out, size_t n)
{
    static const char *const keys[] = {"X-AnonResource-Backend=", "X-BEResource="};
    if (!lab_cookie_has(req, "X-AnonResource=true") && !lab_cookie_has(req, "X-BEResource="))
        return false;
    for (size_t k = 0; k < 2; k++) {
        const char *p = ex_strcasestr_n(req->cookie, strlen(req->cookie), keys[k]);
        if (!p)
            continue;
        p += strlen(keys[k]);
        size_t len = strcspn(p, "/;~ ");
        if (!len || p[len] != '/' || len >= n)
            continue;
        memcpy(out, p, len);
        out[len] = '\0';
        return true;
    }
    return false;
}

/* ProxyLogon (CVE-2021-26855, RD §2.1, LB §4): the front end proxies an anonymous resource request
 * to the host named in the cookie and says so in X-CalculatedBETarget (final Microsoft NSE: vulnerable
 * when it contains "localhost", any status). 2016/2019 answer 500 with NegotiateSecurityContext in
 * the body (first NSE); 2013 lacks that body (CSS-Exchange #107 false negatives, PR #114); some answer
 * with a redirect (447396bda "Fixed check for http redirects"). The lab never connects anywhere. */
static bool proxylogon(const lab_ctx *c, lab_resp *r)
{
    const char *path = c->req->path_lc;
    char target[256];
    if (strncmp(path, "/owa/auth/", 10) != 0 && strncmp(path, "/ecp/", 5) != 0)
        return false;
    if (truth_of(c, "CVE-2021-26855") != LAB_S_VULNERABLE || !proxylogon_target(c->req, target, sizeof target))
        return false;
    if (c->host->quirks & LAB_Q_PL_REDIRECT) {
        char url[320], enc[600], loc[900];
        snprintf(url, sizeof url, "https://%s/owa/", lab_host_or_internal(c));
        owa_encode(url, enc, sizeof enc);
        snprintf(loc, sizeof loc, "https://%s/owa/auth/logon.aspx?url=%s&reason=0", lab_host_or_internal(c), enc);
        lab_redirect(r, loc);
    } else {
        lab_resp_status(r, 500, "Internal Server Error");
        lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
        if (persona(c)->build->product == LAB_P2013)
            lab_resp_bodyf(r, "<html><head><title>Runtime Error</title></head><body><h2>Server Error in '/owa' "
                              "Application.</h2></body></html>\r\n");
        else
            lab_resp_bodyf(r,
                           "<html><head><title>Server Error</title></head><body>NegotiateSecurityContext failed "
                           "with for host '%s' with status 'TargetUnknown'</body></html>\r\n",
                           target);
    }
    lab_resp_header(r, "X-CalculatedBETarget", "%s", target);
    fe_server(c, r);
    return true;
}

/* The SSRF of ProxyShell: the front end strips "autodiscover/autodiscover.json?<email>" when the
 * Email parameter (nuclei, GossiTheDog) or the Email cookie (Metasploit) names autodiscover.json, and
 * proxies the rest of the URL as SYSTEM (RD §2.2). Returns the backend path or NULL. */
static const char *proxyshell_backend(const lab_req *req, char *decoded, size_t n)
{
    lab_url_decode(req->query, decoded, n);
    bool marker = ex_strcasestr_n(decoded, strlen(decoded), "Email=autodiscover/autodiscover.json") ||
                  ex_strcasestr_n(req->cookie, strlen(req->cookie), "Email=Autodiscover/autodiscover.json");
    if (!marker)
        return NULL;
    const char *slash = strchr(decoded, '/');
    return slash;
}

/* Vulnerable answers: the errorfe redirect of sample 05 (a relative Location) and the MAPI page of sample 06, both with
 * the component build (V5/V6) and the emptied X-BackEndCookie. */
static void proxyshell_owa(const lab_ctx *c, lab_resp *r)
{
    char cv[EX_VERSION_STRLEN], loc[900];
    fmt_version(&persona(c)->component, cv, sizeof cv);
    snprintf(loc, sizeof loc,
             "/owa/auth/errorfe.aspx?httpCode=500&msgParam=NT+AUTHORITY%%5cSYSTEM"
             "&owaError=Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException&owaVer=%s&be=%s"
             "&ts=%llu&fe=%s&reason=0&forest=%s",
             cv, c->host->computer, (unsigned long long)(132600000000000000ull + (c->host->rnd % 1000000000ull)),
             c->host->computer, c->host->dns_domain);
    lab_redirect(r, loc);
    lab_resp_header(r, "X-Owa-Error", "Microsoft.Exchange.Clients.Owa2.Server.Core.OwaADUserNotFoundException");
    lab_resp_header(r, "X-OWA-DiagnosticsInfo", "0;0;0");
    lab_resp_header(r, "X-OwaSuppLevel", "0");
    lab_resp_header(r, "Set-Cookie",
                    "ClientId=%016llX; expires=Sat, 01-Jan-2039 00:00:00 GMT; path=/; secure; HttpOnly",
                    (unsigned long long)c->host->rnd);
    lab_resp_header(r, "Set-Cookie",
                    "X-BackEndCookie=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/autodiscover; "
                    "secure; HttpOnly");
    backend_headers(c, r);
    owa_version(c, r, false);
}

static void proxyshell_mapi(const lab_ctx *c, lab_resp *r)
{
    char cv[EX_VERSION_STRLEN], cl[EX_VERSION_STRLEN];
    fmt_version(&persona(c)->component, cv, sizeof cv);
    ex_version_format_long(&persona(c)->component, cl, sizeof cl);
    lab_resp_header(r, "Content-Type", "text/html");
    lab_resp_header(r, "X-ServerApplication", "Exchange/%s", cl);
    lab_resp_header(r, "Set-Cookie",
                    "X-BackEndCookie=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/autodiscover; "
                    "secure; HttpOnly");
    backend_headers(c, r);
    lab_resp_bodyf(r,
                   "<html><head><title>Exchange MAPI/HTTP Connectivity Endpoint</title></head><body><p>Exchange "
                   "MAPI/HTTP Connectivity Endpoint<br><br>Version: %s<br>Vdir Path: /mapi/nspi/<br><br></p><p><b>User:"
                   "</b> NT AUTHORITY\\SYSTEM<br><b>UPN:</b> <br><b>SID:</b> S-1-5-18<br><b>Organization:</b> <br>"
                   "<b>Authentication:</b> Kerberos<br><b>PUID:</b> <br><b>TenantGuid:</b> <br></p><p><b>Cafe:</b> %s"
                   "<br><b>Mailbox:</b> %s<br></p></body></html>\r\n",
                   cv, c->host->fqdn, c->host->fqdn);
}

/* Autodiscover.json: the ProxyShell probes (RD §2.2) and the ProxyNotShell URL (§2.4). */
static void autodiscover_json(const lab_ctx *c, lab_resp *r)
{
    char decoded[LAB_MAX_TARGET];
    const char *backend = proxyshell_backend(c->req, decoded, sizeof decoded);
    if (backend && truth_of(c, "CVE-2021-34473") == LAB_S_VULNERABLE) {
        char lc[64];
        size_t i = 0;
        for (; backend[i] && i + 1 < sizeof lc; i++)
            lc[i] = (char)(backend[i] >= 'A' && backend[i] <= 'Z' ? backend[i] + 32 : backend[i]);
        lc[i] = '\0';
        if (strncmp(lc, "/owa", 4) == 0)
            proxyshell_owa(c, r);
        else if (strncmp(lc, "/mapi/nspi", 10) == 0)
            proxyshell_mapi(c, r);
        else if (strncmp(lc, "/powershell", 11) == 0)
            unauthorized(c, r, 0), backend_headers(c, r), owa_version(c, r, false);
        else
            lab_iis_404(c, r), backend_headers(c, r);
        return;
    }
    if (backend) {
        /* Fixed servers: GossiTheDog's "400 -> Not vulnerable"; "I get a 401 on every Exchange 2016"
         * (GossiTheDog #11). Both carry the front end's headers and the version (sample 09). */
        if (c->host->quirks & LAB_Q_PS_401) {
            unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM);
        } else {
            lab_resp_status(r, 400, "Bad Request");
            lab_resp_header(r, "Content-Type", "application/json; charset=utf-8");
            lab_resp_bodyf(r, "{\"ErrorCode\":\"InvalidRequest\",\"ErrorMessage\":\"The request is invalid.\"}");
        }
        fe_server(c, r);
        owa_version(c, r, false);
        return;
    }
    /* Anything else, e.g. autodiscover.json?@zdi/PowerShell: 401 with full headers and
     * X-OWA-Version (sample 09: 15.2.986.14). */
    unauthorized(c, r, AUTH_NEGOTIATE | AUTH_NTLM | AUTH_BASIC);
    fe_server(c, r);
    owa_version(c, r, false);
}

/* ProxyToken (CVE-2021-33766, RD §2.3, nuclei CVE-2021-33766.yaml): a delegated request with a
 * SecurityToken cookie reaches the backend ECP unauthenticated. The vulnerable answer is a 403 whose
 * body holds <span id="msgCode">403</span> and `function signOut() {`, and whose headers hold
 * Microsoft.Exchange.Data.Storage.ObjectNotFoundException and X-BEResource=. The header names that
 * carry them are not in the notes: the lab uses X-ECP-ERROR and the Set-Cookie. */
static bool proxytoken(const lab_ctx *c, lab_resp *r)
{
    const char *p = c->req->path_lc;
    if (strncmp(p, "/ecp/", 5) != 0 || !strchr(p + 5, '@') || !strstr(p, "/personalsettings/homepage.aspx") ||
        !lab_cookie_has(c->req, "SecurityToken="))
        return false;
    if (truth_of(c, "CVE-2021-33766") != LAB_S_VULNERABLE)
        return false;
    lab_resp_status(r, 403, "Forbidden");
    lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
    lab_resp_header(r, "X-ECP-ERROR", "Microsoft.Exchange.Data.Storage.ObjectNotFoundException");
    lab_resp_header(r, "Set-Cookie", "X-BEResource=%s~1942062522; path=/ecp; secure; HttpOnly", c->host->fqdn);
    backend_headers(c, r);
    lab_resp_bodyf(r,
                   "<!DOCTYPE html>\r\n<html><head><title>Error</title><script type=\"text/javascript\">\r\n"
                   "function signOut() {\r\n    window.location.href = '/owa/logoff.owa';\r\n}\r\n</script></head>\r\n"
                   "<body><div id=\"errorContent\"><span id=\"msgCode\">403</span><div class=\"msgText\">The "
                   "operation couldn't be performed because object couldn't be found.</div>"
                   "<a href=\"#\" onclick=\"signOut()\">sign out</a></div></body></html>\r\n");
    return true;
}

/* ---- routing ----------------------------------------------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* EOMT rules (LB §6.1, CSS-Exchange EOMT.ps1 lines 222-225, 784-796): abort when the cookie
 * matches (.*)X-AnonResource-Backend(.*) or (.*)X-BEResource=(.+)/(.+)~(.+), ignoring case. */
static bool eomt_aborts(const lab_req *req)
{
    if (lab_cookie_has(req, "X-AnonResource-Backend"))
        return true;
    const char *p = ex_strcasestr_n(req->cookie, strlen(req->cookie), "X-BEResource=");
    if (!p)
        return false;
    p += 13;
    const char *tilde = strrchr(p, '~');
    if (!tilde || !tilde[1])
        return false;
    /* (.+)/(.+)~: a '/' with at least one byte before it and one between it and the '~' */
    for (const char *s = p + 1; s + 1 < tilde; s++)
        if (*s == '/')
            return true;
    return false;
}

/* EOMTv2 / EEMS rule (LB §6.2, EOMTv2.ps1 lines 248, 512-514): (?=.*autodiscover)(?=.*powershell) on
 * {UrlDecode:{REQUEST_URI}}, ignoring case. */
static bool eomtv2_aborts(const lab_req *req)
{
    char decoded[LAB_MAX_TARGET];
    lab_url_decode(req->target, decoded, sizeof decoded);
    size_t n = strlen(decoded);
    return ex_strcasestr_n(decoded, n, "autodiscover") && ex_strcasestr_n(decoded, n, "powershell");
}

static void ecp(const lab_ctx *c, lab_resp *r)
{
    const char *p = c->req->path_lc;
    char prefix[64];
    char v[EX_VERSION_STRLEN];
    if (!is2010(c)) {
        if (strcmp(p, "/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application") == 0) {
            exporttool_manifest(c, r);
            return;
        }
        /* V4: /ecp/<build>/exporttool/ answers 200 for the folder that exists (Metasploit, righel). */
        fmt_version(&persona(c)->cu_rtm, v, sizeof v);
        snprintf(prefix, sizeof prefix, "/ecp/%s/exporttool/", v);
        if (strcmp(p, prefix) == 0) {
            lab_resp_header(r, "Content-Type", "text/html");
            return;
        }
        if (starts(p, prefix) &&
            strcmp(p + strlen(prefix), "microsoft.exchange.ediscovery.exporttool.application") == 0) {
            exporttool_manifest(c, r);
            return;
        }
        if (strstr(p, "/exporttool/")) {
            lab_iis_404(c, r);
            return;
        }
    }
    owa_redirect(c, r, "ecp"); /* unauthenticated ECP goes to the OWA logon page (sample 04) */
}

static void owa(const lab_ctx *c, lab_resp *r)
{
    const char *p = c->req->path_lc;
    char prefix[64], av[EX_VERSION_STRLEN];
    if (strcmp(p, "/owa") == 0 || strcmp(p, "/owa/") == 0) {
        owa_redirect(c, r, "owa");
        return;
    }
    if (strcmp(p, "/owa/auth/logon.aspx") == 0) {
        logon_page(c, r);
        return;
    }
    if (strcmp(p, "/owa/auth/errorfe.aspx") == 0) {
        lab_resp_header(r, "Content-Type", "text/html; charset=utf-8");
        lab_resp_bodyf(
            r, "<html><head><title>Outlook</title></head><body><div>Something went wrong</div></body></html>\r\n");
        return;
    }
    if (!is2010(c) && (strcmp(p, "/owa/service") == 0 || strcmp(p, "/owa/service.svc") == 0)) {
        owa_service(c, r);
        return;
    }
    asset_version(c, av, sizeof av);
    snprintf(prefix, sizeof prefix, is2010(c) ? "/owa/%s/" : "/owa/auth/%s/", av);
    if (starts(p, prefix)) {
        asset(c, r, p + strlen(prefix));
        return;
    }
    lab_iis_404(c, r);
}

typedef struct route {
    const char *path;
    bool prefix;
    bool since2013; /* not on Exchange 2010 */
    void (*fn)(const lab_ctx *c, lab_resp *r);
} route;

static const route routes[] = {
    {"/owa", true, false, owa},
    {"/ecp", true, false, ecp},
    {"/ews", true, false, ews},
    {"/autodiscover/autodiscover.json", false, true, autodiscover_json},
    {"/autodiscover", true, false, autodiscover_xml},
    {"/microsoft-server-activesync", true, false, activesync},
    {"/rpc", true, false, rpc},
    {"/mapi", true, true, windows_auth},
    {"/oab", true, false, windows_auth},
    {"/powershell", true, false, powershell},
};

static bool route_matches(const route *rt, const char *path)
{
    size_t n = strlen(rt->path);
    if (strncmp(path, rt->path, n) != 0)
        return false;
    return path[n] == '\0' || (rt->prefix && path[n] == '/');
}

void lab_exchange_handle(const lab_ctx *c, lab_resp *r)
{
    const lab_persona *p = persona(c);
    const char *path = c->req->path_lc;
    /* IIS URL Rewrite runs before the application: an aborted request gets no answer at all. */
    if (((p->flags & LAB_F_EOMT) && eomt_aborts(c->req)) || ((p->flags & LAB_F_EOMTV2) && eomtv2_aborts(c->req))) {
        r->abort = true;
        return;
    }
    lab_iis_headers(c, r);
    if ((p->flags & LAB_F_HIDDEN) && (starts(path, "/owa") || starts(path, "/ecp") || strcmp(path, "/") == 0)) {
        lab_iis_404(c, r);
        return;
    }
    if (!is2010(c) && (proxylogon(c, r) || proxytoken(c, r)))
        return;
    if (strcmp(path, "/") == 0) {
        root_redirect(c, r);
        return;
    }
    for (size_t i = 0; i < EX_ARRAY_LEN(routes); i++) {
        if (route_matches(&routes[i], path)) {
            if (routes[i].since2013 && is2010(c))
                break;
            routes[i].fn(c, r);
            return;
        }
    }
    lab_iis_404(c, r);
}
