#include "term.h"

#include <stdlib.h>
#include <unistd.h>

bool ex_use_color(FILE *f)
{
    const char *no = getenv("NO_COLOR");
    if (no && *no)
        return false;
    const char *term = getenv("TERM");
    if (term && !*term)
        return false;
    return isatty(fileno(f));
}
