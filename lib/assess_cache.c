/* assess_cache: see assess_cache.h. Direct-mapped: a collision just assesses again. */
#include "assess_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

#define KEY_MAX 96

typedef struct slot {
    bool used;
    char key[KEY_MAX];
    ex_assessment a;
} slot;

struct ex_assess_cache {
    const ex_kb *kb;
    slot slots[EX_ASSESS_CACHE_SLOTS];
};

ex_assess_cache *ex_assess_cache_new(const ex_kb *kb)
{
    ex_assess_cache *c = calloc(1, sizeof *c);
    if (c)
        c->kb = kb;
    return c;
}

void ex_assess_cache_free(ex_assess_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < EX_ASSESS_CACHE_SLOTS; i++)
        if (c->slots[i].used)
            ex_assessment_free(&c->slots[i].a);
    free(c);
}

/* Everything the assessment depends on, except evidence text. */
static int facts_key(const ex_facts *f, char *key, size_t n)
{
    int len = snprintf(key, n, "%d|%u.%u.%u.%d|%lld", f->have_version, f->version.major, f->version.minor,
                       f->version.build, f->version.revision, (long long)f->today);
    for (size_t i = 0; i < f->nobs && len > 0 && (size_t)len < n; i++)
        len += snprintf(key + len, n - (size_t)len, "|%s=%d", f->obs[i].cve, f->obs[i].outcome);
    return (len > 0 && (size_t)len < n && f->nconfig == 0) ? len : -1;
}

/* Point the probe-based verdicts at this host's evidence. */
static void rebind_evidence(ex_assessment *a, const ex_facts *f)
{
    for (size_t i = 0; i < a->ncves; i++) {
        ex_cve_verdict *v = &a->cves[i];
        for (size_t k = 0; k < f->nobs; k++)
            if (v->evidence && !strcmp(f->obs[k].cve, v->cve->id))
                v->evidence = f->obs[k].evidence;
    }
}

const ex_assessment *ex_assess_cached(ex_assess_cache *c, const ex_facts *f)
{
    char key[KEY_MAX];
    int len = facts_key(f, key, sizeof key);
    slot *s = &c->slots[len > 0 ? ex_hash64(key, (size_t)len, 3) % EX_ASSESS_CACHE_SLOTS : 0];
    if (len > 0 && s->used && !strcmp(s->key, key)) {
        rebind_evidence(&s->a, f);
        return &s->a;
    }
    if (s->used)
        ex_assessment_free(&s->a);
    s->used = false;
    if (ex_assess(c->kb, f, &s->a) != 0)
        return NULL;
    s->used = true;
    if (len > 0)
        memcpy(s->key, key, (size_t)len + 1);
    else
        s->key[0] = '\0'; /* not cacheable: used once */
    return &s->a;
}
