#include "t.h"

#include <stdarg.h>

#define T_MAX 1024
static struct {
    const char *name;
    t_fn fn;
} tests[T_MAX];
static int ntests;
int t_failed_here;

void t_register(const char *name, t_fn fn)
{
    if (ntests < T_MAX) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "#   %s:%d: ", file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    t_failed_here = 1;
}

const char *t_srcdir(void)
{
    const char *s = getenv("EXAUDIT_SRC");
    return s && *s ? s : ".";
}

const char *t_fixture(const char *rel)
{
    static char slots[8][4096];
    static int next;
    char *buf = slots[next++ % 8];
    snprintf(buf, sizeof slots[0], "%s/tests/fixtures/%s", t_srcdir(), rel);
    return buf;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (only && strcmp(only, tests[i].name) != 0)
            continue;
        t_failed_here = 0;
        tests[i].fn();
        printf("%s - %s\n", t_failed_here ? "not ok" : "ok", tests[i].name);
        fflush(stdout);
        failed += t_failed_here;
    }
    return failed ? 1 : 0;
}
