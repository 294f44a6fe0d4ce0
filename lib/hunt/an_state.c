#include "hunt/an_state.h"

#include <stdlib.h>

void *ex_an_state_new(size_t size, ex_hunt *h, const ex_hunt_file *f)
{
    ex_an_state *s = calloc(1, size < sizeof *s ? sizeof *s : size);
    if (s) {
        s->h = h;
        s->f = *f;
    }
    return s;
}

void ex_an_state_end(void *state, ex_hunt *h, const char *sha256)
{
    free(state);
}
