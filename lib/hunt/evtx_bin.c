#include "hunt/evtx_bin.h"

#include <libbfio.h>
#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file header (libevtx documentation, "Windows XML Event Log (EVTX)
 * format"): signature "ElfFile\0", the header block is 4096 bytes, the chunk
 * count is a little-endian uint16 at offset 42, and chunks are 64 KiB each. */
#define EVTX_HEADER_BLOCK    4096
#define EVTX_CHUNK_SIZE      65536
#define EVTX_CHUNK_COUNT_OFF 42

/* Seconds between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_DIFF 11644473600LL

int ex_evtx_sniff(const unsigned char *data, size_t len)
{
    return len >= 8 && memcmp(data, "ElfFile", 8) == 0;
}

static void header_chunks(const unsigned char *data, size_t len, ex_evtx_result *res)
{
    if (len < EVTX_CHUNK_COUNT_OFF + 2)
        return;
    res->chunks_declared = (uint64_t)data[EVTX_CHUNK_COUNT_OFF] | (uint64_t)data[EVTX_CHUNK_COUNT_OFF + 1] << 8;
    res->chunks_present = len > EVTX_HEADER_BLOCK ? (len - EVTX_HEADER_BLOCK) / EVTX_CHUNK_SIZE : 0;
    /* Windows writes whole chunks: a partial one at the end is a cut copy too. */
    res->truncated = res->chunks_present < res->chunks_declared ||
                     (len > EVTX_HEADER_BLOCK && (len - EVTX_HEADER_BLOCK) % EVTX_CHUNK_SIZE != 0) ||
                     len < EVTX_HEADER_BLOCK;
}

static void error_text(libevtx_error_t **e, char *buf, size_t n)
{
    if (!n)
        return;
    buf[0] = '\0';
    if (*e) {
        libevtx_error_sprint(*e, buf, n);
        libevtx_error_free(e);
    }
    /* libevtx ends its messages with ".\n" or "\n": keep one line. */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t l = strlen(buf);
    while (l && buf[l - 1] == ' ')
        buf[--l] = '\0';
    if (!buf[0])
        snprintf(buf, n, "libevtx error");
}

/* The record as libevtx's getters give it, when its XML cannot be rendered or parsed. */
static int read_by_getters(libevtx_record_t *rec, ex_event *ev, char *err, size_t errlen)
{
    libevtx_error_t *e = NULL;
    uint32_t id32 = 0;
    uint8_t level = 0;
    int nstr = 0;
    ex_event_reset(ev);
    if (libevtx_record_get_event_identifier(rec, &id32, &e) != 1 ||
        libevtx_record_get_event_level(rec, &level, &e) != 1) {
        error_text(&e, err, errlen);
        return -1;
    }
    ev->event_id = id32;
    ev->level = level;
    size_t sz = 0;
    if (libevtx_record_get_utf8_source_name_size(rec, &sz, &e) == 1 && sz > 0 && sz < EX_EVENT_NAME_MAX)
        libevtx_record_get_utf8_source_name(rec, (uint8_t *)ev->provider, sizeof ev->provider, &e);
    libevtx_error_free(&e);
    if (libevtx_record_get_number_of_strings(rec, &nstr, &e) != 1)
        nstr = 0;
    libevtx_error_free(&e);
    char *s = NULL;
    for (int i = 0; i < nstr && i < EX_EVENT_MAX_DATA; i++) {
        if (libevtx_record_get_utf8_string_size(rec, i, &sz, &e) != 1 || sz == 0 || sz > EX_EVENT_TEXT_MAX) {
            libevtx_error_free(&e);
            continue;
        }
        char *t = realloc(s, sz);
        if (!t) {
            free(s);
            return -2;
        }
        s = t;
        if (libevtx_record_get_utf8_string(rec, i, (uint8_t *)s, sz, &e) == 1 &&
            ex_event_add_data(ev, s, strlen(s)) != 0) {
            free(s);
            return -2;
        }
        libevtx_error_free(&e);
    }
    free(s);
    return 0;
}

/* A growable scratch buffer for the rendered XML of each record. */
typedef struct scratch {
    char *p;
    size_t cap;
} scratch;

static char *scratch_get(scratch *sc, size_t n)
{
    if (n > sc->cap) {
        char *p = realloc(sc->p, n);
        if (!p)
            return NULL;
        sc->p = p;
        sc->cap = n;
    }
    return sc->p;
}

/* Fill ev from one record: its rendered XML first (channel, provider and the
 * named values), libevtx's getters when that fails. */
static int read_record(libevtx_record_t *rec, ex_evxml *x, scratch *sc, ex_event *ev, char *err, size_t errlen)
{
    libevtx_error_t *e = NULL;
    size_t sz = 0;
    int r = -1;
    if (libevtx_record_get_utf8_xml_string_size(rec, &sz, &e) == 1 && sz > 0 && sz <= EX_EVXML_EVENT_MAX) {
        char *s = scratch_get(sc, sz);
        if (!s)
            return -2;
        if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)s, sz, &e) == 1)
            r = ex_evxml_parse(x, s, strnlen(s, sz), ev, err, errlen);
        if (r == -2)
            return -2;
    }
    libevtx_error_free(&e);
    if (r != 0)
        r = read_by_getters(rec, ev, err, errlen);
    if (r != 0)
        return r;
    /* The written time and record number also live in the record header itself. */
    uint64_t ft = 0, id = 0;
    if (ev->time == EX_TIME_UNKNOWN && libevtx_record_get_written_time(rec, &ft, &e) == 1 && ft)
        ev->time = (int64_t)(ft / 10000000ULL) - FILETIME_UNIX_DIFF;
    libevtx_error_free(&e);
    if (!ev->record_id && libevtx_record_get_identifier(rec, &id, &e) == 1)
        ev->record_id = id;
    libevtx_error_free(&e);
    return 0;
}

/* Where each record starts in the file, by its header number: libevtx 20181227
 * reports 0 for every record's offset, and evidence needs one. Chunks begin
 * "ElfChnk\0" with records from chunk + 512, each "**\0\0", its size (uint32
 * at +4) and number (uint64 at +8); the walk stops at the first record that
 * does not fit its chunk. */
typedef struct rec_pos {
    uint64_t id, off;
} rec_pos;

typedef struct rec_index {
    rec_pos *p;
    size_t n;
} rec_index;

static uint64_t le64(const unsigned char *d)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | d[i];
    return v;
}

static int cmp_pos(const void *a, const void *b)
{
    const rec_pos *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id ? 1 : (x->off > y->off) - (x->off < y->off);
}

static void index_records(const unsigned char *d, size_t len, rec_index *ix)
{
    size_t cap = len / 24 + 1, n = 0;
    rec_pos *p = malloc(cap * sizeof *p);
    if (!p)
        return;
    for (size_t c = EVTX_HEADER_BLOCK; c + 512 <= len; c += EVTX_CHUNK_SIZE) {
        if (memcmp(d + c, "ElfChnk", 8) != 0)
            continue;
        size_t end = c + EVTX_CHUNK_SIZE < len ? c + EVTX_CHUNK_SIZE : len;
        for (size_t r = c + 512; r + 24 <= end && n < cap && memcmp(d + r, "**\0\0", 4) == 0;) {
            size_t size = (size_t)d[r + 4] | (size_t)d[r + 5] << 8 | (size_t)d[r + 6] << 16 | (size_t)d[r + 7] << 24;
            if (size < 24 || size > end - r)
                break;
            p[n++] = (rec_pos){le64(d + r + 8), r};
            r += size;
        }
    }
    qsort(p, n, sizeof *p, cmp_pos);
    ix->p = p;
    ix->n = n;
}

/* The offset of the record with this header number, or -1. */
static int64_t record_offset(const rec_index *ix, libevtx_record_t *rec)
{
    libevtx_error_t *e = NULL;
    uint64_t id = 0;
    int ok = libevtx_record_get_identifier(rec, &id, &e) == 1;
    libevtx_error_free(&e);
    size_t lo = 0, hi = ix->n;
    while (ok && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->p[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ok && lo < ix->n && ix->p[lo].id == id ? (int64_t)ix->p[lo].off : -1;
}

typedef struct walk {
    libevtx_file_t *file;
    ex_evxml *x;
    scratch xml;
    ex_event ev;
    const char *path;
    ex_event_cb cb;
    void *ctx;
    ex_evtx_result *res;
    rec_index ix;
} walk;

/* One record (recovered: from slack space). -2 when out of memory. */
static int walk_record(walk *w, int index, bool recovered)
{
    libevtx_error_t *e = NULL;
    libevtx_record_t *rec = NULL;
    char err[200], reason[260];
    int got = recovered ? libevtx_file_get_recovered_record_by_index(w->file, index, &rec, &e)
                        : libevtx_file_get_record_by_index(w->file, index, &rec, &e);
    int r = -1;
    if (got == 1)
        r = read_record(rec, w->x, &w->xml, &w->ev, err, sizeof err);
    else
        error_text(&e, err, sizeof err);
    if (r == -2) {
        libevtx_record_free(&rec, &e);
        libevtx_error_free(&e);
        return -2;
    }
    if (recovered && got == 1)
        w->res->recovered_records++;
    if (r != 0) {
        if (recovered) {
            w->res->recovered_bad += got == 1; /* entries libevtx cannot retrieve are just slack */
        } else {
            snprintf(reason, sizeof reason, "record %d: %s", index, err);
            ex_event_stats_unreadable(&w->res->st, reason);
        }
    } else {
        /* a recovered record's number may repeat a live one's: no offset rather than a wrong one */
        int64_t off = recovered ? -1 : record_offset(&w->ix, rec);
        ex_event_where where = {.path = w->path, .line = -1, .offset = off, .recovered = recovered};
        if (recovered)
            w->res->st.recovered++;
        else
            ex_event_stats_add(&w->res->st, &w->ev);
        w->cb(w->ctx, &w->ev, &where);
    }
    libevtx_record_free(&rec, &e);
    libevtx_error_free(&e);
    return 0;
}

static int open_memory(const unsigned char *data, size_t len, libbfio_handle_t **io, libevtx_file_t **file, char *err,
                       size_t errlen)
{
    libbfio_error_t *be = NULL;
    libevtx_error_t *e = NULL;
    if (libbfio_memory_range_initialize(io, &be) != 1 ||
        libbfio_memory_range_set(*io, (uint8_t *)data, len, &be) != 1) {
        libbfio_error_free(&be);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (libevtx_file_initialize(file, &e) != 1 ||
        libevtx_file_open_file_io_handle(*file, *io, LIBEVTX_OPEN_READ, &e) != 1) {
        error_text(&e, err, errlen);
        return -1;
    }
    return 0;
}

int ex_evtx_read(const unsigned char *data, size_t len, const char *path, ex_event_cb cb, void *ctx,
                 ex_evtx_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    ex_event_stats_init(&res->st);
    if (!ex_evtx_sniff(data, len)) {
        snprintf(err, errlen, "not an .evtx file (no ElfFile signature)");
        return -1;
    }
    header_chunks(data, len, res);
    /* libbfio 20170123's memory range copies as many bytes as libevtx asks for,
     * past the end of a short range (AddressSanitizer, a cut copy of a real
     * file): give libevtx whole blocks, zero-filled, whenever the length is not
     * a header plus whole chunks. Zeros read as a chunk without a signature. */
    unsigned char *padded = NULL;
    size_t whole = EVTX_HEADER_BLOCK;
    if (len > EVTX_HEADER_BLOCK)
        whole += (len - EVTX_HEADER_BLOCK + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE * EVTX_CHUNK_SIZE;
    if (whole != len) {
        if (!(padded = calloc(1, whole))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(padded, data, len);
        data = padded;
        len = whole;
    }
    libbfio_handle_t *io = NULL;
    libevtx_file_t *file = NULL;
    libevtx_error_t *e = NULL;
    walk w = {.path = path, .cb = cb, .ctx = ctx, .res = res};
    int rc = open_memory(data, len, &io, &file, err, errlen);
    if (rc == 0 && !(w.x = ex_evxml_new())) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        int n = 0, nrec = 0;
        w.file = file;
        index_records(data, len, &w.ix);
        ex_event_init(&w.ev);
        res->corrupted = libevtx_file_is_corrupted(file, &e) == 1;
        if (libevtx_file_get_number_of_records(file, &n, &e) != 1)
            n = 0;
        if (libevtx_file_get_number_of_recovered_records(file, &nrec, &e) != 1)
            nrec = 0;
        libevtx_error_free(&e);
        res->records = (uint64_t)n;
        for (int i = 0; i < n && rc == 0; i++)
            rc = walk_record(&w, i, false) == -2 ? -1 : 0;
        for (int i = 0; i < nrec && rc == 0; i++)
            rc = walk_record(&w, i, true) == -2 ? -1 : 0;
        if (rc != 0)
            snprintf(err, errlen, "out of memory");
        ex_event_free(&w.ev);
        libevtx_file_close(file, &e);
        libevtx_error_free(&e);
    }
    ex_evxml_free(w.x);
    free(w.xml.p);
    free(w.ix.p);
    libevtx_file_free(&file, &e);
    libevtx_error_free(&e);
    libbfio_handle_free(&io, NULL);
    free(padded);
    return rc;
}
