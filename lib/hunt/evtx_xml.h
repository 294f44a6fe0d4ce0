/* evtx_xml: Windows events in their XML form, read with expat.
 *
 * One parser serves two inputs: the XML that libevtx renders for each record
 * of a binary .evtx, and event-log exports ("wevtutil qe <log> /f:xml" or
 * /f:RenderedXml, Event Viewer "Save as XML", PowerShell ToXml()). An export
 * is a run of <Event> elements, with or without an <Events> root and an XML
 * declaration, in UTF-8 or UTF-16 (with a byte-order mark). It is streamed:
 * each <Event>...</Event> is cut out (at most EX_EVXML_EVENT_MAX bytes) and
 * parsed on its own, so a broken event is counted as unreadable and the rest
 * of the file is still read. */
#ifndef EXAUDIT_HUNT_EVTX_XML_H
#define EXAUDIT_HUNT_EVTX_XML_H

#include <stddef.h>
#include <stdint.h>

#include "hunt/event.h"

#define EX_EVXML_EVENT_MAX (1u << 20) /* bytes of one <Event> element */

typedef struct ex_evxml ex_evxml;

ex_evxml *ex_evxml_new(void);
void ex_evxml_free(ex_evxml *x);

/* Parse one <Event> element (UTF-8) into ev (which is reset first). 0, or -1
 * with the reason in err when the XML is not a well-formed event; -2 when out
 * of memory. C0 control bytes in values (raw bytes some providers log) are
 * read as '?', not as an error. */
int ex_evxml_parse(ex_evxml *x, const char *xml, size_t len, ex_event *ev, char *err, size_t errlen);

/* Streaming an export file. */
typedef void (*ex_event_cb)(void *ctx, const ex_event *ev, const ex_event_where *where);

typedef struct ex_evxml_stream ex_evxml_stream;

/* path is the evidence path (for where->path); cb gets every readable event. */
ex_evxml_stream *ex_evxml_stream_new(const char *path, ex_event_cb cb, void *ctx);
/* The next bytes of the file, in order. -1 when out of memory. */
int ex_evxml_stream_feed(ex_evxml_stream *s, const char *data, size_t len);
/* End of file: an event cut off by the end is counted as unreadable. */
void ex_evxml_stream_finish(ex_evxml_stream *s);
const ex_event_stats *ex_evxml_stream_stats(const ex_evxml_stream *s);
void ex_evxml_stream_free(ex_evxml_stream *s);

/* Does this look like an XML event export (first bytes of the file)? */
int ex_evxml_sniff(const unsigned char *data, size_t len);

#endif
