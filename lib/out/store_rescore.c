/* store_rescore: re-evaluate stored facts against the knowledge base in use.
 * Results that share facts share the new assessment, so the cost is one
 * ex_assess() per distinct set of facts, not per host. No network. */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "store_int.h"

/* The assessment (host record without scan fields) of facts against kb. */
static int64_t assess_facts(ex_store *s, const ex_kb *kb, const char *facts_text, int64_t today)
{
    json_t *fj = json_loads(facts_text, 0, NULL);
    ex_stored_facts sf;
    int64_t id = -1;
    if (ex_facts_parse(fj, today, &sf) == 0) {
        ex_assessment a;
        if (ex_assess(kb, &sf.facts, &a) == 0) {
            json_t *h = ex_host_json(&a);
            id = h ? store_assessment(s, h) : -1;
            json_decref(h);
            ex_assessment_free(&a);
        }
    }
    json_decref(fj);
    return id;
}

static int set_assessment(ex_store *s, int64_t result, int64_t assessment)
{
    static const char *sql = "UPDATE results SET assessment_id=?2 WHERE id=?1";
    return store_step_done(STORE_STMT_I(s, sql, result, assessment));
}

static const char *verdict_of(ex_store *s, int64_t assessment)
{
    static const char *sql = "SELECT verdict FROM assessments WHERE id=?1";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, assessment);
    return sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
}

int ex_store_rescore(ex_store *s, const ex_kb *kb, int64_t today, bool all, ex_rescore_cb on_change, void *ud,
                     ex_rescore_stats *stats)
{
    static const char *current = "SELECT r.id, r.facts_id, f.json, r.assessment_id, a.verdict, h.target, h.customer "
                                 "FROM hosts h JOIN results r ON r.id=h.current_result JOIN facts f ON f.id=r.facts_id "
                                 "JOIN assessments a ON a.id=r.assessment_id ORDER BY r.facts_id";
    static const char *every = "SELECT r.id, r.facts_id, f.json, r.assessment_id, a.verdict, "
                               "coalesce(h.target, '(removed host)'), h.customer FROM results r "
                               "JOIN facts f ON f.id=r.facts_id JOIN assessments a ON a.id=r.assessment_id "
                               "LEFT JOIN hosts h ON h.id=r.host_id ORDER BY r.facts_id";
    ex_rescore_stats st0 = {0};
    if (!stats)
        stats = &st0;
    *stats = st0;
    if (store_begin(s) != 0)
        return -1;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, all ? every : current, -1, &q, NULL) == SQLITE_OK ? 0 : -1;
    int64_t last_facts = 0, fresh = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t result = sqlite3_column_int64(q, 0), facts = sqlite3_column_int64(q, 1);
        int64_t old = sqlite3_column_int64(q, 3);
        stats->results++;
        if (facts != last_facts) {
            last_facts = facts;
            stats->distinct++;
            fresh = assess_facts(s, kb, (const char *)sqlite3_column_text(q, 2), today);
            if (fresh <= 0) {
                rc = -1;
                break;
            }
        }
        if (fresh == old)
            continue;
        stats->changed++;
        const char *was = (const char *)sqlite3_column_text(q, 4);
        const char *now = verdict_of(s, fresh);
        if (was && now && strcmp(was, now) != 0) {
            stats->verdicts_changed++;
            if (on_change)
                on_change(ud, (const char *)sqlite3_column_text(q, 5), (const char *)sqlite3_column_text(q, 6), was,
                          now);
        }
        rc = set_assessment(s, result, fresh);
    }
    sqlite3_finalize(q);
    return store_commit(s, rc);
}
