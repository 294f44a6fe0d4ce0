/* The inventory store: records from the real library (ex_assess on real
 * builds -> ex_host_json, plus scan fields), crash safety under SIGKILL,
 * resume, two concurrent writers, the 1 -> 2 migration, rescoring, CSV.
 *
 * Expected verdicts come from the advisories quoted in
 * ../shared/docs/logs-and-builds.md §5.2: ProxyLogon (CVE-2021-26855) was fixed
 * by Mar21SU, which for Exchange 2016 CU19 is build 15.1.2176.9 (KB5000871);
 * so 15.1.2176.2 is vulnerable and 15.1.2176.9 is not. */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "kb.h"
#include "out/inventory.h"
#include "out/state.h"
#include "out/store.h"
#include "t.h"
#include "t_inv.h"
#include "util.h"

static ex_store *open_or_die(const char *path)
{
    char err[256];
    ex_store *s = ex_store_open(path, err, sizeof err);
    if (!s) {
        printf("# open %s: %s\n", path, err);
        fflush(stdout);
        abort();
    }
    return s;
}

/* A host record as the scanner makes it: the real assessment plus scan fields. */
static json_t *record_for(const char *build, const char *target, ex_facts *facts, ex_findings *findings)
{
    static ex_observation none[1];
    *facts = (ex_facts){.today = ex_date_to_days("2026-09-01"), .version_evidence = "X-OWA-Version", .obs = none};
    if (build && ex_version_parse_str(build, &facts->version) == EX_VERSION_OK)
        facts->have_version = true;
    ex_assessment a;
    if (ex_assess(ex_kb_builtin(), facts, &a) != 0)
        abort();
    json_t *h = ex_host_json(&a);
    if (findings)
        ex_host_findings(&a, target, findings);
    ex_assessment_free(&a);
    json_object_set_new(h, "target", json_string(target));
    json_object_set_new(h, "ip", json_string("127.30.0.1"));
    json_object_set_new(h, "port", json_integer(443));
    json_object_set_new(h, "exchange", json_string("onprem"));
    json_object_set_new(h, "tls", json_pack("{s:s}", "subject", "CN=mail.example"));
    json_object_set_new(h, "probes", json_pack("[{s:s, s:s}]", "name", "owa-logon", "evidence", "favicon path"));
    json_object_set_new(h, "errors", json_array());
    return h;
}

static int64_t q_int(ex_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ex_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A finding the scanner adds itself (not derivable from the assessment). */
static void scan_note(ex_findings *l, const char *target)
{
    ex_finding f;
    ex_finding_init(&f);
    f.severity = EX_SEV_MEDIUM;
    ex_finding_setz(&f.id, "scan.tls.expired");
    ex_finding_setz(&f.title, "certificate expired");
    ex_finding_setz(&f.subject, target);
    ex_findings_push(l, &f);
}

/* One host per transaction, telling the parent after each commit. */
static int writer(const char *path, int total, int notify_fd, bool resume, const char *prefix)
{
    ex_store *s = open_or_die(path);
    int64_t run = resume ? ex_store_resume_run(s, "scan", NULL) : ex_store_begin_run(s, "scan", NULL);
    if (run <= 0)
        return 10;
    for (int i = 0; i < total; i++) {
        char target[64];
        snprintf(target, sizeof target, "%s%03d.example", prefix, i);
        if (ex_store_run_has(s, run, target))
            continue;
        ex_facts facts;
        ex_findings fl = {0};
        json_t *rec = record_for(i % 2 ? "15.1.2176.2" : "15.1.2176.9", target, &facts, &fl);
        scan_note(&fl, target);
        int rc = ex_store_put_host(s, run, target, rec, &facts, &fl);
        json_decref(rec);
        ex_findings_free(&fl);
        if (rc != 0) {
            printf("# put_host %s: %s\n", target, ex_store_errmsg(s));
            fflush(stdout);
            return 11;
        }
        if (notify_fd >= 0 && write(notify_fd, "c", 1) != 1)
            return 12;
    }
    int rc = ex_store_end_run(s, run, "done");
    ex_store_close(s);
    return rc == 0 ? 0 : 13;
}

static pid_t spawn_writer(const char *path, int total, int *read_fd, bool resume, const char *prefix)
{
    int p[2];
    if (pipe(p) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(writer(path, total, p[1], resume, prefix));
    }
    close(p[1]);
    *read_fd = p[0];
    return pid;
}

static int wait_exit(pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(kill9_mid_scan_loses_at_most_the_host_in_flight_and_resume_completes)
{
    const int total = 40;
    srand(20260901);
    for (int round = 0; round < 4; round++) {
        char path[256];
        t_temp_db(path, sizeof path);
        int fd, k = 1 + rand() % (total - 2);
        pid_t pid = spawn_writer(path, total, &fd, false, "h");
        char c;
        for (int seen = 0; seen < k; seen++)
            if (read(fd, &c, 1) != 1)
                break;
        kill(pid, SIGKILL); /* somewhere inside a host's transaction, or between two */
        CHECK_INT(wait_exit(pid), 128 + SIGKILL);
        /* The writer may have gone on before the signal landed: every commit it
         * announced is in the pipe. */
        int announced = k;
        while (read(fd, &c, 1) == 1)
            announced++;
        close(fd);

        ex_store *s = open_or_die(path);
        int64_t have = q_int(s, "SELECT count(*) FROM results");
        /* Every announced host is there; at most the one in flight (committed,
         * not yet announced) more. */
        if (!(have == announced || have == announced + 1))
            printf("#   round %d: %lld results, %d announced\n", round, (long long)have, announced);
        CHECK(have == announced || have == announced + 1);
        CHECK_INT(q_int(s, "SELECT count(*) - count(DISTINCT host_id) FROM results"), 0);
        CHECK_INT(q_int(s, "SELECT count(*) FROM findings"), have);
        CHECK_INT(q_int(s, "SELECT count(*) FROM runs WHERE status='running'"), 1);
        ex_store_close(s);

        pid = spawn_writer(path, total, &fd, true, "h");
        while (read(fd, &c, 1) == 1)
            ;
        close(fd);
        CHECK_INT(wait_exit(pid), 0);
        s = open_or_die(path);
        CHECK_INT(q_int(s, "SELECT count(*) FROM runs"), 1);
        CHECK_INT(q_int(s, "SELECT count(*) FROM results"), total);
        CHECK_INT(q_int(s, "SELECT count(DISTINCT host_id) FROM results"), total);
        CHECK_INT(q_int(s, "SELECT count(*) FROM findings"), total);
        CHECK_INT(q_int(s, "SELECT count(*) FROM hosts"), total);
        CHECK_INT(q_int(s, "SELECT count(*) FROM runs WHERE status='done'"), 1);
        CHECK_INT(q_int(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check='ok'"), 1);
        ex_store_close(s);
    }
}

TEST(two_concurrent_writers_on_one_database)
{
    char path[256];
    t_temp_db(path, sizeof path);
    ex_store_close(open_or_die(path)); /* schema first, as a real first run would */
    int fa, fb;
    pid_t a = spawn_writer(path, 60, &fa, false, "a"), b = spawn_writer(path, 60, &fb, false, "b");
    char c;
    while (read(fa, &c, 1) == 1)
        ;
    while (read(fb, &c, 1) == 1)
        ;
    CHECK_INT(wait_exit(a), 0);
    CHECK_INT(wait_exit(b), 0);
    ex_store *s = open_or_die(path);
    CHECK_INT(q_int(s, "SELECT count(*) FROM runs WHERE status='done'"), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM results"), 120);
    CHECK_INT(q_int(s, "SELECT max(n) FROM (SELECT count(*) n FROM results GROUP BY run_id)"), 60);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hosts"), 120);
    CHECK_INT(q_int(s, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check='ok'"), 1);
    ex_store_close(s);
}

typedef struct verdicts {
    char target[8][64], verdict[8][16], light[8][8], hunt[8][16];
    int n;
} verdicts;

static int collect(void *ud, const ex_fleet_row *r)
{
    verdicts *v = ud;
    if (v->n < 8) {
        snprintf(v->target[v->n], 64, "%s", r->target);
        snprintf(v->verdict[v->n], 16, "%s", r->verdict ? r->verdict : "-");
        snprintf(v->light[v->n], 8, "%s", ex_light_name(r->light));
        snprintf(v->hunt[v->n], 16, "%s", r->hunt ? r->hunt : "-");
        v->n++;
    }
    return 0;
}

TEST(current_result_is_the_newest_run_and_verdicts_follow_the_advisory)
{
    char path[256];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    ex_facts f;
    int64_t r1 = ex_store_begin_run(s, "scan", NULL), r2 = ex_store_begin_run(s, "scan", NULL);
    json_t *old = record_for("15.1.2176.2", "mail.example", &f, NULL);
    CHECK_INT(ex_store_put_host(s, r1, "mail.example", old, &f, NULL), 0);
    json_t *fixed = record_for("15.1.2176.9", "mail.example", &f, NULL);
    CHECK_INT(ex_store_put_host(s, r2, "mail.example", fixed, &f, NULL), 0);
    /* A late write to the older run (a resume) must not take over the fleet view. */
    CHECK_INT(ex_store_put_host(s, r1, "mail.example", old, &f, NULL), 0);
    verdicts v = {0};
    ex_fleet_filter all = {.light = -1};
    CHECK_INT(ex_fleet_each(s, &all, collect, &v), 0);
    CHECK_INT(v.n, 1);
    CHECK_STR(v.target[0], "mail.example");
    ex_fleet_filter pl = {.cve = "CVE-2021-26855", .light = -1};
    v.n = 0;
    CHECK_INT(ex_fleet_each(s, &pl, collect, &v), 0);
    CHECK_INT(v.n, 0);
    CHECK_INT(q_int(s, "SELECT count(*) FROM results"), 2); /* the replaced result is not duplicated */
    CHECK(ex_store_run_has(s, r1, "mail.example"));
    CHECK(!ex_store_run_has(s, r1, "other.example"));
    json_decref(old);
    json_decref(fixed);
    ex_store_close(s);
}

TEST(rescore_against_the_same_knowledge_recomputes_the_same_verdicts)
{
    char path[256];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    int64_t run = ex_store_begin_run(s, "scan", NULL);
    /* A CU-only server whose ProxyLogon probe answered positively (remote-detection.md §2.1). */
    ex_observation probe = {"CVE-2021-26855", EX_PROBE_POSITIVE, "X-CalculatedBETarget: localhost"};
    ex_facts f = {.today = ex_date_to_days("2026-09-01"), .obs = &probe, .nobs = 1};
    ex_version_parse_str("15.1.2176", &f.version);
    f.have_version = true;
    ex_assessment a;
    ex_assess(ex_kb_builtin(), &f, &a);
    json_t *rec = ex_host_json(&a);
    CHECK_STR(json_string_value(json_object_get(rec, "verdict")), "vulnerable");
    ex_assessment_free(&a);
    CHECK_INT(ex_store_put_host(s, run, "cu-only.example", rec, &f, NULL), 0);
    /* And one without the scanner's facts: they are recovered from the record. */
    ex_facts g;
    json_t *rec2 = record_for("15.2.2562.17", "se.example", &g, NULL);
    CHECK_INT(ex_store_put_host(s, run, "se.example", rec2, NULL, NULL), 0);
    ex_rescore_stats st;
    CHECK_INT(ex_store_rescore(s, ex_kb_builtin(), ex_date_to_days("2026-09-01"), false, NULL, NULL, &st), 0);
    CHECK_INT(st.results, 2);
    CHECK_INT(st.changed, 0);
    CHECK_INT(q_int(s, "SELECT count(*) FROM facts WHERE json LIKE '%positive%'"), 1);
    json_decref(rec);
    json_decref(rec2);
    ex_store_close(s);
}

TEST(facts_round_trip)
{
    ex_observation obs[2] = {{"CVE-2021-26855", EX_PROBE_MITIGATED, "connection reset"},
                             {"CVE-2021-34473", EX_PROBE_NEGATIVE, "404"}};
    ex_config_fact cfg = {"Extended Protection", EX_SETTING_ON, "tokenChecking=Require"};
    ex_facts f = {.obs = obs, .nobs = 2, .config = &cfg, .nconfig = 1, .version_evidence = "header"};
    ex_version_parse_str("15.2.1544.4", &f.version);
    f.have_version = true;
    json_t *j = ex_facts_to_json(&f);
    ex_stored_facts back;
    CHECK_INT(ex_facts_parse(j, 7, &back), 0);
    CHECK(back.facts.have_version);
    CHECK_INT(ex_version_cmp(&back.facts.version, &f.version), 0);
    CHECK_INT(back.facts.nobs, 2);
    CHECK_INT(back.facts.obs[0].outcome, EX_PROBE_MITIGATED);
    CHECK_STR(back.facts.obs[1].cve, "CVE-2021-34473");
    CHECK_INT(back.facts.nconfig, 1);
    CHECK_INT(back.facts.config[0].state, EX_SETTING_ON);
    CHECK_INT(back.facts.today, 7);
    json_t *bad = json_pack("{s:s}", "version", "not a build");
    CHECK_INT(ex_facts_parse(bad, 0, &back), -1);
    json_decref(bad);
    json_decref(j);
}

#define push_finding(l, kind, sev, cve, path) t_push_finding(l, kind, sev, cve, path, EX_TIME_UNKNOWN, "finding")

TEST(hunt_verdicts_and_hostile_bytes_in_findings)
{
    char path[256];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    int64_t run = ex_store_begin_run(s, "hunt", NULL);
    ex_findings shell = {0}, attempt = {0}, clean = {0};
    push_finding(&shell, EX_KIND_WEBSHELL, EX_SEV_CRITICAL, NULL, "C:/inetpub/wwwroot/aspnet_client/\xff\xfe<x>.aspx");
    push_finding(&attempt, EX_KIND_ATTEMPT, EX_SEV_HIGH, "CVE-2021-26855", "C:/x.log");
    push_finding(&clean, EX_KIND_EXPOSURE, EX_SEV_INFO, NULL, "C:/y.log");
    CHECK_INT(ex_store_put_hunt(s, run, "a.example", &shell, NULL, NULL), 0);
    CHECK_INT(ex_store_put_hunt(s, run, "b.example", &attempt, NULL, NULL), 0);
    CHECK_INT(ex_store_put_hunt(s, run, "c.example", &clean, NULL, NULL), 0);
    verdicts v = {0};
    ex_fleet_filter all = {.light = -1};
    ex_fleet_each(s, &all, collect, &v);
    CHECK_INT(v.n, 3);
    CHECK_STR(v.hunt[0], "compromised");
    CHECK_STR(v.light[0], "red");
    CHECK_STR(v.hunt[1], "suspicious");
    CHECK_STR(v.light[1], "yellow");
    CHECK_STR(v.hunt[2], "clean");
    /* Invalid UTF-8 is stored as U+FFFD: the stored JSON stays valid. */
    CHECK_INT(q_int(s, "SELECT count(*) FROM findings WHERE json_valid(json) AND json LIKE '%\xEF\xBF\xBD%'"), 1);
    ex_findings_free(&shell);
    ex_findings_free(&attempt);
    ex_findings_free(&clean);
    ex_store_close(s);
}

TEST(csv_import_is_all_or_nothing)
{
    char path[256], err[256];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    const char *good = "\xEF\xBB\xBFTarget,Customer,Name,Tags\r\n"
                       "mail.contoso.example,Contoso,\"EXCH, \"\"primary\"\"\",prod;dag1\r\n"
                       "\r\n"
                       "owa.fabrikam.example,Fabrikam,,prod edge\n";
    CHECK_INT(ex_store_import_csv(s, good, strlen(good), err, sizeof err), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hosts WHERE name='EXCH, \"primary\"' AND customer='Contoso'"), 1);
    CHECK_INT(q_int(s, "SELECT count(*) FROM host_tags"), 4);
    const char *bad = "target,customer\nx.example,X\n\"y.example,Y\n";
    CHECK_INT(ex_store_import_csv(s, bad, strlen(bad), err, sizeof err), -1);
    CHECK_CONTAINS(err, "unterminated");
    CHECK_INT(q_int(s, "SELECT count(*) FROM hosts"), 2);
    const char *nohdr = "customer,name\nX,Y\n";
    CHECK_INT(ex_store_import_csv(s, nohdr, strlen(nohdr), err, sizeof err), -1);
    CHECK_CONTAINS(err, "target");
    ex_store_close(s);
}

/* Schema 1, as the first release wrote it (store_schema.c, History). */
static const char *const v1_schema =
    "CREATE TABLE hosts(id INTEGER PRIMARY KEY, target TEXT NOT NULL UNIQUE, customer TEXT, added INTEGER NOT NULL);"
    "CREATE TABLE host_tags(host_id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY(host_id, tag));"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, started INTEGER NOT NULL, finished INTEGER,"
    " status TEXT NOT NULL, params TEXT NOT NULL);"
    "CREATE TABLE results(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, host_id INTEGER NOT NULL,"
    " finished INTEGER NOT NULL, record TEXT NOT NULL, UNIQUE(run_id, host_id));"
    "CREATE TABLE findings(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, host_id INTEGER, json TEXT NOT NULL);"
    "INSERT INTO hosts VALUES(1, 'exch01.example', 'Contoso', 1600000000), (2, 'exch02.example', 'Fabrikam', "
    "1600000000);"
    "INSERT INTO host_tags VALUES(1, 'prod');"
    "INSERT INTO runs VALUES(1, 'scan', 1614600000, 1614600100, 'done', '{}'),"
    " (2, 'hunt', 1614700000, 1614700100, 'done', '{}');"
    "PRAGMA user_version=1;";

static void v1_insert(sqlite3 *db, const char *sql, const char *text)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

TEST(migration_from_schema_1_keeps_every_row)
{
    char path[256];
    t_temp_db(path, sizeof path);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
    ex_facts f;
    json_t *r1 = record_for("15.1.2176.2", "exch01.example", &f, NULL);
    char *t1 = json_dumps(r1, JSON_COMPACT);
    v1_insert(db, "INSERT INTO results VALUES(1, 1, 1, 1614600050, ?1)", t1);
    v1_insert(db, "INSERT INTO results VALUES(2, 1, 2, 1614600060, ?1)", "{not json");
    v1_insert(db, "INSERT INTO findings VALUES(1, 2, 1, ?1)",
              "{\"severity\":\"critical\",\"kind\":\"webshell\",\"id\":\"files.webshell.yara\",\"title\":\"shell\","
              "\"evidence\":{\"path\":\"C:/owa/auth/x.aspx\"},\"rule\":{}}");
    v1_insert(db, "INSERT INTO findings VALUES(2, 2, 1, ?1)", "garbage");
    sqlite3_close(db);
    free(t1);
    json_decref(r1);

    ex_store *s = open_or_die(path);
    CHECK_INT(ex_store_schema_version(s), EX_STORE_SCHEMA_VERSION);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hosts"), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM host_tags"), 1);
    CHECK_INT(q_int(s, "SELECT count(*) FROM runs"), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM results"), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM findings"), 2);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hunts WHERE verdict='compromised'"), 1);
    CHECK_INT(q_int(s, "SELECT count(*) FROM results WHERE scan LIKE '%unreadable record%'"), 1);
    verdicts v = {0};
    ex_fleet_filter all = {.light = -1};
    ex_fleet_each(s, &all, collect, &v);
    CHECK_INT(v.n, 2);
    CHECK_STR(v.target[0], "exch01.example");
    CHECK_STR(v.verdict[0], "vulnerable"); /* 15.1.2176.2 < 15.1.2176.9 (Mar21SU) */
    CHECK_STR(v.hunt[0], "compromised");
    ex_store_close(s);
    /* Opening again is a no-op. */
    s = open_or_die(path);
    CHECK_INT(q_int(s, "SELECT count(*) FROM results"), 2);
    ex_store_close(s);
}

TEST(a_newer_schema_is_refused)
{
    char path[256], err[256];
    t_temp_db(path, sizeof path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE x(a); PRAGMA user_version=99;", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(ex_store_open(path, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "newer");
}

/* Regression: a hunt of a clean server on a vulnerable build handed its
 * exposure findings (one per open CVE, high or critical, from
 * ex_host_findings) to the store, which called the hunt "suspicious" and kept
 * a copy of every CVE as a hunt finding. Exposure is not an attack
 * (docs/hunt.md, "Exposure is not compromise"). */
TEST(a_hunt_of_a_vulnerable_but_clean_server_is_clean)
{
    char path[256];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    int64_t run = ex_store_begin_run(s, "hunt", NULL);
    ex_facts facts;
    ex_findings fl = {0};
    json_decref(record_for("15.1.2176.2", "exch01.example", &facts, &fl)); /* ProxyLogon open: critical */
    CHECK(fl.count > 0 && ex_findings_worst(&fl) >= EX_SEV_HIGH);
    size_t derived = fl.count;
    t_push_finding(&fl, EX_KIND_EXPOSURE, EX_SEV_INFO, NULL,
                   "C:/Windows/System32/inetsrv/config/applicationHost.config", EX_TIME_UNKNOWN,
                   "Extended Protection is off");
    CHECK_INT(ex_store_put_hunt(s, run, "exch01.example", &fl, NULL, NULL), 0);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hunts WHERE verdict='clean'"), 1);
    CHECK_INT(q_int(s, "SELECT count(*) FROM findings"), (int64_t)(fl.count - derived));
    CHECK_INT(q_int(s, "SELECT count(*) FROM findings WHERE check_id LIKE 'cve.%'"), 0);
    /* An attempt next to the exposure makes it suspicious, as before. */
    t_push_finding(&fl, EX_KIND_ATTEMPT, EX_SEV_HIGH, "CVE-2021-26855", "C:/x.log", EX_TIME_UNKNOWN, "attempt");
    CHECK_INT(ex_store_put_hunt(s, run, "exch02.example", &fl, NULL, NULL), 0);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hunts WHERE verdict='suspicious'"), 1);
    ex_findings_free(&fl);
    ex_store_close(s);
}

static const char *q_text(ex_store *s, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    snprintf(buf, n, "(none)");
    if (sqlite3_prepare_v2(ex_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return buf;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* A scanned address gets the server's own name (NTLM DNS computer name), so
 * that a hunt of that server (--host NAME) lands on it; a name the admin gave
 * stays, a name with control characters is not taken, and a host scanned by
 * its name keeps that as its name. */
TEST(a_scanned_host_is_named_by_its_ntlm_computer_name_unless_named)
{
    char path[256], buf[128];
    t_temp_db(path, sizeof path);
    ex_store *s = open_or_die(path);
    ex_host_entry named = {.target = "127.30.0.2:8443", .name = "EXCH-B"};
    CHECK(ex_store_add_host(s, &named) > 0);
    int64_t run = ex_store_begin_run(s, "scan", NULL);
    const char *targets[] = {"127.30.0.1:8443", "127.30.0.2:8443", "127.30.0.3:8443", "mail.contoso.example",
                             "[::1]:8443"};
    const char *ntlm[] = {"exch01.contoso-1.local", "exch02.contoso-2.local", "evil\x1b[2J.local",
                          "exch09.corp.contoso.local", "exch10.contoso-10.local"};
    for (int i = 0; i < 5; i++) {
        ex_facts facts;
        json_t *rec = record_for("15.1.2176.2", targets[i], &facts, NULL);
        json_object_set_new(rec, "ntlm", json_pack("{s:s}", "dns_computer", ntlm[i]));
        CHECK_INT(ex_store_put_host(s, run, targets[i], rec, &facts, NULL), 0);
        json_decref(rec);
    }
    CHECK_STR(q_text(s, "SELECT name FROM hosts WHERE target='127.30.0.1:8443'", buf, sizeof buf),
              "exch01.contoso-1.local");
    CHECK_STR(q_text(s, "SELECT name FROM hosts WHERE target='127.30.0.2:8443'", buf, sizeof buf), "EXCH-B");
    CHECK_STR(q_text(s, "SELECT coalesce(name, '(null)') FROM hosts WHERE target='127.30.0.3:8443'", buf, sizeof buf),
              "(null)");
    CHECK_STR(
        q_text(s, "SELECT coalesce(name, '(null)') FROM hosts WHERE target='mail.contoso.example'", buf, sizeof buf),
        "(null)");
    CHECK_STR(q_text(s, "SELECT name FROM hosts WHERE target='[::1]:8443'", buf, sizeof buf),
              "exch10.contoso-10.local");
    int64_t hunt = ex_store_begin_run(s, "hunt", NULL);
    ex_findings none = {0};
    CHECK_INT(ex_store_put_hunt(s, hunt, "EXCH01.contoso-1.local", &none, NULL, NULL), 0);
    CHECK_INT(q_int(s, "SELECT count(*) FROM hosts"), 5);
    CHECK_STR(q_text(s, "SELECT h.target FROM hunts u JOIN hosts h ON h.id=u.host_id", buf, sizeof buf),
              "127.30.0.1:8443");
    ex_store_close(s);
}
