/* state: the one-word state of a server that the fleet list, the diff and the
 * reports share: its traffic light and the verdict of its last hunt.
 *
 * Traffic light (documented in the report's methods appendix):
 *   red     vulnerable (a CVE whose status is "vulnerable"), or compromised (hunt)
 *   yellow  possibly vulnerable, configuration-dependent, mitigated only, end of
 *           support, newer updates whose CVEs the knowledge base lacks, a build
 *           newer than the knowledge base, or a hunt with suspicious findings
 *   green   every CVE patched and the version supported
 *   grey    unknown: no build seen, unreachable, not an on-premises Exchange */
#ifndef EXAUDIT_STATE_H
#define EXAUDIT_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "finding.h"

typedef enum ex_light {
    EX_LIGHT_GREY = 0,
    EX_LIGHT_GREEN,
    EX_LIGHT_YELLOW,
    EX_LIGHT_RED,
} ex_light;

const char *ex_light_name(ex_light l); /* "grey", "green", "yellow", "red" */
int ex_light_from_name(const char *s); /* -1 when unknown */

/* The light an assessment (the kb-derived part of a host record) earns by itself. */
ex_light ex_light_of_assessment(const json_t *assessment);

/* Hunt verdicts. */
#define EX_HUNT_COMPROMISED "compromised" /* success, web shell, persistence, theft or staging, severity >= high */
#define EX_HUNT_SUSPICIOUS  "suspicious"  /* any other finding above info (attempts), exposure aside */
#define EX_HUNT_CLEAN       "clean"       /* nothing above info */
const char *ex_hunt_verdict(const ex_findings *l);
/* Is this finding a sign that the server was compromised (not only attacked)? */
bool ex_finding_is_compromise(const ex_finding *f);

/* Did the scan get an answer from the host? (A record without a build, without
 * a known Exchange kind and with errors is unreachable.) */
bool ex_record_reachable(const json_t *record);

/* The host's light: the assessment's, raised by the hunt, grey when the
 * scan got no answer or the host is not an on-premises Exchange. exchange and
 * hunt may be NULL. */
ex_light ex_light_combine(ex_light assessed, bool reachable, const char *exchange, const char *hunt);

/* How urgent a CVE record of an assessment is: higher is worse; -1 when patched. */
int ex_cve_urgency(const json_t *cve);

/* The CVE of an assessment that needs attention first (worst status, a named
 * family before an unnamed CVE), or NULL when every CVE is patched. */
const json_t *ex_worst_cve(const json_t *assessment);

#endif
