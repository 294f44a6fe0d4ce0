/* store: open, schema and migrations, runs, results. See store.h.
 *
 * Every write is one BEGIN IMMEDIATE ... COMMIT: the write lock is taken at
 * the start, so two processes never both hold a read snapshot they then try
 * to upgrade (which SQLite can only answer with SQLITE_BUSY at once). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "host.h"
#include "out/finding_json.h"
#include "out/state.h"
#include "store_int.h"
#include "targets.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 60000

const char *ex_store_errmsg(const ex_store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}
struct sqlite3 *ex_store_db(ex_store *s)
{
    return s->db;
}

/* --- statement cache: statements are keyed by their (static) SQL text --- */

sqlite3_stmt *store_stmt(ex_store *s, const char *sql)
{
    for (size_t i = 0; i < s->nstmts; i++)
        if (s->stmts[i].sql == sql) {
            sqlite3_reset(s->stmts[i].st);
            sqlite3_clear_bindings(s->stmts[i].st);
            return s->stmts[i].st;
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (s->nstmts < STORE_STMT_MAX)
        s->stmts[s->nstmts++] = (store_cached_stmt){sql, st};
    else
        sqlite3_finalize(s->stmts[0].st), s->stmts[0] = (store_cached_stmt){sql, st};
    return st;
}

sqlite3_stmt *store_stmt_i(ex_store *s, const char *sql, const int64_t *v, size_t n)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    for (size_t i = 0; st && i < n; i++)
        sqlite3_bind_int64(st, (int)i + 1, v[i]);
    return st;
}

int store_exec(ex_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* A stepped but not reset statement keeps its read snapshot open: a later
 * BEGIN IMMEDIATE on that stale snapshot fails at once with SQLITE_BUSY
 * (no busy wait) once another process has written, and DROP TABLE fails with
 * SQLITE_LOCKED. So no cached statement outlives its use. */
void store_reset_all(ex_store *s)
{
    for (size_t i = 0; i < s->nstmts; i++)
        sqlite3_reset(s->stmts[i].st);
}

int store_begin(ex_store *s)
{
    store_reset_all(s);
    return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(ex_store *s, int rc)
{
    store_reset_all(s);
    if (rc == 0 && store_exec(s, "COMMIT") == 0)
        return 0;
    char keep[256];
    snprintf(keep, sizeof keep, "%s", sqlite3_errmsg(s->db));
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    snprintf(s->err, sizeof s->err, "%s", keep);
    return -1;
}

/* Run a prepared statement that returns no row. */
int store_step_done(sqlite3_stmt *st)
{
    return st && sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* One integer from a statement's first row; def when there is none. */
int64_t store_step_int(sqlite3_stmt *st, int64_t def)
{
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_DONE ? def : -1;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? def : sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

char *store_dump(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
}

int64_t store_now(void)
{
    return (int64_t)time(NULL);
}

/* --- paths --- */

int ex_store_default_path(char *out, size_t n)
{
    char dir[4096];
    if (ex_kb_data_dir(NULL, dir, sizeof dir) != 0)
        return -1;
    /* ex_kb_data_dir names $XDG_DATA_HOME/exaudit or ~/.local/share/exaudit;
     * create every missing level: a fresh account has no ~/.local at all. */
    if (ex_mkdir_p(dir, 0700) != 0)
        return -1;
    int k = snprintf(out, n, "%s/%s", dir, EX_STORE_FILE);
    return k > 0 && (size_t)k < n ? 0 : -1;
}

/* --- open --- */

/* The journal mode, switched to WAL. Switching needs the database to itself,
 * and SQLite answers a concurrent opener with SQLITE_BUSY at once rather than
 * through the busy handler: two processes opening a fresh database together
 * (two scans at once) would fail half of the time. So retry for as long as the
 * busy timeout allows. */
static char *journal_mode_wal(ex_store *s)
{
    int quiet_refusals = 0; /* "delete" without a busy code: WAL may be impossible here */
    for (int waited_ms = 0; waited_ms <= BUSY_TIMEOUT_MS && quiet_refusals < 100; waited_ms += 20) {
        sqlite3_stmt *st = NULL;
        char *mode = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            mode = strdup((const char *)sqlite3_column_text(st, 0));
        int code = sqlite3_errcode(s->db);
        sqlite3_finalize(st);
        if (mode && strcmp(mode, "delete") != 0)
            return mode; /* "wal", or "memory" for an in-memory database */
        free(mode);
        if (code != SQLITE_BUSY && code != SQLITE_LOCKED && code != SQLITE_ROW && code != SQLITE_OK)
            return NULL;
        quiet_refusals += code != SQLITE_BUSY && code != SQLITE_LOCKED;
        usleep(20 * 1000);
    }
    return NULL;
}

static int pragma_setup(ex_store *s)
{
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    char *mode = journal_mode_wal(s);
    /* An in-memory database (":memory:", tests and fuzzing) has no WAL. */
    bool wal = mode && (!strcmp(mode, "wal") || !strcmp(mode, "memory"));
    free(mode);
    /* synchronous=NORMAL in WAL mode: a commit survives the death of the
     * process (kill -9); only a power loss may take the last commits. */
    /* A fleet report reads every result: a larger page cache and memory-mapped
     * reads save a system call per page. */
    return wal && store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768; "
                                "PRAGMA mmap_size=268435456") == 0
               ? 0
               : -1;
}

ex_store *ex_store_open(const char *path, char *err, size_t errlen)
{
    char def[4096];
    if (!path) {
        if (ex_store_default_path(def, sizeof def) != 0) {
            snprintf(err, errlen, "cannot create the data directory for the inventory");
            return NULL;
        }
        path = def;
    }
    ex_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* The inventory says which customer runs which vulnerable server: a new file is the owner's alone (SQLite
     * gives its -wal and -shm files the database file's mode). An existing file keeps the mode it was given. */
    bool named = *path && strcmp(path, ":memory:") && strncmp(path, "file:", 5);
    int fd = named ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
    if (fd >= 0)
        close(fd);
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK || pragma_setup(s) != 0 || store_migrate(s) != 0) {
        snprintf(err, errlen, "%s: %s", path, s->err[0] ? s->err : sqlite3_errmsg(s->db));
        ex_store_close(s);
        return NULL;
    }
    return s;
}

void ex_store_close(ex_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nstmts; i++)
        sqlite3_finalize(s->stmts[i].st);
    sqlite3_close(s->db);
    free(s);
}

int ex_store_schema_version(ex_store *s)
{
    return (int)store_step_int(store_stmt(s, "PRAGMA user_version"), 0);
}

/* --- runs --- */

int64_t ex_store_begin_run(ex_store *s, const char *kind, const json_t *params)
{
    static const char *sql = "INSERT INTO runs(kind, started, status, params, tool_version, kb_version, pid) "
                             "VALUES(?1, ?2, 'running', ?3, ?4, ?5, ?6)";
    char *p = params ? store_dump(params) : strdup("{}");
    if (!p || store_begin(s) != 0) {
        free(p);
        return -1;
    }
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc = -1;
    if (st) {
        store_bind_text(st, 1, kind);
        sqlite3_bind_int64(st, 2, store_now());
        store_bind_text(st, 3, p);
        store_bind_text(st, 4, json_string_value(json_object_get(params, "tool_version")));
        store_bind_text(st, 5, json_string_value(json_object_get(params, "kb_version")));
        sqlite3_bind_int64(st, 6, (int64_t)getpid());
        rc = store_step_done(st);
    }
    free(p);
    int64_t id = sqlite3_last_insert_rowid(s->db);
    return store_commit(s, rc) == 0 ? id : -1;
}

int ex_store_end_run(ex_store *s, int64_t run, const char *status)
{
    static const char *sql = "UPDATE runs SET finished=?2, status=?3 WHERE id=?1";
    if (store_begin(s) != 0)
        return -1;
    sqlite3_stmt *st = store_stmt(s, sql);
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_int64(st, 2, store_now());
        store_bind_text(st, 3, status);
        rc = store_step_done(st);
    }
    return store_commit(s, rc);
}

/* A run whose recorded process is still alive belongs to someone else. */
static bool owner_alive(int64_t pid)
{
    return pid > 0 && pid != (int64_t)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int64_t ex_store_resume_run(ex_store *s, const char *kind, json_t **params)
{
    static const char *sql = "SELECT id, pid, params FROM runs WHERE kind=?1 AND status IN ('running','interrupted') "
                             "ORDER BY id DESC";
    static const char *claim = "UPDATE runs SET status='running', finished=NULL, pid=?2 WHERE id=?1";
    if (params)
        *params = NULL;
    if (store_begin(s) != 0)
        return -1;
    sqlite3_stmt *st = store_stmt(s, sql);
    int64_t run = 0;
    if (!st)
        return store_commit(s, -1), -1;
    store_bind_text(st, 1, kind);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (owner_alive(sqlite3_column_int64(st, 1)))
            continue;
        run = sqlite3_column_int64(st, 0);
        if (params)
            *params = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        break;
    }
    sqlite3_reset(st);
    int rc = 0;
    if (run > 0) {
        sqlite3_stmt *up = store_stmt(s, claim);
        rc = -1;
        if (up) {
            sqlite3_bind_int64(up, 1, run);
            sqlite3_bind_int64(up, 2, (int64_t)getpid());
            rc = store_step_done(up);
        }
    }
    return store_commit(s, rc) == 0 ? run : -1;
}

bool ex_store_run_has(ex_store *s, int64_t run, const char *target)
{
    static const char *sql =
        "SELECT EXISTS(SELECT 1 FROM results r JOIN hosts h ON h.id=r.host_id WHERE r.run_id=?1 AND h.target=?2) OR "
        "EXISTS(SELECT 1 FROM hunts u JOIN hosts h ON h.id=u.host_id WHERE u.run_id=?1 AND h.target=?2)";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, run);
    store_bind_text(st, 2, target);
    return store_step_int(st, 0) == 1;
}

int64_t ex_store_run_count(ex_store *s, int64_t run)
{
    static const char *sql =
        "SELECT (SELECT count(*) FROM results WHERE run_id=?1) + (SELECT count(*) FROM hunts WHERE run_id=?1)";
    return store_step_int(STORE_STMT_I(s, sql, run), 0);
}

/* --- hosts: lookup / creation inside a transaction --- */

int64_t store_host_id(ex_store *s, const char *target, bool create)
{
    static const char *find = "SELECT id FROM hosts WHERE target=?1";
    static const char *by_name = "SELECT id FROM hosts WHERE name=?1 COLLATE NOCASE ORDER BY id LIMIT 1";
    static const char *add = "INSERT INTO hosts(target, customer, added) VALUES(?1, '', ?2)";
    sqlite3_stmt *st = store_stmt(s, find);
    if (!st)
        return -1;
    store_bind_text(st, 1, target);
    int64_t id = store_step_int(st, 0);
    if (id != 0 || !create)
        return id;
    if (!(st = store_stmt(s, by_name)))
        return -1;
    store_bind_text(st, 1, target);
    if ((id = store_step_int(st, 0)) != 0)
        return id;
    if (!(st = store_stmt(s, add)))
        return -1;
    store_bind_text(st, 1, target);
    sqlite3_bind_int64(st, 2, store_now());
    return store_step_done(st) == 0 ? sqlite3_last_insert_rowid(s->db) : -1;
}

/* --- findings --- */

int store_put_finding(ex_store *s, int64_t run, int64_t host, int64_t result, int64_t hunt, const ex_finding *f)
{
    static const char *sql = "INSERT INTO findings(run_id, host_id, result_id, hunt_id, severity, kind, check_id, cve, "
                             "time, json) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    json_t *j = ex_finding_to_json(f);
    char *text = store_dump(j);
    json_decref(j);
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!text || !st) {
        free(text);
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, host);
    result > 0 ? sqlite3_bind_int64(st, 3, result) : sqlite3_bind_null(st, 3);
    hunt > 0 ? sqlite3_bind_int64(st, 4, hunt) : sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, (int)f->severity);
    store_bind_text(st, 6, ex_kind_name(f->kind));
    store_bind_text(st, 7, f->id);
    store_bind_text(st, 8, f->cve);
    f->time == EX_TIME_UNKNOWN ? sqlite3_bind_null(st, 9) : sqlite3_bind_int64(st, 9, f->time);
    sqlite3_bind_text(st, 10, text, -1, free);
    return store_step_done(st);
}

/* Findings that ex_host_findings() derives from the assessment are kept once,
 * with the assessment, not once per host. */
static bool derived_from_assessment(const ex_finding *f)
{
    return f->kind == EX_KIND_EXPOSURE && f->id &&
           (!strncmp(f->id, "cve.", 4) || !strcmp(f->id, "support.ended") || !strcmp(f->id, "kb.older-than-server"));
}

/* Is the target an address ("192.0.2.7", "192.0.2.7:8443", "[2001:db8::7]:8443", "2001:db8::7")? */
static bool target_is_address(const char *target)
{
    char host[EX_STORE_NAME_MAX + 1];
    const char *colon = strchr(target, ':');
    size_t n = strlen(target);
    if (target[0] == '[' && strchr(target, ']'))
        n = (size_t)(strchr(target, ']') - target - 1), target++;
    else if (colon && !strchr(colon + 1, ':'))
        n = (size_t)(colon - target);
    if (n > EX_STORE_NAME_MAX)
        return false;
    memcpy(host, target, n);
    host[n] = '\0';
    ex_addr a;
    return ex_addr_parse(host, &a) == 0;
}

/* A host scanned by its address, that the fleet has no name for, is named
 * by what the server says it is: its NTLM DNS computer name (network input:
 * control characters refused). A name given by the admin is never replaced,
 * and a target that is a name already stays the name. */
static int name_from_record(ex_store *s, int64_t host, const char *target, const json_t *record)
{
    static const char *sql = "UPDATE hosts SET name=?2 WHERE id=?1 AND name IS NULL";
    const char *name = json_string_value(json_object_get(json_object_get(record, "ntlm"), "dns_computer"));
    if (!name || !*name || !store_name_ok(name) || !target_is_address(target))
        return 0;
    sqlite3_stmt *st = STORE_STMT_I(s, sql, host);
    if (!st)
        return -1;
    store_bind_text(st, 2, name);
    return store_step_done(st);
}

int ex_store_put_host(ex_store *s, int64_t run, const char *target, const json_t *host, const ex_facts *facts,
                      const ex_findings *findings)
{
    if (!target || !*target || strlen(target) > EX_STORE_NAME_MAX || !json_is_object(host)) {
        snprintf(s->err, sizeof s->err, "invalid host record or target");
        return -1;
    }
    json_t *fj = facts ? ex_facts_to_json(facts) : ex_facts_from_record(host);
    if (!fj || store_begin(s) != 0) {
        json_decref(fj);
        return -1;
    }
    int64_t host_id = store_host_id(s, target, true);
    int64_t result = host_id > 0 && name_from_record(s, host_id, target, host) == 0
                         ? store_result(s, run, host_id, store_now(), host, fj)
                         : -1;
    int rc = result > 0 ? 0 : -1;
    for (size_t i = 0; rc == 0 && findings && i < findings->count; i++)
        if (!derived_from_assessment(&findings->items[i]))
            rc = store_put_finding(s, run, host_id, result, 0, &findings->items[i]);
    json_decref(fj);
    return store_commit(s, rc);
}

/* --- hunts --- */

static int64_t put_hunt_row(ex_store *s, int64_t run, int64_t host, const char *verdict, const json_t *coverage,
                            const json_t *timeline)
{
    static const char *clear = "DELETE FROM findings WHERE hunt_id IN (SELECT id FROM hunts WHERE run_id=?1 AND "
                               "host_id=?2)";
    static const char *del = "DELETE FROM hunts WHERE run_id=?1 AND host_id=?2";
    static const char *ins = "INSERT INTO hunts(run_id, host_id, finished, verdict, coverage, timeline) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    if (store_step_done(STORE_STMT_I(s, clear, run, host)) != 0 ||
        store_step_done(STORE_STMT_I(s, del, run, host)) != 0)
        return -1;
    sqlite3_stmt *st = STORE_STMT_I(s, ins, run, host, store_now());
    if (!st)
        return -1;
    store_bind_text(st, 4, verdict);
    sqlite3_bind_text(st, 5, coverage ? store_dump(coverage) : NULL, -1, free);
    sqlite3_bind_text(st, 6, timeline ? store_dump(timeline) : NULL, -1, free);
    return store_step_done(st) == 0 ? sqlite3_last_insert_rowid(s->db) : -1;
}

static int set_last_hunt(ex_store *s, int64_t host, int64_t hunt, int64_t run)
{
    static const char *sql = "UPDATE hosts SET last_hunt=?2 WHERE id=?1 AND (last_hunt IS NULL OR "
                             "(SELECT run_id FROM hunts WHERE id=last_hunt) IS NULL OR "
                             "(SELECT run_id FROM hunts WHERE id=last_hunt) <= ?3)";
    return store_step_done(STORE_STMT_I(s, sql, host, hunt, run));
}

int store_hunt(ex_store *s, int64_t run, int64_t host_id, const ex_findings *findings, const json_t *coverage,
               const json_t *timeline)
{
    ex_findings none = {0};
    if (!findings)
        findings = &none;
    int64_t hunt = put_hunt_row(s, run, host_id, ex_hunt_verdict(findings), coverage, timeline);
    int rc = hunt > 0 ? 0 : -1;
    /* As for a scan: what ex_host_findings() derives from the installed build's
     * assessment is exposure, not a hunt finding (the build stays in the
     * timeline's install.build). */
    for (size_t i = 0; rc == 0 && i < findings->count; i++)
        if (!derived_from_assessment(&findings->items[i]))
            rc = store_put_finding(s, run, host_id, 0, hunt, &findings->items[i]);
    return rc == 0 ? set_last_hunt(s, host_id, hunt, run) : -1;
}

int ex_store_put_hunt(ex_store *s, int64_t run, const char *host, const ex_findings *findings, const json_t *coverage,
                      const json_t *timeline)
{
    if (!host || !*host || strlen(host) > EX_STORE_NAME_MAX) {
        snprintf(s->err, sizeof s->err, "invalid host name");
        return -1;
    }
    if (store_begin(s) != 0)
        return -1;
    int64_t host_id = store_host_id(s, host, true);
    int rc = host_id > 0 ? store_hunt(s, run, host_id, findings, coverage, timeline) : -1;
    return store_commit(s, rc);
}
