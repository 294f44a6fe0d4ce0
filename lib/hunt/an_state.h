/* an_state: the per-file state the evtx, exsetup, files and iisconfig
 * analyzers start with (the run and the file, for ex_hunt_emit/skip/fact). */
#ifndef EXAUDIT_HUNT_AN_STATE_H
#define EXAUDIT_HUNT_AN_STATE_H

#include <stddef.h>

#include "hunt/analyzer.h"

typedef struct ex_an_state {
    ex_hunt *h;
    ex_hunt_file f; /* its strings live while the file is read */
} ex_an_state;

/* size bytes, zeroed, starting with an ex_an_state for h and f; NULL when out of memory. */
void *ex_an_state_new(size_t size, ex_hunt *h, const ex_hunt_file *f);
/* An ex_analyzer.end that only frees the state. */
void ex_an_state_end(void *state, ex_hunt *h, const char *sha256);

#endif
