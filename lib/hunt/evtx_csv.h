/* evtx_csv: event logs as EvtxECmd (Eric Zimmerman) writes them to CSV, the
 * form a KAPE triage usually holds (ioc-hunting.md §3.4: KAPE's EventLogs
 * module output).
 *
 * Columns are found by their header names, never by position: TimeCreated,
 * EventId, Level, Provider, Channel, Computer, EventRecordId, the map-derived
 * MapDescription and PayloadData1..6, and Payload (the event's EventData as
 * JSON, read with jansson: every string value under it becomes an event value,
 * in document order). A record whose field count differs from the header's,
 * or whose quoting never closes, is counted as unreadable; the next record is
 * still read. RFC 4180 quoting: a quoted field may hold commas, doubled quotes
 * and line breaks. Streaming, with at most EX_EVCSV_RECORD_MAX bytes per
 * record in memory. */
#ifndef EXAUDIT_HUNT_EVTX_CSV_H
#define EXAUDIT_HUNT_EVTX_CSV_H

#include <stddef.h>

#include "hunt/event.h"
#include "hunt/evtx_xml.h"

#define EX_EVCSV_RECORD_MAX (1u << 20)
#define EX_EVCSV_MAX_FIELDS 64

typedef struct ex_evcsv ex_evcsv;

ex_evcsv *ex_evcsv_new(const char *path, ex_event_cb cb, void *ctx);
/* The next bytes of the file, in order (any chunking). -1 when out of memory. */
int ex_evcsv_feed(ex_evcsv *c, const char *data, size_t len);
void ex_evcsv_finish(ex_evcsv *c);
/* False once the header showed this is not an EvtxECmd CSV (the rest is ignored). */
bool ex_evcsv_is_evtxecmd(const ex_evcsv *c);
/* True once a header line was seen. */
bool ex_evcsv_has_header(const ex_evcsv *c);
const ex_event_stats *ex_evcsv_stats(const ex_evcsv *c);
void ex_evcsv_free(ex_evcsv *c);

#endif
