/* fingerprint: recorded responses -> facts -> verdicts, without any network.
 * The responses reproduce what ../shared/docs/remote-detection.md (RD)
 * describes of the real samples; expected values come from there. */
#include "fingerprint.h"
#include "kb.h"
#include "t.h"
#include "util.h"

static ex_http_response resp(const char *endpoint, int status, const char *headers, const char *body)
{
    return (ex_http_response){.endpoint = endpoint,
                              .status = status,
                              .headers = headers,
                              .headers_len = headers ? strlen(headers) : 0,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
                              .error = ""};
}

/* Sample 03 shape: a 2019 CU9 logon page, no X-OWA-Version, no X-FEServer (RD §1.1). */
static const char LOGON_2019_CU9[] =
    "<!DOCTYPE html>\r\n<html><head>\r\n<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\r\n"
    "<!-- OwaPage = ASP.auth_logon_aspx -->\r\n<title>Outlook</title>\r\n"
    "<link rel=\"shortcut icon\" href=\"/owa/auth/15.2.858/themes/resources/favicon.ico\" type=\"image/x-icon\">\r\n"
    "<script>function IsOwaPremiumBrowser() {}</script></head></html>";

static ex_fp_result conclude(const ex_fp *fp)
{
    ex_fp_result r;
    ex_fp_conclude(fp, &r);
    return r;
}

TEST(owa_path_gives_the_cu_only)
{
    ex_version v;
    CHECK(ex_fp_owa_path_version(LOGON_2019_CU9, strlen(LOGON_2019_CU9), &v));
    CHECK_INT(v.major, 15);
    CHECK_INT(v.minor, 2);
    CHECK_INT(v.build, 858);
    CHECK_INT(v.revision, -1);
    /* Exchange 2010 SP3 copies carry four parts (RD §1.1: /owa/14.3.123.3/themes/resources/logon.css). */
    const char *e2010 = "<link href=\"/owa/14.3.123.3/themes/resources/logon.css\">";
    CHECK(ex_fp_owa_path_version(e2010, strlen(e2010), &v));
    CHECK_INT(v.revision, 3);
    /* nothing that merely mentions /owa/ */
    const char *none = "<a href=\"/owa/\">/owa/auth/logon.aspx</a> /owa/auth/x.y/";
    CHECK(!ex_fp_owa_path_version(none, strlen(none), &v));
}

TEST(logon_page_is_onprem_cu_only)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /owa/auth/logon.aspx", 200, "Server: Microsoft-IIS/10.0\r\n", LOGON_2019_CU9);
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_ONPREM);
    CHECK(res.have_version);
    CHECK_INT(res.source, EX_SRC_OWA_PATH);
    CHECK(!ex_fp_build_is_exact(&res));
    CHECK_CONTAINS(res.version_evidence, "GET /owa/auth/logon.aspx -> OWA asset path: 15.2.858");
}

TEST(x_owa_version_lowercase_gives_full_build)
{
    /* RD §1.2: wappalyzer#5329, "x-owa-version: 15.1.2242.12" in lower case; an empty value is ignored (righel
     * 912587b). */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response a =
        resp("GET /owa/", 302, "X-OWA-Version: \r\nX-FEServer: EXCH01\r\nLocation: /owa/auth/logon.aspx\r\n", "");
    ex_http_response b =
        resp("GET /EWS/Exchange.asmx", 401, "x-owa-version: 15.1.2242.12\r\nX-FEServer: EXCH01\r\n", "");
    ex_fp_observe(&fp, &a);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_ONPREM);
    CHECK(!res.have_version);
    ex_fp_observe(&fp, &b);
    res = conclude(&fp);
    CHECK(ex_fp_build_is_exact(&res));
    CHECK_INT(res.version.build, 2242);
    CHECK_INT(res.version.revision, 12);
    CHECK_STR(res.version_evidence, "GET /EWS/Exchange.asmx -> X-OWA-Version: 15.1.2242.12");
}

/* RD §1.3: three assemblyIdentity elements; the first has xmlns before name; CU-RTM-like values. */
static const char MANIFEST[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<asmv1:assembly xsi:schemaLocation=\"urn:schemas-microsoft-com:asm.v1 "
    "assembly.adaptive.xsd\" manifestVersion=\"1.0\">\n"
    "<assemblyIdentity xmlns=\"urn:schemas-microsoft-com:asm.v1\" "
    "name=\"microsoft.exchange.ediscovery.exporttool.application\" "
    "version=\"15.1.2375.7\" publicKeyToken=\"b1d1a6c45aa418ce\" language=\"neutral\" processorArchitecture=\"msil\" "
    "/>\n"
    "<dependency><dependentAssembly dependencyType=\"install\" "
    "codebase=\"microsoft.exchange.ediscovery.exporttool.exe.manifest\">"
    "<assemblyIdentity version=\"15.1.2375.7\" name=\"microsoft.exchange.ediscovery.exporttool\" "
    "publicKeyToken=\"b1d1a6c45aa418ce\" language=\"neutral\" processorArchitecture=\"msil\" type=\"win32\" />"
    "</dependentAssembly></dependency>\n<as:assemblyIdentity "
    "name=\"microsoft.exchange.ediscovery.exporttool.application\" "
    "version=\"15.1.2375.7\" />\n</asmv1:assembly>";

TEST(exporttool_manifest_is_taken_as_cu_only)
{
    ex_version v;
    CHECK(ex_fp_exporttool_version(MANIFEST, strlen(MANIFEST), &v));
    CHECK_INT(v.build, 2375);
    CHECK_INT(v.revision, 7);
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r =
        resp("GET /ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", 200, "", MANIFEST);
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_ONPREM);
    CHECK(res.have_version);
    CHECK_INT(res.version.revision, -1);
    CHECK_INT(res.source, EX_SRC_EXPORTTOOL);
    CHECK(!ex_fp_build_is_exact(&res));
    /* a manifest of another assembly only */
    const char *other = "<assemblyIdentity name=\"something.else\" version=\"1.2.3.4\"/>";
    CHECK(!ex_fp_exporttool_version(other, strlen(other), &v));
}

/* Sample 18/19 (RD §1.2, §4, §6.7): EXO back-end names. */
static const char EXO_HEADERS[] = "X-OWA-Version: 15.1.1240.20\r\nX-OWA-OWSVersion: V2017_06_15\r\n"
                                  "X-CalculatedBETarget: GV1P191MB2243.EURP191.PROD.OUTLOOK.COM\r\n"
                                  "X-BEServer: GV1P191MB2243\r\nServer: Microsoft-IIS/10.0\r\n";

TEST(exchange_online_markers_on_a_foreign_host_are_a_decoy)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_fp_set_host(&fp, "mail.contoso.example");
    ex_http_response r = resp("GET /owa/auth/logon.aspx", 200, EXO_HEADERS, "<html></html>");
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_DECOY);
    CHECK(!res.have_version); /* a decoy yields no build */
    CHECK_CONTAINS(res.reason, "not Microsoft's");
}

TEST(exchange_online_on_microsofts_host)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_fp_set_host(&fp, "outlook.office365.com");
    ex_http_response r = resp("GET /owa/", 200, EXO_HEADERS, "");
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_ONLINE);
    CHECK(!res.have_version); /* an EXO X-OWA-Version is not an on-prem build */
    CHECK(fp.exo_version_seen);
    /* The certificate can name Microsoft too. */
    ex_fp_init(&fp);
    fp.cert.seen = true;
    ex_strlcpy(fp.cert.sans[0], "*.outlook.com", sizeof fp.cert.sans[0]);
    fp.cert.nsans = 1;
    ex_fp_set_host(&fp, NULL);
    CHECK(fp.microsoft_host);
    /* a look-alike domain is not Microsoft's */
    ex_fp_set_host(&fp, "evil-outlook.com");
    fp.cert.nsans = 0;
    ex_fp_set_host(&fp, "evil-outlook.com");
    CHECK(!fp.microsoft_host);
}

TEST(redirect_to_microsoft_365_is_online)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r =
        resp("GET /owa/", 302, "Location: https://outlook.office365.com/owa/?realm=contoso.example\r\n", "");
    ex_fp_observe(&fp, &r);
    CHECK_INT(conclude(&fp).kind, EX_KIND_ONLINE);
}

TEST(tmg_page_alone_is_not_exchange)
{
    /* RD §1.1: the FBA GUID is shared with Forefront TMG/ISA; without OWA markers it is not Exchange's page
     * (what the gateway publishes stays unknown). */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r =
        resp("GET /owa/auth/logon.aspx", 200, "Server: Microsoft-IIS/7.5\r\n",
             "<html><!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} --><form action=\"/CookieAuth.dll?Logon\">");
    ex_fp_observe(&fp, &r);
    CHECK_INT(conclude(&fp).kind, EX_KIND_UNKNOWN_HOST);
    CHECK(!conclude(&fp).have_version);
}

TEST(conflicting_products_are_a_decoy)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response a = resp("GET /owa/auth/logon.aspx", 200, "", LOGON_2019_CU9);
    ex_http_response b = resp("GET /owa/", 302, "X-OWA-Version: 15.1.2507.6\r\n", "");
    ex_fp_observe(&fp, &a);
    ex_fp_observe(&fp, &b);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_DECOY);
    CHECK(!res.have_version);
}

TEST(no_answer_is_unknown)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = {.endpoint = "GET /owa/auth/logon.aspx", .fail = EX_FAIL_TIMEOUT, .error = "x"};
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_UNKNOWN_HOST);
    CHECK_CONTAINS(res.reason, "timeout");
}

TEST(proxylogon_readings)
{
    ex_fp fp;
    ex_fp_init(&fp);
    char ev[EX_FP_EVIDENCE];
    ex_http_response logon = resp("GET /owa/auth/logon.aspx", 200, "", LOGON_2019_CU9);
    ex_fp_observe(&fp, &logon);
    /* RD §2.1, final MS NSE: X-CalculatedBETarget naming localhost, any status */
    ex_http_response pos =
        resp("GET /owa/auth/x.js", 500, "X-CalculatedBETarget: localhost\r\nX-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_proxylogon(&fp, &pos, ev, sizeof ev), EX_PSTATE_POSITIVE);
    CHECK_CONTAINS(ev, "X-CalculatedBETarget: localhost");
    ex_http_response neg = resp("GET /owa/auth/x.js", 404, "X-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_proxylogon(&fp, &neg, ev, sizeof ev), EX_PSTATE_NEGATIVE);
    /* a 500 without the header is not proof (Metasploit's "any 500" is FP-prone, RD §3.3) */
    ex_http_response bare500 = resp("GET /owa/auth/x.js", 500, "Server: nginx\r\n", "");
    CHECK_INT(ex_fp_read_proxylogon(&fp, &bare500, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
    /* 401 is not negative (RD §6.4) */
    ex_http_response u401 = resp("GET /owa/auth/x.js", 401, "X-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_proxylogon(&fp, &u401, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
    /* behind a WAF nothing clean comes from Exchange */
    ex_strlcpy(fp.waf_id, "f5-asm", sizeof fp.waf_id);
    CHECK_INT(ex_fp_read_proxylogon(&fp, &neg, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
}

TEST(proxyshell_readings)
{
    ex_fp fp;
    ex_fp_init(&fp);
    char ev[EX_FP_EVIDENCE];
    /* sample 05: 302 to errorfe with OwaADUserNotFoundException and owaVer */
    ex_http_response s05 =
        resp("GET /autodiscover/autodiscover.json?@test.com/owa/", 302,
             "Location: /owa/auth/errorfe.aspx?httpCode=500&msgParam=NT+AUTHORITY%5cSYSTEM&owaError=Microsoft.Exchange."
             "Clients.Owa2.Server.Core.OwaADUserNotFoundException&owaVer=15.2.858.2&be=EXCH01&fe=EXCH01\r\nX-FEServer: "
             "EXCH01\r\n",
             "");
    CHECK_INT(ex_fp_read_proxyshell(&fp, &s05, ev, sizeof ev), EX_PSTATE_POSITIVE);
    ex_fp_observe(&fp, &s05);
    CHECK(fp.build[EX_SRC_OWAVER].seen);
    CHECK_INT(fp.build[EX_SRC_OWAVER].v.revision, 2);
    /* sample 06: the MAPI page, with X-ServerApplication */
    ex_http_response s06 = resp("GET /autodiscover/autodiscover.json?@test.com/mapi/nspi/", 200,
                                "X-ServerApplication: Exchange/15.02.0858.002\r\nX-FEServer: EXCH01\r\n",
                                "<html><head><title>Exchange MAPI/HTTP Connectivity Endpoint</title></head><body>"
                                "Version: 15.2.858.2<br>User: NT AUTHORITY\\SYSTEM</body></html>");
    CHECK_INT(ex_fp_read_proxyshell(&fp, &s06, ev, sizeof ev), EX_PSTATE_POSITIVE);
    ex_fp_observe(&fp, &s06);
    CHECK(fp.build[EX_SRC_SERVERAPP].seen);
    CHECK_INT(fp.build[EX_SRC_SERVERAPP].v.build, 858);
    /* Regression (lab): 15.2.858.2 is below CU9's first build 15.2.858.5 (RD §6.9: a component build),
     * so owaVer and X-ServerApplication name the CU only. */
    ex_fp_result res;
    ex_fp_conclude(&fp, &res);
    CHECK_INT(res.kind, EX_KIND_ONPREM);
    CHECK(res.have_version);
    CHECK_INT(res.version.revision, -1);
    CHECK(!ex_fp_build_is_exact(&res));
    CHECK_CONTAINS(res.version_evidence, "taken as CU only");
    ex_http_response s401 =
        resp("GET /autodiscover/autodiscover.json?@test.com/owa/", 401, "X-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_proxyshell(&fp, &s401, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
    ex_http_response s400 =
        resp("GET /autodiscover/autodiscover.json?@test.com/owa/", 400, "X-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_proxyshell(&fp, &s400, ev, sizeof ev), EX_PSTATE_NEGATIVE);
}

TEST(proxylogon_404_needs_published_owa)
{
    /* Regression (lab): a patched server answers the trigger with the IIS 404 of the OWA vdir (request-id,
     * RD §4). That is negative where OWA is published, and says nothing where it is not. */
    char ev[EX_FP_EVIDENCE];
    ex_http_response iis404 = resp("GET /owa/auth/x.js", 404, "Server: Microsoft-IIS/10.0\r\nrequest-id: 7f2c\r\n", "");
    ex_fp hidden;
    ex_fp_init(&hidden);
    ex_http_response ews = resp("GET /EWS/Exchange.asmx", 401, "X-FEServer: EXSRV08\r\n", "");
    ex_fp_observe(&hidden, &ews);
    CHECK_INT(ex_fp_read_proxylogon(&hidden, &iis404, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
    CHECK_CONTAINS(ev, "OWA is not published");
    ex_fp published;
    ex_fp_init(&published);
    ex_http_response logon = resp("GET /owa/auth/logon.aspx", 200, "", LOGON_2019_CU9);
    ex_fp_observe(&published, &logon);
    CHECK_INT(ex_fp_read_proxylogon(&published, &iis404, ev, sizeof ev), EX_PSTATE_NEGATIVE);
}

TEST(cut_responses_do_not_classify)
{
    /* Regression (lab): a logon page cut by a reset carries the OWA marker, yet nothing was answered. */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /owa/auth/logon.aspx", 200, "Server: Microsoft-IIS/10.0\r\n", LOGON_2019_CU9);
    r.fail = EX_FAIL_PROTOCOL;
    ex_fp_observe(&fp, &r);
    CHECK_INT(conclude(&fp).kind, EX_KIND_UNKNOWN_HOST);
}

TEST(tmg_logon_page_is_unknown_and_named)
{
    /* RD §1.1: the FBA GUID without OWA markers and without X-OWA-Version is ISA/TMG's page. */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /CookieAuth.dll?GetLogon?curl=Z2FowaZ2F&reason=0&formdir=3", 200, "",
                              "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} --><title>Outlook Web App</title>"
                              "<form action=\"/CookieAuth.dll?Logon\" method=\"POST\">");
    ex_fp_observe(&fp, &r);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_UNKNOWN_HOST);
    CHECK_STR(fp.waf_id, "tmg");
}

TEST(redirect_loop_is_named)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response a = resp("GET /owa/auth/logon.aspx", 302, "Location: https://192.0.2.7/owa/\r\n", "");
    ex_http_response b =
        resp("GET /owa/", 302, "Location: https://192.0.2.7/owa/auth/logon.aspx?url=x&reason=0\r\n", "");
    ex_fp_observe(&fp, &a);
    ex_fp_observe(&fp, &b);
    ex_fp_result res = conclude(&fp);
    CHECK_INT(res.kind, EX_KIND_UNKNOWN_HOST);
    CHECK_CONTAINS(res.reason, "redirect loop: /owa/ -> /owa/auth/logon.aspx -> /owa/");
}

TEST(gateway_answering_autodiscover_with_json)
{
    /* RD §6.6: a feilian-agw ZTNA gateway answers /autodiscover/autodiscover.xml with JSON. */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r =
        resp("GET /autodiscover/autodiscover.xml", 200, "Content-Type: application/json\r\nX-FEServer: EX05\r\n", "{}");
    ex_fp_observe(&fp, &r);
    CHECK_STR(fp.waf_id, "ztna-gateway");
    ex_http_response n = resp("GET /owa/auth/x.js", 404, "X-FEServer: EX05\r\n", "");
    CHECK(!ex_fp_clean_exchange_answer(&fp, &n)); /* answers behind a gateway are not Exchange's own */
}

TEST(abort_only_on_the_trigger_is_mitigation)
{
    char ev[EX_FP_EVIDENCE];
    ex_http_response trig = {.endpoint = "GET /owa/auth/x.js (cookie)", .fail = EX_FAIL_ABORTED, .error = ""};
    ex_http_response base = resp("GET /owa/auth/x.js", 404, "X-FEServer: EXCH01\r\n", "");
    CHECK_INT(ex_fp_read_abort(&trig, &base, ev, sizeof ev), EX_PSTATE_MITIGATED);
    CHECK_CONTAINS(ev, "connection closed without a response");
    ex_http_response dead = {.endpoint = "GET /owa/auth/x.js", .fail = EX_FAIL_ABORTED, .error = ""};
    CHECK_INT(ex_fp_read_abort(&trig, &dead, ev, sizeof ev), EX_PSTATE_INCONCLUSIVE);
}

TEST(f5_cookie_names_the_waf)
{
    /* sample 10: F5 BIG-IP ASM "TS01..." cookie */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /Microsoft-Server-ActiveSync", 401,
                              "Set-Cookie: TS01a2b3c4=01abcdef; Path=/\r\nX-OWA-Version: 15.2.1544.11\r\n", "");
    ex_fp_observe(&fp, &r);
    CHECK_STR(fp.waf, "F5 BIG-IP ASM");
    CHECK_STR(fp.waf_id, "f5-asm");
    CHECK_CONTAINS(fp.waf_evidence, "TS01a2b3c4");
}

/* ---- NTLM ---- */

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return 2;
}

static size_t utf16(uint8_t *p, const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += put16(p + n, (uint16_t)(unsigned char)*s);
    return n;
}

/* A CHALLENGE_MESSAGE laid out per MS-NLMP 2.2.1.2. */
static size_t type2(uint8_t *m)
{
    memset(m, 0, 512);
    memcpy(m, "NTLMSSP\0", 8);
    m[8] = 2;
    size_t off = 56, tl = utf16(m + off, "CONTOSO");
    put16(m + 12, (uint16_t)tl);
    put16(m + 14, (uint16_t)tl);
    m[16] = (uint8_t)off;
    m[20] = 0x01;
    m[23] = 0x02; /* NEGOTIATE_VERSION */
    size_t info = off + tl, p = info;
    struct {
        uint16_t id;
        const char *v;
    } av[] = {{2, "CONTOSO"}, {1, "EXCH01"}, {4, "contoso.local"}, {3, "exch01.contoso.local"}, {5, "contoso.local"}};
    for (size_t i = 0; i < 5; i++) {
        p += put16(m + p, av[i].id);
        size_t l = utf16(m + p + 2, av[i].v);
        p += put16(m + p, (uint16_t)l) + l;
    }
    p += 4; /* MsvAvEOL */
    put16(m + 40, (uint16_t)(p - info));
    put16(m + 42, (uint16_t)(p - info));
    m[44] = (uint8_t)info;
    m[48] = 10;
    m[49] = 0;
    put16(m + 50, 17763);
    m[55] = 15;
    return p;
}

TEST(ntlm_type2_names_and_windows_build)
{
    uint8_t m[512];
    size_t n = type2(m);
    ex_ntlm_info info = {0};
    CHECK_INT(ex_ntlm_parse(m, n, &info), 0);
    CHECK_STR(info.target_name, "CONTOSO");
    CHECK_STR(info.nb_computer, "EXCH01");
    CHECK_STR(info.dns_computer, "exch01.contoso.local");
    CHECK_STR(info.dns_domain, "contoso.local");
    CHECK_STR(info.os_version, "10.0.17763"); /* Windows Server 2019 (RD §7.5) */
    /* every prefix of the message parses without reading past it (ASan would tell) */
    for (size_t cut = 0; cut < n; cut++) {
        ex_ntlm_info t = {0};
        ex_ntlm_parse(m, cut, &t);
    }
    /* a target-info offset far outside the message is ignored */
    m[44] = 0xff;
    m[45] = 0xff;
    CHECK_INT(ex_ntlm_parse(m, n, &info), 0);
    CHECK_STR(info.dns_computer, "");
    CHECK_INT(ex_ntlm_parse_header("Basic realm=\"x\"", &info), -1);
    CHECK_INT(ex_ntlm_parse_header("NTLM !!!", &info), -1);
}

TEST(certificate_facts)
{
    size_t len;
    char err[128];
    char *der = ex_read_file(t_fixture("scan/cert-contoso.der"), 1 << 20, &len, err, sizeof err);
    CHECK(der != NULL);
    if (!der)
        return;
    ex_cert_info c;
    CHECK_INT(ex_cert_parse((const uint8_t *)der, len, &c), 0);
    /* expected values: `openssl x509 -noout -subject -enddate -fingerprint -sha256` (cert-contoso.txt) */
    CHECK_STR(c.subject_cn, "mail.contoso.example");
    CHECK_CONTAINS(c.subject, "O=Contoso Ltd");
    CHECK_INT(c.nsans, 2);
    CHECK_STR(c.sans[1], "autodiscover.contoso.example");
    CHECK_STR(c.not_after, "2036-11-23T15:30:09Z");
    CHECK_STR(c.sha256, "e6dfcce3bf5d6958fc90b93d8387f140dd4e4e6ad64972ae5d11ba5d6330934f");
    CHECK(c.self_signed);
    CHECK_INT(ex_cert_parse((const uint8_t *)der, len / 2, &c), -1);
    free(der);
}

/* ---- into the verdict ---- */

static const ex_cve_verdict *assess_cve(ex_fp *fp, const char *cve, ex_assessment *a)
{
    ex_fp_result res;
    ex_fp_conclude(fp, &res);
    ex_observation obs[EX_PROBE_COUNT];
    ex_facts f = {.today = ex_date_to_days("2026-08-20")};
    ex_fp_facts(fp, &res, obs, &f);
    CHECK_INT(ex_assess(ex_kb_builtin(), &f, a), 0);
    return ex_assessment_cve(a, cve);
}

TEST(probe_beats_cu_only_build)
{
    /* 2016 CU19 page only (CU has both vulnerable and fixed ProxyLogon builds: 15.1.2176.9 is Mar21SU) */
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /owa/auth/logon.aspx", 200, "",
                              "<!-- OwaPage = ASP.auth_logon_aspx --><link href=\"/owa/auth/15.1.2176/themes/x.css\">");
    ex_fp_observe(&fp, &r);
    ex_assessment a;
    const ex_cve_verdict *v = assess_cve(&fp, "CVE-2021-26855", &a);
    CHECK(v && v->status == EX_STATUS_POSSIBLY);
    ex_assessment_free(&a);
    fp.probes[EX_PROBE_PROXYLOGON].state = EX_PSTATE_POSITIVE;
    ex_strlcpy(fp.probes[EX_PROBE_PROXYLOGON].evidence, "GET /owa/auth/x.js -> X-CalculatedBETarget: localhost",
               EX_FP_EVIDENCE);
    v = assess_cve(&fp, "CVE-2021-26855", &a);
    CHECK(v && v->status == EX_STATUS_VULNERABLE && v->by_probe);
    CHECK(v && v->evidence && strstr(v->evidence, "localhost"));
    ex_assessment_free(&a);
    fp.probes[EX_PROBE_PROXYLOGON].state = EX_PSTATE_MITIGATED;
    v = assess_cve(&fp, "CVE-2021-26855", &a);
    CHECK(v && v->status == EX_STATUS_MITIGATED);
    ex_assessment_free(&a);
    /* inconclusive and no-mitigation change nothing */
    fp.probes[EX_PROBE_PROXYLOGON].state = EX_PSTATE_INCONCLUSIVE;
    v = assess_cve(&fp, "CVE-2021-26855", &a);
    CHECK(v && v->status == EX_STATUS_POSSIBLY && !v->by_probe);
    ex_assessment_free(&a);
}

TEST(decoy_and_online_get_no_cves)
{
    ex_fp fp;
    ex_fp_init(&fp);
    ex_http_response r = resp("GET /owa/", 200, EXO_HEADERS, "");
    ex_fp_observe(&fp, &r);
    fp.probes[EX_PROBE_PROXYLOGON].state = EX_PSTATE_POSITIVE;
    ex_assessment a;
    CHECK(assess_cve(&fp, "CVE-2021-26855", &a) == NULL);
    CHECK_INT(a.ncves, 0);
    ex_assessment_free(&a);
}
