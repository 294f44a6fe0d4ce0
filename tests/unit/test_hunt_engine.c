/* lib/hunt engine: walking sources, streaming to analyzers, hashing, the
 * findings cap, archives and hostile trees. A probe analyzer records what the
 * engine hands it; the expected values come from the bytes this test writes. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hunt/evpath.h"
#include "hunt/hunt.h"
#include "t.h"
#include "t_fs.h"
#include "util.h"

#define ROOT "C:/Program Files/Microsoft/Exchange Server/V15"

/* ------------------------------------------------------------------------ */
/* the probe analyzer                                                         */

typedef struct probe_file {
    char path[512];
    char install_rel[512];
    uint64_t bytes, lines, chunks, bad_chunks, bad_offsets, longest;
    char sha[EX_SHA256_HEX];
    bool ended;
} probe_file;

static probe_file probe_files[16];
static atomic_int probe_nfiles;
static int probe_emit_per_line; /* emit one finding per line containing "EVIL" */

typedef struct probe_state {
    probe_file *pf;
    ex_hunt *h;
    uint64_t next_off;
    uint64_t line;
    size_t cur_len;
} probe_state;

static bool probe_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**.LOG", f->path);
}

static void *probe_begin(ex_hunt *h, const ex_hunt_file *f)
{
    int i = atomic_fetch_add(&probe_nfiles, 1);
    if (i >= 16)
        return NULL;
    probe_state *s = calloc(1, sizeof *s);
    s->pf = &probe_files[i];
    s->h = h;
    snprintf(s->pf->path, sizeof s->pf->path, "%s", f->path);
    snprintf(s->pf->install_rel, sizeof s->pf->install_rel, "%s", f->install_rel ? f->install_rel : "(none)");
    return s;
}

static void probe_line(probe_state *s, const char *p, size_t n, uint64_t off)
{
    s->line++;
    if (n > s->pf->longest)
        s->pf->longest = n;
    if (probe_emit_per_line && ex_strcasestr_n(p, n, "EVIL")) {
        ex_finding f;
        ex_finding_init(&f);
        f.kind = EX_KIND_ATTEMPT;
        f.severity = EX_SEV_HIGH;
        f.time = (int64_t)s->line;
        ex_finding_setz(&f.id, "probe.evil");
        ex_finding_setz(&f.ev.path, s->pf->path);
        ex_finding_set(&f.ev.match, p, n);
        f.ev.line = (int64_t)s->line;
        f.ev.offset = (int64_t)off;
        ex_hunt_emit(s->h, &f);
    }
}

static int probe_feed(void *st, const char *data, size_t len, uint64_t offset)
{
    probe_state *s = st;
    s->pf->chunks++;
    if (offset != s->next_off)
        s->pf->bad_offsets++;
    s->next_off = offset + len;
    s->pf->bytes += len;
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n') {
            probe_line(s, data + start, i - start, offset + start);
            s->pf->lines++;
            start = i + 1;
        }
    if (start != len) { /* only the end of the file may lack a '\n' */
        probe_line(s, data + start, len - start, offset + start);
        s->cur_len = len - start;
    }
    return 0;
}

static void probe_end(void *st, ex_hunt *h, const char *sha256)
{
    probe_state *s = st;
    if (s->cur_len)
        s->pf->lines++;
    snprintf(s->pf->sha, sizeof s->pf->sha, "%s", sha256);
    s->pf->ended = true;
    free(s);
}

static const ex_analyzer probe = {.name = "probe",
                                  .flags = EX_AN_LINES,
                                  .wants = probe_wants,
                                  .begin = probe_begin,
                                  .feed = probe_feed,
                                  .end = probe_end};

/* a whole-file analyzer that compares the data with its local_path copy */
static int whole_seen, whole_same, whole_path_ok;
static char whole_sha[EX_SHA256_HEX];

static bool whole_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**.aspx", f->path);
}
static void *whole_begin(ex_hunt *h, const ex_hunt_file *f)
{
    return (void *)1;
}
static int whole_whole(void *st, const unsigned char *data, size_t len, const char *local_path)
{
    whole_seen++;
    size_t n = 0;
    char err[100];
    char *copy = ex_read_file(local_path, 1 << 20, &n, err, sizeof err);
    whole_path_ok = copy != NULL;
    whole_same = copy && n == len && memcmp(copy, data, len) == 0;
    free(copy);
    return 0;
}
static void whole_end(void *st, ex_hunt *h, const char *sha)
{
    snprintf(whole_sha, sizeof whole_sha, "%s", sha);
}

static const ex_analyzer wholean = {.name = "whole",
                                    .flags = EX_AN_WHOLE,
                                    .wants = whole_wants,
                                    .begin = whole_begin,
                                    .whole = whole_whole,
                                    .end = whole_end};

static void probe_reset(void)
{
    memset(probe_files, 0, sizeof probe_files);
    atomic_store(&probe_nfiles, 0);
    probe_emit_per_line = 0;
    whole_seen = whole_same = whole_path_ok = 0;
    whole_sha[0] = '\0';
}

static probe_file *probe_find(const char *suffix)
{
    for (int i = 0; i < atomic_load(&probe_nfiles) && i < 16; i++) {
        size_t n = strlen(probe_files[i].path), m = strlen(suffix);
        if (n >= m && strcmp(probe_files[i].path + n - m, suffix) == 0)
            return &probe_files[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* helpers                                                                    */

static char tmpdir[256];

static void write_file(const char *rel, const char *data, size_t n)
{
    t_put(tmpdir, rel, data, n);
}
static void new_tmpdir(void)
{
    t_tmpdir(tmpdir, sizeof tmpdir, "hunt-engine");
}
static void rm_tmpdir(void)
{
    t_rmtree(tmpdir);
}

static ex_hunt *run_hunt(const char *input, const ex_analyzer *const *an, size_t nan, size_t per_rule)
{
    const char *inputs[] = {input};
    ex_hunt_opts o = {.inputs = inputs,
                      .ninputs = 1,
                      .analyzers = an,
                      .nanalyzers = nan,
                      .threads = 2,
                      .max_per_rule = per_rule,
                      .today = 18700};
    ex_hunt *h = ex_hunt_new(&o);
    char err[256];
    if (ex_hunt_run(h, err, sizeof err) != 0)
        t_fail(__FILE__, __LINE__, "run failed: %s", err);
    return h;
}

static bool has_skip(const ex_hunt *h, const char *reason_part)
{
    for (size_t i = 0; i < ex_hunt_skip_count(h); i++)
        if (strstr(ex_hunt_skip_at(h, i)->reason, reason_part))
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */

TEST(tree_lines_offsets_hash_and_install_root)
{
    static const char log[] = "#Fields: a,b\nline one\nEVIL two\nline three\nEVIL four";
    new_tmpdir();
    probe_reset();
    probe_emit_per_line = 1;
    write_file("C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_1.LOG", log,
               sizeof log - 1);
    write_file("C/Program Files/Microsoft/Exchange Server/V15/Logging/readme.txt", "x\n", 2);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    CHECK_STR(ex_hunt_install_root(h), ROOT);
    CHECK_STR(ex_hunt_install_info(h)->root_how, "default path");
    probe_file *pf = probe_find("HttpProxy_1.LOG");
    CHECK(pf != NULL);
    if (pf) {
        CHECK_STR(pf->path, ROOT "/Logging/HttpProxy/Ecp/HttpProxy_1.LOG");
        CHECK_STR(pf->install_rel, "Logging/HttpProxy/Ecp/HttpProxy_1.LOG");
        CHECK_INT(pf->bytes, sizeof log - 1);
        CHECK_INT(pf->lines, 5);
        CHECK_INT(pf->bad_offsets, 0);
        CHECK(pf->ended);
    }
    char want[EX_SHA256_HEX];
    ex_sha256_hex(log, sizeof log - 1, want);
    const ex_findings *l = ex_hunt_findings(h);
    CHECK_INT(l->count, 2);
    for (size_t i = 0; i < l->count; i++) {
        CHECK_STR(l->items[i].ev.sha256, want);
        CHECK_STR(l->items[i].subject, strrchr(tmpdir, '/') + 1); /* the evidence's name */
    }
    if (l->count == 2) {
        CHECK_INT(l->items[0].ev.line, 3);
        CHECK_INT(l->items[1].ev.line, 5);
        CHECK_STR(l->items[1].ev.match, "EVIL four");
        CHECK_INT(l->items[0].ev.offset, 22);
    }
    CHECK_INT(ex_hunt_stats_info(h)->files_listed, 2);
    CHECK_INT(ex_hunt_stats_info(h)->files_read, 1);
    ex_hunt_free(h);
    rm_tmpdir();
}

TEST(overlong_line_is_cut_and_the_rest_read)
{
    size_t big = 3u << 20;
    char *data = malloc(big + 64);
    size_t n = 0;
    n += (size_t)sprintf(data, "first\n");
    memset(data + n, 'A', big);
    n += big;
    n += (size_t)sprintf(data + n, "\nEVIL last\n");
    new_tmpdir();
    probe_reset();
    probe_emit_per_line = 1;
    write_file("Logging/HttpProxy/Owa/HttpProxy_2.LOG", data, n);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    probe_file *pf = probe_find("HttpProxy_2.LOG");
    CHECK(pf != NULL);
    if (pf) {
        CHECK_INT(pf->lines, 3); /* line numbers stay right after a cut */
        CHECK_INT(pf->longest, EX_HUNT_LINE_MAX);
    }
    CHECK(has_skip(h, "line longer than 1 MiB"));
    const ex_findings *l = ex_hunt_findings(h);
    CHECK_INT(l->count, 1);
    if (l->count)
        CHECK_INT(l->items[0].ev.line, 3);
    char want[EX_SHA256_HEX];
    ex_sha256_hex(data, n, want);
    if (l->count)
        CHECK_STR(l->items[0].ev.sha256, want);
    /* a tree whose top is "Logging": the Logging layout names the install root */
    CHECK_STR(ex_hunt_install_info(h)->root_how, "Logging layout");
    ex_hunt_free(h);
    free(data);
    rm_tmpdir();
}

TEST(whole_file_gets_data_and_a_readable_local_path)
{
    static const char aspx[] = "<%@ Page Language=\"C#\" %>\r\n<% Response.Write(1); %>";
    new_tmpdir();
    probe_reset();
    write_file("C/inetpub/wwwroot/aspnet_client/x.aspx", aspx, sizeof aspx - 1);
    const ex_analyzer *an[] = {&wholean};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    CHECK_INT(whole_seen, 1);
    CHECK(whole_path_ok);
    CHECK(whole_same);
    char want[EX_SHA256_HEX];
    ex_sha256_hex(aspx, sizeof aspx - 1, want);
    CHECK_STR(whole_sha, want);
    ex_hunt_free(h);
    rm_tmpdir();
}

TEST(findings_capped_per_rule_keep_the_earliest)
{
    ex_buf b = {0};
    for (int i = 1; i <= 120; i++)
        ex_buf_printf(&b, "EVIL %d\n", i);
    new_tmpdir();
    probe_reset();
    probe_emit_per_line = 1;
    write_file("Logging/HttpProxy/Ews/HttpProxy_3.LOG", b.data, b.len);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 10);
    const ex_findings *l = ex_hunt_findings(h);
    CHECK_INT(l->count, 11);
    size_t agg = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->items[i].ev.line < 0) {
            agg++;
            CHECK_CONTAINS(l->items[i].title, "110 more findings of probe.evil");
        } else {
            CHECK(l->items[i].ev.line <= 10); /* the ten earliest */
        }
    }
    CHECK_INT(agg, 1);
    ex_hunt_free(h);
    ex_buf_free(&b);
    rm_tmpdir();
}

static void zip_add(struct archive *a, const char *name, const char *data)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(data));
    archive_write_header(a, e);
    archive_write_data(a, data, strlen(data));
    archive_entry_free(e);
}

TEST(velociraptor_zip_read_in_place_traversal_reported)
{
    new_tmpdir();
    probe_reset();
    probe_emit_per_line = 1;
    char zpath[400];
    snprintf(zpath, sizeof zpath, "%s/collection.zip", tmpdir);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_filename(a, zpath);
    zip_add(a, "uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_4.LOG",
            "a\nEVIL b\n");
    zip_add(a,
            "uploads/ntfs/%5C%5C.%5CC%3A/Program%20Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/"
            "HttpProxy_5.LOG",
            "c\n");
    zip_add(a, "../../outside.LOG", "EVIL escaped\n");
    archive_write_close(a);
    archive_write_free(a);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(zpath, an, 1, 0);
    CHECK(probe_find(ROOT "/Logging/HttpProxy/Ecp/HttpProxy_4.LOG") != NULL);
    CHECK(probe_find(ROOT "/Logging/HttpProxy/Owa/HttpProxy_5.LOG") != NULL);
    CHECK(probe_find("outside.LOG") == NULL);
    CHECK(has_skip(h, "path traversal"));
    const ex_findings *l = ex_hunt_findings(h);
    CHECK_INT(l->count, 1);
    char want[EX_SHA256_HEX];
    ex_sha256_hex("a\nEVIL b\n", 9, want);
    if (l->count)
        CHECK_STR(l->items[0].ev.sha256, want);
    CHECK_STR(ex_hunt_install_root(h), ROOT);
    ex_hunt_free(h);
    rm_tmpdir();
}

TEST(symlinks_never_followed_loops_and_escapes_reported)
{
    new_tmpdir();
    probe_reset();
    write_file("Logging/HttpProxy/Ecp/HttpProxy_6.LOG", "a\n", 2);
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/Logging/loop", tmpdir);
    CHECK(symlink("loop", p1) == 0);
    snprintf(p1, sizeof p1, "%s/Logging/out", tmpdir);
    CHECK(symlink("/etc", p1) == 0);
    snprintf(p1, sizeof p1, "%s/Logging/HttpProxy/up", tmpdir);
    snprintf(p2, sizeof p2, "..");
    CHECK(symlink(p2, p1) == 0);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    CHECK(has_skip(h, "symbolic link loop"));
    CHECK(has_skip(h, "outside the evidence"));
    CHECK(has_skip(h, "inside the evidence"));
    CHECK_INT(atomic_load(&probe_nfiles), 1);
    ex_hunt_free(h);
    rm_tmpdir();
}

TEST(unreadable_file_reported_rest_read)
{
    if (geteuid() == 0)
        return; /* root reads everything */
    new_tmpdir();
    probe_reset();
    write_file("Logging/HttpProxy/Ecp/HttpProxy_7.LOG", "a\n", 2);
    write_file("Logging/HttpProxy/Ecp/HttpProxy_8.LOG", "b\n", 2);
    char p[512];
    snprintf(p, sizeof p, "%s/Logging/HttpProxy/Ecp/HttpProxy_7.LOG", tmpdir);
    chmod(p, 0);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    CHECK(has_skip(h, "Permission denied"));
    CHECK(probe_find("HttpProxy_8.LOG") != NULL);
    chmod(p, 0644);
    ex_hunt_free(h);
    rm_tmpdir();
}

TEST(exchange_root_override_in_windows_form)
{
    new_tmpdir();
    probe_reset();
    write_file("img/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_9.LOG", "a\n", 2);
    const char *inputs[] = {tmpdir};
    ex_hunt_opts o = {.inputs = inputs,
                      .ninputs = 1,
                      .analyzers = (const ex_analyzer *const[]){&probe},
                      .nanalyzers = 1,
                      .exchange_root = "C:\\Microsoft\\Exchange Server\\V15\\",
                      .today = 18700};
    ex_hunt *h = ex_hunt_new(&o);
    char err[200];
    CHECK(ex_hunt_run(h, err, sizeof err) == 0);
    char want[400];
    snprintf(want, sizeof want, "img/Microsoft/Exchange Server/V15");
    CHECK_STR(ex_hunt_install_root(h), want);
    CHECK_STR(ex_hunt_install_info(h)->root_how, "--exchange-root");
    probe_file *pf = probe_find("HttpProxy_9.LOG");
    if (pf)
        CHECK_STR(pf->install_rel, "Logging/HttpProxy/Ecp/HttpProxy_9.LOG");
    ex_hunt_free(h);
    rm_tmpdir();
}

/* ------------------------------------------------------------------------ */
/* the timeline: a stand-in analyzer states the build, the fix time and one   */
/* attack; the answers follow from the builds table (logs-and-builds.md §5.2: */
/* 15.1.2176.9 is 2016 CU19 Mar21SU, which fixes CVE-2021-26855).             */

static const char *tl_build;
static int64_t tl_patch, tl_attack;

static bool tl_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**.LOG", f->path);
}
static void *tl_begin(ex_hunt *h, const ex_hunt_file *f)
{
    if (tl_build)
        ex_hunt_fact(h, "install.build", EX_TIME_UNKNOWN, tl_build, "C:/x/Bin/ExSetup.exe");
    if (tl_patch != EX_TIME_UNKNOWN)
        ex_hunt_fact(h, "patch.installed", tl_patch, tl_build, "C:/x/Bin/ExSetup.exe");
    ex_finding x;
    ex_finding_init(&x);
    x.kind = EX_KIND_SUCCESS;
    x.severity = EX_SEV_CRITICAL;
    x.time = tl_attack;
    ex_finding_setz(&x.id, "probe.attack");
    ex_finding_setz(&x.cve, "CVE-2021-26855");
    ex_finding_setz(&x.ev.path, f->path);
    ex_hunt_emit(h, &x);
    return (void *)1;
}
static int tl_feed(void *s, const char *d, size_t n, uint64_t off)
{
    return 0;
}
static const ex_analyzer tl_an = {
    .name = "timeline-probe", .flags = EX_AN_LINES, .wants = tl_wants, .begin = tl_begin, .feed = tl_feed};

static const ex_hunt_timeline *timeline_for(ex_hunt **h, const char *build, int64_t patch, int64_t attack)
{
    tl_build = build;
    tl_patch = patch;
    tl_attack = attack;
    const ex_analyzer *an[] = {&tl_an};
    *h = run_hunt(tmpdir, an, 1, 0);
    return ex_hunt_timeline_info(*h);
}

TEST(timeline_exploitable_while_attacked)
{
    const int64_t mar03 = 1614754182, mar10 = 1615415400; /* 2021-03-03T06:49:42Z, 2021-03-10T22:30:00Z */
    new_tmpdir();
    write_file("Logging/HttpProxy/Ecp/HttpProxy_1.LOG", "x\n", 2);
    ex_hunt *h;
    const ex_hunt_timeline *t = timeline_for(&h, "15.1.2176.9", mar10, mar03);
    CHECK_STR(t->exploitable_during_attacks, "yes"); /* fixed a week after the attack */
    CHECK_INT(t->exposed_from, mar03);
    CHECK_INT(t->exposed_to, mar10);
    CHECK_INT(t->first_malicious, mar03);
    ex_hunt_free(h);
    t = timeline_for(&h, "15.1.2176.9", mar03 - 86400, mar03);
    CHECK_STR(t->exploitable_during_attacks, "no"); /* fixed the day before */
    ex_hunt_free(h);
    t = timeline_for(&h, "15.1.2176.2", EX_TIME_UNKNOWN, mar03);
    CHECK_STR(t->exploitable_during_attacks, "yes"); /* CU19 without Mar21SU: still vulnerable */
    CHECK_INT(t->exposed_to, EX_TIME_UNKNOWN);       /* still open */
    ex_hunt_free(h);
    t = timeline_for(&h, "15.1.2176.9", EX_TIME_UNKNOWN, mar03);
    CHECK_STR(t->exploitable_during_attacks, "unknown"); /* fixed, but since when? */
    ex_hunt_free(h);
    t = timeline_for(&h, NULL, EX_TIME_UNKNOWN, mar03);
    CHECK_STR(t->exploitable_during_attacks, "unknown"); /* no build */
    ex_hunt_free(h);
    rm_tmpdir();
}

/* Coverage: two days of HttpProxy logs with a week between them. */
static bool cov_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**.LOG", f->path);
}
static void *cov_begin(ex_hunt *h, const ex_hunt_file *f)
{
    int64_t day = strstr(f->path, "0101") ? 1609459200 : 1610064000; /* 2021-01-01, 2021-01-08 */
    ex_hunt_cover(h, "Logging/HttpProxy/Ecp", day, day + 86399);
    return (void *)1;
}
static const ex_analyzer cov_an = {
    .name = "cover-probe", .flags = EX_AN_LINES, .wants = cov_wants, .begin = cov_begin, .feed = tl_feed};

TEST(coverage_span_and_gaps)
{
    new_tmpdir();
    write_file("Logging/HttpProxy/Ecp/HttpProxy_2021010100-1.LOG", "x\n", 2);
    write_file("Logging/HttpProxy/Ecp/HttpProxy_2021010800-1.LOG", "x\n", 2);
    const ex_analyzer *an[] = {&cov_an};
    ex_hunt *h = run_hunt(tmpdir, an, 1, 0);
    CHECK_INT(ex_hunt_coverage_count(h), 1);
    const ex_hunt_coverage *c = ex_hunt_coverage_at(h, 0);
    if (c) {
        CHECK_INT(c->first, 1609459200);
        CHECK_INT(c->last, 1610064000 + 86399);
        CHECK_INT(c->files, 2);
        CHECK_INT(c->ngaps, 1);
        if (c->ngaps) {
            CHECK_INT(c->gaps[0].from, 1609459200 + 86399);
            CHECK_INT(c->gaps[0].to, 1610064000);
        }
        CHECK(c->reaches); /* from 2021-01-01 */
    }
    ex_hunt_free(h);
    rm_tmpdir();
}

/* Regression: a single log file, or a log folder, given alone keeps the
 * Windows context of its own path (the drive and the Logging layout). */
TEST(single_file_and_log_folder_inputs)
{
    new_tmpdir();
    probe_reset();
    write_file("C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_10.LOG", "a\n", 2);
    char file[700], folder[700];
    snprintf(file, sizeof file,
             "%s/C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_10.LOG", tmpdir);
    snprintf(folder, sizeof folder, "%s/C/Program Files/Microsoft/Exchange Server/V15/Logging", tmpdir);
    const ex_analyzer *an[] = {&probe};
    ex_hunt *h = run_hunt(file, an, 1, 0);
    probe_file *pf = probe_find("HttpProxy_10.LOG");
    if (pf)
        CHECK_STR(pf->path, ROOT "/Logging/HttpProxy/Ecp/HttpProxy_10.LOG");
    CHECK(pf != NULL);
    ex_hunt_free(h);
    probe_reset();
    h = run_hunt(folder, an, 1, 0);
    CHECK_STR(ex_hunt_install_root(h), ROOT);
    pf = probe_find("HttpProxy_10.LOG");
    if (pf)
        CHECK_STR(pf->install_rel, "Logging/HttpProxy/Ecp/HttpProxy_10.LOG");
    ex_hunt_free(h);
    rm_tmpdir();
}
