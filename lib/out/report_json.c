/* report_json: the report model as one JSON document:
 * {"report": {head..., "actions", "gdpr"}, "servers": [server...]} (servers
 * streamed one by one, so a big fleet never sits in memory twice). */
#include "out/report.h"

static int json_begin(FILE *o, ex_report *r)
{
    json_t *head = json_deep_copy(r->head);
    json_object_set(head, "actions", r->actions);
    json_object_set(head, "gdpr", r->gdpr);
    json_object_set(head, "summary", r->servers);
    fputs("{\"report\":", o);
    int rc = json_dumpf(head, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(head);
    fputs(",\"servers\":[", o);
    return rc;
}

static int json_host(FILE *o, ex_report *r, const json_t *h)
{
    if (r->hosts_written)
        fputc(',', o);
    return json_dumpf(h, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int json_end(FILE *o, ex_report *r)
{
    (void)r;
    fputs("]}\n", o);
    return ferror(o) ? -1 : 0;
}

const ex_report_writer ex_report_json = {"json", json_begin, json_host, json_end};
