/* lib/hunt/evtx_bin + event: the real .evtx samples in ../shared/reference/evtx.
 * Expected record counts come from that folder's MANIFEST.tsv (evtxexport and
 * python-evtx, run by whoever collected the samples), read at run time; the
 * expected field values are those printed by `evtxexport -f xml` and quoted
 * in its README. */
#include "t.h"

#include <errno.h>
#include <unistd.h>

#include "hunt/event.h"
#include "hunt/evtx_bin.h"
#include "util.h"

/* ../shared next to the repository (CI), or next to the directory holding a
 * git worktree of it; $EXAUDIT_SHARED wins. */
static const char *evtx_dir(void)
{
    static char dir[4096];
    const char *env = getenv("EXAUDIT_SHARED");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s/reference/evtx", env);
        return dir;
    }
    snprintf(dir, sizeof dir, "%s/../shared/reference/evtx", t_srcdir());
    if (access(dir, F_OK) != 0)
        snprintf(dir, sizeof dir, "%s/../../shared/reference/evtx", t_srcdir());
    return dir;
}

static char *read_sample(const char *name, size_t *len)
{
    char path[4600], err[200];
    snprintf(path, sizeof path, "%s/%s", evtx_dir(), name);
    char *data = ex_read_file(path, 64u << 20, len, err, sizeof err);
    if (!data)
        t_fail(__FILE__, __LINE__, "%s: %s (the reference samples must be at ../shared)", path, err);
    return data;
}

/* Everything the callback saw. */
typedef struct seen {
    uint64_t events, recovered;
    ex_findings findings;
    int64_t first_event_id;
    char first_provider[EX_EVENT_NAME_MAX];
    char first_channel[EX_EVENT_NAME_MAX];
    char first_data0[256];
    uint64_t first_record;
    int64_t first_offset;
} seen;

static void collect(void *ctx, const ex_event *ev, const ex_event_where *w)
{
    seen *s = ctx;
    if (w->recovered)
        s->recovered++;
    else if (s->events++ == 0) {
        s->first_event_id = ev->event_id;
        s->first_record = ev->record_id;
        s->first_offset = w->offset;
        ex_strlcpy(s->first_provider, ev->provider, sizeof s->first_provider);
        ex_strlcpy(s->first_channel, ev->channel, sizeof s->first_channel);
        ex_strlcpy(s->first_data0, ex_event_data(ev, 0) ? ex_event_data(ev, 0) : "", sizeof s->first_data0);
    }
    CHECK(ex_event_check(ev, w, &s->findings) >= 0);
}

static int read_evtx(const char *name, seen *s, ex_evtx_result *res)
{
    size_t len = 0;
    char *data = read_sample(name, &len);
    char err[200] = "";
    memset(s, 0, sizeof *s);
    if (!data)
        return -1;
    int rc = ex_evtx_read((const unsigned char *)data, len, name, collect, s, res, err, sizeof err);
    if (rc != 0)
        t_fail(__FILE__, __LINE__, "%s: %s", name, err);
    free(data);
    return rc;
}

/* One MANIFEST.tsv row: the columns this test checks. */
typedef struct manifest_row {
    char file[200];
    long rc, records, all_records;
} manifest_row;

static size_t read_manifest(manifest_row *rows, size_t max)
{
    char path[4600], err[200];
    size_t len;
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", evtx_dir());
    char *text = ex_read_file(path, 1 << 20, &len, err, sizeof err);
    if (!text) {
        t_fail(__FILE__, __LINE__, "%s: %s", path, err);
        return 0;
    }
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        /* file repo path last_commit size sha256 evtxexport_rc evtxexport_records evtxexport_m_all_records ... */
        char *col[12] = {0};
        size_t c = 0;
        for (char *p = line; c < 12; c++) {
            col[c] = p;
            p = strchr(p, '\t');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (c < 9 || strcmp(col[0], "file") == 0)
            continue;
        ex_strlcpy(rows[n].file, col[0], sizeof rows[n].file);
        rows[n].rc = strtol(col[6], NULL, 10);
        rows[n].records = strtol(col[7], NULL, 10);
        rows[n].all_records = strtol(col[8], NULL, 10);
        n++;
    }
    free(text);
    return n;
}

TEST(record_counts_match_evtxexport)
{
    manifest_row rows[64];
    size_t n = read_manifest(rows, 64);
    CHECK_INT(n, 20);
    for (size_t i = 0; i < n; i++) {
        seen s;
        ex_evtx_result res;
        if (read_evtx(rows[i].file, &s, &res) != 0)
            continue;
        /* evtxexport exits 1 on the one file it cannot read: its record is unreadable here. */
        long readable = rows[i].rc == 0 ? rows[i].records : 0;
        if ((long)s.events != readable || (long)res.st.events != readable)
            t_fail(__FILE__, __LINE__, "%s: %llu events, evtxexport read %ld", rows[i].file,
                   (unsigned long long)s.events, readable);
        /* "-m all" adds the records libevtx retrieves from slack space, garbage or not. */
        long all = rows[i].rc == 0 ? rows[i].all_records : 0;
        if ((long)(res.st.events + res.recovered_records) != all)
            t_fail(__FILE__, __LINE__, "%s: %llu + %llu recovered, evtxexport -m all %ld", rows[i].file,
                   (unsigned long long)res.st.events, (unsigned long long)res.recovered_records, all);
        CHECK_INT(s.recovered, res.st.recovered);
        CHECK_INT(res.st.recovered + res.recovered_bad, res.recovered_records);
        if (rows[i].rc == 0 && res.st.unreadable)
            t_fail(__FILE__, __LINE__, "%s: %llu unreadable (%s)", rows[i].file, (unsigned long long)res.st.unreadable,
                   res.st.first_error);
        ex_findings_free(&s.findings);
    }
}

TEST(forwarded_exchange_event_is_reported_unreadable)
{
    seen s;
    ex_evtx_result res;
    if (read_evtx("om__MSExchange_Management_wec.evtx", &s, &res) != 0)
        return;
    CHECK_INT(res.records, 1);
    CHECK_INT(res.st.events, 0);
    CHECK_INT(res.st.unreadable, 1);
    char why[300];
    CHECK(ex_event_stats_describe(&res.st, why, sizeof why) > 0);
    CHECK_CONTAINS(why, "1 of 1 events unreadable");
    CHECK_CONTAINS(why, "record 0");
    ex_findings_free(&s.findings);
}

TEST(cmdlet_log_fields)
{
    seen s;
    ex_evtx_result res;
    if (read_evtx("md__ID6-Failed_to_install_an_Exchange_transport_agent.evtx", &s, &res) != 0)
        return;
    /* evtxexport -f xml: Provider "MSExchange CmdletLogs", EventID 6, record 7184,
     * Channel "MSExchange Management", first Data "Install-TransportAgent". */
    CHECK_STR(s.first_provider, "MSExchange CmdletLogs");
    CHECK_STR(s.first_channel, "MSExchange Management");
    CHECK_INT(s.first_event_id, 6);
    CHECK_INT(s.first_record, 7184);
    CHECK_STR(s.first_data0, "Install-TransportAgent");
    /* libevtx reports offset 0; the record's "**\0\0" header is at 4608 (first chunk + 512) */
    CHECK_INT(s.first_offset, 4608);
    /* 2021-06-04T08:41:47Z (the first TimeCreated) to the last run. */
    CHECK_INT(res.st.first, 1622796107);
    /* Install-TransportAgent is none of the web-shell cmdlets. */
    CHECK_INT(s.findings.count, 0);
    ex_findings_free(&s.findings);
}

TEST(classic_provider_and_control_bytes)
{
    seen s;
    ex_evtx_result res;
    /* Raw 0x01 in a DNS name (README: "@¦5\x01."): still five readable events. */
    if (read_evtx("pe__dns_log_malformed.evtx", &s, &res) == 0) {
        CHECK_INT(res.st.events, 5);
        CHECK_INT(res.st.unreadable, 0);
    }
    if (read_evtx("sb__MSSQL_multiple_failed_logon_EventID_18456.evtx", &s, &res) == 0) {
        CHECK_STR(s.first_provider, "MSSQLSERVER");
        CHECK_INT(s.first_event_id, 18456);
        CHECK_STR(s.first_channel, "Application");
    }
    ex_findings_free(&s.findings);
}

TEST(corrupt_samples_flagged_and_read)
{
    seen s;
    ex_evtx_result res;
    if (read_evtx("om__Application_no_crc32.evtx", &s, &res) == 0) {
        CHECK(res.corrupted); /* evtxinfo: "Is corrupted" */
        CHECK_INT(res.st.events, 17);
    }
    if (read_evtx("om__sample_with_a_bad_chunk_magic.evtx", &s, &res) == 0) {
        CHECK(res.corrupted);
        CHECK_INT(res.st.events, 267);
    }
    ex_findings_free(&s.findings);
}

/* Cut a real file at offsets inside the header, inside a chunk and between
 * chunks: never a crash, never more records than the whole file, the cut
 * flagged, and every complete chunk still read. */
TEST(truncated_files)
{
    size_t len = 0;
    char *data = read_sample("om__sample-with-zero-data-size-event.evtx", &len);
    if (!data)
        return;
    static const size_t cuts[] = {0, 7, 100, 4095, 4097, 5000, 4096 + 65535, 70000, 200000, 600000, 1118207};
    uint64_t prev = 0;
    for (size_t i = 0; i < EX_ARRAY_LEN(cuts); i++) {
        seen s = {0};
        ex_evtx_result res;
        char err[200] = "";
        /* A copy of exactly the cut length, so that the sanitizer sees any overread. */
        unsigned char *cut = malloc(cuts[i] ? cuts[i] : 1);
        memcpy(cut, data, cuts[i]);
        int rc = ex_evtx_read(cut, cuts[i], "cut.evtx", collect, &s, &res, err, sizeof err);
        if (cuts[i] < 8) {
            CHECK_INT(rc, -1);
            CHECK(err[0] != '\0');
        } else if (rc == 0) {
            CHECK(res.truncated);
            CHECK(res.st.events <= 335);
            CHECK(res.st.events >= prev); /* a longer copy never reads fewer records */
            prev = res.st.events;
        } else {
            CHECK(err[0] != '\0'); /* libevtx refused it: a clear reason */
        }
        free(cut);
        ex_findings_free(&s.findings);
    }
    /* 200000 bytes hold two complete chunks after the header. */
    CHECK(prev > 0);
    free(data);
}

TEST(not_an_evtx)
{
    seen s = {0};
    ex_evtx_result res;
    char err[200] = "";
    static const char junk[] = "ElfFile\0 but nothing else of a real header, just text";
    CHECK(ex_evtx_read((const unsigned char *)junk, sizeof junk, "junk.evtx", collect, &s, &res, err, sizeof err) !=
              0 ||
          res.st.events == 0);
    CHECK_INT(ex_evtx_read((const unsigned char *)"MZ", 2, "x.evtx", collect, &s, &res, err, sizeof err), -1);
    CHECK_CONTAINS(err, "not an .evtx");
}
