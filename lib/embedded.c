#include "embedded.h"

#include <string.h>

const ex_embedded_file *ex_embedded_find(const char *name)
{
    for (size_t i = 0; i < ex_embedded_count; i++)
        if (strcmp(ex_embedded_files[i].name, name) == 0)
            return &ex_embedded_files[i];
    return NULL;
}
