#include "finding.h"

#include <stdlib.h>
#include <string.h>

static const char *const severities[] = {"info", "medium", "high", "critical"};
static const char *const kinds[EX_KIND_COUNT] = {
    "exposure",    "exploitation-attempt", "exploitation-success", "webshell",
    "persistence", "credential-theft",     "exfiltration-staging",
};

const char *ex_severity_name(ex_severity s)
{
    return (unsigned)s < 4 ? severities[s] : "info";
}
const char *ex_kind_name(ex_kind k)
{
    return (unsigned)k < EX_KIND_COUNT ? kinds[k] : "exposure";
}

int ex_severity_from_name(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, severities[i]) == 0)
            return i;
    return -1;
}

int ex_kind_from_name(const char *s)
{
    for (int i = 0; s && i < EX_KIND_COUNT; i++)
        if (strcmp(s, kinds[i]) == 0)
            return i;
    return -1;
}

void ex_finding_init(ex_finding *f)
{
    memset(f, 0, sizeof *f);
    f->time = EX_TIME_UNKNOWN;
    f->ev.line = -1;
    f->ev.offset = -1;
}

/* Every owned string of a finding, for free and copy. */
#define FINDING_STRINGS(f)                                                                                             \
    {                                                                                                                  \
        &(f)->id, &(f)->cve, &(f)->title, &(f)->subject, &(f)->rule, &(f)->rule_source, &(f)->rule_author,             \
            &(f)->rule_ref, &(f)->ev.path, &(f)->ev.match                                                              \
    }

void ex_finding_free(ex_finding *f)
{
    char **fields[] = FINDING_STRINGS(f);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        free(*fields[i]);
    ex_finding_init(f);
}

int ex_finding_set(char **field, const char *s, size_t len)
{
    free(*field);
    *field = NULL;
    if (!s || !len)
        return 0;
    bool cut = len > EX_FINDING_TEXT_MAX;
    size_t keep = cut ? EX_FINDING_TEXT_MAX : len;
    char *p = malloc(keep + (cut ? 4 : 1));
    if (!p)
        return -1;
    memcpy(p, s, keep);
    if (cut)
        memcpy(p + keep, "...", 3), keep += 3;
    p[keep] = '\0';
    *field = p;
    return 0;
}

int ex_finding_setz(char **field, const char *s)
{
    return ex_finding_set(field, s, s ? strlen(s) : 0);
}

int ex_finding_copy(ex_finding *dst, const ex_finding *src)
{
    *dst = *src;
    char **fields[] = FINDING_STRINGS(dst);
    size_t n = sizeof fields / sizeof fields[0];
    for (size_t i = 0; i < n; i++) {
        if (*fields[i] && !(*fields[i] = strdup(*fields[i]))) {
            for (size_t k = 0; k < i; k++)
                free(*fields[k]);
            ex_finding_init(dst);
            return -1;
        }
    }
    return 0;
}

int ex_findings_push(ex_findings *l, ex_finding *f)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ex_finding *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return -1;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = *f;
    ex_finding_init(f);
    return 0;
}

void ex_findings_free(ex_findings *l)
{
    for (size_t i = 0; i < l->count; i++)
        ex_finding_free(&l->items[i]);
    free(l->items);
    *l = (ex_findings){0};
}

int ex_findings_worst(const ex_findings *l)
{
    int w = -1;
    for (size_t i = 0; i < l->count; i++)
        if ((int)l->items[i].severity > w)
            w = (int)l->items[i].severity;
    return w;
}
