/* A small EVTX writer, after the libyal "Windows XML Event Log (EVTX) format"
 * documentation and checked against real files (the reference samples): a
 * 4096-byte file header, 64 KiB chunks with a 512-byte header (common string
 * and template tables), and event records whose binary XML is a template
 * instance with substitution values.
 *
 * One template per number of <Data> strings, shaped like the classic events
 * of the samples (md__ID6: Provider Name, EventID with Qualifiers, Level,
 * Task, Keywords, TimeCreated, EventRecordID, Channel, Computer, Security,
 * EventData/Data...). A template is defined inline in the first record of a
 * chunk that uses it and referenced by offset afterwards; names are defined
 * once per chunk and hashed into the string table. CRC32s: file header (first
 * 120 bytes), chunk header (bytes 0-120 and 128-512), event records data. */
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

#define CHUNK_SIZE   65536u
#define CHUNK_HEADER 512u
#define FILE_HEADER  4096u

/* Binary XML tokens. */
enum {
    T_EOF = 0x00,
    T_OPEN_START = 0x01,
    T_CLOSE_START = 0x02,
    T_CLOSE_EMPTY = 0x03,
    T_END_ELEMENT = 0x04,
    T_VALUE = 0x05,
    T_ATTRIBUTE = 0x06,
    T_TEMPLATE_INSTANCE = 0x0c,
    T_OPTIONAL_SUBST = 0x0e,
    T_FRAGMENT = 0x0f,
    T_MORE = 0x40,
};
/* Value types. */
enum {
    V_NULL = 0x00,
    V_STRING = 0x01,
    V_UINT8 = 0x04,
    V_UINT16 = 0x06,
    V_UINT64 = 0x0a,
    V_FILETIME = 0x11,
    V_HEX64 = 0x15,
};

#define MAX_NAMES     64
#define MAX_TEMPLATES 8

struct mk_evtx {
    uint8_t *file;
    size_t file_len, file_cap;
    uint8_t chunk[CHUNK_SIZE];
    uint32_t used; /* write offset in chunk */
    uint64_t first_id, last_id, next_id;
    uint32_t last_record_off;
    uint32_t nrecords_in_chunk;
    uint32_t nchunks;
    /* per-chunk tables */
    struct {
        const char *name;
        uint32_t off;
    } names[MAX_NAMES];
    int nnames;
    struct {
        int ndata;
        uint32_t off;
    } templates[MAX_TEMPLATES];
    int ntemplates;
    bool failed;
};

/* ------------------------------------------------------------------ CRC32 */

static uint32_t crc_table[256];

static void crc_init(void)
{
    if (crc_table[1])
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t mk_crc32(uint32_t crc, const void *data, size_t len)
{
    crc_init();
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ------------------------------------------------------------ little endian */

static void le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v);
    le16(p + 2, v >> 16);
}
static void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

/* A bounded writer into a scratch record buffer. Offsets handed to names and
 * templates are chunk offsets: base is where the buffer will land. */
typedef struct bx {
    uint8_t *buf;
    size_t len, cap;
    uint32_t base;
    bool overflow;
} bx;

static uint8_t *bx_take(bx *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->overflow = true;
        return NULL;
    }
    uint8_t *p = b->buf + b->len;
    b->len += n;
    return p;
}
static void bx_u8(bx *b, uint32_t v)
{
    uint8_t *p = bx_take(b, 1);
    if (p)
        *p = (uint8_t)v;
}
static void bx_u16(bx *b, uint32_t v)
{
    uint8_t *p = bx_take(b, 2);
    if (p)
        le16(p, v);
}
static void bx_u32(bx *b, uint32_t v)
{
    uint8_t *p = bx_take(b, 4);
    if (p)
        le32(p, v);
}
static uint32_t bx_off(const bx *b)
{
    return b->base + (uint32_t)b->len;
}

/* UTF-8 to UTF-16LE (out may be NULL to count); returns code units, at most max_bytes / 2. */
static size_t utf16(const char *s, uint8_t *out, size_t max_bytes)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && 2 * (n + 1) <= max_bytes) {
        uint32_t cp = *p++;
        if (cp >= 0xc0 && cp < 0xe0 && (*p & 0xc0) == 0x80) {
            cp = ((cp & 0x1f) << 6) | (*p++ & 0x3f);
        } else if (cp >= 0xe0 && cp < 0xf0 && (p[0] & 0xc0) == 0x80 && (p[1] & 0xc0) == 0x80) {
            cp = ((cp & 0x0f) << 12) | ((uint32_t)(p[0] & 0x3f) << 6) | (p[1] & 0x3f);
            p += 2;
        } else if (cp >= 0x80) {
            cp = 0xfffd;
        }
        if (out) {
            out[2 * n] = (uint8_t)cp;
            out[2 * n + 1] = (uint8_t)(cp >> 8);
        }
        n++;
    }
    return n;
}

static uint16_t name_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++)
        h = h * 65599u + (uint8_t)*s;
    return (uint16_t)h;
}

/* A name reference: defined inline the first time in this chunk. */
static void bx_name(mk_evtx *w, bx *b, const char *name)
{
    for (int i = 0; i < w->nnames; i++)
        if (!strcmp(w->names[i].name, name)) {
            bx_u32(b, w->names[i].off);
            return;
        }
    uint32_t off = bx_off(b) + 4;
    bx_u32(b, off);
    uint16_t hash = name_hash(name);
    size_t n = strlen(name);
    /* The string table bucket points at the newest name; the name's first
     * field chains to the previous one in the same bucket. */
    uint32_t bucket = 128u + 4u * (hash % 64u);
    uint32_t prev = 0;
    memcpy(&prev, w->chunk + bucket, 4);
    bx_u32(b, prev);
    bx_u16(b, hash);
    bx_u16(b, (uint32_t)n);
    uint8_t *p = bx_take(b, 2 * n + 2);
    if (p) {
        utf16(name, p, n * 2 + 2);
        p[2 * n] = p[2 * n + 1] = 0;
    }
    if (!b->overflow && w->nnames < MAX_NAMES) {
        w->names[w->nnames].name = name;
        w->names[w->nnames].off = off;
        w->nnames++;
        le32(w->chunk + bucket, off);
    }
}

/* Element start: token, dependency id, data size (patched at the end), name. */
static size_t bx_elem_open(mk_evtx *w, bx *b, const char *name, bool attrs)
{
    bx_u8(b, attrs ? T_OPEN_START | T_MORE : T_OPEN_START);
    bx_u16(b, 0xffff);
    size_t size_at = b->len;
    bx_u32(b, 0);
    bx_name(w, b, name);
    return size_at;
}

static void bx_patch_size(bx *b, size_t at)
{
    if (!b->overflow)
        le32(b->buf + at, (uint32_t)(b->len - at - 4));
}

static void bx_subst(bx *b, uint32_t id, uint32_t type)
{
    bx_u8(b, T_OPTIONAL_SUBST);
    bx_u16(b, id);
    bx_u8(b, type);
}

/* <name>%id</name> */
static void bx_simple(mk_evtx *w, bx *b, const char *name, uint32_t id, uint32_t type)
{
    size_t at = bx_elem_open(w, b, name, false);
    bx_u8(b, T_CLOSE_START);
    bx_subst(b, id, type);
    bx_u8(b, T_END_ELEMENT);
    bx_patch_size(b, at);
}

/* <name attr="%id"/> or <name attr="%id">%id2</name> (id2 < 0: empty). */
static void bx_with_attr(mk_evtx *w, bx *b, const char *name, const char *attr, uint32_t id, uint32_t type, int id2,
                         uint32_t type2)
{
    size_t at = bx_elem_open(w, b, name, true);
    size_t list_at = b->len;
    bx_u32(b, 0);
    bx_u8(b, T_ATTRIBUTE);
    bx_name(w, b, attr);
    bx_subst(b, id, type);
    if (!b->overflow)
        le32(b->buf + list_at, (uint32_t)(b->len - list_at - 4));
    if (id2 < 0) {
        bx_u8(b, T_CLOSE_EMPTY);
    } else {
        bx_u8(b, T_CLOSE_START);
        bx_subst(b, (uint32_t)id2, type2);
        bx_u8(b, T_END_ELEMENT);
    }
    bx_patch_size(b, at);
}

enum {
    S_PROVIDER,
    S_QUALIFIERS,
    S_EVENTID,
    S_LEVEL,
    S_TASK,
    S_KEYWORDS,
    S_TIME,
    S_RECORDID,
    S_CHANNEL,
    S_COMPUTER,
    S_DATA0,
};

/* The template body (a fragment): Event/System/.../EventData/Data*ndata. */
static void bx_template_body(mk_evtx *w, bx *b, int ndata)
{
    static const char ns[] = "http://schemas.microsoft.com/win/2004/08/events/event";
    bx_u8(b, T_FRAGMENT);
    bx_u8(b, 1);
    bx_u8(b, 1);
    bx_u8(b, 0);
    size_t ev = bx_elem_open(w, b, "Event", true);
    size_t list_at = b->len;
    bx_u32(b, 0);
    bx_u8(b, T_ATTRIBUTE);
    bx_name(w, b, "xmlns");
    bx_u8(b, T_VALUE);
    bx_u8(b, V_STRING);
    size_t n = strlen(ns);
    bx_u16(b, (uint32_t)n);
    uint8_t *p = bx_take(b, 2 * n);
    if (p)
        utf16(ns, p, 2 * n);
    if (!b->overflow)
        le32(b->buf + list_at, (uint32_t)(b->len - list_at - 4));
    bx_u8(b, T_CLOSE_START);

    size_t sys = bx_elem_open(w, b, "System", false);
    bx_u8(b, T_CLOSE_START);
    bx_with_attr(w, b, "Provider", "Name", S_PROVIDER, V_STRING, -1, 0);
    bx_with_attr(w, b, "EventID", "Qualifiers", S_QUALIFIERS, V_UINT16, S_EVENTID, V_UINT16);
    bx_simple(w, b, "Level", S_LEVEL, V_UINT8);
    bx_simple(w, b, "Task", S_TASK, V_UINT16);
    bx_simple(w, b, "Keywords", S_KEYWORDS, V_HEX64);
    bx_with_attr(w, b, "TimeCreated", "SystemTime", S_TIME, V_FILETIME, -1, 0);
    bx_simple(w, b, "EventRecordID", S_RECORDID, V_UINT64);
    bx_simple(w, b, "Channel", S_CHANNEL, V_STRING);
    bx_simple(w, b, "Computer", S_COMPUTER, V_STRING);
    size_t sec = bx_elem_open(w, b, "Security", false);
    bx_u8(b, T_CLOSE_EMPTY);
    bx_patch_size(b, sec);
    bx_u8(b, T_END_ELEMENT);
    bx_patch_size(b, sys);

    size_t ed = bx_elem_open(w, b, "EventData", false);
    bx_u8(b, T_CLOSE_START);
    for (int i = 0; i < ndata; i++)
        bx_simple(w, b, "Data", (uint32_t)(S_DATA0 + i), V_STRING);
    bx_u8(b, T_END_ELEMENT);
    bx_patch_size(b, ed);

    bx_u8(b, T_END_ELEMENT);
    bx_patch_size(b, ev);
    bx_u8(b, T_EOF);
}

static uint32_t template_guid_word(int ndata)
{
    return 0x6d6b0000u | (uint32_t)ndata;
} /* "mk" + count */

static void bx_template_instance(mk_evtx *w, bx *b, int ndata)
{
    bx_u8(b, T_TEMPLATE_INSTANCE);
    bx_u8(b, 1);
    bx_u32(b, template_guid_word(ndata));
    for (int i = 0; i < w->ntemplates; i++)
        if (w->templates[i].ndata == ndata) {
            bx_u32(b, w->templates[i].off);
            return;
        }
    uint32_t def_off = bx_off(b) + 4;
    bx_u32(b, def_off);
    /* Template definition: next offset, GUID (its first dword is the id), data size, body. */
    uint32_t bucket_idx = template_guid_word(ndata) % 32u;
    uint32_t prev = 0;
    memcpy(&prev, w->chunk + 384 + 4 * bucket_idx, 4);
    bx_u32(b, prev);
    bx_u32(b, template_guid_word(ndata));
    static const uint8_t guid_tail[12] = {0x65, 0x76, 0x2d, 0x74, 0x70, 0x6c, 0x2d, 0x76, 0x31, 0x00, 0x00, 0x01};
    uint8_t *p = bx_take(b, 12);
    if (p)
        memcpy(p, guid_tail, 12);
    size_t size_at = b->len;
    bx_u32(b, 0);
    bx_template_body(w, b, ndata);
    if (!b->overflow)
        le32(b->buf + size_at, (uint32_t)(b->len - size_at - 4));
    if (!b->overflow && w->ntemplates < MAX_TEMPLATES) {
        w->templates[w->ntemplates].ndata = ndata;
        w->templates[w->ntemplates].off = def_off;
        w->ntemplates++;
        le32(w->chunk + 384 + 4 * bucket_idx, def_off);
    }
}

static uint64_t filetime(int64_t ms)
{
    return (uint64_t)(ms * 10000 + 116444736000000000LL);
}

/* Substitution values: count, descriptors (size, type), data. */
static void bx_values(bx *b, const mk_event *ev, const char *computer)
{
    enum { MAXV = S_DATA0 + MK_EVENT_DATA_MAX };
    uint32_t nv = (uint32_t)(S_DATA0 + ev->ndata);
    const char *strs[MAXV] = {0};
    uint32_t types[MAXV], sizes[MAXV];
    strs[S_PROVIDER] = ev->provider;
    strs[S_CHANNEL] = mk_channel_name[ev->channel];
    strs[S_COMPUTER] = computer;
    for (int i = 0; i < ev->ndata; i++)
        strs[S_DATA0 + i] = ev->data[i];
    for (uint32_t i = 0; i < nv; i++) {
        switch (i) {
        case S_QUALIFIERS:
        case S_EVENTID:
        case S_TASK: types[i] = V_UINT16, sizes[i] = 2; break;
        case S_LEVEL: types[i] = V_UINT8, sizes[i] = 1; break;
        case S_KEYWORDS: types[i] = V_HEX64, sizes[i] = 8; break;
        case S_TIME: types[i] = V_FILETIME, sizes[i] = 8; break;
        case S_RECORDID: types[i] = V_UINT64, sizes[i] = 8; break;
        default:
            /* An empty string stays a (zero-length) string: a null would drop the
             * element and shift the positions of the <Data> that follow. */
            types[i] = V_STRING;
            sizes[i] = strs[i] ? (uint32_t)(2 * utf16(strs[i], NULL, 2 * 32000)) : 0;
        }
    }
    bx_u32(b, nv);
    for (uint32_t i = 0; i < nv; i++) {
        bx_u16(b, sizes[i]);
        bx_u8(b, types[i]);
        bx_u8(b, 0);
    }
    for (uint32_t i = 0; i < nv; i++) {
        uint8_t *p = bx_take(b, sizes[i]);
        if (!p)
            return;
        switch (types[i]) {
        case V_UINT16: le16(p, i == S_QUALIFIERS ? ev->qualifiers : i == S_EVENTID ? ev->event_id : ev->task); break;
        case V_UINT8: *p = ev->level; break;
        case V_HEX64: le64(p, ev->keywords); break;
        case V_FILETIME: le64(p, filetime(ev->t)); break;
        case V_UINT64: le64(p, ev->record_id); break;
        case V_STRING: utf16(strs[i], p, sizes[i]); break;
        default: break;
        }
    }
}

/* ------------------------------------------------------------ chunks */

static void chunk_reset(mk_evtx *w)
{
    memset(w->chunk, 0, sizeof w->chunk);
    w->used = CHUNK_HEADER;
    w->nnames = 0;
    w->ntemplates = 0;
    w->nrecords_in_chunk = 0;
    w->last_record_off = 0;
}

static int file_append(mk_evtx *w, const void *p, size_t n)
{
    if (w->file_len + n > w->file_cap) {
        size_t nc = w->file_cap ? w->file_cap * 2 : (FILE_HEADER + 4 * CHUNK_SIZE);
        while (nc < w->file_len + n)
            nc *= 2;
        uint8_t *nb = realloc(w->file, nc);
        if (!nb)
            return -1;
        w->file = nb;
        w->file_cap = nc;
    }
    memcpy(w->file + w->file_len, p, n);
    w->file_len += n;
    return 0;
}

static int chunk_flush(mk_evtx *w)
{
    if (!w->nrecords_in_chunk)
        return 0;
    uint8_t *c = w->chunk;
    memcpy(c, "ElfChnk", 8);
    le64(c + 8, w->first_id);  /* first event record number */
    le64(c + 16, w->last_id);  /* last event record number */
    le64(c + 24, w->first_id); /* first event record identifier */
    le64(c + 32, w->last_id);  /* last event record identifier */
    le32(c + 40, 128);         /* header size */
    le32(c + 44, w->last_record_off);
    le32(c + 48, w->used); /* free space offset */
    le32(c + 52, mk_crc32(0, c + CHUNK_HEADER, w->used - CHUNK_HEADER));
    le32(c + 120, 0); /* flags */
    uint32_t crc = mk_crc32(0, c, 120);
    crc = mk_crc32(crc, c + 128, CHUNK_HEADER - 128);
    le32(c + 124, crc);
    if (file_append(w, c, CHUNK_SIZE) < 0)
        return -1;
    w->nchunks++;
    chunk_reset(w);
    return 0;
}

mk_evtx *mk_evtx_new(void)
{
    mk_evtx *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    uint8_t hdr[FILE_HEADER] = {0};
    if (file_append(w, hdr, sizeof hdr) < 0) {
        free(w);
        return NULL;
    }
    chunk_reset(w);
    w->next_id = 1;
    return w;
}

static int try_record(mk_evtx *w, const mk_event *ev, const char *computer)
{
    static uint8_t scratch[CHUNK_SIZE];
    bx b = {scratch, 0, CHUNK_SIZE - w->used, w->used, false};
    /* Record header: signature, size, id, written time; binary XML; size copy. */
    bx_u32(&b, 0x00002a2a);
    bx_u32(&b, 0);
    bx_u32(&b, (uint32_t)ev->record_id);
    bx_u32(&b, (uint32_t)(ev->record_id >> 32));
    uint64_t ft = filetime(ev->t);
    bx_u32(&b, (uint32_t)ft);
    bx_u32(&b, (uint32_t)(ft >> 32));
    bx_u8(&b, T_FRAGMENT);
    bx_u8(&b, 1);
    bx_u8(&b, 1);
    bx_u8(&b, 0);
    /* Names and templates defined by this record must not stay registered if
     * it does not fit: remember the table state. */
    int nn = w->nnames, nt = w->ntemplates;
    uint8_t tables[CHUNK_HEADER - 128];
    memcpy(tables, w->chunk + 128, sizeof tables);
    bx_template_instance(w, &b, ev->ndata);
    bx_values(&b, ev, computer);
    bx_u8(&b, T_EOF); /* the record's fragment ends after the substitution values */
    bx_u32(&b, 0);
    if (b.overflow) {
        w->nnames = nn;
        w->ntemplates = nt;
        memcpy(w->chunk + 128, tables, sizeof tables);
        return 1;
    }
    le32(scratch + 4, (uint32_t)b.len);
    le32(scratch + b.len - 4, (uint32_t)b.len);
    memcpy(w->chunk + w->used, scratch, b.len);
    w->last_record_off = w->used;
    w->used += (uint32_t)b.len;
    if (!w->nrecords_in_chunk)
        w->first_id = ev->record_id;
    w->last_id = ev->record_id;
    w->nrecords_in_chunk++;
    return 0;
}

int mk_evtx_add(mk_evtx *w, const mk_event *ev, const char *computer)
{
    int rc = try_record(w, ev, computer);
    if (rc == 1) {
        if (!w->nrecords_in_chunk)
            return -1; /* larger than a chunk */
        if (chunk_flush(w) < 0)
            return -1;
        rc = try_record(w, ev, computer);
    }
    if (rc == 0)
        w->next_id = ev->record_id + 1;
    return rc == 0 ? 0 : -1;
}

const uint8_t *mk_evtx_finish(mk_evtx *w, size_t *len)
{
    if (chunk_flush(w) < 0)
        return NULL;
    uint8_t *h = w->file;
    memcpy(h, "ElfFile", 8);
    le64(h + 8, 0);                                /* first chunk number */
    le64(h + 16, w->nchunks ? w->nchunks - 1 : 0); /* last chunk number */
    le64(h + 24, w->next_id);                      /* next record identifier */
    le32(h + 32, 128);                             /* header size */
    le16(h + 36, 1);                               /* minor version */
    le16(h + 38, 3);                               /* major version */
    le16(h + 40, FILE_HEADER);                     /* header block size */
    le16(h + 42, w->nchunks);                      /* number of chunks */
    le32(h + 120, 0);                              /* flags: clean */
    le32(h + 124, mk_crc32(0, h, 120));
    *len = w->file_len;
    return w->file;
}

void mk_evtx_free(mk_evtx *w)
{
    if (!w)
        return;
    free(w->file);
    free(w);
}
