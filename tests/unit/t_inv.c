#include "t_inv.h"

#include <stdio.h>
#include <stdlib.h>

char *t_temp_db(char *buf, size_t n)
{
    char dir[] = "/tmp/exaudit-inv-test.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    snprintf(buf, n, "%s/inv.db", dir);
    return buf;
}
