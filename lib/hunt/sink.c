/* sink: the run's findings, thread-safe, with a cap per check id.
 *
 * A busy server can hold millions of scanner hits for one pattern. Per id the
 * sink keeps the N findings that sort first (earliest time, then path and
 * line), which does not depend on the order in which worker threads deliver
 * them, and counts the rest; drain() adds one aggregate finding per capped id
 * so that nothing is dropped silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hunt/hunt_int.h"

struct hsink_bucket {
    char *id;
    ex_finding *kept; /* a max-heap on ex_hunt_finding_cmp: kept[0] sorts last */
    size_t n;
    uint64_t dropped;
    ex_severity worst_dropped;
    int64_t first_dropped, last_dropped;
};

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int ex_hunt_finding_cmp(const ex_finding *a, const ex_finding *b)
{
    bool au = a->time == EX_TIME_UNKNOWN, bu = b->time == EX_TIME_UNKNOWN;
    if (au != bu)
        return au ? 1 : -1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    int c = strcmp_null(a->ev.path, b->ev.path);
    if (c)
        return c;
    if (a->ev.line != b->ev.line)
        return a->ev.line < b->ev.line ? -1 : 1;
    if (a->ev.offset != b->ev.offset)
        return a->ev.offset < b->ev.offset ? -1 : 1;
    if ((c = strcmp_null(a->id, b->id)))
        return c;
    return strcmp_null(a->ev.match, b->ev.match);
}

void hsink_init(hsink *s, size_t per_rule)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->per_rule = per_rule ? per_rule : EX_HUNT_DEFAULT_PER_RULE;
}

static hsink_bucket *bucket_for(hsink *s, const char *id)
{
    for (size_t i = 0; i < s->nbuckets; i++)
        if (strcmp(s->buckets[i]->id, id) == 0)
            return s->buckets[i];
    if (s->nbuckets == s->capbuckets) {
        size_t cap = s->capbuckets ? s->capbuckets * 2 : 32;
        hsink_bucket **nb = realloc(s->buckets, cap * sizeof *nb);
        if (!nb)
            return NULL;
        s->buckets = nb;
        s->capbuckets = cap;
    }
    hsink_bucket *b = calloc(1, sizeof *b);
    if (!b || !(b->id = strdup(id)) || !(b->kept = calloc(s->per_rule, sizeof *b->kept))) {
        if (b)
            free(b->id);
        free(b);
        return NULL;
    }
    b->first_dropped = b->last_dropped = EX_TIME_UNKNOWN;
    s->buckets[s->nbuckets++] = b;
    return b;
}

static void heap_swap(ex_finding *a, ex_finding *b)
{
    ex_finding t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(ex_finding *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (ex_hunt_finding_cmp(&h[p], &h[i]) >= 0)
            break;
        heap_swap(&h[p], &h[i]);
        i = p;
    }
}

static void sift_down(ex_finding *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ex_hunt_finding_cmp(&h[l], &h[m]) > 0)
            m = l;
        if (r < n && ex_hunt_finding_cmp(&h[r], &h[m]) > 0)
            m = r;
        if (m == i)
            return;
        heap_swap(&h[m], &h[i]);
        i = m;
    }
}

static void note_dropped(hsink_bucket *b, const ex_finding *f)
{
    b->dropped++;
    if (f->severity > b->worst_dropped)
        b->worst_dropped = f->severity;
    if (f->time != EX_TIME_UNKNOWN) {
        if (b->first_dropped == EX_TIME_UNKNOWN || f->time < b->first_dropped)
            b->first_dropped = f->time;
        if (b->last_dropped == EX_TIME_UNKNOWN || f->time > b->last_dropped)
            b->last_dropped = f->time;
    }
}

void hsink_add(hsink *s, ex_finding *f)
{
    pthread_mutex_lock(&s->mu);
    hsink_bucket *b = bucket_for(s, f->id ? f->id : "");
    if (!b) {
        ex_finding_free(f);
    } else if (b->n < s->per_rule) {
        b->kept[b->n] = *f;
        ex_finding_init(f);
        sift_up(b->kept, b->n++);
    } else if (ex_hunt_finding_cmp(f, &b->kept[0]) < 0) {
        /* f sorts before the last kept one: keep f, count the evicted one */
        note_dropped(b, &b->kept[0]);
        ex_finding_free(&b->kept[0]);
        b->kept[0] = *f;
        ex_finding_init(f);
        sift_down(b->kept, b->n, 0);
    } else {
        note_dropped(b, f);
        ex_finding_free(f);
    }
    pthread_mutex_unlock(&s->mu);
}

void ex_hunt_fmt_time(int64_t t, char *buf, size_t n)
{
    if (t == EX_TIME_UNKNOWN) {
        snprintf(buf, n, "unknown");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "N more like this": same id, kind, CVE and rule as the kept ones. */
static int push_aggregate(const hsink_bucket *b, const ex_finding *model, ex_findings *out)
{
    ex_finding f;
    char title[512], match[160], t1[32], t2[32];
    ex_finding_init(&f);
    f.kind = model->kind;
    f.severity = b->worst_dropped;
    f.time = b->last_dropped;
    ex_hunt_fmt_time(b->first_dropped, t1, sizeof t1);
    ex_hunt_fmt_time(b->last_dropped, t2, sizeof t2);
    snprintf(title, sizeof title, "%llu more findings of %s not listed (the first %zu are)",
             (unsigned long long)b->dropped, b->id, b->n);
    snprintf(match, sizeof match, "not listed: %llu, from %s to %s", (unsigned long long)b->dropped, t1, t2);
    int r = ex_finding_setz(&f.id, b->id) | ex_finding_setz(&f.cve, model->cve) | ex_finding_setz(&f.title, title) |
            ex_finding_setz(&f.subject, model->subject) | ex_finding_setz(&f.rule, model->rule) |
            ex_finding_setz(&f.rule_source, model->rule_source) | ex_finding_setz(&f.ev.match, match);
    if (r || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

static int cmp_qsort(const void *a, const void *b)
{
    return ex_hunt_finding_cmp(a, b);
}

int hsink_drain(hsink *s, ex_findings *out)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nbuckets; i++) {
        hsink_bucket *b = s->buckets[i];
        if (b->dropped && b->n && push_aggregate(b, &b->kept[0], out))
            rc = -1;
        for (size_t k = 0; k < b->n; k++)
            if (ex_findings_push(out, &b->kept[k]))
                rc = -1;
        b->n = 0;
    }
    pthread_mutex_unlock(&s->mu);
    if (out->count)
        qsort(out->items, out->count, sizeof *out->items, cmp_qsort);
    return rc;
}

void hsink_free(hsink *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        hsink_bucket *b = s->buckets[i];
        for (size_t k = 0; k < b->n; k++)
            ex_finding_free(&b->kept[k]);
        free(b->kept);
        free(b->id);
        free(b);
    }
    free(s->buckets);
    pthread_mutex_destroy(&s->mu);
    memset(s, 0, sizeof *s);
}
