/* scan_out: the writers of `exaudit scan`: JSON Lines (the host record of
 * lib/host.h plus the scan fields of docs/schema.md), CSV, one table row per
 * host, and the closing summary. */
#ifndef EXAUDIT_SCAN_OUT_H
#define EXAUDIT_SCAN_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "fingerprint.h"
#include "probe.h"
#include "targets.h"
#include "verdict.h"

/* One finished host: everything the writers need. */
typedef struct ex_scan_host {
    const ex_endpoint *ep;
    const ex_conn_info *ci;
    const ex_plan *plan;
    const ex_fp_result *res;
    const ex_assessment *a;
} ex_scan_host;

/* A JSON string from untrusted bytes: invalid UTF-8 becomes U+FFFD. */
json_t *ex_json_text(const char *s);

json_t *ex_scan_json(const ex_scan_host *h);

/* The same object as one line of text (no newline; caller frees; NULL when
 * out of memory). The host-record part is built once per distinct set of
 * facts and reused from c (may be NULL): most hosts of a fleet share it. */
typedef struct ex_record_cache ex_record_cache;
ex_record_cache *ex_record_cache_new(void);
void ex_record_cache_free(ex_record_cache *c);
char *ex_scan_json_line(const ex_scan_host *h, ex_record_cache *c);

void ex_scan_csv_header(FILE *out);
void ex_scan_csv_row(FILE *out, const ex_scan_host *h);

void ex_scan_table_row(FILE *out, const ex_scan_host *h, bool color);

/* Worst status of any CVE on the host (EX_STATUS_UNKNOWN when none). */
ex_status ex_scan_host_worst(const ex_scan_host *h);

#define EX_SUMMARY_FAMILIES 16
typedef struct ex_scan_summary {
    uint64_t hosts, kinds[5], verdicts[6], with_errors, timed_out;
    uint64_t precision[4]; /* ex_precision of on-prem hosts */
    struct {
        const char *family;
        uint64_t by_status[6];
    } fam[EX_SUMMARY_FAMILIES];
    size_t nfam;
    uint64_t wafs;
    uint64_t eol;
} ex_scan_summary;

void ex_scan_summary_add(ex_scan_summary *s, const ex_scan_host *h);
void ex_scan_summary_print(FILE *out, const ex_scan_summary *s, double seconds, bool color);

#endif
