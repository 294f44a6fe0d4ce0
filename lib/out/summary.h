/* summary: the readable, terminal form of one assessment (exaudit build). */
#ifndef EXAUDIT_SUMMARY_H
#define EXAUDIT_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "verdict.h"

typedef struct ex_summary_opts {
    bool color;
    bool verbose; /* one line per CVE instead of per family */
} ex_summary_opts;

void ex_print_assessment(FILE *out, const char *input, const ex_assessment *a, const ex_summary_opts *o);
/* The colour escape for a status (or "" without colour). */
const char *ex_status_color(ex_status s, bool color);

#endif
