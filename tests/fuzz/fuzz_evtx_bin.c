/* libFuzzer: binary .evtx through libevtx from memory (lib/hunt/evtx_bin.c):
 * our padding of short copies, the record-offset index, the XML of each
 * record through expat, and the rules. */
#include <stddef.h>
#include <stdint.h>

#include "hunt/event.h"
#include "hunt/evtx_bin.h"

static void on_event(void *ctx, const ex_event *ev, const ex_event_where *w)
{
    ex_findings out = {0};
    (void)ctx;
    (void)ex_event_check(ev, w, &out);
    ex_findings_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_evtx_result res;
    char err[200];
    (void)ex_evtx_read(data, size, "fuzz.evtx", on_event, NULL, &res, err, sizeof err);
    return 0;
}
