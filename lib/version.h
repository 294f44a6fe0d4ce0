/* version: parse, compare and format Exchange build strings.
 *
 * Every form seen in the wild parses to the same value, ignoring surrounding
 * whitespace and letter case:
 *   15.1.2176.9            short build
 *   15.01.2176.009         long build (zero padded)
 *   15.1.2176              CU only: the OWA asset path carries three parts
 *   Exchange/15.02.0858.002   X-ServerApplication header
 *   Version 15.1 (Build 2176.9)   AdminDisplayVersion
 *   14.3.123.4             Exchange 2010
 *   owaVer=15.2.858.2      errorfe.aspx query parameter (value ends at '&')
 * Pure functions, no allocation. */
#ifndef EXAUDIT_VERSION_H
#define EXAUDIT_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* revision < 0 means "not known": only the CU (major.minor.build) was seen. */
typedef struct ex_version {
    uint16_t major;
    uint16_t minor;
    uint32_t build;
    int32_t revision;
} ex_version;

enum ex_version_error {
    EX_VERSION_OK = 0,
    EX_VERSION_EMPTY,  /* nothing but whitespace */
    EX_VERSION_SYNTAX, /* not a build string */
    EX_VERSION_RANGE,  /* a part is too large to be an Exchange build */
};

/* Longest accepted input; anything longer is a syntax error, not a scan. */
#define EX_VERSION_MAX_INPUT 128
/* Enough for "15.01.65535.65535" and the short form. */
#define EX_VERSION_STRLEN 32

/* Parse len bytes of s (need not be NUL-terminated). Returns EX_VERSION_OK and
 * fills *out, or an error code and leaves *out zeroed. */
int ex_version_parse(const char *s, size_t len, ex_version *out);
/* Convenience for NUL-terminated strings. */
int ex_version_parse_str(const char *s, ex_version *out);
const char *ex_version_strerror(int err);

static inline bool ex_version_has_revision(const ex_version *v)
{
    return v->revision >= 0;
}

/* Total order on all four parts; an unknown revision sorts below revision 0. */
int ex_version_cmp(const ex_version *a, const ex_version *b);
/* Compare only major.minor.build (the CU). */
int ex_version_cmp_cu(const ex_version *a, const ex_version *b);
bool ex_version_same_cu(const ex_version *a, const ex_version *b);

/* "15.1.2176.9" / "15.1.2176". Returns the length written (snprintf rules). */
int ex_version_format(const ex_version *v, char *buf, size_t n);
/* "15.01.2176.009" / "15.01.2176". */
int ex_version_format_long(const ex_version *v, char *buf, size_t n);

#endif
