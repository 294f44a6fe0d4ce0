/* The ground truth (docs/evidence.md): every planted finding with its file,
 * line or event record, time and minimum severity; benign look-alikes; log
 * coverage; first and last malicious activity. Written as JSON with jansson,
 * entries sorted so that the file is stable. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

typedef struct expected {
    const mk_expect *e;
    char *path;
    int64_t line, record, time;
    char sha256[65];
} expected;

typedef struct benign {
    char *path;
    int64_t line;
    const char *note;
} benign;

typedef struct coverage {
    char *dir;
    int64_t first, last;
} coverage;

static expected *exps;
static size_t nexps, capexps;
static benign *benigns;
static size_t nbenigns, capbenigns;
static coverage *covs;
static size_t ncovs, capcovs;
static int64_t mal_first = INT64_MAX, mal_last = INT64_MIN;

void mk_truth_malicious_time(int64_t ms)
{
    if (ms == INT64_MIN)
        return;
    if (ms < mal_first)
        mal_first = ms;
    if (ms > mal_last)
        mal_last = ms;
}

void mk_truth_add(const mk_expect *e, const char *vpath, int64_t line, int64_t record, int64_t time_ms,
                  const char *sha256)
{
    MK_GROW(exps, nexps, capexps);
    expected *x = &exps[nexps++];
    memset(x, 0, sizeof *x);
    x->e = e;
    x->path = strdup(vpath);
    x->line = line;
    x->record = record;
    x->time = time_ms;
    if (sha256)
        snprintf(x->sha256, sizeof x->sha256, "%s", sha256);
    mk_truth_malicious_time(time_ms);
}

void mk_truth_benign(const char *vpath, int64_t line, const char *note)
{
    MK_GROW(benigns, nbenigns, capbenigns);
    benign *b = &benigns[nbenigns++];
    b->path = strdup(vpath);
    b->line = line;
    b->note = note;
}

void mk_truth_cover(const char *dir, int64_t first, int64_t last)
{
    for (size_t i = 0; i < ncovs; i++)
        if (!strcmp(covs[i].dir, dir)) {
            if (first < covs[i].first)
                covs[i].first = first;
            if (last > covs[i].last)
                covs[i].last = last;
            return;
        }
    MK_GROW(covs, ncovs, capcovs);
    covs[ncovs].dir = strdup(dir);
    covs[ncovs].first = first;
    covs[ncovs].last = last;
    ncovs++;
}

void mk_truth_reset(void)
{
    for (size_t i = 0; i < nexps; i++)
        free(exps[i].path);
    for (size_t i = 0; i < nbenigns; i++)
        free(benigns[i].path);
    for (size_t i = 0; i < ncovs; i++)
        free(covs[i].dir);
    free(exps);
    free(benigns);
    free(covs);
    exps = NULL;
    benigns = NULL;
    covs = NULL;
    nexps = capexps = nbenigns = capbenigns = ncovs = capcovs = 0;
    mal_first = INT64_MAX;
    mal_last = INT64_MIN;
}

static const char *sev_name(mk_sev s)
{
    switch (s) {
    case MK_SEV_INFO: return "info";
    case MK_SEV_MEDIUM: return "medium";
    case MK_SEV_HIGH: return "high";
    case MK_SEV_CRITICAL: return "critical";
    default: return NULL;
    }
}

static json_t *time_or_null(int64_t ms)
{
    if (ms == INT64_MIN || ms == INT64_MAX)
        return json_null();
    char iso[25];
    mk_time_iso_s(ms, iso);
    return json_string(iso);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}
static json_t *int_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static int cmp_expected(const void *a, const void *b)
{
    const expected *x = a, *y = b;
    int64_t tx = x->time == INT64_MIN ? INT64_MAX : x->time, ty = y->time == INT64_MIN ? INT64_MAX : y->time;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->record < y->record ? -1 : x->record > y->record;
}

static int cmp_benign(const void *a, const void *b)
{
    const benign *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_cover(const void *a, const void *b)
{
    return strcmp(((const coverage *)a)->dir, ((const coverage *)b)->dir);
}

static json_t *expected_json(const expected *x, bool required)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(x->e->kind));
    json_object_set_new(o, "cve", str_or_null(x->e->cve));
    json_object_set_new(o, "path", json_string(x->path));
    json_object_set_new(o, "line", int_or_null(x->line));
    json_object_set_new(o, "record", int_or_null(x->record));
    json_object_set_new(o, "time", time_or_null(x->time));
    json_object_set_new(o, "min_severity", json_string(sev_name(x->e->min_sev)));
    json_object_set_new(o, "max_severity", str_or_null(sev_name(x->e->max_sev)));
    json_object_set_new(o, "sha256", x->sha256[0] ? json_string(x->sha256) : json_null());
    if (!required)
        json_object_set_new(o, "required", json_false());
    json_object_set_new(o, "note", str_or_null(x->e->note));
    return o;
}

int mk_truth_write(const mk_cfg *c, const char *path)
{
    if (nexps) /* qsort(NULL, 0, ...) is undefined */
        qsort(exps, nexps, sizeof *exps, cmp_expected);
    if (nbenigns)
        qsort(benigns, nbenigns, sizeof *benigns, cmp_benign);
    if (ncovs)
        qsort(covs, ncovs, sizeof *covs, cmp_cover);
    char b[32], pb[32], day[16];
    mk_build_short(&c->build, b, sizeof b);
    mk_build_short(&c->patched_build, pb, sizeof pb);

    json_t *root = json_object();
    json_object_set_new(root, "scenario", json_string(mk_scenarios[c->scenario].name));
    json_object_set_new(root, "install_root", json_string(c->install_v));
    json_object_set_new(root, "build", json_string(b));
    json_object_set_new(root, "patched_build", json_string(pb));
    if (c->patched_ms == INT64_MAX) {
        json_object_set_new(root, "patched_on", json_null());
    } else {
        mk_tm tm;
        mk_time_split(c->patched_ms, &tm);
        snprintf(day, sizeof day, "%04d-%02d-%02d", tm.year, tm.mon, tm.day);
        json_object_set_new(root, "patched_on", json_string(day));
    }
    json_object_set_new(root, "seed", json_integer((json_int_t)c->seed));
    static const char *const layouts[] = {"tree", "kape-zip", "velociraptor-zip"};
    static const char *const forms[] = {"binary", "xml", "csv"};
    json_object_set_new(root, "layout", json_string(layouts[c->layout]));
    json_object_set_new(root, "evtx", json_string(forms[c->evtx_form]));

    json_t *cov = json_object();
    for (size_t i = 0; i < ncovs; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "first", time_or_null(covs[i].first));
        json_object_set_new(o, "last", time_or_null(covs[i].last));
        json_object_set_new(cov, covs[i].dir, o);
    }
    json_object_set_new(root, "log_coverage", cov);

    json_t *exp = json_array(), *ctx = json_array();
    for (size_t i = 0; i < nexps; i++)
        json_array_append_new(exps[i].e->required ? exp : ctx, expected_json(&exps[i], exps[i].e->required));
    json_object_set_new(root, "expected", exp);
    json_object_set_new(root, "context", ctx);

    json_t *bl = json_array(), *bo = json_array();
    for (size_t i = 0; i < nbenigns; i++) {
        char s[1024];
        if (benigns[i].line >= 0)
            snprintf(s, sizeof s, "%s:%lld (%s)", benigns[i].path, (long long)benigns[i].line, benigns[i].note);
        else
            snprintf(s, sizeof s, "%s (%s)", benigns[i].path, benigns[i].note);
        json_array_append_new(bl, json_string(s));
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(benigns[i].path));
        json_object_set_new(o, "line", int_or_null(benigns[i].line));
        json_object_set_new(o, "note", json_string(benigns[i].note));
        json_array_append_new(bo, o);
    }
    json_object_set_new(root, "benign_lookalikes", bl);
    json_object_set_new(root, "benign", bo);
    json_object_set_new(root, "first_malicious", time_or_null(mal_first));
    json_object_set_new(root, "last_malicious", time_or_null(mal_last));

    int rc = json_dump_file(root, path, JSON_INDENT(1)) == 0 ? 0 : -1;
    if (rc < 0)
        mk_warn("cannot write %s", path);
    json_decref(root);
    return rc;
}
