#include "hunt/evtx_xml.h"

#include <expat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- one event ---------------------------------------------------------------------------- */

#define EVXML_MAX_DEPTH 64

enum section { SEC_NONE, SEC_SYSTEM, SEC_EVENTDATA, SEC_USERDATA, SEC_RENDERING };

/* System children whose text is kept. */
enum field { F_NONE, F_EVENTID, F_LEVEL, F_RECORDID, F_CHANNEL, F_COMPUTER, F_DATA, F_MESSAGE };

struct ex_evxml {
    XML_Parser p;
    ex_event *ev;
    int depth;
    enum section sec;
    enum field capture; /* what the text being gathered is */
    int capture_depth;
    bool bad_root, oom;
    ex_buf text;  /* text of the element being captured */
    ex_buf clean; /* the input with control bytes replaced */
};

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
    for (size_t i = 0; atts[i] && atts[i + 1]; i += 2)
        if (strcmp(local_name(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

static void start_capture(ex_evxml *x, enum field f)
{
    x->capture = f;
    x->capture_depth = x->depth;
    ex_buf_reset(&x->text);
}

static void on_system_child(ex_evxml *x, const char *name, const char **atts)
{
    ex_event *ev = x->ev;
    if (strcmp(name, "Provider") == 0) {
        const char *v = attr(atts, "Name");
        if (!v || !*v)
            v = attr(atts, "EventSourceName");
        if (v)
            ex_event_set_name(ev->provider, v, strlen(v));
    } else if (strcmp(name, "TimeCreated") == 0) {
        const char *v = attr(atts, "SystemTime");
        if (v)
            ev->time = ex_event_parse_time(v, strlen(v));
    } else if (strcmp(name, "EventID") == 0) {
        start_capture(x, F_EVENTID);
    } else if (strcmp(name, "Level") == 0) {
        start_capture(x, F_LEVEL);
    } else if (strcmp(name, "EventRecordID") == 0) {
        start_capture(x, F_RECORDID);
    } else if (strcmp(name, "Channel") == 0) {
        start_capture(x, F_CHANNEL);
    } else if (strcmp(name, "Computer") == 0) {
        start_capture(x, F_COMPUTER);
    }
}

static void XMLCALL on_start(void *ud, const XML_Char *qname, const XML_Char **atts)
{
    ex_evxml *x = ud;
    const char *name = local_name(qname);
    x->depth++;
    if (x->depth > EVXML_MAX_DEPTH || (x->depth == 1 && strcmp(name, "Event") != 0)) {
        x->bad_root = true;
        XML_StopParser(x->p, XML_FALSE);
        return;
    }
    if (x->depth == 2) {
        x->sec = !strcmp(name, "System")          ? SEC_SYSTEM
                 : !strcmp(name, "EventData")     ? SEC_EVENTDATA
                 : !strcmp(name, "UserData")      ? SEC_USERDATA
                 : !strcmp(name, "RenderingInfo") ? SEC_RENDERING
                                                  : SEC_NONE;
        return;
    }
    if (x->sec == SEC_SYSTEM && x->depth == 3)
        on_system_child(x, name, atts);
    else if (x->sec == SEC_EVENTDATA && x->depth == 3 && strcmp(name, "Data") == 0)
        start_capture(x, F_DATA);
    else if (x->sec == SEC_USERDATA && x->depth >= 4)
        start_capture(x, F_DATA); /* every leaf of the provider's own element; a child restarts it */
    else if (x->sec == SEC_RENDERING && x->depth == 3 && strcmp(name, "Message") == 0)
        start_capture(x, F_MESSAGE);
}

static int64_t parse_int(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return end == s || v < 0 ? -1 : v;
}

static void finish_capture(ex_evxml *x)
{
    ex_event *ev = x->ev;
    const char *t = x->text.data ? x->text.data : "";
    int r = 0;
    switch (x->capture) {
    case F_EVENTID: ev->event_id = parse_int(t); break;
    case F_LEVEL: {
        int64_t l = parse_int(t);
        ev->level = l >= 0 && l <= 255 ? (int)l : EX_EVENT_LEVEL_UNKNOWN;
        break;
    }
    case F_RECORDID: {
        int64_t id = parse_int(t);
        ev->record_id = id > 0 ? (uint64_t)id : 0;
        break;
    }
    case F_CHANNEL: ex_event_set_name(ev->channel, t, x->text.len); break;
    case F_COMPUTER: ex_event_set_name(ev->computer, t, x->text.len); break;
    case F_DATA: r = ex_event_add_data(ev, t, x->text.len); break;
    case F_MESSAGE: r = ex_event_set_message(ev, t, x->text.len); break;
    case F_NONE: break;
    }
    if (r < 0) {
        x->oom = true;
        XML_StopParser(x->p, XML_FALSE);
    }
    x->capture = F_NONE;
}

static void XMLCALL on_end(void *ud, const XML_Char *qname)
{
    ex_evxml *x = ud;
    (void)qname;
    if (x->capture != F_NONE && x->depth == x->capture_depth)
        finish_capture(x);
    if (x->depth == 2)
        x->sec = SEC_NONE;
    x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    ex_evxml *x = ud;
    if (x->capture == F_NONE || len <= 0)
        return;
    if (ex_buf_append(&x->text, s, (size_t)len) != 0)
        x->ev->cut = true; /* over the per-value cap: the value is kept shortened */
}

static void setup_parser(ex_evxml *x)
{
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
}

ex_evxml *ex_evxml_new(void)
{
    ex_evxml *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p) {
        free(x);
        return NULL;
    }
    x->text.max = EX_EVENT_TEXT_MAX;
    x->clean.max = EX_EVXML_EVENT_MAX + 1;
    setup_parser(x);
    return x;
}

void ex_evxml_free(ex_evxml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    ex_buf_free(&x->text);
    ex_buf_free(&x->clean);
    free(x);
}

/* XML 1.0 forbids most C0 controls even as character data; some providers log
 * raw bytes (a DNS name with 0x01 in the real pe__dns_log_malformed.evtx), and
 * libevtx copies them into its XML unescaped. */
static int clean_controls(ex_buf *out, const char *xml, size_t len)
{
    ex_buf_reset(out);
    if (ex_buf_append(out, xml, len) != 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)out->data[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            out->data[i] = '?';
    }
    return 0;
}

int ex_evxml_parse(ex_evxml *x, const char *xml, size_t len, ex_event *ev, char *err, size_t errlen)
{
    ex_event_reset(ev);
    if (len > EX_EVXML_EVENT_MAX) {
        snprintf(err, errlen, "event XML larger than %u bytes", EX_EVXML_EVENT_MAX);
        return -1;
    }
    if (clean_controls(&x->clean, xml, len) != 0)
        return -2;
    XML_ParserReset(x->p, "UTF-8");
    setup_parser(x);
    x->ev = ev;
    x->depth = 0;
    x->sec = SEC_NONE;
    x->capture = F_NONE;
    x->bad_root = x->oom = false;
    enum XML_Status st = XML_Parse(x->p, x->clean.data, (int)len, XML_TRUE);
    if (x->oom)
        return -2;
    if (x->bad_root) {
        snprintf(err, errlen, "not an <Event> element");
        return -1;
    }
    if (st != XML_STATUS_OK) {
        snprintf(err, errlen, "XML error at line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(x->p),
                 XML_ErrorString(XML_GetErrorCode(x->p)));
        return -1;
    }
    return 0;
}

/* --- streaming an export -------------------------------------------------------------- */

enum encoding { ENC_UNKNOWN, ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE };

static const char EVENT_OPEN[] = "<Event";    /* followed by white space, '>' or '/' */
static const char EVENT_CLOSE[] = "</Event>"; /* "</EventData>" differs at its 8th byte */

struct ex_evxml_stream {
    char *path;
    ex_event_cb cb;
    void *ctx;
    ex_evxml *x;
    ex_event ev;
    ex_event_stats st;
    /* decoding */
    enum encoding enc;
    unsigned char head[3]; /* the first bytes, until the encoding is known */
    size_t nhead;
    unsigned char pend; /* UTF-16: the first byte of a code unit split across chunks */
    bool have_pend;
    uint32_t high;     /* UTF-16: a high surrogate waiting for its pair */
    uint64_t src_off;  /* offset in the file of the byte being decoded */
    uint64_t unit_off; /* offset of the code unit being decoded */
    /* splitting */
    uint64_t line;
    bool inside;
    bool overflow; /* the current event outgrew EX_EVXML_EVENT_MAX */
    size_t match;  /* bytes of EVENT_OPEN / EVENT_CLOSE matched so far */
    uint64_t ev_off, ev_line;
    ex_buf buf;
    bool oom;
};

ex_evxml_stream *ex_evxml_stream_new(const char *path, ex_event_cb cb, void *ctx)
{
    ex_evxml_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->path = strdup(path ? path : "");
    s->x = ex_evxml_new();
    if (!s->path || !s->x) {
        ex_evxml_stream_free(s);
        return NULL;
    }
    s->cb = cb;
    s->ctx = ctx;
    s->line = 1;
    s->buf.max = EX_EVXML_EVENT_MAX;
    ex_event_init(&s->ev);
    ex_event_stats_init(&s->st);
    return s;
}

void ex_evxml_stream_free(ex_evxml_stream *s)
{
    if (!s)
        return;
    ex_evxml_free(s->x);
    ex_event_free(&s->ev);
    ex_buf_free(&s->buf);
    free(s->path);
    free(s);
}

const ex_event_stats *ex_evxml_stream_stats(const ex_evxml_stream *s)
{
    return &s->st;
}

static void complete_event(ex_evxml_stream *s)
{
    char err[160];
    int r = ex_evxml_parse(s->x, s->buf.data, s->buf.len, &s->ev, err, sizeof err);
    if (r == -2) {
        s->oom = true;
        return;
    }
    if (r != 0) {
        char reason[200];
        snprintf(reason, sizeof reason, "event at line %llu: %s", (unsigned long long)s->ev_line, err);
        ex_event_stats_unreadable(&s->st, reason);
        return;
    }
    ex_event_stats_add(&s->st, &s->ev);
    ex_event_where w = {.path = s->path, .line = (int64_t)s->ev_line, .offset = (int64_t)s->ev_off};
    s->cb(s->ctx, &s->ev, &w);
}

/* Outside an event: look for "<Event" followed by a delimiter. */
static void scan_outside(ex_evxml_stream *s, unsigned char c, uint64_t off)
{
    size_t n = sizeof EVENT_OPEN - 1;
    if (s->match == n) {
        s->match = 0;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/') {
            s->inside = true;
            s->overflow = false;
            ex_buf_reset(&s->buf);
            if (ex_buf_append(&s->buf, EVENT_OPEN, n) != 0 || ex_buf_append(&s->buf, &c, 1) != 0)
                s->oom = true;
            return;
        }
    }
    if ((unsigned char)EVENT_OPEN[s->match] == c) {
        if (s->match == 0) {
            s->ev_off = off;
            s->ev_line = s->line;
        }
        s->match++;
    } else {
        s->match = c == '<' ? 1 : 0;
        if (s->match) {
            s->ev_off = off;
            s->ev_line = s->line;
        }
    }
}

static void scan_inside(ex_evxml_stream *s, unsigned char c)
{
    if (!s->overflow && ex_buf_append(&s->buf, &c, 1) != 0) {
        s->overflow = true; /* keep looking for the end, then count it unreadable */
        ex_buf_reset(&s->buf);
    }
    if ((unsigned char)EVENT_CLOSE[s->match] == c)
        s->match++;
    else
        s->match = c == '<' ? 1 : 0;
    if (s->match < sizeof EVENT_CLOSE - 1)
        return;
    s->match = 0;
    s->inside = false;
    if (s->overflow) {
        char reason[120];
        snprintf(reason, sizeof reason, "event at line %llu larger than %u bytes", (unsigned long long)s->ev_line,
                 EX_EVXML_EVENT_MAX);
        ex_event_stats_unreadable(&s->st, reason);
    } else {
        complete_event(s);
    }
}

/* One byte of the UTF-8 text; off is the file offset it came from. */
static void put_byte(ex_evxml_stream *s, unsigned char c, uint64_t off)
{
    if (s->inside)
        scan_inside(s, c);
    else
        scan_outside(s, c, off);
    if (c == '\n')
        s->line++;
}

static void put_codepoint(ex_evxml_stream *s, uint32_t cp, uint64_t off)
{
    unsigned char u[4];
    size_t n = ex_utf8_put(cp, u);
    for (size_t i = 0; i < n && !s->oom; i++)
        put_byte(s, u[i], off);
}

static void put_unit(ex_evxml_stream *s, uint32_t unit, uint64_t off)
{
    if (s->high) {
        uint32_t high = s->high;
        s->high = 0;
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            put_codepoint(s, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00), s->unit_off);
            return;
        }
        put_codepoint(s, 0xFFFD, s->unit_off); /* a lone high surrogate */
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        s->high = unit;
        s->unit_off = off;
        return;
    }
    put_codepoint(s, unit >= 0xDC00 && unit <= 0xDFFF ? 0xFFFD : unit, off);
}

static void decide_encoding(ex_evxml_stream *s)
{
    const unsigned char *h = s->head;
    size_t skip = 0;
    if (s->nhead >= 2 && h[0] == 0xFF && h[1] == 0xFE)
        s->enc = ENC_UTF16LE, skip = 2;
    else if (s->nhead >= 2 && h[0] == 0xFE && h[1] == 0xFF)
        s->enc = ENC_UTF16BE, skip = 2;
    else if (s->nhead >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
        s->enc = ENC_UTF8, skip = 3;
    else if (s->nhead >= 2 && h[0] == '<' && h[1] == 0) /* UTF-16LE without a mark */
        s->enc = ENC_UTF16LE;
    else if (s->nhead >= 2 && h[0] == 0 && h[1] == '<')
        s->enc = ENC_UTF16BE;
    else
        s->enc = ENC_UTF8;
    /* Replay the bytes held back, minus the byte-order mark. */
    size_t n = s->nhead;
    s->nhead = 0;
    s->src_off = 0;
    unsigned char held[3];
    memcpy(held, h, n);
    s->src_off = skip;
    ex_evxml_stream_feed(s, (const char *)held + skip, n - skip);
}

int ex_evxml_stream_feed(ex_evxml_stream *s, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t i = 0;
    while (s->enc == ENC_UNKNOWN && i < len) {
        s->head[s->nhead++] = p[i++];
        if (s->nhead == sizeof s->head)
            decide_encoding(s);
    }
    for (; i < len && !s->oom; i++, s->src_off++) {
        if (s->enc == ENC_UTF8) {
            put_byte(s, p[i], s->src_off);
            continue;
        }
        if (!s->have_pend) {
            s->pend = p[i];
            s->have_pend = true;
            continue;
        }
        s->have_pend = false;
        uint32_t unit = s->enc == ENC_UTF16LE ? (uint32_t)(s->pend | p[i] << 8) : (uint32_t)(s->pend << 8 | p[i]);
        put_unit(s, unit, s->src_off - 1);
    }
    return s->oom ? -1 : 0;
}

void ex_evxml_stream_finish(ex_evxml_stream *s)
{
    if (s->enc == ENC_UNKNOWN && s->nhead)
        decide_encoding(s);
    if (s->inside) {
        char reason[120];
        snprintf(reason, sizeof reason, "event at line %llu cut off by the end of the file",
                 (unsigned long long)s->ev_line);
        ex_event_stats_unreadable(&s->st, reason);
        s->inside = false;
    }
}

int ex_evxml_sniff(const unsigned char *data, size_t len)
{
    /* An export starts (after a mark, a declaration or an <Events> root) with "<Event". */
    size_t n = len < 4096 ? len : 4096;
    if (n >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == '<' && data[1] == 0))) {
        for (size_t i = 0; i + 12 <= n; i += 2)
            if (!memcmp(data + i, "<\0E\0v\0e\0n\0t\0", 12))
                return 1;
        return 0;
    }
    return ex_strcasestr_n((const char *)data, n, "<Event") != NULL &&
           ex_strcasestr_n((const char *)data, n, "schemas.microsoft.com/win/2004/08/events") != NULL;
}
