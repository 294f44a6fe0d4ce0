/* Hostile input to the inventory and the reports: the bytes are a CSV host
 * list for `hosts import`, and the same bytes are written through every
 * report escaper. Nothing may crash, and the escaped HTML must hold no raw
 * markup character. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/report.h"
#include "out/store.h"

static ex_store *store;

static void escape_all(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ex_html_escape(f, s);
    fclose(f);
    if (strpbrk(buf, "<>\"'"))
        abort();
    free(buf);
    f = open_memstream(&buf, &len);
    ex_md_escape(f, s);
    ex_csv_field(f, s);
    fclose(f);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (!store && !(store = ex_store_open(":memory:", err, sizeof err)))
        abort();
    ex_store_import_csv(store, (const char *)data, size, err, sizeof err);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    escape_all(s);
    free(s);
    return 0;
}
