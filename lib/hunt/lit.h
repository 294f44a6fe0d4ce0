/* lit: the log analyzers' hot path, a multi-literal, case-insensitive
 * prefilter over whole chunks.
 *
 * Test-ProxyLogon's big speed-up was a literal prefilter ("ServerInfo~",
 * Select-String -Quiet) before parsing (../shared/docs/ioc-hunting.md §7.3):
 * almost every log line is benign, so the analyzers search a chunk for a few
 * rare literals and parse only the lines around a hit.
 *
 * The search is a Teddy-style fingerprint (as in Hyperscan and ripgrep): the
 * first three bytes of every literal, folded to both cases, are spread over 8
 * buckets in nibble tables; PSHUFB looks up 16 or 32 positions at once and a
 * candidate is verified byte by byte. AVX-512BW, AVX2 or SSSE3 is picked at
 * run time; other CPUs use a scalar loop over the same tables. Pure, thread-safe after
 * ex_lit_new. */
#ifndef EXAUDIT_HUNT_LIT_H
#define EXAUDIT_HUNT_LIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ex_lit ex_lit;

#define EX_LIT_MAX     64 /* literals per set */
#define EX_LIT_MIN_LEN 3  /* a literal needs at least 3 bytes (the fingerprint) */
#define EX_LIT_MAX_LEN 128

/* ASCII literals, matched without regard to case. NULL when a literal is
 * shorter than EX_LIT_MIN_LEN or longer than EX_LIT_MAX_LEN, or out of memory. */
ex_lit *ex_lit_new(const char *const *lits, size_t n);
void ex_lit_free(ex_lit *l);

/* Called for every match, in order of position (several literals at one
 * position: in literal order). Return nonzero to stop the scan. */
typedef int (*ex_lit_cb)(void *ctx, unsigned lit, size_t pos);
/* Returns the callback's nonzero value, or 0 when the scan ran to the end. */
int ex_lit_scan(const ex_lit *l, const char *data, size_t len, ex_lit_cb cb, void *ctx);

/* The first match at or after data (any literal), or NULL. */
const char *ex_lit_find(const ex_lit *l, const char *data, size_t len, unsigned *lit);

/* Which implementation runs here: "avx512", "avx2", "ssse3" or "scalar". */
const char *ex_lit_impl(void);
/* Force the scalar path (tests compare the paths). */
void ex_lit_force_scalar(bool on);
/* Force one implementation ("auto" to undo); false when this CPU lacks it. Not thread-safe: tests only. */
bool ex_lit_force(const char *impl);

#endif
