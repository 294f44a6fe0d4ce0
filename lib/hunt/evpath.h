/* evpath: evidence paths in one normalised form (lib/hunt/analyzer.h).
 *
 * Sources give paths as they find them: "C/Program Files/..." (KAPE, a
 * mounted drive copied as a folder), "uploads/auto/C%3A/Program Files/..."
 * and "uploads/ntfs/%5C%5C.%5CC%3A/..." (Velociraptor, ../shared/docs/
 * ioc-hunting.md §3.3), "C$/...", "C:\...", or a bare relative path. The
 * normalised form is '/'-separated with the drive as "C:/", Velociraptor
 * percent-encodings decoded, original case kept. Pure functions. */
#ifndef EXAUDIT_HUNT_EVPATH_H
#define EXAUDIT_HUNT_EVPATH_H

#include <stdbool.h>
#include <stddef.h>

enum ex_evpath_problem {
    EX_EVPATH_OK = 0,
    EX_EVPATH_TRAVERSAL, /* a ".." component or an absolute path: never followed */
    EX_EVPATH_EMPTY,     /* nothing but separators */
    EX_EVPATH_TOO_LONG,
};

#define EX_EVPATH_MAX 8192

/* Normalise len bytes of rel. prefix (may be NULL) is put in front when the
 * path names no drive. Returns a malloc'd string, or NULL with *problem set
 * (or on allocation failure, with *problem EX_EVPATH_OK). */
char *ex_evpath_normalise(const char *rel, size_t len, const char *prefix, int *problem);
const char *ex_evpath_problem_name(int problem);

/* The evidence-path prefix of a directory input (its real path): paths are
 * relative to the evidence top, except that the input's own Windows context
 * is kept: "/mnt/c" -> "c" (the drive), "/cases/x/Logging/HttpProxy" ->
 * "Logging/HttpProxy", "/img/C/Program Files/Microsoft" -> "C/Program
 * Files/Microsoft"; "/cases/EXCH01" -> "". Malloc'd; NULL when out of memory. */
char *ex_evpath_input_prefix(const char *realdir);

/* Case-insensitive (ASCII) glob over a whole evidence path: '*' matches any run
 * of bytes except '/', '**' also across '/', '?' one byte. Windows paths are
 * matched without regard to case. */
bool ex_evpath_match(const char *glob, const char *path);
/* Does path have prefix dir at a component boundary (case-insensitive)? Returns
 * the remainder after "dir/" or NULL. */
const char *ex_evpath_under(const char *path, const char *dir);
/* The final component. */
const char *ex_evpath_base(const char *path);

#endif
