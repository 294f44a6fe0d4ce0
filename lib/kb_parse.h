/* kb_parse: the one parser for knowledge-base data. kbgen uses it at build time
 * (so a malformed data/ table fails the build) and ex_kb_load_bundle() uses it at
 * run time for override bundles. Internal to lib/. */
#ifndef EXAUDIT_KB_PARSE_H
#define EXAUDIT_KB_PARSE_H

#include <stddef.h>

#include "kb.h"

#define EX_KB_MAGIC      "exaudit-kb\t1"
#define EX_KB_SHA_PREFIX "#sha256\t"

/* The four tables a bundle must contain, in bundle order. */
extern const char *const ex_kb_sections[4]; /* "meta", "builds", "cves", "eol" */
extern const char *const ex_kb_headers[4];  /* the exact header row of each */

/* Parse a complete bundle (magic, sections, checksum). On success the returned
 * ex_kb owns a private copy of the text. */
ex_kb *ex_kb_parse_bundle(const char *text, size_t len, const char *origin, char *err, size_t errlen);

/* Compare data versions "YYYY.MM.DD[.N]": <0, 0, >0. */
int ex_kb_version_cmp(const char *a, const char *b);

#endif
