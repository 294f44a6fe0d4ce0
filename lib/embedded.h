/* embedded: data files compiled into the binary by tools/embedgen.c (the
 * project's YARA rules in data/rules/, IOC tables in data/iocs/). Each file is
 * found by its path under data/, e.g. "rules/exchange_webshells.yar". */
#ifndef EXAUDIT_EMBEDDED_H
#define EXAUDIT_EMBEDDED_H

#include <stddef.h>

typedef struct ex_embedded_file {
    const char *name; /* "iocs/hashes.tsv" */
    const char *data; /* NUL-terminated */
    size_t len;       /* without the NUL */
} ex_embedded_file;

/* Every embedded file, in name order, ending with a {NULL} entry. */
extern const ex_embedded_file ex_embedded_files[];
extern const size_t ex_embedded_count;

/* The file called name, or NULL. */
const ex_embedded_file *ex_embedded_find(const char *name);

#endif
