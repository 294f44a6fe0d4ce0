/* hunt_report: the outputs of `exaudit hunt` (docs/schema.md "Hunt output"):
 * the terminal summary, the JSON summary object that ends the --json stream,
 * and the --timeline CSV in the layout Timesketch imports (message, datetime,
 * timestamp_desc, plus fields). */
#ifndef EXAUDIT_HUNT_REPORT_H
#define EXAUDIT_HUNT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "hunt/hunt.h"

#define EX_HUNT_SUMMARY_SCHEMA "exaudit.hunt-summary/1"

typedef struct ex_hunt_report_opts {
    bool color;
    bool verbose;      /* every finding, info included, and every skip */
    size_t max_listed; /* findings listed on the terminal (0 = 40) */
} ex_hunt_report_opts;

void ex_hunt_print_summary(FILE *out, const ex_hunt *h, const ex_hunt_report_opts *o);
json_t *ex_hunt_summary_json(const ex_hunt *h);
/* 0, or -1 on a write error. */
int ex_hunt_write_timeline_csv(FILE *out, const ex_hunt *h);
/* The progress line (one line, no newline, starting with '\r'). */
void ex_hunt_print_progress(FILE *out, const ex_hunt_progress *p);

/* Does the run hold a compromise or an attempt (a finding above info whose
 * kind is not exposure)? This decides exit code 1. */
bool ex_hunt_found_attack(const ex_hunt *h);

#endif
