/* mkevidence base: PRNG, UTC time, buffered output files, the plan's storage. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkev.h"

/* ------------------------------------------------------------------ PRNG */

/* xoshiro256** seeded through splitmix64: fast, and the same sequence on
 * every platform, which is all determinism needs. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void mk_rng_seed(mk_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mk_rng_next(mk_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void mk_rng_guid(mk_rng *r, uint8_t g[16])
{
    uint64_t a = mk_rng_next(r), b = mk_rng_next(r);
    memcpy(g, &a, 8);
    memcpy(g + 8, &b, 8);
    g[6] = (uint8_t)((g[6] & 0x0f) | 0x40); /* version 4 */
    g[8] = (uint8_t)((g[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

static const char hexdig[] = "0123456789abcdef";

char *mk_put_guid(char *p, const uint8_t g[16])
{
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hexdig[g[i] >> 4];
        *p++ = hexdig[g[i] & 15];
    }
    return p;
}

void mk_guid_str(const uint8_t g[16], char out[37])
{
    *mk_put_guid(out, g) = 0;
}

uint64_t mk_hash_str(const char *s, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ time */

/* Howard Hinnant's civil-from-days and days-from-civil. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

void mk_time_split(int64_t ms, mk_tm *t)
{
    int64_t days = ms >= 0 ? ms / MK_DAY_MS : (ms - MK_DAY_MS + 1) / MK_DAY_MS;
    int64_t rem = ms - days * MK_DAY_MS;
    civil_from_days(days, &t->year, &t->mon, &t->day);
    t->hour = (int)(rem / MK_HOUR_MS);
    t->min = (int)(rem / 60000 % 60);
    t->sec = (int)(rem / 1000 % 60);
    t->ms = (int)(rem % 1000);
    t->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

int64_t mk_time_make(int year, int mon, int day, int hour, int min, int sec, int ms)
{
    return days_from_civil(year, mon, day) * MK_DAY_MS + hour * MK_HOUR_MS + min * 60000LL + sec * 1000LL + ms;
}

/* Hand-formatted: this runs several times per log line. */
void mk_time_iso_ms(int64_t ms, char *buf)
{
    mk_tm t;
    mk_time_split(ms, &t);
    char *p = buf;
    p = mk_put_2d(p, (unsigned)t.year / 100);
    p = mk_put_2d(p, (unsigned)t.year % 100);
    *p++ = '-';
    p = mk_put_2d(p, (unsigned)t.mon);
    *p++ = '-';
    p = mk_put_2d(p, (unsigned)t.day);
    *p++ = 'T';
    p = mk_put_2d(p, (unsigned)t.hour);
    *p++ = ':';
    p = mk_put_2d(p, (unsigned)t.min);
    *p++ = ':';
    p = mk_put_2d(p, (unsigned)t.sec);
    *p++ = '.';
    p = mk_put_3d(p, (unsigned)t.ms);
    *p++ = 'Z';
    *p = 0;
}

void mk_time_iso_s(int64_t ms, char *buf)
{
    mk_tm t;
    mk_time_split(ms, &t);
    snprintf(buf, 21, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.mon, t.day, t.hour, t.min, t.sec);
}

int64_t mk_parse_date(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return -1;
    if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t ms = mk_time_make(y, m, d, 0, 0, 0, 0);
    mk_tm t;
    mk_time_split(ms, &t);
    return t.day == d ? ms : -1; /* 2021-02-30 is not a day */
}

/* ------------------------------------------------------------------ builds */

void mk_build_short(const mk_build *b, char *buf, size_t n)
{
    snprintf(buf, n, "%d.%d.%d.%d", b->major, b->minor, b->build, b->rev);
}

void mk_build_long(const mk_build *b, char *buf, size_t n)
{
    snprintf(buf, n, "%d.%02d.%04d.%03d", b->major, b->minor, b->build, b->rev);
}

const mk_build *mk_build_at(const mk_cfg *c, int64_t t)
{
    return t >= c->patched_ms ? &c->patched_build : &c->build;
}

/* ------------------------------------------------------------ formatting */

char *mk_put_u(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *mk_put_csv(char *p, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return mk_put(p, s);
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

/* ------------------------------------------------------------ output files */

static char out_root[4096];

void mk_out_init(const char *root)
{
    snprintf(out_root, sizeof out_root, "%s", root);
}
const char *mk_out_root(void)
{
    return out_root;
}

void mk_out_local(const char *vpath, char *buf, size_t n)
{
    /* "C:/x" -> ROOT/C/x: the tree looks like a mounted C: drive. */
    if (vpath[0] && vpath[1] == ':' && vpath[2] == '/')
        snprintf(buf, n, "%s/%c/%s", out_root, vpath[0], vpath + 3);
    else
        snprintf(buf, n, "%s/%s", out_root, vpath);
}

int mk_mkdirs_for(const char *local)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", local);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
            mk_warn("cannot create %s: %s", tmp, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    return 0;
}

int mk_mkdir_v(const char *vpath)
{
    char local[4096];
    mk_out_local(vpath, local, sizeof local);
    size_t n = strlen(local);
    if (n + 2 >= sizeof local)
        return -1;
    local[n] = '/';
    local[n + 1] = 0;
    return mk_mkdirs_for(local);
}

#define MK_FILE_BUF (1u << 20)

int mk_file_open(mk_file *f, const char *vpath)
{
    char local[4096];
    memset(f, 0, sizeof *f);
    f->fd = -1;
    snprintf(f->vpath, sizeof f->vpath, "%s", vpath);
    mk_out_local(vpath, local, sizeof local);
    if (mk_mkdirs_for(local) < 0)
        return -1;
    f->fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        mk_warn("cannot create %s: %s", local, strerror(errno));
        return -1;
    }
    f->cap = MK_FILE_BUF;
    f->buf = malloc(f->cap);
    if (!f->buf) {
        close(f->fd);
        f->fd = -1;
        return -1;
    }
    return 0;
}

static void file_flush(mk_file *f)
{
    size_t off = 0;
    while (off < f->len && !f->failed) {
        ssize_t w = write(f->fd, f->buf + off, f->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            mk_warn("write %s: %s", f->vpath, strerror(errno));
            f->failed = true;
            break;
        }
        off += (size_t)w;
    }
    f->len = 0;
}

char *mk_file_reserve(mk_file *f, size_t n)
{
    if (f->len + n > f->cap) {
        file_flush(f);
        if (n > f->cap) {
            char *nb = realloc(f->buf, n);
            if (!nb) {
                mk_warn("out of memory");
                exit(3);
            }
            f->buf = nb;
            f->cap = n;
        }
    }
    return f->buf + f->len;
}

void mk_file_write(mk_file *f, const void *p, size_t n)
{
    char *w = mk_file_reserve(f, n);
    memcpy(w, p, n);
    mk_file_commit(f, w + n);
}

void mk_file_puts(mk_file *f, const char *s)
{
    mk_file_write(f, s, strlen(s));
}

static void set_times_fd(int fd, int64_t mtime_ms)
{
    struct timespec ts[2];
    ts[0].tv_sec = (time_t)(mtime_ms / 1000);
    ts[0].tv_nsec = (long)(mtime_ms % 1000) * 1000000L;
    ts[1] = ts[0];
    futimens(fd, ts);
}

int mk_file_close(mk_file *f, int64_t mtime_ms)
{
    if (f->fd < 0)
        return -1;
    file_flush(f);
    set_times_fd(f->fd, mtime_ms);
    int rc = close(f->fd) < 0 || f->failed ? -1 : 0;
    free(f->buf);
    f->buf = NULL;
    f->fd = -1;
    return rc;
}

int mk_write_whole(const char *vpath, const void *data, size_t len, int64_t mtime_ms)
{
    mk_file f;
    if (mk_file_open(&f, vpath) < 0)
        return -1;
    mk_file_write(&f, data, len);
    return mk_file_close(&f, mtime_ms);
}

void mk_set_dir_time(const char *vpath, int64_t mtime_ms)
{
    char local[4096];
    mk_out_local(vpath, local, sizeof local);
    struct timespec ts[2];
    ts[0].tv_sec = (time_t)(mtime_ms / 1000);
    ts[0].tv_nsec = (long)(mtime_ms % 1000) * 1000000L;
    ts[1] = ts[0];
    utimensat(AT_FDCWD, local, ts, 0);
}

/* ------------------------------------------------------------------ plan */

#define PLAN_GROW(arr, n, cap)                                                                                         \
    do {                                                                                                               \
        MK_GROW(arr, n, cap);                                                                                          \
        memset(&(arr)[(n)], 0, sizeof *(arr));                                                                         \
    } while (0)

mk_req *mk_plan_req(mk_plan *p)
{
    PLAN_GROW(p->reqs, p->nreqs, p->capreqs);
    mk_req *r = &p->reqs[p->nreqs++];
    r->query = r->user = r->ua = r->anchor = r->protocol_action = r->routing_type = r->routing_hint = "";
    r->be_cookie = r->target = r->error_code = r->generic_extra = "";
    r->url_host = MK_PUBLIC_HOST;
    r->auth_type = "";
    return r;
}

mk_logline *mk_plan_ecp(mk_plan *p)
{
    PLAN_GROW(p->ecp, p->necp, p->capecp);
    return &p->ecp[p->necp++];
}

mk_logline *mk_plan_oab(mk_plan *p)
{
    PLAN_GROW(p->oab, p->noab, p->capoab);
    return &p->oab[p->noab++];
}

mk_event *mk_plan_event(mk_plan *p)
{
    PLAN_GROW(p->events, p->nevents, p->capevents);
    return &p->events[p->nevents++];
}

void mk_plan_file(mk_plan *p, const char *vpath, const void *data, size_t len, int64_t mtime, const mk_expect *e,
                  const char *benign_note)
{
    PLAN_GROW(p->files, p->nfiles, p->capfiles);
    mk_pfile *f = &p->files[p->nfiles++];
    f->vpath = mk_keep(vpath);
    f->data = malloc(len ? len : 1);
    if (!f->data) {
        mk_warn("out of memory");
        exit(3);
    }
    memcpy(f->data, data, len);
    f->len = len;
    f->mtime = mtime;
    f->expect = e;
    f->benign_note = benign_note;
}

/* Stable sorts by time: insertion order breaks ties, so the plan's order of
 * same-millisecond items is kept. */
#define DEFINE_TSORT(name, type)                                                                                       \
    static void name(type *a, size_t n)                                                                                \
    {                                                                                                                  \
        for (size_t i = 1; i < n; i++) {                                                                               \
            type x = a[i];                                                                                             \
            size_t j = i;                                                                                              \
            while (j > 0 && a[j - 1].t > x.t) {                                                                        \
                a[j] = a[j - 1];                                                                                       \
                j--;                                                                                                   \
            }                                                                                                          \
            a[j] = x;                                                                                                  \
        }                                                                                                              \
    }
DEFINE_TSORT(sort_reqs, mk_req)
DEFINE_TSORT(sort_lines, mk_logline)
DEFINE_TSORT(sort_events, mk_event)

void mk_plan_sort(mk_plan *p)
{
    sort_reqs(p->reqs, p->nreqs);
    sort_lines(p->ecp, p->necp);
    sort_lines(p->oab, p->noab);
    sort_events(p->events, p->nevents);
}

/* Strings that live as long as the run: remembered so that mk_keep_release()
 * frees them all at the end. */
static char **kept;
static size_t nkept, capkept;

static const char *keep_ptr(char *p)
{
    if (!p || (nkept == capkept && !(kept = realloc(kept, (capkept = capkept ? capkept * 2 : 256) * sizeof *kept)))) {
        mk_warn("out of memory");
        exit(3);
    }
    kept[nkept++] = p;
    return p;
}

const char *mk_keep(const char *s)
{
    return keep_ptr(strdup(s ? s : ""));
}

const char *mk_keepf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return keep_ptr(n < 0 ? NULL : s);
}

void mk_keep_release(void)
{
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    free(kept);
    kept = NULL;
    nkept = capkept = 0;
}

void mk_plan_free(mk_plan *p)
{
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].data);
    free(p->reqs);
    free(p->ecp);
    free(p->oab);
    free(p->events);
    free(p->files);
    memset(p, 0, sizeof *p);
}

void mk_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("mkevidence: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

const char *const mk_proto_folder[MK_P_COUNT] = {"Autodiscover", "Eas", "Ecp",         "Ews",        "Mapi",
                                                 "Oab",          "Owa", "OwaCalendar", "PowerShell", "RpcHttp"};
const char *const mk_proto_name[MK_P_COUNT] = {"Autodiscover", "Eas", "Ecp",         "Ews",        "Mapi",
                                               "Oab",          "Owa", "OwaCalendar", "PowerShell", "RpcHttp"};
const char *const mk_channel_name[MK_CH_COUNT] = {"Application", "MSExchange Management"};
