/* host: an assessment turned into the shared host record (JSON) and into
 * findings. `exaudit build --json` prints exactly this object; `exaudit scan`
 * adds target, ip, port, exchange, tls, ntlm, probes, errors and timings to it.
 * The schema is documented in docs/schema.md. */
#ifndef EXAUDIT_HOST_H
#define EXAUDIT_HOST_H

#include <jansson.h>

#include "finding.h"
#include "out/jsonw.h"
#include "verdict.h"

#define EX_HOST_SCHEMA "exaudit.host/1"

/* {schema, build, support, verdict, updates, cves, remediation, kb}; NULL when out of memory. */
json_t *ex_host_json(const ex_assessment *a);
/* The same members written straight into an open object: the fast path for
 * one line per host ("{" + caller's members + these + "}"). */
void ex_host_write_members(ex_jsonw *w, const ex_assessment *a);

/* One exposure finding per CVE that is not patched, one for end of life, one
 * for a knowledge base older than the server. subject names the host. */
int ex_host_findings(const ex_assessment *a, const char *subject, ex_findings *out);

/* Severity of a CVE status as a finding. */
ex_severity ex_status_severity(ex_status s, const char *family);

#endif
