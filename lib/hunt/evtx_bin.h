/* evtx_bin: binary Windows XML Event Log (.evtx) files, read with libevtx
 * from memory (a libbfio memory range), so the reader is bytes in, events out.
 *
 * Every record libevtx lists is read; a record libevtx cannot read (the real
 * om__MSExchange_Management_wec.evtx: a forwarded event with inline binary
 * XML that libevtx 20181227 rejects) is counted as unreadable with libevtx's
 * reason, and the next record is still read. Records libevtx recovers from
 * slack space are read too and counted apart: they are what remains of
 * deleted or overwritten events. A file shorter than its header's chunk count
 * says (a truncated copy) is reported as such; its complete chunks are read. */
#ifndef EXAUDIT_HUNT_EVTX_BIN_H
#define EXAUDIT_HUNT_EVTX_BIN_H

#include <stddef.h>
#include <stdint.h>

#include "hunt/event.h"
#include "hunt/evtx_xml.h"

typedef struct ex_evtx_result {
    ex_event_stats st;
    uint64_t records;           /* records libevtx lists (evtxexport's count) */
    uint64_t recovered_records; /* slack-space records libevtx retrieves (evtxexport -m recovered) */
    uint64_t recovered_bad;     /* of those, records whose fields are garbage (not counted as events) */
    bool corrupted;             /* libevtx's "is corrupted" flag (dirty file, CRC mismatch) */
    bool truncated;             /* fewer bytes than the header's chunk count needs, or a partial chunk */
    uint64_t chunks_declared;   /* chunk count in the file header */
    uint64_t chunks_present;    /* complete chunks in the bytes given */
} ex_evtx_result;

/* Read every record of the .evtx in data. path is the evidence path given to
 * cb. 0 when the file was opened (even with unreadable records); -1 with a
 * reason in err when it is not an .evtx file libevtx can open at all. */
int ex_evtx_read(const unsigned char *data, size_t len, const char *path, ex_event_cb cb, void *ctx,
                 ex_evtx_result *res, char *err, size_t errlen);

/* Is this the start of an .evtx file ("ElfFile\0")? */
int ex_evtx_sniff(const unsigned char *data, size_t len);

#endif
