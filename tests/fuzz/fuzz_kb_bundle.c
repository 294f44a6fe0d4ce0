/* Fuzz the knowledge-base bundle parser. To get past the checksum, the
 * harness signs the input itself half of the time, so the table parser
 * behind it is reached. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kb.h"
#include "kb_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    ex_kb *kb = ex_kb_load_bundle((const char *)data, size, "fuzz", err, sizeof err);
    ex_kb_free(kb);
    if (size == 0 || size > 1 << 20 || memchr(data, 0, size))
        return 0;
    /* signed variant: body + "#sha256\t<hex>\n" */
    size_t n = size + strlen(EX_KB_SHA_PREFIX) + 66;
    char *buf = malloc(n), hex[EX_SHA256_HEX];
    memcpy(buf, data, size);
    ex_sha256_hex(buf, size, hex);
    size_t off = size;
    if (buf[off - 1] != '\n')
        buf[off++] = '\n', ex_sha256_hex(buf, off, hex);
    off += (size_t)snprintf(buf + off, n - off, "%s%s\n", EX_KB_SHA_PREFIX, hex);
    kb = ex_kb_load_bundle(buf, off, "fuzz", err, sizeof err);
    if (kb) { /* whatever parsed must be usable */
        ex_version v = {15, 1, 2176, 9};
        ex_kb_find_build(kb, &v);
        ex_kb_product_of(kb, &v);
        ex_kb_free(kb);
    }
    free(buf);
    return 0;
}
