/* event: one Windows event, whatever form it was read from (.evtx through
 * libevtx, a wevtutil/Event Viewer XML export, an EvtxECmd CSV), and the
 * rules that turn events into findings. Pure: an event in, findings out.
 *
 * The rules (../shared/docs/logs-and-builds.md §1.2, ioc-hunting.md §3.3,
 * ../shared/reference/iocs/log-patterns.tsv):
 *   - Application, provider "MSExchange Unified Messaging", level Error, text
 *     holding "System.InvalidCastException": CVE-2021-26857 (Test-ProxyLogon
 *     Get-Cve26857);
 *   - MSExchange Management (provider "MSExchange CmdletLogs"): a cmdlet run of
 *     Set-OabVirtualDirectory with "script", or New-MailboxExportRequest /
 *     New-ExchangeCertificate with "aspx", in its parameters (Velociraptor
 *     Windows.Detection.ProxyLogon.ProxyShell). Event 1 is a cmdlet that ran,
 *     event 6 one that failed (seen in the real md__ID6 sample). */
#ifndef EXAUDIT_HUNT_EVENT_H
#define EXAUDIT_HUNT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "util.h"

#define EX_EVENT_MAX_DATA 128          /* EventData values kept per event */
#define EX_EVENT_TEXT_MAX (512u << 10) /* bytes of values + message kept per event */
#define EX_EVENT_NAME_MAX 160          /* provider, channel, computer */

/* Event levels as Windows writes them in <Level>. */
enum { EX_EVENT_LEVEL_UNKNOWN = -1, EX_EVENT_LEVEL_CRITICAL = 1, EX_EVENT_LEVEL_ERROR = 2 };

typedef struct ex_event {
    int64_t time;       /* TimeCreated, Unix seconds, or EX_TIME_UNKNOWN */
    uint64_t record_id; /* EventRecordID, 0 when unknown */
    int64_t event_id;   /* -1 when unknown */
    int level;          /* 1..5, or EX_EVENT_LEVEL_UNKNOWN */
    char provider[EX_EVENT_NAME_MAX];
    char channel[EX_EVENT_NAME_MAX];
    char computer[EX_EVENT_NAME_MAX];
    bool cut; /* values were dropped or shortened to stay within the limits */
    /* EventData/UserData values in document order, then the rendered message
     * (when the form carries one) as the last value: NUL-separated in text. */
    size_t ndata;
    size_t data_off[EX_EVENT_MAX_DATA];
    bool has_message;
    size_t message_off;
    ex_buf text;
} ex_event;

void ex_event_init(ex_event *ev);
/* Forget the previous event, keep the buffer. */
void ex_event_reset(ex_event *ev);
void ex_event_free(ex_event *ev);

/* Append one value (len bytes, need not be NUL-terminated). A value beyond the
 * limits is shortened or dropped and ev->cut is set; returns -1 only when out
 * of memory. */
int ex_event_add_data(ex_event *ev, const char *s, size_t len);
int ex_event_set_message(ex_event *ev, const char *s, size_t len);
/* Bounded copy into one of the name fields. */
void ex_event_set_name(char dst[EX_EVENT_NAME_MAX], const char *s, size_t len);

const char *ex_event_data(const ex_event *ev, size_t i); /* NULL beyond ndata */
const char *ex_event_message(const ex_event *ev);        /* NULL when none */

/* Where the event was read: for the finding's evidence. */
typedef struct ex_event_where {
    const char *path; /* evidence path of the log file */
    int64_t line;     /* 1-based line (XML, CSV), or -1 */
    int64_t offset;   /* byte offset of the record in the file, or -1 */
    bool recovered;   /* read from slack space (a deleted or overwritten record) */
} ex_event_where;

/* Run every event rule; each hit is appended to out. Returns the number of
 * findings added, or -1 when out of memory. */
int ex_event_check(const ex_event *ev, const ex_event_where *where, ex_findings *out);

/* Counters of one event log file, whatever its form. */
typedef struct ex_event_stats {
    uint64_t events;       /* events read */
    uint64_t unreadable;   /* events (or records) whose fields could not be read */
    uint64_t recovered;    /* events read back from slack space (.evtx only) */
    uint64_t cut;          /* events with values dropped to stay within the limits */
    int64_t first, last;   /* time span of the events read, EX_TIME_UNKNOWN when none */
    char first_error[200]; /* why the first unreadable event failed */
} ex_event_stats;

void ex_event_stats_init(ex_event_stats *st);
/* Count an event read (its time widens the span). */
void ex_event_stats_add(ex_event_stats *st, const ex_event *ev);
/* Count an unreadable event; the first reason is kept. */
void ex_event_stats_unreadable(ex_event_stats *st, const char *reason);
/* "3 of 270 events unreadable (first: ...)" into buf; 0 when nothing was unreadable. */
size_t ex_event_stats_describe(const ex_event_stats *st, char *buf, size_t n);

/* "2021-03-03T06:49:53.7720000Z", "2021-03-03 06:49:53.772", "2021-03-03T06:49:53Z" -> Unix
 * seconds (UTC); EX_TIME_UNKNOWN when malformed. */
int64_t ex_event_parse_time(const char *s, size_t len);

#endif
