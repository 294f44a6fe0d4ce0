/* logscan: see logscan.h. */
#include "hunt/logscan.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hunt/evpath.h"
#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOGSCAN_X86 1
#endif

/* ------------------------------------------------------------------------ */
/* fields                                                                     */

size_t ex_csv_split(const char *line, size_t n, ex_field *out, size_t max, bool *more)
{
    size_t k = 0, i = 0;
    if (more)
        *more = false;
    if (n == 0)
        return 0;
    for (;;) {
        if (k == max) {
            if (more)
                *more = true;
            return k;
        }
        ex_field f = {line + i, 0, false};
        if (i < n && line[i] == '"') {
            size_t j = ++i;
            while (j < n) {
                if (line[j] == '"') {
                    if (j + 1 < n && line[j + 1] == '"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j++;
            }
            f = (ex_field){line + i, j - i, true};
            i = j < n ? j + 1 : n;          /* past the closing quote */
            while (i < n && line[i] != ',') /* junk after a closing quote stays out */
                i++;
        } else {
            const char *c = memchr(line + i, ',', n - i);
            size_t j = c ? (size_t)(c - line) : n;
            f.n = j - i;
            i = j;
        }
        out[k++] = f;
        if (i >= n)
            return k;
        i++; /* the comma */
        if (i == n) {
            if (k < max)
                out[k++] = (ex_field){line + n, 0, false};
            return k;
        }
    }
}

size_t ex_w3c_split(const char *line, size_t n, ex_field *out, size_t max, bool *more)
{
    size_t k = 0, i = 0;
    if (more)
        *more = false;
    while (i < n) {
        if (k == max) {
            if (more)
                *more = true;
            break;
        }
        const char *c = memchr(line + i, ' ', n - i);
        size_t j = c ? (size_t)(c - line) : n;
        out[k++] = (ex_field){line + i, j - i, false};
        i = j + 1;
    }
    return k;
}

const char *ex_field_text(const ex_field *f, char *buf, size_t buflen)
{
    size_t o = 0;
    for (size_t i = 0; i < f->n && o + 1 < buflen; i++) {
        buf[o++] = f->p[i];
        if (f->quoted && f->p[i] == '"' && i + 1 < f->n && f->p[i + 1] == '"')
            i++;
    }
    buf[o] = '\0';
    return buf;
}

bool ex_field_ieq(const ex_field *f, const char *s)
{
    size_t n = strlen(s);
    return f->n == n && strncasecmp(f->p, s, n) == 0;
}

int ex_header_parse(ex_header *h, const char *line, size_t n, bool csv)
{
    static const char tag[] = "#Fields:";
    if (n >= sizeof tag - 1 && strncasecmp(line, tag, sizeof tag - 1) == 0) {
        line += sizeof tag - 1;
        n -= sizeof tag - 1;
    }
    while (n && line[0] == ' ') {
        line++;
        n--;
    }
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        n--;
    ex_field f[EX_LOG_MAX_FIELDS];
    size_t k =
        csv ? ex_csv_split(line, n, f, EX_LOG_MAX_FIELDS, NULL) : ex_w3c_split(line, n, f, EX_LOG_MAX_FIELDS, NULL);
    if (k == 0)
        return -1;
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < k; i++) {
        size_t m = f[i].n < sizeof h->names[0] - 1 ? f[i].n : sizeof h->names[0] - 1;
        memcpy(h->names[i], f[i].p, m);
        h->names[i][m] = '\0';
    }
    h->n = k;
    h->set = true;
    return 0;
}

int ex_header_index(const ex_header *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* time                                                                       */

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int64_t civil_to_unix(int y, int mo, int d, int h, int mi, int s)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return EX_TIME_UNKNOWN;
    /* days from civil (H. Hinnant), no time zone involved */
    y -= mo <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

int64_t ex_parse_iso_time(const char *s, size_t n)
{
    int y, mo, d, h, mi, sec;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return EX_TIME_UNKNOWN;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return EX_TIME_UNKNOWN;
    return civil_to_unix(y, mo, d, h, mi, sec);
}

int64_t ex_parse_w3c_time(const char *date, size_t dn, const char *time, size_t tn)
{
    int y, mo, d, h, mi, sec;
    if (dn != 10 || tn < 8 || date[4] != '-' || date[7] != '-' || time[2] != ':' || time[5] != ':')
        return EX_TIME_UNKNOWN;
    if (!digits(date, 4, &y) || !digits(date + 5, 2, &mo) || !digits(date + 8, 2, &d) || !digits(time, 2, &h) ||
        !digits(time + 3, 2, &mi) || !digits(time + 6, 2, &sec))
        return EX_TIME_UNKNOWN;
    return civil_to_unix(y, mo, d, h, mi, sec);
}

/* ------------------------------------------------------------------------ */
/* matching                                                                   */

bool ex_like(const char *p, const char *s, size_t n)
{
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;
    while (i < n) {
        if (*p == '*') {
            star = ++p;
            star_i = i;
            continue;
        }
        if (*p && (*p == '?' || tolower((unsigned char)*p) == tolower((unsigned char)s[i]))) {
            p++;
            i++;
            continue;
        }
        if (star) {
            p = star;
            i = ++star_i;
            continue;
        }
        return false;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool ex_icontains(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    if (!n)
        return true;
    int first = tolower((unsigned char)needle[0]);
    for (; *s; s++)
        if (tolower((unsigned char)*s) == first && strncasecmp(s, needle, n) == 0)
            return true;
    return false;
}

#ifdef LOGSCAN_X86
__attribute__((target("avx2"))) static size_t count_nl_avx2(const char *p, size_t n)
{
    const __m256i nl = _mm256_set1_epi8('\n');
    size_t c = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
        c += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)));
    }
    for (; i < n; i++)
        c += p[i] == '\n';
    return c;
}
#endif

size_t ex_count_newlines(const char *p, size_t n)
{
#ifdef LOGSCAN_X86
    if (__builtin_cpu_supports("avx2"))
        return count_nl_avx2(p, n);
#endif
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] == '\n';
    return c;
}

/* ------------------------------------------------------------------------ */
/* the chunk driver                                                           */

void ex_logscan_init(ex_logscan *s, const ex_lit *lits, ex_logscan_line_fn on_line, void *ctx)
{
    memset(s, 0, sizeof *s);
    s->first = EX_TIME_UNKNOWN;
    s->lits = lits;
    s->on_line = on_line;
    s->ctx = ctx;
}

static int on_hit(void *ctx, unsigned lit, size_t pos)
{
    ex_logscan *s = ctx;
    if (pos < s->line_end)
        return 0; /* this line was handed over already */
    const char *d = s->chunk;
    const char *nl = pos ? memrchr(d, '\n', pos) : NULL;
    size_t start = nl ? (size_t)(nl - d) + 1 : 0;
    const char *e = memchr(d + pos, '\n', s->chunk_len - pos);
    size_t end = e ? (size_t)(e - d) : s->chunk_len;
    s->lines_in_chunk += ex_count_newlines(d + s->counted, start - s->counted);
    s->counted = start;
    s->line_end = end + 1;
    size_t n = end - start;
    if (n && d[start + n - 1] == '\r')
        n--;
    return s->on_line(s->ctx, d + start, n, s->lines + s->lines_in_chunk + 1, s->chunk_off + start, lit);
}

static void keep_last_line(ex_logscan *s, const char *d, size_t len)
{
    size_t end = len;
    while (end && (d[end - 1] == '\n' || d[end - 1] == '\r'))
        end--;
    if (!end)
        return;
    const char *nl = memrchr(d, '\n', end);
    size_t start = nl ? (size_t)(nl - d) + 1 : 0;
    size_t n = end - start < sizeof s->last ? end - start : sizeof s->last;
    memcpy(s->last, d + start, n);
    s->last_n = n;
}

int ex_logscan_feed(ex_logscan *s, const char *data, size_t len, uint64_t offset)
{
    if (s->stop)
        return s->stop;
    if (s->first == EX_TIME_UNKNOWN)
        ex_logscan_first_time(s, data, len);
    s->chunk = data;
    s->chunk_len = len;
    s->chunk_off = offset;
    s->counted = 0;
    s->lines_in_chunk = 0;
    s->line_end = 0;
    s->stop = ex_lit_scan(s->lits, data, len, on_hit, s);
    if (!s->stop) {
        s->lines += s->lines_in_chunk + ex_count_newlines(data + s->counted, len - s->counted);
        keep_last_line(s, data, len);
    }
    return s->stop;
}

int ex_logscan_feed_state(void *state, const char *data, size_t len, uint64_t offset)
{
    return ex_logscan_feed((ex_logscan *)state, data, len, offset);
}

void ex_logscan_first_time(ex_logscan *s, const char *data, size_t len)
{
    size_t pos = 0;
    for (int i = 0; i < 64 && pos < len && s->first == EX_TIME_UNKNOWN; i++) {
        size_t n;
        const char *line = ex_logscan_first_line(data + pos, len - pos, &n);
        if (n && line[0] != '#')
            s->first = ex_log_line_time(line, n);
        const char *nl = memchr(data + pos, '\n', len - pos);
        if (!nl)
            break;
        pos = (size_t)(nl - data) + 1;
    }
}

void ex_logscan_cover(ex_logscan *s, ex_hunt *h, const ex_hunt_file *f)
{
    if (s->first == EX_TIME_UNKNOWN)
        return;
    int64_t last = s->last_n && s->last[0] != '#' ? ex_log_line_time(s->last, s->last_n) : EX_TIME_UNKNOWN;
    char dir[512];
    ex_log_dir(f, dir, sizeof dir);
    ex_hunt_cover(h, dir, s->first, last != EX_TIME_UNKNOWN ? last : s->first);
}

const char *ex_logscan_first_line(const char *data, size_t len, size_t *n)
{
    const char *e = memchr(data, '\n', len);
    size_t k = e ? (size_t)(e - data) : len;
    if (k && data[k - 1] == '\r')
        k--;
    *n = k;
    return data;
}

void ex_log_dir(const ex_hunt_file *f, char *buf, size_t n)
{
    const char *p = f->install_rel ? f->install_rel : f->path;
    const char *slash = strrchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : 0;
    if (len >= n)
        len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (!len)
        snprintf(buf, n, ".");
}

/* ------------------------------------------------------------------------ */
/* findings                                                                   */

void ex_log_emit(ex_hunt *h, const ex_hunt_file *f, const ex_log_rule *r, ex_kind kind, ex_severity sev,
                 const char *title, int64_t time, uint64_t lineno, uint64_t offset, const char *line, size_t n)
{
    ex_finding x;
    ex_finding_init(&x);
    x.kind = kind;
    x.severity = sev;
    x.time = time;
    x.ev.line = (int64_t)lineno;
    x.ev.offset = (int64_t)offset;
    int rc = ex_finding_setz(&x.id, r->id) | ex_finding_setz(&x.cve, r->cve) | ex_finding_setz(&x.title, title) |
             ex_finding_setz(&x.rule, r->name) | ex_finding_setz(&x.rule_source, r->source) |
             ex_finding_setz(&x.rule_ref, r->ref) | ex_finding_setz(&x.ev.path, f->path) |
             ex_finding_set(&x.ev.match, line, n);
    if (rc) {
        ex_finding_free(&x);
        return;
    }
    ex_hunt_emit(h, &x);
}

int64_t ex_log_line_time(const char *line, size_t n)
{
    if (n && line[0] == '"') {
        line++;
        n--;
    }
    if (n >= 19 && line[10] == ' ' && line[13] == ':')
        return ex_parse_w3c_time(line, 10, line + 11, 8);
    return ex_parse_iso_time(line, n);
}
