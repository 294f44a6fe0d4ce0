/* recorder: see recorder.h. */
#include "out/recorder.h"

#include <stdio.h>
#include <string.h>

#include "host.h"

void ex_recorder_target(const char *label, long port, char *out, size_t n)
{
    if (port <= 0 || port == 443 || strstr(label, "://")) {
        snprintf(out, n, "%s", label);
        return;
    }
    /* An IPv6 literal is kept without brackets in the label. */
    snprintf(out, n, strchr(label, ':') ? "[%s]:%ld" : "%s:%ld", label, port);
}

int ex_recorder_put_scan_host(ex_store *st, int64_t run, const char *key, const ex_scan_host *h, const ex_facts *facts)
{
    json_t *rec = ex_scan_json(h);
    ex_findings findings = {0};
    int rc = -1;
    /* Only an on-premises server has a verdict (the record's is null otherwise), hence findings. */
    if (rec && (h->res->kind != EX_KIND_ONPREM || ex_host_findings(h->a, key, &findings) == 0))
        rc = ex_store_put_host(st, run, key, rec, facts, &findings);
    ex_findings_free(&findings);
    json_decref(rec);
    return rc;
}

static int add_coverage(json_t *out, const json_t *entry)
{
    const char *dir = json_string_value(json_object_get(entry, "logdir"));
    if (!dir)
        return 0; /* not from ex_hunt_summary_json: nothing to key it by */
    json_t *v = json_pack("{s:O?, s:O?, s:O?, s:O?}", "first", json_object_get(entry, "first"), "last",
                          json_object_get(entry, "last"), "files", json_object_get(entry, "files"), "gaps",
                          json_object_get(entry, "gaps"));
    return v ? json_object_set_new(out, dir, v) : -1;
}

static int add_fact(json_t *out, const json_t *fact)
{
    json_t *v = json_pack("{s:O?, s:O?, s:O?, s:O?}", "key", json_object_get(fact, "key"), "time",
                          json_object_get(fact, "time"), "detail", json_object_get(fact, "detail"), "evidence",
                          json_object_get(fact, "path"));
    return v ? json_array_append_new(out, v) : -1;
}

int ex_recorder_hunt_shapes(const json_t *summary, json_t **coverage, json_t **timeline)
{
    const json_t *cov = json_object_get(summary, "coverage"), *facts = json_object_get(summary, "facts"), *e;
    size_t i;
    int rc = 0;
    *coverage = json_array_size(cov) ? json_object() : NULL;
    *timeline = json_array_size(facts) ? json_array() : NULL;
    json_array_foreach(cov, i, e) if (rc == 0 && *coverage) rc = add_coverage(*coverage, e);
    json_array_foreach(facts, i, e) if (rc == 0 && *timeline) rc = add_fact(*timeline, e);
    if (rc == 0 && (!json_array_size(cov) || *coverage) && (!json_array_size(facts) || *timeline))
        return 0;
    json_decref(*coverage);
    json_decref(*timeline);
    *coverage = *timeline = NULL;
    return -1;
}
