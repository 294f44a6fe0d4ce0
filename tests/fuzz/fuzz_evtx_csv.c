/* libFuzzer: EvtxECmd CSV (lib/hunt/evtx_csv.c), streamed in two pieces,
 * each event through the rules. Inputs without a header get EvtxECmd's. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_events.h"
#include "hunt/event.h"
#include "hunt/evtx_csv.h"

static const char header[] = "RecordNumber,EventRecordId,TimeCreated,EventId,Level,Provider,Channel,ProcessId,"
                             "ThreadId,Computer,ChunkNumber,UserId,MapDescription,UserName,RemoteHost,PayloadData1,"
                             "PayloadData2,PayloadData3,PayloadData4,PayloadData5,PayloadData6,ExecutableInfo,"
                             "HiddenRecord,SourceFile,Keywords,ExtraDataOffset,Payload\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size ? data[0] % (size + 1) : 0;
    ex_evcsv *c = ex_evcsv_new("fuzz.csv", fuzz_on_event, NULL);
    if (!c)
        return 0;
    if (size && data[0] & 1)
        ex_evcsv_feed(c, header, strlen(header));
    ex_evcsv_feed(c, (const char *)data, cut);
    ex_evcsv_feed(c, (const char *)data + cut, size - cut);
    ex_evcsv_finish(c);
    ex_evcsv_free(c);
    return 0;
}
