/* report: the customer report, built from the inventory and written by one of
 * a small table of writers (html, md, csv, json).
 *
 * The report is built in two passes so that 100,000 servers fit: the first
 * (ex_report_build) keeps one short summary line per server, the three most
 * urgent actions and the GDPR Art. 33 facts; the second streams one server at
 * a time, fully loaded (scan record, assessment, findings, hunt, exposure
 * window), to the writer. Every string from the network or from evidence is
 * valid UTF-8 by the time it reaches a writer (JSON is), and writers escape it
 * for their format. */
#ifndef EXAUDIT_REPORT_H
#define EXAUDIT_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "kb.h"
#include "out/store.h"

typedef struct ex_report_opts {
    const char *customer;     /* only this customer's servers; NULL for all */
    const char *lang;         /* "de" or "en" (already selected with ex_i18n_init) */
    int64_t now;              /* the report's time (Unix seconds) */
    int64_t aware_since;      /* GDPR: when the controller became aware; 0 = from the hunts */
    const char *tool_version; /* "exaudit 0.1.0" */
} ex_report_opts;

typedef struct ex_report {
    ex_store *store;
    const ex_kb *kb;
    ex_report_opts opts;
    /* {"customer", "generated", "lang", "tool", "kb": {version, date, origin},
     *  "scope": {"servers", "customers": [...], "scans": [...], "hunts": [...]},
     *  "counts": {"red", "yellow", "green", "grey"}} */
    json_t *head;
    /* one summary object per server, in report order */
    json_t *servers;
    /* at most three: {"kind": incident|update|investigate|migrate|configure|identify, "hosts": [...],
     *  "step", "kb", "cves": [...]} */
    json_t *actions;
    /* {"reportable": bool, "aware": ISO, "aware_source": "hunt"|"option", "deadline": ISO,
     *  "deadline_passed": bool, "incidents": [{"host", "reason": compromise|exploitable-while-attacked,
     *  "findings": [...], "first_seen": ISO, "cves": [...], "measures": [...]}], "hunted": n, "not_hunted": n} */
    json_t *gdpr;
    json_t *cache;        /* assessment id -> parsed assessment */
    size_t hosts_written; /* servers handed to the writer so far */
} ex_report;

/* First pass. Returns 0, or -1 with a database error. */
int ex_report_build(ex_report *r, ex_store *s, const ex_kb *kb, const ex_report_opts *o);
void ex_report_free(ex_report *r);

/* Second pass: cb gets each server as
 * {"target", "name", "customer", "tags", "light", "reachable", "exchange", "last_seen",
 *  "scan": {scan fields}|null, "assessment": {kb-derived host record}|null, "findings": [...],
 *  "hunt": {"run", "finished", "verdict", "coverage", "timeline", "findings": [...]}|null,
 *  "exposure": {"since", "since_cve", "until", "open", "logs_from", "uncovered_days"}|null} */
typedef int (*ex_report_host_cb)(void *ud, const json_t *host);
int ex_report_each_host(ex_report *r, ex_report_host_cb cb, void *ud);

/* --- writers --- */

typedef struct ex_report_writer {
    const char *name; /* "html", "md", "csv", "json" */
    int (*begin)(FILE *out, ex_report *r);
    int (*host)(FILE *out, ex_report *r, const json_t *host);
    int (*end)(FILE *out, ex_report *r);
} ex_report_writer;

const ex_report_writer *ex_report_writer_find(const char *name);
/* Run the writer over the whole report. 0, or -1 on an output or database error. */
int ex_report_write(FILE *out, ex_report *r, const ex_report_writer *w);

extern const ex_report_writer ex_report_html, ex_report_md, ex_report_csv, ex_report_json;

/* Write s as valid UTF-8 (invalid sequences become U+FFFD), every byte
 * replaced by sub(byte) when that is not NULL. The writers' escapers: */
void ex_report_escape(FILE *out, const char *s, const char *(*sub)(unsigned char c));
/* HTML text: valid UTF-8 (invalid bytes become U+FFFD), & < > " ' escaped,
 * control characters replaced. */
void ex_html_escape(FILE *out, const char *s);
/* Markdown text: as HTML, plus the Markdown punctuation and '|' escaped, and
 * line breaks folded, so that a value stays inside its table cell. */
void ex_md_escape(FILE *out, const char *s);
/* A CSV field: quoted, and a leading = + - @ neutralised (spreadsheet formulas). */
void ex_csv_field(FILE *out, const char *s);

/* --- text shared by the writers (translated through gettext) --- */

const char *ex_report_status_text(const char *status); /* "vulnerable" -> "verwundbar" */
/* Put the verdict's sentences (CVE basis, update steps) of an assessment into
 * the language selected with ex_i18n_init(), in place. */
void ex_report_localize_assessment(json_t *assessment);
const char *ex_report_light_text(const char *light);
const char *ex_report_hunt_text(const char *verdict);
const char *ex_report_support_text(const char *support); /* "ended" -> "beendet"; NULL -> "-" */
const char *ex_report_kind_text(const char *kind); /* finding kinds */
const char *ex_report_severity_text(const char *severity); /* "critical" -> "kritisch" */
/* ISO time "2021-03-05T10:00:00Z" from Unix seconds, into buf (>= 21). */
const char *ex_report_iso(int64_t t, char *buf, size_t n);

#endif
