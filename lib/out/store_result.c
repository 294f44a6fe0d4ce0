/* store_result: a host record split into the scan part (per host) and the
 * assessment (shared), and the facts behind it. See store.h. */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"
#include "out/finding_json.h"
#include "out/state.h"
#include "store_int.h"

static const char *const assessment_keys[] = {"schema",  "build", "support",     "verdict",
                                              "updates", "cves",  "remediation", "kb"};

bool store_is_assessment_key(const char *key)
{
    for (size_t i = 0; i < sizeof assessment_keys / sizeof assessment_keys[0]; i++)
        if (!strcmp(key, assessment_keys[i]))
            return true;
    return false;
}

/* --- facts <-> JSON --- */

static const char *const outcomes[] = {"none", "positive", "negative", "mitigated"};
static const char *const settings[] = {"unknown", "on", "off"};

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return -1;
}

json_t *ex_facts_to_json(const ex_facts *f)
{
    json_t *o = json_object(), *obs = json_array(), *cfg = json_array();
    char v[EX_VERSION_STRLEN];
    if (f->have_version)
        ex_version_format(&f->version, v, sizeof v);
    json_object_set_new(o, "version", f->have_version ? json_string(v) : json_null());
    json_object_set_new(o, "version_evidence", ex_json_string_lossy(f->version_evidence));
    for (size_t i = 0; i < f->nobs; i++)
        json_array_append_new(obs, json_pack("{s:o, s:s, s:o}", "cve", ex_json_string_lossy(f->obs[i].cve), "outcome",
                                             outcomes[f->obs[i].outcome & 3], "evidence",
                                             ex_json_string_lossy(f->obs[i].evidence)));
    for (size_t i = 0; i < f->nconfig; i++)
        json_array_append_new(cfg, json_pack("{s:o, s:s, s:o}", "family", ex_json_string_lossy(f->config[i].family),
                                             "state", settings[f->config[i].state % 3], "evidence",
                                             ex_json_string_lossy(f->config[i].evidence)));
    json_object_set_new(o, "observations", obs);
    json_object_set_new(o, "config", cfg);
    return o;
}

/* Without the scanner's facts: the build it named, and each CVE status that
 * rested on a probe turned back into the probe's outcome. */
json_t *ex_facts_from_record(const json_t *host)
{
    const json_t *build = json_object_get(host, "build"), *c;
    json_t *o = json_object(), *obs = json_array();
    const char *v = json_string_value(json_object_get(build, "version"));
    json_object_set_new(o, "version", v ? json_string(v) : json_null());
    json_object_set_new(o, "version_evidence", json_string("recovered from the stored host record"));
    size_t i;
    json_array_foreach(json_object_get(host, "cves"), i, c)
    {
        if (!json_is_true(json_object_get(c, "by_probe")))
            continue;
        const char *st = json_string_value(json_object_get(c, "status"));
        const char *outcome = !st                         ? NULL
                              : !strcmp(st, "vulnerable") ? "positive"
                              : !strcmp(st, "mitigated")  ? "mitigated"
                              : !strcmp(st, "patched")    ? "negative"
                                                          : NULL;
        if (outcome)
            json_array_append_new(obs, json_pack("{s:O, s:s, s:O}", "cve", json_object_get(c, "id"), "outcome", outcome,
                                                 "evidence", json_object_get(c, "evidence") ?: json_null()));
    }
    json_object_set_new(o, "observations", obs);
    json_object_set_new(o, "config", json_array());
    return o;
}

int ex_facts_parse(const json_t *j, int64_t today, ex_stored_facts *out)
{
    memset(out, 0, sizeof *out);
    out->facts.today = today;
    if (!json_is_object(j))
        return -1;
    const char *v = json_string_value(json_object_get(j, "version"));
    if (v) {
        if (ex_version_parse_str(v, &out->facts.version) != EX_VERSION_OK)
            return -1;
        out->facts.have_version = true;
    }
    out->facts.version_evidence = json_string_value(json_object_get(j, "version_evidence"));
    const json_t *e;
    size_t i;
    json_array_foreach(json_object_get(j, "observations"), i, e)
    {
        int oc = name_index(outcomes, 4, json_string_value(json_object_get(e, "outcome")));
        const char *cve = json_string_value(json_object_get(e, "cve"));
        if (oc < 0 || !cve || out->facts.nobs >= EX_ARRAY_LEN(out->obs))
            return -1;
        out->obs[out->facts.nobs++] =
            (ex_observation){cve, (ex_probe_outcome)oc, json_string_value(json_object_get(e, "evidence"))};
    }
    json_array_foreach(json_object_get(j, "config"), i, e)
    {
        int stt = name_index(settings, 3, json_string_value(json_object_get(e, "state")));
        const char *fam = json_string_value(json_object_get(e, "family"));
        if (stt < 0 || !fam || out->facts.nconfig >= EX_ARRAY_LEN(out->config))
            return -1;
        out->config[out->facts.nconfig++] =
            (ex_config_fact){fam, (ex_setting_state)stt, json_string_value(json_object_get(e, "evidence"))};
    }
    out->facts.obs = out->obs;
    out->facts.config = out->config;
    return 0;
}

/* --- stored once per value --- */

static int64_t store_facts(ex_store *s, const json_t *facts)
{
    static const char *find = "SELECT id FROM facts WHERE json=?1";
    static const char *ins = "INSERT INTO facts(json) VALUES(?1)";
    char *text = store_dump(facts);
    sqlite3_stmt *st = store_stmt(s, find);
    if (!text || !st) {
        free(text);
        return -1;
    }
    store_bind_text(st, 1, text);
    int64_t id = store_step_int(st, 0);
    if (id == 0 && (st = store_stmt(s, ins))) {
        store_bind_text(st, 1, text);
        id = store_step_done(st) == 0 ? sqlite3_last_insert_rowid(s->db) : -1;
    }
    free(text);
    return id;
}

static int store_assessment_cves(ex_store *s, int64_t id, const json_t *a)
{
    static const char *ins = "INSERT OR IGNORE INTO assessment_cves(assessment_id, cve, status) VALUES(?1, ?2, ?3)";
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(a, "cves"), i, c)
    {
        const char *cve = json_string_value(json_object_get(c, "id"));
        const char *status = json_string_value(json_object_get(c, "status"));
        if (!cve || !status || !strcmp(status, "patched"))
            continue;
        sqlite3_stmt *st = store_stmt(s, ins);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        store_bind_text(st, 2, cve);
        store_bind_text(st, 3, status);
        if (store_step_done(st) != 0)
            return -1;
    }
    return 0;
}

static const char *sub_str(const json_t *a, const char *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(a, obj), key));
}

int64_t store_assessment(ex_store *s, const json_t *a)
{
    static const char *find = "SELECT id FROM assessments WHERE sha256=?1";
    static const char *ins = "INSERT INTO assessments(sha256, json, verdict, support, version, product, cu, "
                             "update_name, worst_cve, worst_status, kb_version, light) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    char *text = store_dump(a), hex[EX_SHA256_HEX];
    sqlite3_stmt *st = store_stmt(s, find);
    if (!text || !st) {
        free(text);
        return -1;
    }
    ex_sha256_hex(text, strlen(text), hex);
    store_bind_text(st, 1, hex);
    int64_t id = store_step_int(st, 0);
    if (id != 0 || !(st = store_stmt(s, ins))) {
        free(text);
        return st ? id : -1;
    }
    const json_t *worst = ex_worst_cve(a);
    store_bind_text(st, 1, hex);
    sqlite3_bind_text(st, 2, text, -1, free);
    store_bind_text(st, 3, json_string_value(json_object_get(a, "verdict")) ?: "unknown");
    store_bind_text(st, 4, sub_str(a, "support", "status"));
    store_bind_text(st, 5, sub_str(a, "build", "version"));
    store_bind_text(st, 6, sub_str(a, "build", "product_code"));
    store_bind_text(st, 7, sub_str(a, "build", "cu"));
    store_bind_text(st, 8, sub_str(a, "build", "update"));
    store_bind_text(st, 9, json_string_value(json_object_get(worst, "id")));
    store_bind_text(st, 10, json_string_value(json_object_get(worst, "status")));
    store_bind_text(st, 11, sub_str(a, "kb", "version"));
    store_bind_text(st, 12, ex_light_name(ex_light_of_assessment(a)));
    if (store_step_done(st) != 0)
        return -1;
    id = sqlite3_last_insert_rowid(s->db);
    return store_assessment_cves(s, id, a) == 0 ? id : -1;
}

/* The current result of a host is that of its newest run. */
static int set_current(ex_store *s, int64_t host, int64_t result, int64_t run)
{
    static const char *sql = "UPDATE hosts SET current_result=?2 WHERE id=?1 AND (current_result IS NULL OR "
                             "(SELECT run_id FROM results WHERE id=current_result) IS NULL OR "
                             "(SELECT run_id FROM results WHERE id=current_result) <= ?3)";
    return store_step_done(STORE_STMT_I(s, sql, host, result, run));
}

/* The assessment is what ex_host_json() makes from the facts and the
 * knowledge base, nothing per host: then hosts with the same facts share it,
 * and a rescore that changes nothing finds the same row. The scanner's own
 * additions (where the build was seen; no verdict for a host that is not an
 * on-premises Exchange) go to the scan part. */
static int split_build(const json_t *build, json_t *scan, json_t *assessment)
{
    json_t *pure = json_deep_copy(build), *seen = json_object();
    if (!pure || !seen) {
        json_decref(pure);
        json_decref(seen);
        return -1;
    }
    static const char *const per_host[] = {"source", "evidence"};
    for (size_t i = 0; i < EX_ARRAY_LEN(per_host); i++) {
        json_t *v = json_object_get(pure, per_host[i]);
        if (v) {
            json_object_set(seen, per_host[i], v);
            json_object_del(pure, per_host[i]);
        }
    }
    int rc = json_object_set_new(assessment, "build", pure);
    if (json_object_size(seen))
        rc |= json_object_set_new(scan, "build_seen", seen);
    else
        json_decref(seen);
    return rc;
}

static int split_record(const json_t *record, json_t **scan, json_t **assessment)
{
    const char *k;
    json_t *v;
    *scan = json_object();
    *assessment = json_object();
    if (!*scan || !*assessment)
        return -1;
    json_object_foreach((json_t *)record, k, v)
    {
        int rc;
        if (!strcmp(k, "build") && json_is_object(v))
            rc = split_build(v, *scan, *assessment);
        else if (!strcmp(k, "verdict") && !json_is_string(v))
            rc = json_object_set_new(*assessment, k, json_string("unknown")) |
                 json_object_set_new(*scan, "verdict_shown", json_null());
        else
            rc = json_object_set(store_is_assessment_key(k) ? *assessment : *scan, k, v);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int64_t store_result(ex_store *s, int64_t run, int64_t host, int64_t finished, const json_t *record,
                     const json_t *facts)
{
    static const char *del = "DELETE FROM results WHERE run_id=?1 AND host_id=?2";
    static const char *unlink = "DELETE FROM findings WHERE result_id IN (SELECT id FROM results WHERE run_id=?1 AND "
                                "host_id=?2)";
    static const char *ins = "INSERT INTO results(run_id, host_id, finished, exchange, reachable, facts_id, "
                             "assessment_id, scan) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    json_t *scan = NULL, *assessment = NULL;
    int64_t id = -1, facts_id, a_id;
    if (split_record(record, &scan, &assessment) != 0 || (facts_id = store_facts(s, facts)) <= 0 ||
        (a_id = store_assessment(s, assessment)) <= 0 || store_step_done(STORE_STMT_I(s, unlink, run, host)) != 0 ||
        store_step_done(STORE_STMT_I(s, del, run, host)) != 0)
        goto out;
    sqlite3_stmt *st = STORE_STMT_I(s, ins, run, host, finished);
    if (!st)
        goto out;
    store_bind_text(st, 4, json_string_value(json_object_get(record, "exchange")));
    sqlite3_bind_int(st, 5, ex_record_reachable(record));
    sqlite3_bind_int64(st, 6, facts_id);
    sqlite3_bind_int64(st, 7, a_id);
    sqlite3_bind_text(st, 8, store_dump(scan), -1, free);
    if (store_step_done(st) == 0) {
        id = sqlite3_last_insert_rowid(s->db);
        if (set_current(s, host, id, run) != 0)
            id = -1;
    }
out:
    json_decref(scan);
    json_decref(assessment);
    return id;
}
