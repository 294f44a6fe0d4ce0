/* libFuzzer: the log record parsers shared by the log analyzers (CSV and W3C
 * field splitting with quotes, header maps, timestamps, PowerShell -like,
 * the case-insensitive search, the literal prefilter on every code path). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/lit.h"
#include "hunt/logscan.h"

static int count(void *ctx, unsigned lit, size_t pos)
{
    (*(size_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ex_lit *lits;
    if (!lits) {
        static const char *const l[] = {"rInfo~", "#Fields:", "r.json", "/powershell", "a/auth/", "abc"};
        lits = ex_lit_new(l, 6);
    }
    const char *d = (const char *)data;
    ex_field f[EX_LOG_MAX_FIELDS];
    bool more;
    size_t n = ex_csv_split(d, size, f, EX_LOG_MAX_FIELDS, &more);
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        if (f[i].p < d || f[i].p + f[i].n > d + size)
            abort(); /* a field must lie inside the line */
        ex_field_text(&f[i], buf, sizeof buf);
    }
    n = ex_w3c_split(d, size, f, EX_LOG_MAX_FIELDS, &more);
    for (size_t i = 0; i < n; i++)
        if (f[i].p < d || f[i].p + f[i].n > d + size)
            abort();
    ex_header h;
    if (ex_header_parse(&h, d, size, size & 1) == 0)
        ex_header_index(&h, "AnchorMailbox");
    ex_parse_iso_time(d, size);
    if (size >= 18)
        ex_parse_w3c_time(d, 10, d + 10, 8);
    ex_log_line_time(d, size);

    /* -like: the first line is the pattern, the rest the value */
    char *copy = malloc(size + 1);
    memcpy(copy, d, size);
    copy[size] = '\0';
    char *nl = memchr(copy, '\n', size);
    if (nl) {
        *nl = '\0';
        ex_like(copy, nl + 1, strlen(nl + 1));
        ex_icontains(nl + 1, copy);
    }
    /* the prefilter: every implementation finds the same matches */
    size_t hits[5] = {0};
    static const char *const impls[] = {"scalar", "ssse3", "avx2", "avx512"};
    for (int i = 0; i < 4; i++)
        if (ex_lit_force(impls[i]))
            ex_lit_scan(lits, d, size, count, &hits[i]);
    ex_lit_force("auto");
    for (int i = 1; i < 4; i++)
        if (hits[i] && hits[i] != hits[0])
            abort();
    free(copy);
    return 0;
}
