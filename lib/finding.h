/* finding: the one record type every part of exaudit emits.
 *
 * A scan turns a host's assessment into findings (one per CVE that is not
 * patched, one for end of life, ...); a hunt emits one per indicator. Every
 * writer (table, JSONL, CSV, HTML, SQLite) consumes ex_finding and nothing
 * else, so a new writer or a new analyzer never needs to know about the other.
 *
 * Strings are owned by the finding (ex_finding_free releases them). Text that
 * came from evidence or from the network is kept as bytes, bounded by
 * EX_FINDING_TEXT_MAX; writers escape it for their format. */
#ifndef EXAUDIT_FINDING_H
#define EXAUDIT_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

typedef enum ex_severity {
    EX_SEV_INFO = 0,
    EX_SEV_MEDIUM,
    EX_SEV_HIGH,
    EX_SEV_CRITICAL,
} ex_severity;

typedef enum ex_kind {
    EX_KIND_EXPOSURE = 0, /* vulnerable build, end of life, risky configuration */
    EX_KIND_ATTEMPT,      /* exploitation-attempt: the request was made, no sign it worked */
    EX_KIND_SUCCESS,      /* exploitation-success */
    EX_KIND_WEBSHELL,
    EX_KIND_PERSISTENCE,
    EX_KIND_CREDENTIAL_THEFT,
    EX_KIND_EXFIL_STAGING, /* exfiltration-staging */
    EX_KIND_COUNT
} ex_kind;

const char *ex_severity_name(ex_severity s); /* "critical", "high", "medium", "info" */
int ex_severity_from_name(const char *s);    /* -1 when unknown */
const char *ex_kind_name(ex_kind k);         /* "exploitation-attempt", ... */
int ex_kind_from_name(const char *s);

/* Time not known (e.g. a file without a usable timestamp). */
#define EX_TIME_UNKNOWN INT64_MIN
/* Evidence text is cut (and marked) beyond this many bytes. */
#define EX_FINDING_TEXT_MAX 1024

typedef struct ex_evidence {
    char *path;                 /* file path inside the evidence (Windows form when known), or URL/endpoint */
    int64_t line;               /* 1-based line, or -1 */
    int64_t offset;             /* byte offset, or -1 */
    char *match;                /* the matched text / header value */
    char sha256[EX_SHA256_HEX]; /* of the file at path; "" when not a file */
} ex_evidence;

typedef struct ex_finding {
    ex_severity severity;
    ex_kind kind;
    char *id;          /* stable identifier of the check: "httpproxy.cve-2021-26855", "scan.eol" */
    char *cve;         /* "CVE-2021-26855" or NULL */
    char *title;       /* one-line human statement */
    char *subject;     /* host (scan) or evidence root / server name (hunt) */
    int64_t time;      /* Unix seconds UTC, or EX_TIME_UNKNOWN */
    char *rule;        /* rule name (YARA rule, log pattern) */
    char *rule_source; /* where the rule comes from: "exaudit data/rules/webshells.yar", "signature-base (F. Roth)" */
    char *rule_author;
    char *rule_ref;
    ex_evidence ev;
} ex_finding;

void ex_finding_init(ex_finding *f);
void ex_finding_free(ex_finding *f);
/* Deep copy; returns 0 or -1 on allocation failure. */
int ex_finding_copy(ex_finding *dst, const ex_finding *src);

/* Set a string field from bytes, bounded by EX_FINDING_TEXT_MAX (a cut is
 * marked with "..."); NULL or len 0 clears. Returns -1 on allocation failure. */
int ex_finding_set(char **field, const char *s, size_t len);
int ex_finding_setz(char **field, const char *s);

/* A growable list of findings. */
typedef struct ex_findings {
    ex_finding *items;
    size_t count, cap;
} ex_findings;

/* Takes ownership of *f (which is re-initialised). */
int ex_findings_push(ex_findings *l, ex_finding *f);
void ex_findings_free(ex_findings *l);
/* Worst severity in the list, or -1 when empty. */
int ex_findings_worst(const ex_findings *l);

#endif
