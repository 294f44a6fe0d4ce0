/* The log analyzers on the field notes' real lines (tests/fixtures/hunt,
 * README there). Expected findings are those Test-ProxyLogon's conditions and
 * the cited patterns give when applied by hand to each line, as the notes
 * state them (../shared/docs/logs-and-builds.md §1, §3), not what the code
 * happens to produce. */
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/hunt.h"
#include "hunt/lit.h"
#include "hunt/logscan.h"
#include "t.h"
#include "t_fs.h"
#include "util.h"

#define ROOT   "C/Program Files/Microsoft/Exchange Server/V15"
#define EVROOT "C:/Program Files/Microsoft/Exchange Server/V15"

static char tmp[256];

static void put(const char *rel, const char *data, size_t n)
{
    t_put(tmp, rel, data, n);
}

static void put_fixture(const char *fixture, const char *rel)
{
    size_t n;
    char err[200];
    char *d = ex_read_file(t_fixture(fixture), 1 << 20, &n, err, sizeof err);
    if (!d) {
        t_fail(__FILE__, __LINE__, "fixture %s: %s", fixture, err);
        return;
    }
    put(rel, d, n);
    free(d);
}

static void start(void)
{
    t_tmpdir(tmp, sizeof tmp, "hunt-logs");
}
static void finish(void)
{
    t_rmtree(tmp);
}

static ex_hunt *hunt_with(const ex_analyzer *const *an, size_t n)
{
    const char *inputs[] = {tmp};
    ex_hunt_opts o = {.inputs = inputs, .ninputs = 1, .analyzers = an, .nanalyzers = n, .threads = 2, .today = 18700};
    ex_hunt *h = ex_hunt_new(&o);
    char err[256];
    if (ex_hunt_run(h, err, sizeof err) != 0)
        t_fail(__FILE__, __LINE__, "hunt failed: %s", err);
    return h;
}

/* The finding with this id on this line of a file whose path ends with suffix. */
static const ex_finding *find(const ex_hunt *h, const char *id, const char *suffix, int64_t line)
{
    const ex_findings *l = ex_hunt_findings(h);
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        size_t pn = f->ev.path ? strlen(f->ev.path) : 0, sn = strlen(suffix);
        if (strcmp(f->id, id) == 0 && f->ev.line == line && pn >= sn && strcmp(f->ev.path + pn - sn, suffix) == 0)
            return f;
    }
    return NULL;
}

static size_t count_id(const ex_hunt *h, const char *id)
{
    size_t n = 0;
    const ex_findings *l = ex_hunt_findings(h);
    for (size_t i = 0; i < l->count; i++)
        n += strcmp(l->items[i].id, id) == 0;
    return n;
}

static size_t count_on_line(const ex_hunt *h, const char *suffix, int64_t line)
{
    size_t n = 0;
    const ex_findings *l = ex_hunt_findings(h);
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        size_t pn = f->ev.path ? strlen(f->ev.path) : 0, sn = strlen(suffix);
        n += f->ev.line == line && pn >= sn && strcmp(f->ev.path + pn - sn, suffix) == 0;
    }
    return n;
}

#define EXPECT(h, id, file, line, kind_, sev_)                                                                         \
    do {                                                                                                               \
        const ex_finding *f_ = find(h, id, file, line);                                                                \
        if (!f_) {                                                                                                     \
            t_fail(__FILE__, __LINE__, "no %s at %s:%d", id, file, line);                                              \
        } else {                                                                                                       \
            CHECK_STR(ex_kind_name(f_->kind), kind_);                                                                  \
            CHECK_STR(ex_severity_name(f_->severity), sev_);                                                           \
        }                                                                                                              \
    } while (0)

/* ------------------------------------------------------------------------ */

TEST(like_is_powershell_like)
{
    /* Test-ProxyLogon's patterns against HELSECERT's AnchorMailbox values */
    const char *a = "ServerInfo~a]@servernavn.xxx.local:444/mapi/emsmdb/?#";
    CHECK(ex_like("ServerInfo~*/*", a, strlen(a)));
    CHECK(!ex_like("ServerInfo~*/autodiscover*", a, strlen(a)));
    const char *b = "ServerInfo~a]@servernavn.xxx.local:444/autodiscover/autodiscover.xml?#";
    CHECK(ex_like("ServerInfo~*/autodiscover*", b, strlen(b)));
    const char *c =
        "ServerInfo~a]@x:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=8B.&schema=ResetOABVirtualDirectory#";
    CHECK(ex_like("ServerInfo~*/*Reset*VirtualDirectory#", c, strlen(c)));
    const char *d = "ServerInfo~localhost/ecp/default.flt?";
    CHECK(ex_like("ServerInfo~localhost*/*", d, strlen(d)));
    /* -like ignores case and matches the whole string */
    CHECK(ex_like("ServerInfo~*/*", "SERVERINFO~A/B", 14));
    CHECK(!ex_like("ServerInfo~*/*", "xServerInfo~a/b", 15));
    CHECK(!ex_like("ServerInfo~*/*Reset*VirtualDirectory#", c, strlen(c) - 1));
    CHECK(ex_like("a?c", "abc", 3));
    CHECK(!ex_like("a?c", "ac", 2));
}

TEST(csv_split_quotes_and_commas)
{
    static const char line[] = "a,\"b,c\",\"say \"\"hi\"\"\",,\"OnBegin;S:x=1, y\"";
    ex_field f[8];
    size_t n = ex_csv_split(line, sizeof line - 1, f, 8, NULL);
    CHECK_INT(n, 5);
    char buf[64];
    CHECK_STR(ex_field_text(&f[1], buf, sizeof buf), "b,c");
    CHECK_STR(ex_field_text(&f[2], buf, sizeof buf), "say \"hi\"");
    CHECK_INT(f[3].n, 0);
    CHECK_STR(ex_field_text(&f[4], buf, sizeof buf), "OnBegin;S:x=1, y");
    /* an unterminated quote runs to the end and never past it */
    static const char bad[] = "x,\"never closed";
    n = ex_csv_split(bad, sizeof bad - 1, f, 8, NULL);
    CHECK_INT(n, 2);
    CHECK_INT(f[1].n, strlen("never closed"));
}

TEST(times)
{
    CHECK_INT(ex_parse_iso_time("2021-03-03T06:49:42.162Z", 24), 1614754182);
    CHECK_INT(ex_parse_w3c_time("2021-03-05", 10, "03:06:27", 8), 1614913587);
    CHECK_INT(ex_parse_iso_time("2021-13-03T06:49:42Z", 20), EX_TIME_UNKNOWN);
    CHECK_INT(ex_parse_iso_time("DateTime,RequestId", 18), EX_TIME_UNKNOWN);
}

/* Every match the naive search finds, the prefilter finds, on every code path. */
TEST(literal_prefilter_matches_naive_search)
{
    static const char *const lits[] = {"ServerInfo~", "#Fields:", "/owa/auth/", "abc"};
    ex_lit *l = ex_lit_new(lits, 4);
    CHECK(l != NULL);
    size_t n = 5000;
    char *d = malloc(n);
    unsigned seed = 7;
    const char alphabet[] = "abcSERVERinfo~/#Fields:owa/auth ABC\n";
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        d[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
    }
    memcpy(d + n - 11, "serverinfo~", 11); /* at the very end */
    memcpy(d + 100, "SeRvErInFo~", 11);
    static const char *const impls[] = {"scalar", "ssse3", "avx2", "avx512"};
    for (size_t m = 0; m < 4; m++) {
        if (!ex_lit_force(impls[m]))
            continue; /* not on this CPU */
        size_t expect = 0, got = 0;
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 4; k++)
                expect += i + strlen(lits[k]) <= n && strncasecmp(d + i, lits[k], strlen(lits[k])) == 0;
        const char *p = d;
        unsigned which;
        while ((p = ex_lit_find(l, p, (size_t)(d + n - p), &which))) {
            got++;
            /* several literals may start at one position: count each */
            for (int k = (int)which + 1; k < 4; k++)
                got += (size_t)(p + strlen(lits[k]) <= d + n && strncasecmp(p, lits[k], strlen(lits[k])) == 0);
            p++;
        }
        CHECK_INT(got, expect);
        CHECK(expect >= 2);
    }
    ex_lit_force("auto");
    free(d);
    ex_lit_free(l);
}

TEST(httpproxy_helsecert_export)
{
    start();
    put_fixture("hunt/helsecert_httpproxy_export.csv", ROOT "/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG");
    const ex_analyzer *an[] = {&ex_an_httpproxy};
    ex_hunt *h = hunt_with(an, 1);
    const char *f = "Ecp/HttpProxy_2021030306-1.LOG";
    /* autodiscover.xml: excluded by Test-ProxyLogon, kept apart */
    EXPECT(h, "httpproxy.cve-2021-26855.autodiscover", f, 2, "exploitation-attempt", "medium");
    CHECK(find(h, "httpproxy.cve-2021-26855", f, 2) == NULL);
    /* the five rows Test-ProxyLogon reports for CVE-2021-26855, all answered 2xx */
    for (int line = 3; line <= 7; line++)
        EXPECT(h, "httpproxy.cve-2021-26855", f, line, "exploitation-success", "critical");
    CHECK_INT(count_id(h, "httpproxy.cve-2021-26855"), 5);
    /* and the one row it reports for CVE-2021-27065 */
    EXPECT(h, "httpproxy.cve-2021-27065.reset-vdir", f, 7, "exploitation-attempt", "high");
    CHECK_INT(count_id(h, "httpproxy.cve-2021-27065.reset-vdir"), 1);
    const ex_finding *x = find(h, "httpproxy.cve-2021-26855", f, 4);
    if (x) {
        CHECK_INT(x->time, 1614754186); /* 2021-03-03T06:49:46Z */
        CHECK_CONTAINS(x->ev.match, "proxyLogon.ecp");
        CHECK_INT(strlen(x->ev.sha256), 64);
        CHECK_CONTAINS(x->rule_source, "Test-ProxyLogon");
    }
    CHECK_STR(ex_hunt_coverage_at(h, 0)->logdir, "Logging/HttpProxy/Ecp");
    CHECK_INT(ex_hunt_coverage_at(h, 0)->first, 1614754182);
    CHECK_INT(ex_hunt_coverage_at(h, 0)->last, 1614754760);
    ex_hunt_free(h);
    finish();
}

TEST(httpproxy_dfirpage_layout_and_pr125_localhost)
{
    start();
    put_fixture("hunt/dfirpage_httpproxy_owa.LOG", ROOT "/Logging/HttpProxy/Owa/HttpProxy_2023010919-1.LOG");
    const ex_analyzer *an[] = {&ex_an_httpproxy};
    ex_hunt *h = hunt_with(an, 1);
    const char *f = "HttpProxy_2023010919-1.LOG";
    EXPECT(h, "httpproxy.cve-2021-26855.localhost", f, 7, "exploitation-attempt", "info");
    CHECK_INT(count_on_line(h, f, 6), 0); /* zgrab, ServerVersion~: benign */
    CHECK_INT(ex_hunt_findings(h)->count, 1);
    ex_hunt_free(h);
    finish();
}

/* The 2013 layout (no UrlHost) then a new "#Fields:" with the 2016 layout
 * mid-file: each row is read with the header above it. */
TEST(httpproxy_header_change_mid_file)
{
    static const char log[] =
        "#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,"
        "UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,"
        "UserAgent,ClientIpAddress,ServerHostName,HttpStatus\r\n"
        "2021-03-02T01:00:00.000Z,r1,15,0,1497,2,,Ecp,/ecp/x.js,,,false,,,ServerInfo~a]@ex1:444/mapi/emsmdb/?#,"
        "python-requests/2.25.1,203.0.113.5,EX1,500\r\n"
        "#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,"
        "UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,"
        "AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus\r\n"
        "2021-03-02T02:00:00.000Z,r2,15,0,1497,2,,Ecp,mail.x,/ecp/y.js,,,false,,,ServerInfo~a]@ex1:444/ecp/"
        "proxyLogon.ecp?#,python-requests/2.25.1,203.0.113.5,EX1,241\r\n";
    start();
    put(ROOT "/Logging/HttpProxy/Ecp/HttpProxy_2021030201-1.LOG", log, sizeof log - 1);
    const ex_analyzer *an[] = {&ex_an_httpproxy};
    ex_hunt *h = hunt_with(an, 1);
    const char *f = "HttpProxy_2021030201-1.LOG";
    EXPECT(h, "httpproxy.cve-2021-26855", f, 2, "exploitation-attempt", "medium");   /* 500: refused */
    EXPECT(h, "httpproxy.cve-2021-26855", f, 4, "exploitation-success", "critical"); /* 241 */
    ex_hunt_free(h);
    finish();
}

/* A row with a field too many before AnchorMailbox: the columns shifted. The
 * row is still recognised by its ServerInfo~ value, and the shift reported. */
TEST(httpproxy_columns_shift_mid_file)
{
    static const char log[] = "#Fields: DateTime,RequestId,UrlStem,AnchorMailbox,HttpStatus\n"
                              "2021-03-02T01:00:00Z,r1,/ecp/a.js,Smtp~user@contoso.com,200\n"
                              "2021-03-02T01:00:01Z,r2,EXTRA,/ecp/y.js,ServerInfo~a]@ex1:444/mapi/emsmdb/?#,200\n";
    start();
    put(ROOT "/Logging/HttpProxy/Ecp/HttpProxy_2021030201-2.LOG", log, sizeof log - 1);
    const ex_analyzer *an[] = {&ex_an_httpproxy};
    ex_hunt *h = hunt_with(an, 1);
    CHECK(find(h, "httpproxy.cve-2021-26855", "HttpProxy_2021030201-2.LOG", 3) != NULL);
    bool reported = false;
    for (size_t i = 0; i < ex_hunt_skip_count(h); i++)
        reported |= strstr(ex_hunt_skip_at(h, i)->reason, "columns shifted") != NULL;
    CHECK(reported);
    ex_hunt_free(h);
    finish();
}

TEST(ecp_server_log_helsecert_and_test_proxylogon_regex)
{
    start();
    put_fixture("hunt/helsecert_ecp_server.LOG", ROOT "/Logging/ECP/Server/ECPServer20210303-1.LOG");
    const ex_analyzer *an[] = {&ex_an_ecp};
    ex_hunt *h = hunt_with(an, 1);
    const char *f = "ECPServer20210303-1.LOG";
    CHECK_INT(count_on_line(h, f, 6), 0); /* DFIRPAGE's benign Get-InboxRule */
    /* HELSECERT's trimmed excerpt lacks S:URL: only the blog's form matches (the notes tested it) */
    const ex_finding *x = find(h, "ecp.cve-2021-27065.set-vdir-script", f, 7);
    CHECK(x != NULL);
    if (x)
        CHECK_CONTAINS(x->rule_source, "blog");
    CHECK(find(h, "ecp.cve-2021-27065.set-vdir-script", f, 8) == NULL); /* ExternalUrl=$null */
    EXPECT(h, "ecp.oab-vdir.removed", f, 9, "exploitation-attempt", "info");
    EXPECT(h, "ecp.oab-vdir.created", f, 10, "exploitation-attempt", "info");
    /* the full line of §1.4 matches Test-ProxyLogon's own regex */
    x = find(h, "ecp.cve-2021-27065.set-vdir-script", f, 11);
    CHECK(x != NULL);
    if (x)
        CHECK_CONTAINS(x->rule_source, "Test-ProxyLogon");
    /* set, then removal and recreation within minutes: the reset that writes the shell */
    EXPECT(h, "ecp.cve-2021-27065.set-vdir-script", f, 7, "exploitation-success", "critical");
    /* line 11 comes after the recreation: an attempt */
    EXPECT(h, "ecp.cve-2021-27065.set-vdir-script", f, 11, "exploitation-attempt", "high");
    ex_hunt_free(h);
    finish();
}

TEST(oab_generator_paths)
{
    start();
    put_fixture("hunt/OABGeneratorLog_20210303.log", ROOT "/Logging/OABGeneratorLog/OABGeneratorLog_20210303.log");
    const ex_analyzer *an[] = {&ex_an_oab};
    ex_hunt *h = hunt_with(an, 1);
    const char *f = "OABGeneratorLog_20210303.log";
    EXPECT(h, "oab.cve-2021-26858", f, 1, "exploitation-success", "high");
    CHECK(find(h, "oab.cve-2021-26858", f, 2) == NULL); /* inside ClientAccess\OAB */
    ex_hunt_free(h);
    finish();
}

/* A stand-in for the files analyzer: flags the modified stock page. */
static bool fake_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**/owa/auth/RedirSuiteServerProxy.aspx", f->path);
}
static void *fake_begin(ex_hunt *h, const ex_hunt_file *f)
{
    ex_finding x;
    ex_finding_init(&x);
    x.kind = EX_KIND_WEBSHELL;
    x.severity = EX_SEV_CRITICAL;
    ex_finding_setz(&x.id, "files.webshell.test");
    ex_finding_setz(&x.ev.path, f->path);
    ex_hunt_emit(h, &x);
    return (void *)1;
}
static int fake_whole(void *s, const unsigned char *d, size_t n, const char *p)
{
    return 0;
}
static const ex_analyzer fake_files = {
    .name = "fake-files", .flags = EX_AN_WHOLE, .wants = fake_wants, .begin = fake_begin, .whole = fake_whole};

TEST(iis_patterns_and_webshell_in_use)
{
    static const char shell[] = "<script language=\"JScript\" runat=\"server\">function Page_Load(){}</script>";
    start();
    /* the fixture and one line more: a Volexity tool user agent on an ECP request nothing else explains */
    size_t n;
    char err[100];
    char *log = ex_read_file(t_fixture("hunt/u_ex210305.log"), 1 << 20, &n, err, sizeof err);
    ex_buf b = {0};
    ex_buf_append(&b, log, n);
    ex_buf_puts(&b, "2021-03-05 03:10:00 10.0.0.5 POST /ecp/DDI/DDIService.svc/GetObject schema=OABVirtualDirectory "
                    "443 - 130.255.189.21 ExchangeServicesClient/0.0.0.0 - 200 0 0 40\r\n");
    put("C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", b.data, b.len);
    free(log);
    ex_buf_free(&b);
    put(ROOT "/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx", shell, sizeof shell - 1);
    const ex_analyzer *an[] = {&ex_an_iis, &fake_files};
    ex_hunt *h = hunt_with(an, 2);
    const char *f = "u_ex210305.log";
    /* HELSECERT's access to the modified stock page: tied to the flagged file */
    EXPECT(h, "hunt.webshell.used", f, 5, "webshell", "critical");
    CHECK(find(h, "iis.webshell.request", f, 5) == NULL); /* a stock name alone is not flagged */
    CHECK_INT(count_on_line(h, f, 6), 0);                 /* logon.aspx */
    CHECK_INT(count_on_line(h, f, 7), 0);                 /* a theme resource, referred by logon.aspx */
    EXPECT(h, "iis.proxylogon.static-post", f, 8, "exploitation-success", "critical");
    CHECK_INT(count_on_line(h, f, 8), 1); /* the tool user agent adds nothing to an explained line */
    EXPECT(h, "iis.proxylogon.static-post", f, 9, "exploitation-attempt", "medium"); /* 500: refused */
    EXPECT(h, "iis.webshell.request", f, 10, "webshell", "critical");
    CHECK_INT(count_on_line(h, f, 10), 1); /* antSword adds nothing to the shell request */
    EXPECT(h, "iis.proxyshell", f, 11, "exploitation-success", "critical");
    EXPECT(h, "iis.owassrf", f, 12, "exploitation-success", "critical");
    CHECK_INT(count_on_line(h, f, 13), 0); /* Outlook's own autodiscover.json */
    EXPECT(h, "iis.tool-user-agent", f, 14, "exploitation-attempt", "medium");
    ex_hunt_free(h);
    finish();
}
