/* finding_json: ex_finding <-> JSON (one object per line in JSONL output,
 * and the form findings are stored in the inventory). Schema: docs/schema.md. */
#ifndef EXAUDIT_FINDING_JSON_H
#define EXAUDIT_FINDING_JSON_H

#include <jansson.h>

#include "finding.h"

json_t *ex_finding_to_json(const ex_finding *f);
/* 0 on success; -1 when j is not a finding object. */
int ex_finding_from_json(const json_t *j, ex_finding *f);
/* Strings from evidence may hold any bytes: make them valid UTF-8 (invalid
 * sequences become U+FFFD) so that every JSON writer can take them. */
json_t *ex_json_string_lossy(const char *s);

#endif
