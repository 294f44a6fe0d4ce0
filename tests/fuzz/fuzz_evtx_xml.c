/* libFuzzer: event-log XML exports (lib/hunt/evtx_xml.c) streamed in two
 * pieces split where the first byte says, and each event through the rules. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_events.h"
#include "hunt/event.h"
#include "hunt/evtx_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size ? data[0] % (size + 1) : 0;
    ex_evxml_stream *s = ex_evxml_stream_new("fuzz.xml", fuzz_on_event, NULL);
    if (!s)
        return 0;
    ex_evxml_stream_feed(s, (const char *)data, cut);
    ex_evxml_stream_feed(s, (const char *)data + cut, size - cut);
    ex_evxml_stream_finish(s);
    ex_evxml_stream_free(s);
    /* the same bytes as one event */
    ex_evxml *x = ex_evxml_new();
    ex_event ev;
    char err[160];
    ex_event_init(&ev);
    if (x && ex_evxml_parse(x, (const char *)data, size, &ev, err, sizeof err) == 0) {
        ex_event_where w = {.path = "fuzz.xml", .line = -1, .offset = -1};
        fuzz_on_event(NULL, &ev, &w);
    }
    ex_event_free(&ev);
    ex_evxml_free(x);
    return 0;
}
