#include "hunt/evtx_csv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns read, by header name (EvtxECmd's CSV map). */
enum col {
    C_TIME,
    C_EVENTID,
    C_LEVEL,
    C_PROVIDER,
    C_CHANNEL,
    C_COMPUTER,
    C_RECORDID,
    C_PAYLOAD,
    C_MAPDESC,
    C_PD1,
    C_PD2,
    C_PD3,
    C_PD4,
    C_PD5,
    C_PD6,
    C_EXEC,
    C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "TimeCreated",   "EventId",      "Level",          "Provider",       "Channel",      "Computer",
    "EventRecordId", "Payload",      "MapDescription", "PayloadData1",   "PayloadData2", "PayloadData3",
    "PayloadData4",  "PayloadData5", "PayloadData6",   "ExecutableInfo",
};

struct ex_evcsv {
    char *path;
    ex_event_cb cb;
    void *ctx;
    ex_event ev;
    ex_event_stats st;
    /* header */
    bool have_header, not_evtxecmd;
    int col[C_COUNT]; /* field index, or -1 */
    size_t header_fields;
    /* the record being read: NUL-separated fields */
    ex_buf rec;
    size_t off[EX_EVCSV_MAX_FIELDS];
    size_t nfields;
    size_t field_start; /* offset in rec of the field being read */
    bool too_many, overflow, quoted, quote_seen, field_empty, at_start;
    uint64_t line, rec_line;
    bool oom;
};

ex_evcsv *ex_evcsv_new(const char *path, ex_event_cb cb, void *ctx)
{
    ex_evcsv *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path ? path : ""))) {
        free(c);
        return NULL;
    }
    c->cb = cb;
    c->ctx = ctx;
    c->rec.max = EX_EVCSV_RECORD_MAX;
    c->line = c->rec_line = 1;
    c->field_empty = c->at_start = true;
    ex_event_init(&c->ev);
    ex_event_stats_init(&c->st);
    return c;
}

void ex_evcsv_free(ex_evcsv *c)
{
    if (!c)
        return;
    ex_event_free(&c->ev);
    ex_buf_free(&c->rec);
    free(c->path);
    free(c);
}

bool ex_evcsv_is_evtxecmd(const ex_evcsv *c)
{
    return !c->not_evtxecmd;
}
bool ex_evcsv_has_header(const ex_evcsv *c)
{
    return c->have_header;
}
const ex_event_stats *ex_evcsv_stats(const ex_evcsv *c)
{
    return &c->st;
}

static const char *field(const ex_evcsv *c, int col)
{
    return col >= 0 && (size_t)col < c->nfields ? c->rec.data + c->off[col] : NULL;
}

static void read_header(ex_evcsv *c)
{
    for (int k = 0; k < C_COUNT; k++)
        c->col[k] = -1;
    for (size_t i = 0; i < c->nfields; i++) {
        const char *name = c->rec.data + c->off[i];
        if (i == 0 && (unsigned char)name[0] == 0xEF && (unsigned char)name[1] == 0xBB &&
            (unsigned char)name[2] == 0xBF)
            name += 3; /* UTF-8 byte-order mark */
        for (int k = 0; k < C_COUNT; k++)
            if (c->col[k] < 0 && ex_strieq(name, col_names[k]))
                c->col[k] = (int)i;
    }
    c->header_fields = c->nfields;
    c->have_header = true;
    /* EvtxECmd always writes these; without them this is some other CSV. */
    c->not_evtxecmd = c->col[C_EVENTID] < 0 || c->col[C_PROVIDER] < 0 || c->col[C_TIME] < 0 || c->too_many;
}

/* Level as EvtxECmd prints it: a name ("Error", "Info") or a number. */
static int parse_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {{"critical", 1},    {"error", 2},         {"warning", 3}, {"info", 4},
                 {"information", 4}, {"informational", 4}, {"verbose", 5}, {"logalways", 0}};
    if (!s || !*s)
        return EX_EVENT_LEVEL_UNKNOWN;
    if (*s >= '0' && *s <= '9') {
        long l = strtol(s, NULL, 10);
        return l >= 0 && l <= 255 ? (int)l : EX_EVENT_LEVEL_UNKNOWN;
    }
    for (size_t i = 0; i < EX_ARRAY_LEN(names); i++)
        if (ex_strieq(s, names[i].name))
            return names[i].level;
    return EX_EVENT_LEVEL_UNKNOWN;
}

/* Every string (and number) under a JSON value, depth-first in document order;
 * keys that name attributes ("@Name") are skipped, their values are kept. */
static int add_json_values(ex_event *ev, const json_t *j, int depth)
{
    if (depth > 32)
        return 0;
    if (json_is_string(j))
        return ex_event_add_data(ev, json_string_value(j), json_string_length(j));
    if (json_is_integer(j)) {
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
        return ex_event_add_data(ev, num, (size_t)n);
    }
    if (json_is_array(j)) {
        size_t i;
        const json_t *v;
        json_array_foreach(j, i, v) if (add_json_values(ev, v, depth + 1) != 0) return -1;
        return 0;
    }
    if (json_is_object(j)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            if (k[0] == '@' && strcmp(k, "@Name") == 0)
                continue; /* the name of a Data element, not its value */
            if (add_json_values(ev, v, depth + 1) != 0)
                return -1;
        }
    }
    return 0;
}

static int add_payload(ex_event *ev, const char *payload)
{
    if (!payload || !*payload)
        return 0;
    json_error_t jerr;
    json_t *j = json_loads(payload, JSON_DECODE_ANY, &jerr);
    if (!j) /* not JSON: keep it as one value */
        return ex_event_add_data(ev, payload, strlen(payload));
    int r = add_json_values(ev, j, 0);
    json_decref(j);
    return r;
}

/* The map-derived columns, joined as the event's message. */
static int add_message(ex_evcsv *c)
{
    ex_buf m = {.max = EX_EVENT_TEXT_MAX};
    int r = 0;
    for (int k = C_MAPDESC; k <= C_EXEC && r == 0; k++) {
        const char *v = field(c, c->col[k]);
        if (v && *v)
            r = (m.len ? ex_buf_puts(&m, " | ") : 0) || ex_buf_puts(&m, v) ? -1 : 0;
    }
    if (m.len)
        r = ex_event_set_message(&c->ev, m.data, m.len);
    ex_buf_free(&m);
    return r;
}

static void build_event(ex_evcsv *c)
{
    ex_event *ev = &c->ev;
    ex_event_reset(ev);
    const char *v;
    if ((v = field(c, c->col[C_TIME])))
        ev->time = ex_event_parse_time(v, strlen(v));
    if ((v = field(c, c->col[C_EVENTID])) && *v)
        ev->event_id = strtoll(v, NULL, 10);
    ev->level = parse_level(field(c, c->col[C_LEVEL]));
    if ((v = field(c, c->col[C_RECORDID])) && *v)
        ev->record_id = strtoull(v, NULL, 10);
    if ((v = field(c, c->col[C_PROVIDER])))
        ex_event_set_name(ev->provider, v, strlen(v));
    if ((v = field(c, c->col[C_CHANNEL])))
        ex_event_set_name(ev->channel, v, strlen(v));
    if ((v = field(c, c->col[C_COMPUTER])))
        ex_event_set_name(ev->computer, v, strlen(v));
    if (add_payload(ev, field(c, c->col[C_PAYLOAD])) != 0 || add_message(c) != 0)
        c->oom = true;
}

static void end_record(ex_evcsv *c)
{
    bool blank = c->nfields == 1 && c->rec.len <= 1;
    if (blank) {
        /* an empty line */
    } else if (!c->have_header) {
        read_header(c);
    } else if (!c->not_evtxecmd) {
        char reason[160];
        if (c->overflow || c->too_many || c->nfields != c->header_fields) {
            snprintf(reason, sizeof reason, "record at line %llu: %s", (unsigned long long)c->rec_line,
                     c->overflow ? "larger than 1 MiB" : "field count differs from the header");
            ex_event_stats_unreadable(&c->st, reason);
        } else {
            build_event(c);
            ex_event_stats_add(&c->st, &c->ev);
            ex_event_where w = {.path = c->path, .line = (int64_t)c->rec_line, .offset = -1};
            c->cb(c->ctx, &c->ev, &w);
        }
    }
    ex_buf_reset(&c->rec);
    c->nfields = 0;
    c->field_start = 0;
    c->too_many = c->overflow = c->quoted = c->quote_seen = false;
    c->field_empty = c->at_start = true;
    c->rec_line = c->line;
}

static void end_field(ex_evcsv *c)
{
    if (c->nfields >= EX_EVCSV_MAX_FIELDS)
        c->too_many = true;
    else if (!c->overflow)
        c->off[c->nfields++] = c->field_start;
    if (!c->overflow && ex_buf_append(&c->rec, "", 1) != 0)
        c->overflow = true;
    c->field_start = c->rec.len;
    c->field_empty = true;
    c->quoted = c->quote_seen = false;
}

static void add_bytes(ex_evcsv *c, const char *p, size_t n)
{
    c->field_empty = false;
    c->at_start = false;
    if (c->overflow || !n)
        return;
    if (ex_buf_append(&c->rec, p, n) != 0) {
        c->overflow = true; /* read on to the end of the record, then count it unreadable */
        ex_buf_reset(&c->rec);
    }
}

int ex_evcsv_feed(ex_evcsv *c, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !c->oom;) {
        if (c->not_evtxecmd)
            return 0;
        char ch = data[i];
        if (c->quoted) {
            if (c->quote_seen) {
                c->quote_seen = false;
                if (ch == '"') { /* a doubled quote */
                    add_bytes(c, "\"", 1);
                    i++;
                    continue;
                }
                c->quoted = false; /* the closing quote: ch is read as unquoted below */
            } else if (ch == '"') {
                c->quote_seen = true;
                i++;
                continue;
            } else {
                size_t j = i;
                while (j < len && data[j] != '"')
                    j++;
                for (size_t k = i; k < j; k++)
                    c->line += data[k] == '\n';
                add_bytes(c, data + i, j - i);
                i = j;
                continue;
            }
        }
        if (ch == ',') {
            end_field(c);
        } else if (ch == '\n') {
            c->line++;
            end_field(c);
            end_record(c);
        } else if (ch == '\r') {
            /* dropped outside quotes: "\r\n" ends a record like "\n" */
        } else if (ch == '"' && c->field_empty) {
            c->quoted = true;
            c->at_start = false;
        } else {
            size_t j = i;
            while (j < len && data[j] != ',' && data[j] != '\n' && data[j] != '\r' && data[j] != '"')
                j++;
            if (j == i)
                j++; /* a quote inside an unquoted field is kept as is */
            add_bytes(c, data + i, j - i);
            i = j;
            continue;
        }
        i++;
    }
    return c->oom ? -1 : 0;
}

void ex_evcsv_finish(ex_evcsv *c)
{
    if (c->not_evtxecmd)
        return;
    if (c->quoted && !c->quote_seen) {
        char reason[120];
        snprintf(reason, sizeof reason, "record at line %llu: quoted field not closed at the end of the file",
                 (unsigned long long)c->rec_line);
        if (c->have_header)
            ex_event_stats_unreadable(&c->st, reason);
        return;
    }
    if (!c->at_start || c->nfields) {
        end_field(c);
        end_record(c);
    }
}
