/* assess_cache: assessments of a scan, reused between hosts.
 *
 * A fleet runs few distinct builds, and ex_assess() (every CVE, the update
 * path) costs more than the requests of a host. What it returns depends only
 * on the build, the probe outcomes and the day; the probe evidence strings
 * are per host, so they are pointed at the current host's strings on every
 * lookup. The returned assessment stays valid until the next lookup. Not
 * thread-safe: one per event loop. */
#ifndef EXAUDIT_ASSESS_CACHE_H
#define EXAUDIT_ASSESS_CACHE_H

#include "verdict.h"

#define EX_ASSESS_CACHE_SLOTS 256

typedef struct ex_assess_cache ex_assess_cache;

ex_assess_cache *ex_assess_cache_new(const ex_kb *kb);
void ex_assess_cache_free(ex_assess_cache *c);
/* The assessment of f (with f's evidence strings); NULL when out of memory. */
const ex_assessment *ex_assess_cached(ex_assess_cache *c, const ex_facts *f);

#endif
