/* report: the report model (both passes). See report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out/finding_json.h"
#include "out/inventory.h"
#include "out/state.h"
#include "store_int.h"
#include "util.h"

#define GDPR_DEADLINE_SECONDS (72 * 3600)

const char *ex_report_iso(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static int64_t iso_to_time(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

static bool is_status(const char *a, const char *b)
{
    return a && !strcmp(a, b);
}
static json_t *str_or_null(const char *s)
{
    return s ? ex_json_string_lossy(s) : json_null();
}
static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* --- loading from the store --- */

static json_t *load_json_text(const unsigned char *text)
{
    return text ? json_loads((const char *)text, 0, NULL) : NULL;
}

/* The assessment of a result, parsed once per distinct assessment. The id is
 * looked up on its own: selecting the (large) JSON with it would read it for
 * every server, cached or not. */
static const json_t *assessment_of(ex_report *r, int64_t result)
{
    static const char *id_sql = "SELECT assessment_id FROM results WHERE id=?1";
    static const char *json_sql = "SELECT json FROM assessments WHERE id=?1";
    int64_t id = result > 0 ? store_step_int(STORE_STMT_I(r->store, id_sql, result), 0) : 0;
    if (id <= 0)
        return NULL;
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_t *a = json_object_get(r->cache, key);
    if (a)
        return a;
    /* Shared by many servers; keep the cache bounded. Callers use the result
     * only until their next call. */
    if (json_object_size(r->cache) >= 4096)
        json_object_clear(r->cache);
    sqlite3_stmt *st = STORE_STMT_I(r->store, json_sql, id);
    if (st && sqlite3_step(st) == SQLITE_ROW && (a = load_json_text(sqlite3_column_text(st, 0)))) {
        ex_report_localize_assessment(a);
        json_object_set_new(r->cache, key, a);
    }
    if (st)
        sqlite3_reset(st);
    return a;
}

static json_t *load_findings(ex_report *r, const char *column, int64_t id)
{
    static const char *by_hunt = "SELECT json FROM findings WHERE hunt_id=?1 ORDER BY severity DESC, time, id";
    static const char *by_result = "SELECT json FROM findings WHERE result_id=?1 ORDER BY severity DESC, id";
    json_t *arr = json_array();
    sqlite3_stmt *st = id > 0 ? STORE_STMT_I(r->store, !strcmp(column, "hunt") ? by_hunt : by_result, id) : NULL;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *f = load_json_text(sqlite3_column_text(st, 0));
        if (f)
            json_array_append_new(arr, f);
    }
    return arr;
}

static json_t *load_hunt(ex_report *r, int64_t hunt)
{
    static const char *sql = "SELECT run_id, finished, verdict, coverage, timeline FROM hunts WHERE id=?1";
    sqlite3_stmt *st = hunt > 0 ? STORE_STMT_I(r->store, sql, hunt) : NULL;
    if (!st || sqlite3_step(st) != SQLITE_ROW)
        return json_null();
    char iso[32];
    json_t *h = json_object();
    json_object_set_new(h, "run", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(h, "finished", json_string(ex_report_iso(sqlite3_column_int64(st, 1), iso, sizeof iso)));
    json_object_set_new(h, "verdict", json_string((const char *)sqlite3_column_text(st, 2)));
    json_t *cov = load_json_text(sqlite3_column_text(st, 3)), *tl = load_json_text(sqlite3_column_text(st, 4));
    json_object_set_new(h, "coverage", cov ? cov : json_null());
    json_object_set_new(h, "timeline", tl ? tl : json_null());
    json_object_set_new(h, "findings", load_findings(r, "hunt", hunt));
    return h;
}

/* --- first pass: summary, actions, GDPR facts --- */

static json_t *summary_row(const ex_fleet_row *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", str_or_null(w->target));
    json_object_set_new(o, "name", str_or_null(w->name ? w->name : w->target));
    json_object_set_new(o, "customer", str_or_null(w->customer));
    json_object_set_new(o, "light", json_string(ex_light_name(w->light)));
    json_object_set_new(o, "scanned", json_boolean(w->scanned));
    json_object_set_new(o, "reachable", json_boolean(w->reachable));
    json_object_set_new(o, "exchange", str_or_null(w->exchange));
    json_object_set_new(o, "verdict", str_or_null(w->verdict));
    json_object_set_new(o, "build", str_or_null(w->version));
    json_object_set_new(o, "product", str_or_null(w->product));
    json_object_set_new(o, "cu", str_or_null(w->cu));
    json_object_set_new(o, "update", str_or_null(w->update));
    json_object_set_new(o, "support", str_or_null(w->support));
    json_object_set_new(o, "worst_cve", str_or_null(w->worst_cve));
    json_object_set_new(o, "worst_status", str_or_null(w->worst_status));
    json_object_set_new(o, "hunt", str_or_null(w->hunt));
    json_object_set_new(o, "last_seen", w->last_seen ? json_integer(w->last_seen) : json_null());
    return o;
}

/* Actions are grouped by (kind, step): one action may name several servers. */
static void add_action(ex_report *r, json_t *groups, int priority, const char *kind, const char *host, const char *step,
                       const char *kb, const char *cve)
{
    char key[400];
    snprintf(key, sizeof key, "%d|%s|%s", priority, kind, step ? step : "");
    json_t *g = json_object_get(groups, key);
    if (!g) {
        g = json_pack("{s:i, s:s, s:[], s:o, s:o, s:[]}", "priority", priority, "kind", kind, "hosts", "step",
                      str_or_null(step), "kb", str_or_null(kb && *kb ? kb : NULL), "cves");
        json_object_set_new(groups, key, g);
    }
    json_array_append_new(json_object_get(g, "hosts"), str_or_null(host));
    json_t *cves = json_object_get(g, "cves");
    if (cve && json_array_size(cves) < 8) {
        size_t i;
        json_t *c;
        json_array_foreach(cves, i, c) if (!strcmp(json_string_value(c), cve)) return;
        json_array_append_new(cves, json_string(cve));
    }
    (void)r;
}

static const json_t *first_step(const json_t *a)
{
    return json_array_get(json_object_get(a, "remediation"), 0);
}

static void plan_actions(ex_report *r, json_t *groups, const ex_fleet_row *w, const json_t *a)
{
    const char *host = w->name ? w->name : w->target;
    const json_t *step = first_step(a);
    if (w->hunt && !strcmp(w->hunt, EX_HUNT_COMPROMISED))
        add_action(r, groups, 0, "incident", host, NULL, NULL, NULL);
    if (!w->scanned || !w->reachable) {
        add_action(r, groups, 6, "identify", host, NULL, NULL, NULL);
        return;
    }
    if (is_status(w->worst_status, "vulnerable") && step)
        add_action(r, groups, json_is_string(json_object_get(ex_worst_cve(a), "family")) ? 1 : 2, "update", host,
                   jstr(step, "step"), jstr(step, "kb"), w->worst_cve);
    if (w->hunt && !strcmp(w->hunt, EX_HUNT_SUSPICIOUS))
        add_action(r, groups, 3, "investigate", host, NULL, NULL, NULL);
    if (w->support && !strcmp(w->support, "ended"))
        add_action(r, groups, 4, "migrate", host, NULL, NULL, NULL);
    else if (!is_status(w->worst_status, "vulnerable") && step && w->light == EX_LIGHT_YELLOW)
        add_action(r, groups, 5, "configure", host, jstr(step, "step"), jstr(step, "kb"), w->worst_cve);
}

static int action_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    json_int_t d =
        json_integer_value(json_object_get(a, "priority")) - json_integer_value(json_object_get(b, "priority"));
    if (d)
        return d < 0 ? -1 : 1;
    size_t na = json_array_size(json_object_get(a, "hosts")), nb = json_array_size(json_object_get(b, "hosts"));
    return na == nb ? 0 : na > nb ? -1 : 1;
}

static void top_actions(ex_report *r, json_t *groups)
{
    size_t n = json_object_size(groups), k = 0;
    const json_t **all = calloc(n ? n : 1, sizeof *all);
    const char *key;
    json_t *g;
    if (!all)
        return;
    json_object_foreach(groups, key, g) all[k++] = g;
    qsort(all, n, sizeof *all, action_cmp);
    for (size_t i = 0; i < n && i < 3; i++)
        json_array_append(r->actions, (json_t *)all[i]);
    free(all);
}

/* --- GDPR Art. 33: when is a notification draft given? --- */

/* The status of cve in the assessment, or NULL. */
static const char *cve_status(const json_t *a, const char *cve)
{
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(a, "cves"), i,
                       c) if (cve && !strcmp(jstr(c, "id") ?: "", cve)) return jstr(c, "status");
    return NULL;
}

/* The time of a fact of the hunt's timeline ("patch.installed"), ISO, or NULL. */
static const char *timeline_time(const json_t *hunt, const char *key)
{
    const json_t *e;
    size_t i;
    json_array_foreach(json_object_get(hunt, "timeline"), i, e) if (is_status(jstr(e, "key"), key)) return jstr(e,
                                                                                                                "time");
    return NULL;
}

/* Was the server exploitable when the attempt was made? Vulnerable (or possibly) today means it was then. Patched
 * today, it was when the hunt found the fix installed after the attempt (ExSetup.exe's time, the fact
 * "patch.installed"): a server patched and rescanned after the attacks must not drop out of the draft. Both times
 * are ISO UTC, so text order is time order. */
static bool exploitable_at_attack(const json_t *hunt, const json_t *a, const char *cve, const char *when)
{
    const char *st = cve_status(a, cve), *fixed = timeline_time(hunt, "patch.installed");
    if (is_status(st, "vulnerable") || is_status(st, "possibly"))
        return true;
    return is_status(st, "patched") && fixed && when && strcmp(when, fixed) < 0;
}

/* Why a finding makes the host reportable: "compromise", "exploitable-while-attacked" or NULL. */
static const char *reportable_reason(const json_t *fj, const json_t *a, const json_t *hunt)
{
    ex_finding f;
    if (ex_finding_from_json(fj, &f) != 0)
        return NULL;
    const char *why = NULL;
    if (ex_finding_is_compromise(&f))
        why = "compromise";
    else if (f.kind == EX_KIND_ATTEMPT && f.severity > EX_SEV_INFO && f.cve &&
             exploitable_at_attack(hunt, a, f.cve, jstr(fj, "time")))
        why = "exploitable-while-attacked";
    ex_finding_free(&f);
    return why;
}

static json_t *incident_of(const ex_fleet_row *w, const json_t *a, json_t *hunt)
{
    json_t *inc = NULL, *fj;
    const char *first = NULL;
    size_t i;
    bool compromise = false;
    json_array_foreach(json_object_get(hunt, "findings"), i, fj)
    {
        const char *why = reportable_reason(fj, a, hunt);
        if (!why)
            continue;
        if (!inc)
            inc = json_pack("{s:o, s:o, s:[], s:[], s:[]}", "host", str_or_null(w->name ? w->name : w->target),
                            "hunt_finished", json_incref(json_object_get(hunt, "finished")), "findings", "cves",
                            "measures");
        compromise |= !strcmp(why, "compromise");
        if (json_array_size(json_object_get(inc, "findings")) < 12)
            json_array_append(json_object_get(inc, "findings"), fj);
        const char *t = jstr(fj, "time"), *cve = jstr(fj, "cve");
        if (t && (!first || strcmp(t, first) < 0))
            first = t;
        if (cve)
            json_array_append_new(json_object_get(inc, "cves"), json_string(cve));
    }
    if (!inc)
        return NULL;
    json_object_set_new(inc, "reason", json_string(compromise ? "compromise" : "exploitable-while-attacked"));
    json_object_set_new(inc, "first_seen", str_or_null(first));
    const json_t *step;
    json_array_foreach(json_object_get(a, "remediation"), i, step) if (i < 3)
        json_array_append_new(json_object_get(inc, "measures"), str_or_null(jstr(step, "step")));
    return inc;
}

static void gdpr_host(ex_report *r, const ex_fleet_row *w, const json_t *a)
{
    const char *counter = w->hunt_id ? "hunted" : "not_hunted";
    json_object_set_new(r->gdpr, counter, json_integer(json_integer_value(json_object_get(r->gdpr, counter)) + 1));
    if (!w->hunt_id)
        return;
    json_t *hunt = load_hunt(r, w->hunt_id);
    json_t *inc = incident_of(w, a, hunt);
    json_decref(hunt);
    if (inc)
        json_array_append_new(json_object_get(r->gdpr, "incidents"), inc);
}

/* Awareness: the option, else the earliest hunt that found a reportable incident. */
static void gdpr_deadline(ex_report *r)
{
    json_t *incs = json_object_get(r->gdpr, "incidents"), *inc;
    size_t i;
    int64_t aware = r->opts.aware_since;
    json_object_set_new(r->gdpr, "reportable", json_boolean(json_array_size(incs) > 0));
    if (!aware)
        json_array_foreach(incs, i, inc)
        {
            int64_t t = iso_to_time(jstr(inc, "hunt_finished"));
            if (t && (!aware || t < aware))
                aware = t;
        }
    if (!json_array_size(incs) || !aware)
        return;
    char iso[32];
    json_object_set_new(r->gdpr, "aware", json_string(ex_report_iso(aware, iso, sizeof iso)));
    json_object_set_new(r->gdpr, "aware_source", json_string(r->opts.aware_since ? "option" : "hunt"));
    json_object_set_new(r->gdpr, "deadline",
                        json_string(ex_report_iso(aware + GDPR_DEADLINE_SECONDS, iso, sizeof iso)));
    json_object_set_new(r->gdpr, "deadline_passed", json_boolean(r->opts.now > aware + GDPR_DEADLINE_SECONDS));
}

/* --- first pass --- */

typedef struct pass1 {
    ex_report *r;
    json_t *groups, *customers, *runs;
} pass1;

static void count_light(ex_report *r, ex_light l)
{
    json_t *counts = json_object_get(r->head, "counts");
    const char *k = ex_light_name(l);
    json_object_set_new(counts, k, json_integer(json_integer_value(json_object_get(counts, k)) + 1));
}

static int first_pass_row(void *ud, const ex_fleet_row *w)
{
    pass1 *p = ud;
    ex_report *r = p->r;
    const json_t *a = assessment_of(r, w->result_id);
    json_array_append_new(r->servers, summary_row(w));
    count_light(r, w->light);
    if (w->customer && *w->customer)
        json_object_set_new(p->customers, w->customer, json_true());
    plan_actions(r, p->groups, w, a);
    gdpr_host(r, w, a);
    return 0;
}

static void scope_runs(ex_report *r)
{
    static const char *sql = "SELECT kind, group_concat(id, ',') FROM (SELECT DISTINCT ru.kind, ru.id FROM hosts h "
                             "JOIN results re ON re.id=h.current_result JOIN runs ru ON ru.id=re.run_id "
                             "WHERE ?1 IS NULL OR h.customer=?1 UNION SELECT DISTINCT ru.kind, ru.id FROM hosts h "
                             "JOIN hunts u ON u.id=h.last_hunt JOIN runs ru ON ru.id=u.run_id "
                             "WHERE ?1 IS NULL OR h.customer=?1 ORDER BY 2) GROUP BY kind";
    sqlite3_stmt *st = store_stmt(r->store, sql);
    json_t *scope = json_object_get(r->head, "scope");
    if (!st)
        return;
    store_bind_text(st, 1, r->opts.customer);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        json_object_set_new(scope, kind && !strcmp(kind, "hunt") ? "hunts" : "scans",
                            str_or_null((const char *)sqlite3_column_text(st, 1)));
    }
}

static json_t *head_json(ex_report *r)
{
    char iso[32];
    return json_pack("{s:o, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:i, s:[], s:n, s:n}, s:{s:i, s:i, s:i, s:i}}",
                     "customer", str_or_null(r->opts.customer), "generated",
                     ex_report_iso(r->opts.now, iso, sizeof iso), "lang", r->opts.lang ? r->opts.lang : "en", "tool",
                     r->opts.tool_version ? r->opts.tool_version : "exaudit", "kb", "version", r->kb->version, "date",
                     r->kb->date, "origin", r->kb->origin, "scope", "servers", 0, "customers", "scans", "hunts",
                     "counts", "red", 0, "yellow", 0, "green", 0, "grey", 0);
}

int ex_report_build(ex_report *r, ex_store *s, const ex_kb *kb, const ex_report_opts *o)
{
    memset(r, 0, sizeof *r);
    r->store = s;
    r->kb = kb;
    r->opts = *o;
    r->head = head_json(r);
    r->servers = json_array();
    r->actions = json_array();
    r->gdpr = json_pack("{s:b, s:[], s:i, s:i}", "reportable", 0, "incidents", "hunted", 0, "not_hunted", 0);
    r->cache = json_object();
    pass1 p = {r, json_object(), json_object(), json_object()};
    ex_fleet_filter f = {.customer = o->customer, .light = -1};
    int rc = r->head && r->servers && r->actions && r->gdpr && r->cache ? ex_fleet_each(s, &f, first_pass_row, &p) : -1;
    if (rc == 0) {
        json_t *scope = json_object_get(r->head, "scope"), *list = json_object_get(scope, "customers");
        const char *k;
        json_t *v;
        json_object_set_new(scope, "servers", json_integer((json_int_t)json_array_size(r->servers)));
        json_object_foreach(p.customers, k, v) json_array_append_new(list, json_string(k));
        scope_runs(r);
        top_actions(r, p.groups);
        gdpr_deadline(r);
    }
    json_decref(p.groups);
    json_decref(p.customers);
    json_decref(p.runs);
    return rc;
}

void ex_report_free(ex_report *r)
{
    json_decref(r->head);
    json_decref(r->servers);
    json_decref(r->actions);
    json_decref(r->gdpr);
    json_decref(r->cache);
    memset(r, 0, sizeof *r);
}

/* --- second pass --- */

/* The day the fix of the oldest open CVE was published: from then on the flaw
 * was public and the server exposed (exploitation may have begun earlier). */
static const char *exposed_since(const ex_report *r, const json_t *a, const char **cve)
{
    const char *since = NULL;
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(a, "cves"), i, c)
    {
        ex_version v;
        if (!is_status(jstr(c, "status"), "vulnerable") || !jstr(c, "fixed_in") ||
            ex_version_parse_str(jstr(c, "fixed_in"), &v) != EX_VERSION_OK)
            continue;
        const ex_kb_build *b = ex_kb_find_build(r->kb, &v);
        if (b && b->date[0] && (!since || strcmp(b->date, since) < 0))
            since = b->date, *cve = jstr(c, "id");
    }
    return since;
}

static const char *logs_from(const json_t *hunt)
{
    const char *first = NULL, *k;
    json_t *v;
    json_object_foreach(json_object_get(hunt, "coverage"), k, v)
    {
        const char *t = jstr(v, "first");
        if (t && (!first || strcmp(t, first) < 0))
            first = t;
    }
    return first;
}

static json_t *exposure_json(const ex_report *r, const json_t *a, const json_t *hunt)
{
    const char *cve = NULL, *since = a ? exposed_since(r, a, &cve) : NULL;
    const char *until = timeline_time(hunt, "patch.installed"), *from = logs_from(hunt);
    if (!since && !from)
        return json_null();
    json_t *e = json_object();
    json_object_set_new(e, "since", str_or_null(since));
    json_object_set_new(e, "since_cve", str_or_null(cve));
    json_object_set_new(e, "until", str_or_null(until));
    json_object_set_new(e, "open", json_boolean(since && !until));
    json_object_set_new(e, "logs_from", str_or_null(from));
    int64_t gap = 0;
    if (since && from) {
        int64_t ds = ex_date_to_days(since), df = ex_date_to_days(strndupa(from, 10));
        gap = ds >= 0 && df > ds ? df - ds : 0;
    }
    json_object_set_new(e, "uncovered_days", json_integer(gap));
    return e;
}

static json_t *scan_part(ex_report *r, int64_t result, json_int_t *run)
{
    static const char *sql = "SELECT scan, run_id FROM results WHERE id=?1";
    sqlite3_stmt *st = result > 0 ? STORE_STMT_I(r->store, sql, result) : NULL;
    if (!st || sqlite3_step(st) != SQLITE_ROW)
        return json_null();
    *run = sqlite3_column_int64(st, 1);
    json_t *j = load_json_text(sqlite3_column_text(st, 0));
    return j ? j : json_null();
}

/* Which probes were sent, for the methods appendix. */
static void note_probes(ex_report *r, const json_t *scan)
{
    json_t *seen = json_object_get(r->head, "probes_seen"), *p;
    size_t i;
    if (!seen)
        json_object_set_new(r->head, "probes_seen", seen = json_object());
    json_array_foreach(json_object_get(scan, "probes"), i, p)
    {
        const char *name = jstr(p, "name") ? jstr(p, "name") : jstr(p, "probe") ? jstr(p, "probe") : jstr(p, "id");
        if (name && json_object_size(seen) < 64)
            json_object_set_new(seen, name, json_true());
    }
}

typedef struct pass2 {
    ex_report *r;
    ex_report_host_cb cb;
    void *ud;
} pass2;

static int second_pass_row(void *ud, const ex_fleet_row *w)
{
    pass2 *p = ud;
    json_int_t run = 0;
    json_t *scan = scan_part(p->r, w->result_id, &run);
    const json_t *a = assessment_of(p->r, w->result_id);
    json_t *hunt = load_hunt(p->r, w->hunt_id);
    json_t *h = summary_row(w);
    note_probes(p->r, scan);
    json_object_set_new(h, "tags", str_or_null(w->tags));
    json_object_set_new(h, "run", run ? json_integer(run) : json_null());
    json_object_set_new(h, "scan", scan);
    json_object_set_new(h, "assessment", a ? json_incref((json_t *)a) : json_null());
    json_object_set_new(h, "findings", load_findings(p->r, "result", w->result_id));
    json_object_set_new(h, "exposure", exposure_json(p->r, a, hunt));
    json_object_set_new(h, "hunt", hunt);
    int rc = p->cb(p->ud, h);
    json_decref(h);
    return rc;
}

int ex_report_each_host(ex_report *r, ex_report_host_cb cb, void *ud)
{
    pass2 p = {r, cb, ud};
    ex_fleet_filter f = {.customer = r->opts.customer, .light = -1};
    return ex_fleet_each(r->store, &f, second_pass_row, &p);
}

/* --- writers --- */

/* Write p[0..n) with substitutions, unchanged runs in one fwrite. */
static void escape_bytes(FILE *o, const char *p, size_t n, const char *(*sub)(unsigned char c))
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = sub((unsigned char)p[i]);
        if (!r)
            continue;
        fwrite(p + run, 1, i - run, o);
        fputs(r, o);
        run = i + 1;
    }
    fwrite(p + run, 1, n - run, o);
}

void ex_report_escape(FILE *o, const char *s, const char *(*sub)(unsigned char c))
{
    if (!s)
        return;
    size_t n = strlen(s);
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    if (ascii) { /* the common case needs no UTF-8 repair */
        escape_bytes(o, s, n, sub);
        return;
    }
    json_t *clean = ex_json_string_lossy(s);
    escape_bytes(o, json_string_value(clean), json_string_length(clean), sub);
    json_decref(clean);
}

static const ex_report_writer *const writers[] = {&ex_report_html, &ex_report_md, &ex_report_csv, &ex_report_json};

const ex_report_writer *ex_report_writer_find(const char *name)
{
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (!strcmp(writers[i]->name, name))
            return writers[i];
    return NULL;
}

typedef struct write_ctx {
    FILE *out;
    ex_report *r;
    const ex_report_writer *w;
} write_ctx;

static int write_host(void *ud, const json_t *host)
{
    write_ctx *c = ud;
    int rc = c->w->host(c->out, c->r, host);
    c->r->hosts_written++;
    return rc;
}

int ex_report_write(FILE *out, ex_report *r, const ex_report_writer *w)
{
    write_ctx c = {out, r, w};
    r->hosts_written = 0;
    if (w->begin(out, r) != 0 || ex_report_each_host(r, write_host, &c) != 0 || w->end(out, r) != 0)
        return -1;
    return ferror(out) ? -1 : 0;
}
