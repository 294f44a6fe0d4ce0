/* lib/hunt/evtx_xml (exports) and evtx_csv (EvtxECmd): the fixtures in
 * tests/fixtures/events (README.md there says what each event is for; the
 * expected hits follow from the field-note rules, the times and lines from
 * the fixture text itself: `date -u -d ... +%s`). */
#include "t.h"

#include <iconv.h>

#include "hunt/event.h"
#include "hunt/evtx_csv.h"
#include "hunt/evtx_xml.h"
#include "util.h"

typedef struct seen {
    uint64_t events;
    ex_findings findings;
} seen;

static void collect(void *ctx, const ex_event *ev, const ex_event_where *w)
{
    seen *s = ctx;
    s->events++;
    CHECK(ex_event_check(ev, w, &s->findings) >= 0);
}

static char *fixture(const char *name, size_t *len)
{
    char err[200];
    char *d = ex_read_file(t_fixture(name), 1 << 20, len, err, sizeof err);
    if (!d)
        t_fail(__FILE__, __LINE__, "%s: %s", name, err);
    return d;
}

static const ex_finding *find_id(const seen *s, const char *id, size_t nth)
{
    for (size_t i = 0; i < s->findings.count; i++)
        if (strcmp(s->findings.items[i].id, id) == 0 && nth-- == 0)
            return &s->findings.items[i];
    return NULL;
}

/* Feed data to a stream in chunks of size step (0: all at once). */
static void feed_chunks(int (*feed)(void *, const char *, size_t), void *stream, const char *data, size_t len,
                        size_t step)
{
    for (size_t off = 0; off < len;) {
        size_t n = step && len - off > step ? step : len - off;
        CHECK_INT(feed(stream, data + off, n), 0);
        off += n;
    }
}

static int feed_xml(void *x, const char *d, size_t n)
{
    return ex_evxml_stream_feed(x, d, n);
}
static int feed_csv(void *c, const char *d, size_t n)
{
    return ex_evcsv_feed(c, d, n);
}

static void run_xml(const char *data, size_t len, size_t step, seen *s, ex_event_stats *st)
{
    memset(s, 0, sizeof *s);
    ex_evxml_stream *x = ex_evxml_stream_new("C:/exports/Exchange-events.xml", collect, s);
    feed_chunks(feed_xml, x, data, len, step);
    ex_evxml_stream_finish(x);
    *st = *ex_evxml_stream_stats(x);
    ex_evxml_stream_free(x);
}

/* shift: lines put in front of the fixture's text. */
static void expect_xml_results(const seen *s, const ex_event_stats *st, int shift)
{
    CHECK_INT(s->events, 9);
    CHECK_INT(st->events, 9);
    CHECK_INT(st->unreadable, 1);
    char at[32];
    snprintf(at, sizeof at, "event at line %d:", 12 + shift);
    CHECK_CONTAINS(st->first_error, at);
    CHECK_INT(s->findings.count, 4);

    const ex_finding *um = find_id(s, "evtx.cve-2021-26857", 0);
    CHECK(um != NULL);
    if (um) {
        CHECK_INT(um->severity, EX_SEV_HIGH);
        CHECK_INT(um->kind, EX_KIND_ATTEMPT);
        CHECK_STR(um->cve, "CVE-2021-26857");
        CHECK_INT(um->time, 1614744751); /* 2021-03-03T04:12:31Z */
        CHECK_CONTAINS(um->title, "record 88211");
        CHECK_CONTAINS(um->ev.match, "System.InvalidCastException");
    }
    CHECK(find_id(s, "evtx.cve-2021-26857", 1) == NULL); /* the warning and the other provider do not count */

    const ex_finding *oab = find_id(s, "evtx.proxylogon.set-oabvirtualdirectory", 0);
    CHECK(oab != NULL);
    if (oab) {
        CHECK_INT(oab->severity, EX_SEV_CRITICAL);
        CHECK_INT(oab->kind, EX_KIND_SUCCESS);
        CHECK_STR(oab->cve, "CVE-2021-27065");
        CHECK_INT(oab->time, 1614754193); /* 2021-03-03T06:49:53Z */
        CHECK_STR(oab->ev.path, "C:/exports/Exchange-events.xml");
        CHECK_INT(oab->ev.line, 13 + shift);
        CHECK(oab->ev.offset > 0);
        CHECK_CONTAINS(oab->ev.match, "Set-OabVirtualDirectory -ExternalUrl 'http://f/<script language=\"JScript\"");
        CHECK_CONTAINS(oab->rule_ref, "Windows.Detection.ProxyLogon.ProxyShell");
    }
    CHECK(find_id(s, "evtx.proxylogon.set-oabvirtualdirectory", 1) == NULL); /* the https ExternalUrl */

    const ex_finding *pst = find_id(s, "evtx.proxyshell.new-mailboxexportrequest", 0);
    CHECK(pst != NULL);
    if (pst) {
        CHECK_INT(pst->severity, EX_SEV_CRITICAL);
        CHECK_INT(pst->time, 1628847192); /* 2021-08-13T09:33:12Z */
        CHECK_CONTAINS(pst->ev.match, "aspnet_client\\rwgzb.aspx");
    }
    CHECK(find_id(s, "evtx.proxyshell.new-mailboxexportrequest", 1) == NULL); /* the .pst export */

    const ex_finding *cert = find_id(s, "evtx.proxyshell.new-exchangecertificate", 0);
    CHECK(cert != NULL);
    if (cert) { /* event 6: the cmdlet failed */
        CHECK_INT(cert->severity, EX_SEV_HIGH);
        CHECK_INT(cert->kind, EX_KIND_ATTEMPT);
        CHECK_STR(cert->cve, "CVE-2021-31207");
    }
}

TEST(xml_export_utf8)
{
    size_t len;
    char *data = fixture("events/Exchange-events.xml", &len);
    if (!data)
        return;
    seen s;
    ex_event_stats st;
    run_xml(data, len, 0, &s, &st);
    expect_xml_results(&s, &st, 0);
    ex_findings_free(&s.findings);
    /* Any chunking gives the same events. */
    static const size_t steps[] = {1, 7, 4096};
    for (size_t i = 0; i < EX_ARRAY_LEN(steps); i++) {
        run_xml(data, len, steps[i], &s, &st);
        expect_xml_results(&s, &st, 0);
        ex_findings_free(&s.findings);
    }
    free(data);
}

/* Event Viewer's "Save as XML" form: UTF-16LE with a byte-order mark, a
 * declaration and an <Events> root. Converted with iconv, not our decoder. */
TEST(xml_export_utf16)
{
    size_t len;
    char *data = fixture("events/Exchange-events.xml", &len);
    if (!data)
        return;
    ex_buf in = {0};
    ex_buf_puts(&in, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Events>\n");
    ex_buf_append(&in, data, len);
    ex_buf_puts(&in, "</Events>\n");
    iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
    CHECK(cd != (iconv_t)-1);
    size_t outcap = in.len * 2 + 2;
    char *out = malloc(outcap), *op = out + 2, *ip = in.data;
    size_t il = in.len, ol = outcap - 2;
    out[0] = (char)0xFF, out[1] = (char)0xFE;
    CHECK(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    seen s;
    ex_event_stats st;
    for (size_t step = 0; step <= 3; step += 3) { /* whole, and odd chunks that split code units */
        run_xml(out, (size_t)(op - out), step, &s, &st);
        expect_xml_results(&s, &st, 2);
        ex_findings_free(&s.findings);
    }
    free(out);
    ex_buf_free(&in);
    free(data);
}

TEST(xml_single_event_errors)
{
    ex_evxml *x = ex_evxml_new();
    ex_event ev;
    ex_event_init(&ev);
    char err[160];
    CHECK_INT(ex_evxml_parse(x, "<NotAnEvent/>", 13, &ev, err, sizeof err), -1);
    CHECK_CONTAINS(err, "not an <Event>");
    const char *cut = "<Event><System><Provider Name='x'/>";
    CHECK_INT(ex_evxml_parse(x, cut, strlen(cut), &ev, err, sizeof err), -1);
    CHECK_CONTAINS(err, "XML error");
    const char *ok = "<Event><System><Provider Name='P'/><EventID>7</EventID><Level>2</Level></System>"
                     "<UserData><X><A>one</A><B><C>two</C></B></X></UserData></Event>";
    CHECK_INT(ex_evxml_parse(x, ok, strlen(ok), &ev, err, sizeof err), 0);
    CHECK_STR(ev.provider, "P");
    CHECK_INT(ev.event_id, 7);
    CHECK_INT(ev.level, 2);
    CHECK_INT(ev.ndata, 2);
    CHECK_STR(ex_event_data(&ev, 0), "one");
    CHECK_STR(ex_event_data(&ev, 1), "two");
    /* Entity expansion is not a way to blow up memory: no DTD is read. */
    const char *laugh = "<!DOCTYPE Event [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                        "<Event><EventData><Data>&b;</Data></EventData></Event>";
    int r = ex_evxml_parse(x, laugh, strlen(laugh), &ev, err, sizeof err);
    CHECK(r == 0 || r == -1);
    ex_event_free(&ev);
    ex_evxml_free(x);
}

static void run_csv(const char *data, size_t len, size_t step, seen *s, ex_event_stats *st, bool *evtxecmd)
{
    memset(s, 0, sizeof *s);
    ex_evcsv *c = ex_evcsv_new("C:/kape/EventLogs/20210905101500_EvtxECmd_Output.csv", collect, s);
    feed_chunks(feed_csv, c, data, len, step);
    ex_evcsv_finish(c);
    *st = *ex_evcsv_stats(c);
    *evtxecmd = ex_evcsv_is_evtxecmd(c);
    ex_evcsv_free(c);
}

TEST(evtxecmd_csv)
{
    size_t len;
    char *data = fixture("events/20210905101500_EvtxECmd_Output.csv", &len);
    if (!data)
        return;
    static const size_t steps[] = {0, 1, 13, 500};
    for (size_t i = 0; i < EX_ARRAY_LEN(steps); i++) {
        seen s;
        ex_event_stats st;
        bool evtxecmd;
        run_csv(data, len, steps[i], &s, &st, &evtxecmd);
        CHECK(evtxecmd);
        CHECK_INT(st.events, 7);
        CHECK_INT(st.unreadable, 2);
        CHECK_CONTAINS(st.first_error, "line 9");
        CHECK_INT(s.findings.count, 4);
        const ex_finding *um = find_id(&s, "evtx.cve-2021-26857", 0);
        CHECK(um && um->ev.line == 2 && um->time == 1614744751);
        CHECK(find_id(&s, "evtx.cve-2021-26857", 1) && find_id(&s, "evtx.cve-2021-26857", 1)->ev.line == 10);
        const ex_finding *oab = find_id(&s, "evtx.proxylogon.set-oabvirtualdirectory", 0);
        CHECK(oab && oab->ev.line == 4 && oab->severity == EX_SEV_CRITICAL);
        if (oab)
            CHECK_CONTAINS(oab->ev.match, "runat=\"server\">function Page_Load(){eval(Request[\"klk123456\"]");
        const ex_finding *pst = find_id(&s, "evtx.proxyshell.new-mailboxexportrequest", 0);
        CHECK(pst && pst->ev.line == 5); /* the record spans lines 5-6 */
        CHECK(find_id(&s, "evtx.proxyshell.new-mailboxexportrequest", 1) == NULL);
        ex_findings_free(&s.findings);
    }
    free(data);
}

TEST(other_csv_is_not_evtxecmd)
{
    const char *http =
        "DateTime,RequestId,MajorVersion,AnchorMailbox\n2021-03-03T06:49:42.162Z,x,15,ServerInfo~a]@x:444/ecp/y\n";
    seen s;
    ex_event_stats st;
    bool evtxecmd = true;
    run_csv(http, strlen(http), 0, &s, &st, &evtxecmd);
    CHECK(!evtxecmd);
    CHECK_INT(st.events, 0);
    CHECK_INT(st.unreadable, 0);
}

TEST(time_forms)
{
    CHECK_INT(ex_event_parse_time("2021-03-03T06:49:53.7720000Z", 28), 1614754193);
    CHECK_INT(ex_event_parse_time("2021-03-03 06:49:53.7720000", 27), 1614754193);
    CHECK_INT(ex_event_parse_time("2021-03-03T06:49:53+00:00", 25), 1614754193);
    CHECK_INT(ex_event_parse_time("2021-03-03T06:49:53+02:00", 25), EX_TIME_UNKNOWN);
    CHECK_INT(ex_event_parse_time("2021-13-03T06:49:53Z", 20), EX_TIME_UNKNOWN);
    CHECK_INT(ex_event_parse_time("yesterday", 9), EX_TIME_UNKNOWN);
}
