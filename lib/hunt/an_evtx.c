/* an_evtx: the event-log analyzers, one per form the evidence may hold them in
 * (../shared/docs/ioc-hunting.md §3, §7):
 *   evtx      binary .evtx (the live log folder, or a copy), whole file through libevtx;
 *   evtx-xml  XML exports (wevtutil, Event Viewer, PowerShell), streamed;
 *   evtx-csv  EvtxECmd CSV (what a KAPE triage usually holds), streamed.
 * All three hand each event to the same rules (lib/hunt/event.c), report
 * unreadable events and truncated files through ex_hunt_skip(), and report
 * how far back the Application and MSExchange Management logs reach. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an_state.h"
#include "hunt/analyzer.h"
#include "hunt/event.h"
#include "hunt/evpath.h"
#include "hunt/evtx_bin.h"
#include "hunt/evtx_csv.h"
#include "hunt/evtx_xml.h"
#include "util.h"

/* The channels whose time span is reported as log coverage: the ones the rules read. */
static const char *const covered_channels[] = {"Application", "MSExchange Management"};

typedef struct evtx_state {
    ex_an_state base;
    bool oom;
    int64_t first[EX_ARRAY_LEN(covered_channels)], last[EX_ARRAY_LEN(covered_channels)];
    ex_evxml_stream *xml;
    ex_evcsv *csv;
} evtx_state;

static void *state_new(ex_hunt *h, const ex_hunt_file *f)
{
    evtx_state *s = ex_an_state_new(sizeof *s, h, f);
    if (!s)
        return NULL;
    for (size_t i = 0; i < EX_ARRAY_LEN(covered_channels); i++)
        s->first[i] = s->last[i] = EX_TIME_UNKNOWN;
    return s;
}

static void note_coverage(evtx_state *s, const ex_event *ev)
{
    if (ev->time == EX_TIME_UNKNOWN)
        return;
    for (size_t i = 0; i < EX_ARRAY_LEN(covered_channels); i++) {
        if (!ex_strieq(ev->channel, covered_channels[i]))
            continue;
        if (s->first[i] == EX_TIME_UNKNOWN || ev->time < s->first[i])
            s->first[i] = ev->time;
        if (s->last[i] == EX_TIME_UNKNOWN || ev->time > s->last[i])
            s->last[i] = ev->time;
    }
}

/* Every event, whatever its form: the rules, then coverage. */
static void on_event(void *ctx, const ex_event *ev, const ex_event_where *w)
{
    evtx_state *s = ctx;
    ex_findings found = {0};
    if (ex_event_check(ev, w, &found) < 0)
        s->oom = true;
    for (size_t i = 0; i < found.count; i++)
        ex_hunt_emit(s->base.h, &found.items[i]);
    ex_findings_free(&found);
    if (!w->recovered)
        note_coverage(s, ev);
}

/* Unreadable events, events cut to the limits, and the coverage: once per file. */
static void report(evtx_state *s, const ex_event_stats *st)
{
    char why[300];
    if (ex_event_stats_describe(st, why, sizeof why))
        ex_hunt_skip(s->base.h, &s->base.f, why);
    if (st->cut) {
        snprintf(why, sizeof why, "%llu events had values beyond %u per event or %u KiB: the rest was not checked",
                 (unsigned long long)st->cut, EX_EVENT_MAX_DATA, EX_EVENT_TEXT_MAX >> 10);
        ex_hunt_skip(s->base.h, &s->base.f, why);
    }
    if (s->oom)
        ex_hunt_skip(s->base.h, &s->base.f, "out of memory while checking events: some were not checked");
    for (size_t i = 0; i < EX_ARRAY_LEN(covered_channels); i++) {
        char logdir[80];
        snprintf(logdir, sizeof logdir, "EventLog/%s", covered_channels[i]);
        ex_hunt_cover(s->base.h, logdir, s->first[i], s->last[i]);
    }
}

/* --- binary .evtx ---------------------------------------------------------------------- */

static bool evtx_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**.evtx", f->path);
}

static int evtx_whole(void *st, const unsigned char *data, size_t len, const char *local_path)
{
    evtx_state *s = st;
    ex_evtx_result res;
    char err[200], why[400];
    if (ex_evtx_read(data, len, s->base.f.path, on_event, s, &res, err, sizeof err) != 0) {
        snprintf(why, sizeof why, "event log not read: %s", err);
        ex_hunt_skip(s->base.h, &s->base.f, why);
        return 0;
    }
    if (res.truncated) {
        snprintf(why, sizeof why,
                 "truncated .evtx (%zu bytes; the header counts %llu chunks of 64 KiB, %llu complete): "
                 "the complete chunks were read",
                 len, (unsigned long long)res.chunks_declared, (unsigned long long)res.chunks_present);
        ex_hunt_skip(s->base.h, &s->base.f, why);
    }
    report(s, &res.st);
    return 0;
}

const ex_analyzer ex_an_evtx = {
    .name = "evtx",
    .flags = EX_AN_WHOLE,
    .wants = evtx_wants,
    .begin = state_new,
    .whole = evtx_whole,
    .end = ex_an_state_end,
};

/* --- XML exports ------------------------------------------------------------------------ */

/* Names an event-log export goes by: in an event-log folder, or named after a log. */
static bool event_export_name(const ex_hunt_file *f, const char *ext)
{
    char glob[32];
    snprintf(glob, sizeof glob, "**.%s", ext);
    if (!ex_evpath_match(glob, f->path))
        return false;
    static const char *const dirs[] = {"**/winevt/**", "**/EventLogs/**", "EventLogs/**", "**/EventLog/**"};
    for (size_t i = 0; i < EX_ARRAY_LEN(dirs); i++)
        if (ex_evpath_match(dirs[i], f->path))
            return true;
    static const char *const words[] = {"evtx", "event", "application", "msexchange"};
    const char *base = ex_evpath_base(f->path);
    for (size_t i = 0; i < EX_ARRAY_LEN(words); i++)
        if (ex_strcasestr_n(base, strlen(base), words[i]))
            return true;
    return false;
}

static bool xml_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return event_export_name(f, "xml");
}

static void *xml_begin(ex_hunt *h, const ex_hunt_file *f)
{
    evtx_state *s = state_new(h, f);
    if (s && !(s->xml = ex_evxml_stream_new(f->path, on_event, s))) {
        free(s);
        s = NULL;
    }
    return s;
}

static int xml_feed(void *st, const char *data, size_t len, uint64_t offset)
{
    evtx_state *s = st;
    if (ex_evxml_stream_feed(s->xml, data, len) != 0) {
        s->oom = true;
        return 1;
    }
    return 0;
}

static void xml_end(void *st, ex_hunt *h, const char *sha256)
{
    evtx_state *s = st;
    ex_evxml_stream_finish(s->xml);
    const ex_event_stats *es = ex_evxml_stream_stats(s->xml);
    report(s, es);
    ex_evxml_stream_free(s->xml);
    free(s);
}

const ex_analyzer ex_an_evtx_xml = {
    .name = "evtx-xml",
    .flags = EX_AN_LINES,
    .wants = xml_wants,
    .begin = xml_begin,
    .feed = xml_feed,
    .end = xml_end,
};

/* --- EvtxECmd CSV ---------------------------------------------------------------------- */

static bool csv_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    const char *base = ex_evpath_base(f->path);
    return event_export_name(f, "csv") ||
           (ex_evpath_match("**.csv", f->path) && ex_strcasestr_n(base, strlen(base), "EvtxECmd"));
}

static void *csv_begin(ex_hunt *h, const ex_hunt_file *f)
{
    evtx_state *s = state_new(h, f);
    if (s && !(s->csv = ex_evcsv_new(f->path, on_event, s))) {
        free(s);
        s = NULL;
    }
    return s;
}

static int csv_feed(void *st, const char *data, size_t len, uint64_t offset)
{
    evtx_state *s = st;
    if (ex_evcsv_feed(s->csv, data, len) != 0) {
        s->oom = true;
        return 1;
    }
    return ex_evcsv_is_evtxecmd(s->csv) ? 0 : 1; /* another CSV: nothing more to read */
}

static void csv_end(void *st, ex_hunt *h, const char *sha256)
{
    evtx_state *s = st;
    ex_evcsv_finish(s->csv);
    if (!ex_evcsv_is_evtxecmd(s->csv))
        ex_hunt_skip(h, &s->base.f,
                     "CSV without EvtxECmd's columns (EventId, Provider, TimeCreated): not read as events");
    else
        report(s, ex_evcsv_stats(s->csv));
    ex_evcsv_free(s->csv);
    free(s);
}

const ex_analyzer ex_an_evtx_csv = {
    .name = "evtx-csv",
    .flags = EX_AN_LINES,
    .wants = csv_wants,
    .begin = csv_begin,
    .feed = csv_feed,
    .end = csv_end,
};
