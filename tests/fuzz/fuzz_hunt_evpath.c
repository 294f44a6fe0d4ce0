/* libFuzzer: evidence path decoding (Velociraptor and KAPE encodings, drive
 * folders, traversal), the case-insensitive glob and the input prefix. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/evpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int problem;
    char *p = ex_evpath_normalise((const char *)data, size, size & 1 ? "prefix" : NULL, &problem);
    if (p) {
        /* the decoded path never gains a traversal component or a NUL */
        if (strstr(p, "/../") || strncmp(p, "../", 3) == 0 || strlen(p) > 2 * EX_EVPATH_MAX + 16)
            abort();
        ex_evpath_match("**Logging/HttpProxy/**", p);
        ex_evpath_match("*.log", ex_evpath_base(p));
        ex_evpath_under(p, "C:/Program Files");
        free(p);
    } else if (problem == EX_EVPATH_OK && size < 4096) {
        /* NULL without a problem means out of memory, which a small input cannot cause */
        abort();
    }
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char *glob = s, *path = memchr(s, '\n', size);
    if (path) {
        *path++ = '\0';
        ex_evpath_match(glob, path);
    }
    char *pre = ex_evpath_input_prefix(s);
    free(pre);
    free(s);
    return 0;
}
