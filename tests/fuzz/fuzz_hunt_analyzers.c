/* libFuzzer: the four log analyzers (HttpProxy, ECP server, OABGenerator, IIS
 * W3C) on one file's bytes, fed as the engine feeds them: line-aligned chunks,
 * the last one possibly without '\n'. The first byte picks the analyzer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an.h"
#include "hunt/hunt.h"

static ex_hunt *run;

static void feed_chunks(const ex_analyzer *a, void *st, const char *d, size_t n)
{
    size_t off = 0;
    while (off < n) {
        /* chunks end right after a '\n': cut after the first '\n' past a third of what is left */
        size_t want = (n - off) / 3 + 1;
        const char *nl = memchr(d + off + want - 1, '\n', n - off - want + 1);
        size_t len = nl ? (size_t)(nl - (d + off)) + 1 : n - off;
        if (a->feed(st, d + off, len, off) != 0)
            return;
        off += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ex_analyzer *const an[] = {&ex_an_httpproxy, &ex_an_ecp, &ex_an_oab, &ex_an_iis};
    static const char *const paths[] = {
        "C:/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
        "C:/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG",
        "C:/Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator_20210303-1.LOG",
        "C:/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"};
    if (!run) {
        const char *inputs[] = {"/nonexistent"};
        ex_hunt_opts o = {.inputs = inputs, .ninputs = 1, .today = 18700};
        run = ex_hunt_new(&o);
    }
    if (size < 1)
        return 0;
    unsigned which = data[0] % 4;
    const ex_analyzer *a = an[which];
    ex_hunt_file f = {.path = paths[which], .install_rel = strstr(paths[which], "Logging/"), .display = paths[which],
                      .size = size - 1, .mtime = 1614754182};
    if (!a->wants(run, &f))
        abort();
    void *st = a->begin(run, &f);
    if (!st)
        return 0;
    feed_chunks(a, st, (const char *)data + 1, size - 1);
    a->end(st, run, "");
    return 0;
}
