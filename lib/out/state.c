/* state: see state.h. */
#include "state.h"

#include <string.h>

#include "verdict.h"

static const char *const lights[] = {"grey", "green", "yellow", "red"};

const char *ex_light_name(ex_light l)
{
    return (unsigned)l < 4 ? lights[l] : "grey";
}

int ex_light_from_name(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, lights[i]))
            return i;
    return -1;
}

static const char *obj_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

ex_light ex_light_of_assessment(const json_t *a)
{
    int verdict = ex_status_from_name(obj_str(a, "verdict"));
    const json_t *build = json_object_get(a, "build");
    if (!json_is_object(build) || verdict < 0 || verdict == EX_STATUS_UNKNOWN)
        return EX_LIGHT_GREY;
    if (verdict == EX_STATUS_VULNERABLE)
        return EX_LIGHT_RED;
    const char *support = obj_str(json_object_get(a, "support"), "status");
    json_int_t unknown_updates =
        json_integer_value(json_object_get(json_object_get(a, "updates"), "newer_updates_without_cve_data"));
    bool ended = support && !strcmp(support, "ended");
    if (verdict != EX_STATUS_PATCHED || ended || unknown_updates > 0 ||
        json_is_true(json_object_get(build, "newer_than_kb")))
        return EX_LIGHT_YELLOW;
    return EX_LIGHT_GREEN;
}

bool ex_finding_is_compromise(const ex_finding *f)
{
    return f->kind != EX_KIND_EXPOSURE && f->kind != EX_KIND_ATTEMPT && f->severity >= EX_SEV_HIGH;
}

const char *ex_hunt_verdict(const ex_findings *l)
{
    bool suspicious = false;
    for (size_t i = 0; i < l->count; i++) {
        if (ex_finding_is_compromise(&l->items[i]))
            return EX_HUNT_COMPROMISED;
        /* Exposure (the installed build's CVEs, a setting) is not a sign of an attack. */
        suspicious |= l->items[i].kind != EX_KIND_EXPOSURE && l->items[i].severity > EX_SEV_INFO;
    }
    return suspicious ? EX_HUNT_SUSPICIOUS : EX_HUNT_CLEAN;
}

bool ex_record_reachable(const json_t *r)
{
    const char *exchange = obj_str(r, "exchange");
    const json_t *errors = json_object_get(r, "errors");
    if (json_is_object(json_object_get(r, "build")))
        return true;
    if (exchange && strcmp(exchange, "unknown") != 0)
        return true;
    return !(json_is_array(errors) && json_array_size(errors) > 0);
}

ex_light ex_light_combine(ex_light assessed, bool reachable, const char *exchange, const char *hunt)
{
    ex_light l = assessed;
    /* A host that is not an on-premises Exchange has no Exchange verdict. */
    if (!reachable || (exchange && strcmp(exchange, "onprem") != 0 && strcmp(exchange, "unknown") != 0))
        l = EX_LIGHT_GREY;
    if (hunt && !strcmp(hunt, EX_HUNT_COMPROMISED))
        return EX_LIGHT_RED;
    if (hunt && !strcmp(hunt, EX_HUNT_SUSPICIOUS) && (l == EX_LIGHT_GREEN || l == EX_LIGHT_GREY))
        return EX_LIGHT_YELLOW;
    return l;
}

/* Urgency of a CVE: its status rank, a named family breaking ties. */
int ex_cve_urgency(const json_t *c)
{
    int st = ex_status_from_name(obj_str(c, "status"));
    if (st < 0 || st == EX_STATUS_PATCHED)
        return -1;
    const char *family = obj_str(c, "family");
    return st * 2 + (family && *family ? 1 : 0);
}

const json_t *ex_worst_cve(const json_t *a)
{
    const json_t *best = NULL, *c;
    int best_rank = -1;
    size_t i;
    json_array_foreach(json_object_get(a, "cves"), i, c)
    {
        int r = ex_cve_urgency(c);
        if (r > best_rank)
            best = c, best_rank = r;
    }
    return best;
}
