/* store_int: what the store's implementation files share (not a public API). */
#ifndef EXAUDIT_STORE_INT_H
#define EXAUDIT_STORE_INT_H

#include <sqlite3.h>

#include "out/store.h"

#define STORE_STMT_MAX 48

typedef struct store_cached_stmt {
    const char *sql;
    sqlite3_stmt *st;
} store_cached_stmt;

struct ex_store {
    sqlite3 *db;
    store_cached_stmt stmts[STORE_STMT_MAX];
    size_t nstmts;
    char err[256];
};

/* A cached, reset statement for a static SQL string; NULL on error. */
sqlite3_stmt *store_stmt(ex_store *s, const char *sql);
/* store_stmt() with integer parameters ?1..?n bound: STORE_STMT_I(s, sql, a, b). */
sqlite3_stmt *store_stmt_i(ex_store *s, const char *sql, const int64_t *v, size_t n);
#define STORE_STMT_I(s, sql, ...)                                                                                      \
    store_stmt_i((s), (sql), (const int64_t[]){__VA_ARGS__}, sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
int store_exec(ex_store *s, const char *sql);
int store_begin(ex_store *s);
/* Reset every cached statement (ends their read snapshots). */
void store_reset_all(ex_store *s);
/* Commit when rc == 0, else roll back; returns 0 only after a commit. */
int store_commit(ex_store *s, int rc);
int store_step_done(sqlite3_stmt *st);
/* The first column of the first row (def when none, -1 on error); resets st. */
int64_t store_step_int(sqlite3_stmt *st, int64_t def);
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
char *store_dump(const json_t *j);
int64_t store_now(void);

/* A target, name, customer or tag: not empty (when required), at most
 * EX_STORE_NAME_MAX bytes, no control characters. */
bool store_name_ok(const char *s);

int64_t store_host_id(ex_store *s, const char *target, bool create);
int store_put_finding(ex_store *s, int64_t run, int64_t host, int64_t result, int64_t hunt, const ex_finding *f);
int store_hunt(ex_store *s, int64_t run, int64_t host_id, const ex_findings *findings, const json_t *coverage,
               const json_t *timeline);

/* Store one result (inside a transaction): the record is split into its scan
 * part and its assessment, facts and assessment are stored once per value.
 * Returns the result id or -1. */
int64_t store_result(ex_store *s, int64_t run, int64_t host, int64_t finished, const json_t *record,
                     const json_t *facts);
/* The id of the stored assessment (inserted when new); -1 on error. */
int64_t store_assessment(ex_store *s, const json_t *assessment);
/* Is this key of a host record part of the assessment (kb-derived)? */
bool store_is_assessment_key(const char *key);

/* Create or migrate the schema to EX_STORE_SCHEMA_VERSION. */
int store_migrate(ex_store *s);

#endif
