/* store_schema: the schema, its version (PRAGMA user_version) and the forward
 * migrations. A migration runs inside one transaction; a migrated row keeps
 * its meaning, and no row is dropped (a row that cannot be understood is kept
 * as it was, marked).
 *
 * History:
 *   1  hosts(target, customer), host_tags, runs, results(record: the whole host
 *      record as JSON), findings(json)
 *   2  facts and assessments stored once per value and shared by results;
 *      results keep the scan part of the record; hunts (verdict, coverage,
 *      timeline); findings with indexed columns; hosts get a name and point at
 *      their current result and last hunt; runs keep tool/kb version and pid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/finding_json.h"
#include "store_int.h"

/* Tables that version 2 adds or replaces (shared by create and migrate). */
static const char *const v2_tables =
    "CREATE TABLE facts(id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);"
    "CREATE TABLE assessments(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, json TEXT NOT NULL,"
    " verdict TEXT NOT NULL, support TEXT, version TEXT, product TEXT, cu TEXT, update_name TEXT, worst_cve TEXT,"
    " worst_status TEXT, kb_version TEXT, light TEXT NOT NULL);"
    "CREATE TABLE assessment_cves(assessment_id INTEGER NOT NULL REFERENCES assessments(id), cve TEXT NOT NULL,"
    " status TEXT NOT NULL, PRIMARY KEY(assessment_id, cve)) WITHOUT ROWID;"
    "CREATE INDEX assessment_cves_cve ON assessment_cves(cve, status);"
    "CREATE TABLE results(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    " host_id INTEGER NOT NULL, finished INTEGER NOT NULL, exchange TEXT, reachable INTEGER NOT NULL,"
    " facts_id INTEGER REFERENCES facts(id), assessment_id INTEGER REFERENCES assessments(id), scan TEXT NOT NULL,"
    " UNIQUE(run_id, host_id));"
    "CREATE INDEX results_host ON results(host_id, run_id);"
    "CREATE INDEX results_facts ON results(facts_id);"
    "CREATE TABLE hunts(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), host_id INTEGER NOT NULL,"
    " finished INTEGER NOT NULL, verdict TEXT NOT NULL, coverage TEXT, timeline TEXT, UNIQUE(run_id, host_id));"
    "CREATE INDEX hunts_host ON hunts(host_id, run_id);"
    "CREATE TABLE findings(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), host_id INTEGER,"
    " result_id INTEGER, hunt_id INTEGER, severity INTEGER NOT NULL, kind TEXT NOT NULL, check_id TEXT, cve TEXT,"
    " time INTEGER, json TEXT NOT NULL);"
    "CREATE INDEX findings_run ON findings(run_id, host_id);"
    "CREATE INDEX findings_hunt ON findings(hunt_id);"
    "CREATE INDEX findings_result ON findings(result_id);"
    "CREATE INDEX findings_cve ON findings(cve);";

static const char *const v2_fleet =
    "CREATE TABLE hosts(id INTEGER PRIMARY KEY, target TEXT NOT NULL UNIQUE, customer TEXT, added INTEGER NOT NULL,"
    " name TEXT, current_result INTEGER, last_hunt INTEGER);"
    "CREATE INDEX hosts_customer ON hosts(customer);"
    "CREATE TABLE host_tags(host_id INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY(host_id, tag)) WITHOUT ROWID;"
    "CREATE INDEX host_tags_tag ON host_tags(tag);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, started INTEGER NOT NULL, finished INTEGER,"
    " status TEXT NOT NULL, params TEXT NOT NULL, tool_version TEXT, kb_version TEXT, pid INTEGER);";

static int create_v2(ex_store *s)
{
    return store_exec(s, v2_fleet) == 0 && store_exec(s, v2_tables) == 0 ? 0 : -1;
}

/* --- 1 -> 2 --- */

static int migrate_results_1_2(ex_store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id, host_id, finished, record FROM results_v1 ORDER BY run_id, id", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 3);
        json_t *rec = text ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_object(rec)) { /* kept, marked, never dropped */
            json_decref(rec);
            rec = json_pack("{s:s, s:s}", "error", "unreadable record (schema 1)", "raw", text ? text : "");
        }
        json_t *facts = ex_facts_from_record(rec);
        rc = store_result(s, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), rec,
                          facts) > 0
                 ? 0
                 : -1;
        json_decref(facts);
        json_decref(rec);
    }
    sqlite3_finalize(st);
    return rc;
}

static int64_t result_of(ex_store *s, int64_t run, int64_t host)
{
    static const char *sql = "SELECT id FROM results WHERE run_id=?1 AND host_id=?2";
    return store_step_int(STORE_STMT_I(s, sql, run, host), 0);
}

static int raw_finding(ex_store *s, int64_t run, int64_t host, const char *text)
{
    static const char *sql = "INSERT INTO findings(run_id, host_id, severity, kind, check_id, json) "
                             "VALUES(?1, ?2, 0, 'exposure', 'unreadable (schema 1)', ?3)";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, host);
    store_bind_text(st, 3, text ? text : "");
    return store_step_done(st);
}

/* Hunt findings of one (run, host) become one hunt with its verdict. */
static int flush_hunt(ex_store *s, int64_t run, int64_t host, ex_findings *group)
{
    int rc = group->count ? store_hunt(s, run, host, group, NULL, NULL) : 0;
    ex_findings_free(group);
    return rc;
}

static int migrate_findings_1_2(ex_store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT f.run_id, coalesce(f.host_id, 0), f.json, r.kind FROM findings_v1 f "
                           "LEFT JOIN runs r ON r.id=f.run_id ORDER BY f.run_id, f.host_id, f.id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    ex_findings group = {0};
    int64_t grun = 0, ghost = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 0), host = sqlite3_column_int64(st, 1);
        const char *text = (const char *)sqlite3_column_text(st, 2), *kind = (const char *)sqlite3_column_text(st, 3);
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;
        ex_finding f;
        bool ok = ex_finding_from_json(j, &f) == 0;
        json_decref(j);
        if (run != grun || host != ghost)
            rc = flush_hunt(s, grun, ghost, &group), grun = run, ghost = host;
        if (rc != 0)
            break;
        if (!ok || host == 0)
            rc = ok ? store_put_finding(s, run, 0, 0, 0, &f) : raw_finding(s, run, host, text);
        else if (kind && !strcmp(kind, "hunt"))
            rc = ex_findings_push(&group, &f);
        else
            rc = store_put_finding(s, run, host, result_of(s, run, host), 0, &f);
        ex_finding_free(&f);
    }
    if (rc == 0)
        rc = flush_hunt(s, grun, ghost, &group);
    ex_findings_free(&group);
    sqlite3_finalize(st);
    return rc;
}

static int migrate_1_2(ex_store *s)
{
    static const char *const alter = "ALTER TABLE hosts ADD COLUMN name TEXT;"
                                     "ALTER TABLE hosts ADD COLUMN current_result INTEGER;"
                                     "ALTER TABLE hosts ADD COLUMN last_hunt INTEGER;"
                                     "CREATE INDEX hosts_customer ON hosts(customer);"
                                     "CREATE INDEX host_tags_tag ON host_tags(tag);"
                                     "ALTER TABLE runs ADD COLUMN tool_version TEXT;"
                                     "ALTER TABLE runs ADD COLUMN kb_version TEXT;"
                                     "ALTER TABLE runs ADD COLUMN pid INTEGER;"
                                     "ALTER TABLE results RENAME TO results_v1;"
                                     "ALTER TABLE findings RENAME TO findings_v1;";
    if (store_exec(s, alter) != 0 || store_exec(s, v2_tables) != 0 || migrate_results_1_2(s) != 0 ||
        migrate_findings_1_2(s) != 0)
        return -1;
    store_reset_all(s);
    return store_exec(s, "DROP TABLE results_v1; DROP TABLE findings_v1;");
}

static int table_count(ex_store *s)
{
    return (int)store_step_int(store_stmt(s, "SELECT count(*) FROM sqlite_master WHERE type='table'"), 0);
}

int store_migrate(ex_store *s)
{
    if (store_begin(s) != 0)
        return -1;
    int version = ex_store_schema_version(s), rc = 0;
    if (version > EX_STORE_SCHEMA_VERSION) {
        snprintf(s->err, sizeof s->err, "database schema %d is newer than this exaudit knows (%d)", version,
                 EX_STORE_SCHEMA_VERSION);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (version == EX_STORE_SCHEMA_VERSION)
        return store_commit(s, 0);
    if (version == 0 && table_count(s) == 0)
        rc = create_v2(s);
    else if (version == 1)
        rc = migrate_1_2(s);
    else {
        snprintf(s->err, sizeof s->err, "not an exaudit inventory (schema %d)", version);
        rc = -1;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", EX_STORE_SCHEMA_VERSION);
    if (rc == 0)
        rc = store_exec(s, pragma);
    /* The statement cache may hold statements prepared against the old schema. */
    return store_commit(s, rc);
}
