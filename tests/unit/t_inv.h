/* Helpers shared by the inventory and report tests. */
#ifndef EXAUDIT_T_INV_H
#define EXAUDIT_T_INV_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

/* A path for a new database in a fresh temporary directory (aborts on failure). */
char *t_temp_db(char *buf, size_t n);

/* Append a finding with the given kind, severity, CVE (may be NULL), evidence
 * path, time and title. */
void t_push_finding(ex_findings *l, ex_kind kind, ex_severity sev, const char *cve, const char *path, int64_t time,
                    const char *title);

#endif
