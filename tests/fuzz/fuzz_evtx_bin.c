/* libFuzzer: binary .evtx through libevtx from memory (lib/hunt/evtx_bin.c):
 * our padding of short copies, the record-offset index, the XML of each
 * record through expat, and the rules. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_events.h"
#include "hunt/event.h"
#include "hunt/evtx_bin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_evtx_result res;
    char err[200];
    (void)ex_evtx_read(data, size, "fuzz.evtx", fuzz_on_event, NULL, &res, err, sizeof err);
    return 0;
}
