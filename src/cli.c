#include "cli.h"

#include <stdarg.h>

#include "kb.h"

static int report(int code, const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "exaudit%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return code;
}

int ex_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(EXIT_USAGE, cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'exaudit %s --help'.\n", cmd ? cmd : "");
    return EXIT_USAGE;
}

int ex_runtime_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(EXIT_RUNTIME, cmd, fmt, ap);
    va_end(ap);
    return EXIT_RUNTIME;
}

const ex_kb *ex_cli_kb(const char *data_dir)
{
    char warn[1024];
    const ex_kb *kb = ex_kb_open(data_dir, warn, sizeof warn);
    if (warn[0])
        fprintf(stderr, "exaudit: warning: %s\n", warn);
    return kb;
}
