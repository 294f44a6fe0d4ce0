/* inventory: see inventory.h. */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

#include "store_int.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* A fresh statement (it is stepped while cached ones are used) with ?1 = a, ?2 = b. */
static sqlite3_stmt *prepare2(ex_store *s, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    return st;
}

static void fleet_row(sqlite3_stmt *st, ex_fleet_row *r)
{
    memset(r, 0, sizeof *r);
    r->host_id = sqlite3_column_int64(st, 0);
    r->target = col_text(st, 1);
    r->name = col_text(st, 2);
    r->customer = col_text(st, 3);
    r->tags = col_text(st, 4);
    r->result_id = sqlite3_column_int64(st, 5);
    r->scanned = r->result_id > 0;
    r->reachable = sqlite3_column_int(st, 6) != 0;
    r->exchange = col_text(st, 7);
    r->verdict = col_text(st, 8);
    r->version = col_text(st, 9);
    r->product = col_text(st, 10);
    r->cu = col_text(st, 11);
    r->update = col_text(st, 12);
    r->support = col_text(st, 13);
    r->worst_cve = col_text(st, 14);
    r->worst_status = col_text(st, 15);
    r->kb_version = col_text(st, 16);
    r->last_seen = sqlite3_column_int64(st, 17);
    r->hunt_id = sqlite3_column_int64(st, 18);
    r->hunt = col_text(st, 19);
    r->hunt_time = sqlite3_column_int64(st, 20);
    r->cve_status = col_text(st, 22);
    int base = ex_light_from_name(col_text(st, 21));
    r->light = r->scanned
                   ? ex_light_combine(base < 0 ? EX_LIGHT_GREY : (ex_light)base, r->reachable, r->exchange, r->hunt)
                   : ex_light_combine(EX_LIGHT_GREY, true, NULL, r->hunt);
}

int ex_fleet_each(ex_store *s, const ex_fleet_filter *f, ex_fleet_cb cb, void *ud)
{
    static const char *sql =
        "SELECT h.id, h.target, h.name, h.customer, (SELECT group_concat(tag, ',') FROM "
        "(SELECT tag FROM host_tags WHERE host_id=h.id ORDER BY tag)), r.id, r.reachable, r.exchange, a.verdict, "
        "a.version, a.product, a.cu, a.update_name, a.support, a.worst_cve, a.worst_status, a.kb_version, r.finished, "
        "u.id, u.verdict, u.finished, a.light, "
        "(SELECT status FROM assessment_cves c WHERE c.assessment_id=a.id AND c.cve=?3) "
        "FROM hosts h LEFT JOIN results r ON r.id=h.current_result LEFT JOIN assessments a ON a.id=r.assessment_id "
        "LEFT JOIN hunts u ON u.id=h.last_hunt "
        "WHERE (?1 IS NULL OR h.customer=?1) "
        "AND (?2 IS NULL OR EXISTS(SELECT 1 FROM host_tags t WHERE t.host_id=h.id AND t.tag=?2)) "
        "AND (?3 IS NULL OR EXISTS(SELECT 1 FROM assessment_cves c WHERE c.assessment_id=a.id AND c.cve=?3)) "
        "ORDER BY h.customer, h.target";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    store_bind_text(st, 1, f ? f->customer : NULL);
    store_bind_text(st, 2, f ? f->tag : NULL);
    store_bind_text(st, 3, f ? f->cve : NULL);
    int rc;
    ex_fleet_row row;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fleet_row(st, &row);
        if (f && f->light >= 0 && (int)row.light != f->light)
            continue;
        if (cb(ud, &row) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* --- runs --- */

static void run_row(sqlite3_stmt *st, ex_run_info *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    snprintf(r->kind, sizeof r->kind, "%s", col_text(st, 1) ? col_text(st, 1) : "");
    snprintf(r->status, sizeof r->status, "%s", col_text(st, 2) ? col_text(st, 2) : "");
    r->started = sqlite3_column_int64(st, 3);
    r->finished = sqlite3_column_int64(st, 4);
    snprintf(r->kb_version, sizeof r->kb_version, "%s", col_text(st, 5) ? col_text(st, 5) : "");
}

int ex_runs_latest(ex_store *s, const char *kind, ex_run_info *out, int n)
{
    static const char *sql = "SELECT id, kind, status, started, finished, kb_version FROM runs "
                             "WHERE ?1 IS NULL OR kind=?1 ORDER BY id DESC LIMIT ?2";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return -1;
    store_bind_text(st, 1, kind);
    sqlite3_bind_int(st, 2, n);
    int k = 0;
    while (k < n && sqlite3_step(st) == SQLITE_ROW)
        run_row(st, &out[k++]);
    return k;
}

int ex_run_get(ex_store *s, int64_t id, ex_run_info *out)
{
    static const char *sql = "SELECT id, kind, status, started, finished, kb_version FROM runs WHERE id=?1";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    run_row(st, out);
    return 0;
}

long ex_run_results(ex_store *s, int64_t id)
{
    sqlite3_stmt *st = NULL; /* not cached: no statement keeps a read snapshot */
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM results WHERE run_id=?1", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    long n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

long ex_fleet_stale(ex_store *s, const char *kb_version)
{
    /* Data versions are YYYY.MM.DD: text order is date order. Not cached: no
     * statement may keep a read snapshot between calls. */
    static const char *sql = "SELECT count(*) FROM hosts h JOIN results r ON r.id=h.current_result "
                             "JOIN assessments a ON a.id=r.assessment_id WHERE a.kb_version < ?1";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    store_bind_text(st, 1, kb_version);
    long n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* --- diff --- */

static const char *const change_names[EX_CHANGE_COUNT] = {
    "newly-vulnerable", "new-cve", "patched",  "build-changed", "now-end-of-life",
    "unreachable",      "gone",    "new-host", "hunt-finding",
};

const char *ex_change_name(ex_change c)
{
    return (unsigned)c < EX_CHANGE_COUNT ? change_names[c] : "?";
}

typedef struct diff_ctx {
    ex_store *s;
    ex_diff_cb cb;
    void *ud;
    int stop;
} diff_ctx;

static void emit(diff_ctx *d, ex_change c, const char *target, const char *customer, const char *before,
                 const char *after, const char *detail)
{
    if (d->stop)
        return;
    ex_diff_item it = {c, target, customer, before, after, detail};
    d->stop = d->cb(d->ud, &it);
}

static bool is(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}
static bool open_verdict(const char *v)
{
    return is(v, "vulnerable") || is(v, "possibly");
}

static void new_cves(diff_ctx *d, int64_t aa, int64_t ab, const char *target, const char *customer)
{
    static const char *sql = "SELECT cve FROM assessment_cves WHERE assessment_id=?2 AND status='vulnerable' AND cve "
                             "NOT IN (SELECT cve FROM assessment_cves WHERE assessment_id=?1 AND status='vulnerable') "
                             "ORDER BY cve";
    sqlite3_stmt *st = prepare2(d->s, sql, aa, ab);
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        emit(d, EX_CHANGE_NEW_CVE, target, customer, NULL, "vulnerable", col_text(st, 0));
    sqlite3_finalize(st);
}

/* One host present in b: compare with its result in a. Columns as in diff_b. */
static void compare_host(diff_ctx *d, sqlite3_stmt *st)
{
    const char *t = col_text(st, 0), *cust = col_text(st, 1);
    bool in_a = sqlite3_column_type(st, 7) != SQLITE_NULL;
    bool rb = sqlite3_column_int(st, 2), ra = sqlite3_column_int(st, 7);
    const char *vb = col_text(st, 3), *va = col_text(st, 8);
    const char *bb = col_text(st, 4), *ba = col_text(st, 9);
    const char *sb = col_text(st, 5), *sa = col_text(st, 10);
    int64_t ab = sqlite3_column_int64(st, 6), aa = sqlite3_column_int64(st, 11);
    if (!in_a) {
        emit(d, EX_CHANGE_NEW_HOST, t, cust, NULL, vb, bb);
        return;
    }
    if (ra && !rb) {
        emit(d, EX_CHANGE_UNREACHABLE, t, cust, va, NULL, NULL);
        return;
    }
    if (!rb)
        return;
    if (is(vb, "vulnerable") && !is(va, "vulnerable"))
        emit(d, EX_CHANGE_NEWLY_VULNERABLE, t, cust, va, vb, NULL);
    if (open_verdict(va) && !open_verdict(vb) && bb)
        emit(d, EX_CHANGE_PATCHED, t, cust, va, vb, NULL);
    if (ba && bb && strcmp(ba, bb) != 0)
        emit(d, EX_CHANGE_BUILD, t, cust, ba, bb, NULL);
    if (is(sb, "ended") && !is(sa, "ended") && bb)
        emit(d, EX_CHANGE_END_OF_LIFE, t, cust, sa, sb, NULL);
    if (aa != ab)
        new_cves(d, aa, ab, t, cust);
}

static int diff_b(diff_ctx *d, int64_t a, int64_t b)
{
    static const char *sql =
        "SELECT coalesce(h.target, json_extract(rb.scan, '$.target'), '#' || rb.host_id), h.customer, rb.reachable, "
        "ab.verdict, ab.version, ab.support, ab.id, ra.reachable, aa.verdict, aa.version, aa.support, aa.id "
        "FROM results rb JOIN assessments ab ON ab.id=rb.assessment_id LEFT JOIN hosts h ON h.id=rb.host_id "
        "LEFT JOIN results ra ON ra.run_id=?1 AND ra.host_id=rb.host_id "
        "LEFT JOIN assessments aa ON aa.id=ra.assessment_id WHERE rb.run_id=?2 ORDER BY h.customer, h.target";
    sqlite3_stmt *st = prepare2(d->s, sql, a, b);
    if (!st)
        return -1;
    int rc = SQLITE_DONE;
    while (!d->stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        compare_host(d, st);
    sqlite3_finalize(st);
    return d->stop || rc == SQLITE_DONE ? 0 : -1;
}

static int diff_gone(diff_ctx *d, int64_t a, int64_t b)
{
    static const char *sql =
        "SELECT coalesce(h.target, json_extract(ra.scan, '$.target'), '#' || ra.host_id), h.customer, aa.verdict "
        "FROM results ra JOIN assessments aa ON aa.id=ra.assessment_id LEFT JOIN hosts h ON h.id=ra.host_id "
        "WHERE ra.run_id=?1 AND NOT EXISTS(SELECT 1 FROM results rb WHERE rb.run_id=?2 AND rb.host_id=ra.host_id) "
        "ORDER BY h.customer, h.target";
    sqlite3_stmt *st = prepare2(d->s, sql, a, b);
    if (!st)
        return -1;
    while (!d->stop && sqlite3_step(st) == SQLITE_ROW)
        emit(d, EX_CHANGE_GONE, col_text(st, 0), col_text(st, 1), col_text(st, 2), NULL, NULL);
    sqlite3_finalize(st);
    return 0;
}

static int diff_hunts(diff_ctx *d, int64_t a, int64_t b)
{
    static const char *sql =
        "SELECT coalesce(h.target, '#' || f.host_id), h.customer, json_extract(f.json, '$.severity'), "
        "json_extract(f.json, '$.title') FROM findings f JOIN hunts u ON u.id=f.hunt_id "
        "LEFT JOIN hosts h ON h.id=f.host_id WHERE u.run_id>?1 AND u.run_id<=?2 AND f.severity>0 "
        "ORDER BY f.severity DESC, h.target, f.time";
    sqlite3_stmt *st = prepare2(d->s, sql, a < b ? a : b, a < b ? b : a);
    if (!st)
        return -1;
    while (!d->stop && sqlite3_step(st) == SQLITE_ROW)
        emit(d, EX_CHANGE_HUNT_FINDING, col_text(st, 0), col_text(st, 1), NULL, col_text(st, 2), col_text(st, 3));
    sqlite3_finalize(st);
    return 0;
}

int ex_diff_runs(ex_store *s, int64_t a, int64_t b, ex_diff_cb cb, void *ud)
{
    diff_ctx d = {s, cb, ud, 0};
    if (diff_b(&d, a, b) != 0 || diff_gone(&d, a, b) != 0 || diff_hunts(&d, a, b) != 0)
        return -1;
    return 0;
}
