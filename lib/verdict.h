/* verdict: facts plus the knowledge base -> per-CVE status and remediation.
 *
 * Pure: no I/O, no clock (today is a parameter), no globals. The rules follow
 * Microsoft's own (CSS-Exchange HealthChecker, Test-ExchangeBuildGreaterOr-
 * EqualThanSecurityPatch; ../shared/docs/logs-and-builds.md §5):
 *   - a build at or above the newest fixed build of its product line is fixed
 *     (a CU released after the update contains it);
 *   - otherwise it is fixed only if its own CU received the update and the
 *     build is at or above that CU's first fixed build;
 *   - everything else is vulnerable.
 * What a build cannot decide is said as such: a CU-only build gets
 * "possibly", a configuration-dependent CVE gets "config", a build the tables
 * do not know is flagged approx or newer-than-kb. A behavioural probe beats
 * build inference. */
#ifndef EXAUDIT_VERDICT_H
#define EXAUDIT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explain.h"
#include "kb.h"
#include "version.h"

/* Ordered by increasing urgency (see ex_status_rank). */
typedef enum ex_status {
    EX_STATUS_PATCHED = 0,
    EX_STATUS_MITIGATED,
    EX_STATUS_UNKNOWN,
    EX_STATUS_CONFIG,
    EX_STATUS_POSSIBLY,
    EX_STATUS_VULNERABLE,
} ex_status;

const char *ex_status_name(ex_status s); /* "vulnerable", "possibly", ... */
/* Parse a status name; -1 when unknown. */
int ex_status_from_name(const char *name);

typedef enum ex_precision {
    EX_PRECISION_NONE = 0, /* no build seen */
    EX_PRECISION_SU,       /* exact build, in the tables */
    EX_PRECISION_CU,       /* three parts: the CU only */
    EX_PRECISION_APPROX,   /* four parts, but not in the tables (nearest lower used) */
} ex_precision;
const char *ex_precision_name(ex_precision p); /* "su", "cu", "approx", "none" */

typedef enum ex_support {
    EX_SUPPORT_UNKNOWN = 0,
    EX_SUPPORT_SUPPORTED,
    EX_SUPPORT_ENDED,
} ex_support;
const char *ex_support_name(ex_support s);

/* The result of a behavioural probe for one CVE (scan). */
typedef enum ex_probe_outcome {
    EX_PROBE_NONE = 0,
    EX_PROBE_POSITIVE,  /* the trigger worked: vulnerable, whatever the build says */
    EX_PROBE_NEGATIVE,  /* a clean answer from Exchange without the trigger effect */
    EX_PROBE_MITIGATED, /* aborted only when the trigger is present: URL-rewrite rule */
} ex_probe_outcome;

typedef struct ex_observation {
    const char *cve;
    ex_probe_outcome outcome;
    const char *evidence; /* "GET /owa/auth/x.js -> X-CalculatedBETarget: localhost" */
} ex_observation;

/* A configuration fact (hunt: applicationHost.config, SettingOverrides). */
typedef enum ex_setting_state { EX_SETTING_UNKNOWN = 0, EX_SETTING_ON, EX_SETTING_OFF } ex_setting_state;
typedef struct ex_config_fact {
    const char *family; /* the CVE family the setting closes: "Extended Protection" */
    ex_setting_state state;
    const char *evidence;
} ex_config_fact;

typedef struct ex_facts {
    bool have_version;
    ex_version version;
    const char *version_evidence; /* where the build was seen, for the output */
    const ex_observation *obs;
    size_t nobs;
    const ex_config_fact *config;
    size_t nconfig;
    int64_t today; /* days since 1970-01-01 (ex_today_days()) */
} ex_facts;

#define EX_BASIS_LEN 360

#define EX_MAX_RULES 3

typedef struct ex_cve_verdict {
    const ex_kb_cve *cve;
    ex_status status;
    ex_status build_status; /* what the build alone says */
    bool by_probe;          /* the status rests on a behavioural probe */
    bool uncertain_data;    /* a fix row is flagged uncertain/external in data/ */
    ex_version fixed_in;    /* first fixed build for this CU, or of the next CU; revision -1 if none */
    const char *fixed_update;
    const char *setting;  /* config kind */
    const char *evidence; /* probe or config evidence */
    char basis[EX_BASIS_LEN];
    /* How basis was written (lib/explain.h): the build sentence first, then the
     * configuration and probe sentences that wrap it as {prior}, with the slot
     * values, so that a report can say the same in another language. */
    const char *rules[EX_MAX_RULES];
    size_t nrules;
    char arg_build[EX_VERSION_STRLEN];
    char arg_fix[96];
    char arg_cu[48];
} ex_cve_verdict;

/* The slot values of v's sentences (build, fix, cu, setting, status); returns the count. */
size_t ex_cve_verdict_args(const ex_cve_verdict *v, ex_explain_arg *args, size_t max);

typedef struct ex_remedy {
    char step[240]; /* the English sentence */
    char kb[16];
    /* The sentence's explain code and slot values (lib/explain.h). */
    const char *action;
    const char *product, *cu, *update, *setting, *cve, *family, *end;
    char build[EX_VERSION_STRLEN];
} ex_remedy;

size_t ex_remedy_args(const ex_remedy *r, ex_explain_arg *args, size_t max);

#define EX_MAX_REMEDIES 8

typedef struct ex_assessment {
    const ex_kb *kb;
    /* build */
    bool have_version;
    ex_version version;
    ex_precision precision;
    ex_product product;
    const char *product_name;
    const ex_kb_build *row;    /* exact or nearest-lower row; NULL when none */
    const ex_kb_build *cu_row; /* the CU's own row (names its KB) */
    bool newer_than_kb;        /* above every build the tables know for this product line */
    char build_note[240];
    /* support */
    ex_support support;
    const char *support_end;
    const char *security_updates; /* "none", "esu", "supported" */
    /* newer updates the tables know about */
    const ex_kb_build *newest_in_cu;
    const ex_kb_build *newest_of_product;
    size_t newer_updates_without_cves; /* newer SUs for this CU with no CVE listed in the data */
    /* CVEs that apply to this product line */
    ex_cve_verdict *cves;
    size_t ncves;
    ex_status worst; /* worst CVE status, raised to possibly by newer_updates_without_cves */
    /* remediation, shortest path first */
    ex_remedy steps[EX_MAX_REMEDIES];
    size_t nsteps;
} ex_assessment;

/* Fill *out. Returns 0, or -1 when out of memory. */
int ex_assess(const ex_kb *kb, const ex_facts *facts, ex_assessment *out);
void ex_assessment_free(ex_assessment *a);

/* One line per CVE family: the named families, then "other" per update. */
typedef struct ex_family_line {
    const char *family; /* "ProxyLogon", or "" for the unnamed CVEs */
    ex_status status;   /* worst member */
    size_t members;
    size_t affected;               /* members not patched */
    const ex_cve_verdict *example; /* the member that decided the status */
} ex_family_line;
size_t ex_family_lines(const ex_assessment *a, ex_family_line *lines, size_t max);

/* The status of one CVE in an assessment, or NULL when it does not apply. */
const ex_cve_verdict *ex_assessment_cve(const ex_assessment *a, const char *cve);

#endif
