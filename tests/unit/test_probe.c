/* probe: the per-host plan, fed scripted answers (no network). Checks the
 * order of requests, that the plan stops when the answer is certain, and
 * how aborts, 401s and failures are read. */
#include "kb.h"
#include "probe.h"
#include "t.h"
#include "util.h"

typedef struct answer {
    const char *path_prefix; /* matched against the request path */
    const char *cookie_has;  /* only when the request carries this header text (NULL: any) */
    int status;              /* 0: failure */
    ex_fail fail;
    const char *headers;
    const char *body;
} answer;

#define MAXREQ 32
typedef struct run_log {
    char paths[MAXREQ][160];
    size_t n;
} run_log;

static bool header_has(const ex_http_request *q, const char *needle)
{
    for (size_t i = 0; i < EX_HTTP_MAX_HEADERS && q->headers[i]; i++)
        if (strstr(q->headers[i], needle))
            return true;
    return false;
}

static void run_plan(ex_plan *p, const answer *script, run_log *log)
{
    ex_http_request q;
    log->n = 0;
    while (ex_plan_next(p, &q) && log->n < MAXREQ) {
        ex_strlcpy(log->paths[log->n++], q.path, sizeof log->paths[0]);
        ex_http_response r = {.endpoint = ex_plan_current(p), .status = 404, .headers = "", .error = ""};
        for (const answer *a = script; a->path_prefix; a++) {
            if (strncmp(q.path, a->path_prefix, strlen(a->path_prefix)) != 0)
                continue;
            if (a->cookie_has && !header_has(&q, a->cookie_has))
                continue;
            r.status = a->status;
            r.fail = a->fail;
            r.headers = a->headers ? a->headers : "";
            r.body = a->body;
            break;
        }
        r.headers_len = strlen(r.headers);
        r.body_len = r.body ? strlen(r.body) : 0;
        if (r.status == 0)
            r.error = ex_fail_name(r.fail);
        ex_plan_response(p, &r);
    }
}

static void start(ex_plan *p, bool active)
{
    ex_plan_opts o = {.active = active, .ntlm = true, .max_body = 65536, .kb = ex_kb_builtin()};
    ex_plan_init(p, &o, NULL);
}

static const char LOGON_2016_CU19[] =
    "<!-- OwaPage = ASP.auth_logon_aspx --><link href=\"/owa/auth/15.1.2176/themes/resources/favicon.ico\">";

TEST(not_exchange_costs_three_requests)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/", NULL, 404, 0, "Server: nginx/1.22.1\r\n", "<html>nginx</html>"}, {0}};
    run_plan(&p, script, &log);
    CHECK_INT(log.n, 3);
    CHECK_STR(log.paths[0], "/owa/auth/logon.aspx");
    CHECK_STR(log.paths[1], "/owa/");
    CHECK_STR(log.paths[2], "/autodiscover/autodiscover.xml");
}

TEST(exchange_without_owa_is_found_on_autodiscover)
{
    /* Regression (lab): OWA not published; Autodiscover and EWS still answer with X-FEServer (RD §4). */
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa", NULL, 404, 0, "Server: Microsoft-IIS/8.5\r\n", "404"},
                       {"/autodiscover/autodiscover.xml", NULL, 401, 0, "X-FEServer: EXSRV08\r\n", ""},
                       {"/", NULL, 401, 0, "X-FEServer: EXSRV08\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    CHECK_STR(log.paths[2], "/autodiscover/autodiscover.xml");
    ex_fp_result res;
    ex_fp_conclude(&p.fp, &res);
    CHECK_INT(res.kind, EX_KIND_ONPREM);
    CHECK(log.n > 4);
}

TEST(owa_redirect_elsewhere_is_read_once)
{
    /* TMG/ISA in front: /owa/ redirects to its forms page (RD §1.1: FBA GUID without OWA markers). */
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {
        {"/owa/", NULL, 302, 0, "Location: https://192.0.2.7/CookieAuth.dll?GetLogon?curl=Z2FowaZ2F\r\n", ""},
        {"/CookieAuth.dll", NULL, 200, 0, "", "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} --><form>"},
        {0}};
    run_plan(&p, script, &log);
    CHECK_INT(log.n, 3);
    CHECK_STR(log.paths[2], "/CookieAuth.dll?GetLogon?curl=Z2FowaZ2F");
    CHECK(p.fp.tmg_page);
}

TEST(unreachable_stops_at_once)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/", NULL, 0, EX_FAIL_REFUSED, NULL, NULL}, {0}};
    run_plan(&p, script, &log);
    CHECK_INT(log.n, 1);
    CHECK_INT(p.nerrors, 1);
    CHECK_CONTAINS(p.errors[0], "GET /owa/auth/logon.aspx: refused");
}

TEST(exact_patched_build_needs_no_probe)
{
    /* 2016 CU23 Aug26SU 15.1.2507.72: every modelled CVE fixed by the build; only NTLM follows */
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "",
                        "<!-- OwaPage = ASP.auth_logon_aspx --><a href=\"/owa/auth/15.1.2507/t/\">"},
                       {"/owa/", NULL, 302, 0,
                        "X-FEServer: EX1\r\nX-OWA-Version: 15.1.2507.72\r\nLocation: /owa/auth/logon.aspx\r\n", ""},
                       {"/rpc/", NULL, 401, 0, "WWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    CHECK_INT(log.n, 5);
    CHECK_STR(log.paths[2], "/autodiscover/autodiscover.xml");
    CHECK_STR(log.paths[3], "/rpc/");
    CHECK_STR(log.paths[4], "/EWS/Exchange.asmx");
    for (int i = 0; i < EX_PROBE_COUNT; i++) {
        CHECK_INT(p.fp.probes[i].state, EX_PSTATE_NOT_RUN);
        CHECK_STR(p.fp.probes[i].why_skipped, "the build is patched for it");
    }
}

TEST(cu_only_host_walks_the_version_endpoints_then_probes)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "", LOGON_2016_CU19},
                       {"/owa/auth/x.js", "X-AnonResource-Backend", 500, 0,
                        "X-CalculatedBETarget: localhost\r\nX-FEServer: EX1\r\n", ""},
                       {"/autodiscover/autodiscover.json?@test.com/owa/", NULL, 400, 0, "X-FEServer: EX1\r\n", ""},
                       {"/autodiscover/autodiscover.json?@test.com/mapi/", NULL, 400, 0, "X-FEServer: EX1\r\n", ""},
                       {"/", NULL, 404, 0, "X-FEServer: EX1\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    const char *want[] = {"/owa/auth/logon.aspx",
                          "/owa/",
                          "/autodiscover/autodiscover.xml",
                          "/owa/service",
                          "/EWS/Exchange.asmx",
                          "/Microsoft-Server-ActiveSync",
                          "/owa/auth/x.js"};
    for (size_t i = 0; i < EX_ARRAY_LEN(want); i++)
        CHECK_STR(log.paths[i], want[i]);
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYLOGON].state, EX_PSTATE_POSITIVE);
    /* ProxyShell: both variants answered cleanly by Exchange -> negative */
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYSHELL].state, EX_PSTATE_NEGATIVE);
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYNOTSHELL].state, EX_PSTATE_NO_MITIGATION);
    CHECK_STR(log.paths[log.n - 2], "/rpc/");
}

TEST(aborted_trigger_gets_a_baseline)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "", LOGON_2016_CU19},
                       {"/owa/auth/x.js", "X-AnonResource-Backend", 0, EX_FAIL_ABORTED, NULL, NULL},
                       {"/autodiscover/autodiscover.json?a@foo.var", NULL, 0, EX_FAIL_ABORTED, NULL, NULL},
                       {"/", NULL, 404, 0, "X-FEServer: EX1\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    size_t i = 0;
    while (i < log.n && strcmp(log.paths[i], "/owa/auth/x.js") != 0)
        i++;
    CHECK(i + 1 < log.n);
    CHECK_STR(log.paths[i + 1], "/owa/auth/x.js"); /* the same request without the cookie */
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYLOGON].state, EX_PSTATE_MITIGATED);
    CHECK_CONTAINS(p.fp.probes[EX_PROBE_PROXYLOGON].evidence, "connection closed without a response");
    /* ProxyNotShell: the baseline without "Powershell" also aborts here -> not a mitigation */
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYNOTSHELL].state, EX_PSTATE_INCONCLUSIVE);
    /* issue 3: an abort on the trigger alone is reported as mitigated, "not as an error"; the ProxyNotShell
     * aborts (trigger and baseline both) stay errors */
    for (size_t e = 0; e < p.nerrors; e++)
        CHECK(strstr(p.errors[e], "/owa/auth/x.js") == NULL);
    CHECK_INT(p.nerrors, 2);
    CHECK_CONTAINS(p.errors[0], "autodiscover.json?a@foo.var");
}

TEST(no_active_sends_no_probe)
{
    ex_plan p;
    run_log log;
    start(&p, false);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "", LOGON_2016_CU19},
                       {"/", NULL, 404, 0, "X-FEServer: EX1\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    for (size_t i = 0; i < log.n; i++) {
        CHECK(strstr(log.paths[i], "x.js") == NULL);
        CHECK(strstr(log.paths[i], "autodiscover.json") == NULL);
    }
    CHECK_STR(p.fp.probes[EX_PROBE_PROXYLOGON].why_skipped, "--no-active");
}

TEST(tarpit_mid_plan_stops)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "", LOGON_2016_CU19},
                       {"/owa/", NULL, 0, EX_FAIL_TIMEOUT, NULL, NULL},
                       {0}};
    run_plan(&p, script, &log);
    CHECK_INT(log.n, 2);
}

TEST(exchange_2010_gets_no_2013_probes)
{
    /* Exchange 2010 path build (4 parts); ProxyLogon/ProxyShell/ProxyNotShell do not apply to 14.x in the data */
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {
        {"/owa/auth/logon.aspx", NULL, 200, 0, "",
         "<!-- OwaPage = ASP.auth_logon_aspx --><link href=\"/owa/14.3.123.3/themes/resources/logon.css\">"},
        {0}};
    run_plan(&p, script, &log);
    for (size_t i = 0; i < log.n; i++)
        CHECK(strstr(log.paths[i], "x.js") == NULL);
    CHECK_CONTAINS(p.fp.probes[EX_PROBE_PROXYLOGON].why_skipped, "does not apply");
}

/* EOMTv2's rule aborts only the ProxyNotShell URL with "Powershell" (docs/probes.md): the evidence must name that
 * whole trigger and the baseline's answer. Regression: both were cut off (a 110-byte label and the status last). */
TEST(proxynotshell_mitigation_evidence_is_whole)
{
    ex_plan p;
    run_log log;
    start(&p, true);
    answer script[] = {{"/owa/auth/logon.aspx", NULL, 200, 0, "", LOGON_2016_CU19},
                       {"/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var"
                        "&Protocol=XYZ&FooProtocol=Powershell",
                        NULL, 0, EX_FAIL_ABORTED, NULL, NULL},
                       {"/", NULL, 302, 0, "X-FEServer: EX1\r\nLocation: /owa/\r\n", ""},
                       {0}};
    run_plan(&p, script, &log);
    CHECK_INT(p.fp.probes[EX_PROBE_PROXYNOTSHELL].state, EX_PSTATE_MITIGATED);
    CHECK_CONTAINS(p.fp.probes[EX_PROBE_PROXYNOTSHELL].evidence, "&Protocol=XYZ&FooProtocol=Powershell -> connection "
                                                                 "closed without a response; without the trigger: 302");
    for (size_t e = 0; e < p.nerrors; e++)
        CHECK(strstr(p.errors[e], "FooProtocol") == NULL);
}
