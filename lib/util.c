#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int buf_reserve(ex_buf *b, size_t extra)
{
    size_t limit = b->max ? b->max : SIZE_MAX / 2;
    if (extra > limit || b->len > limit - extra)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ex_buf_append(ex_buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ex_buf_puts(ex_buf *b, const char *s)
{
    return ex_buf_append(b, s, strlen(s));
}

int ex_buf_printf(ex_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void ex_buf_reset(ex_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ex_buf_free(ex_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *ex_buf_steal(ex_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int ex_open_readonly(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME | O_NOCTTY);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    return fd;
}

char *ex_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    int fd = ex_open_readonly(path);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s", strerror(e));
        errno = e;
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        int e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        snprintf(err, errlen, "%s", e == EFBIG ? "file too large" : "not a regular file");
        close(fd);
        errno = e;
        return NULL;
    }
    ex_buf b = {.max = max};
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        if (ex_buf_append(&b, chunk, (size_t)n) != 0) {
            snprintf(err, errlen, "file too large");
            ex_buf_free(&b);
            close(fd);
            errno = EFBIG;
            return NULL;
        }
    }
    int e = errno;
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "%s", strerror(e));
        ex_buf_free(&b);
        errno = e;
        return NULL;
    }
    *len = b.len;
    return ex_buf_steal(&b);
}

int ex_write_file_atomic(const char *tmp, const char *path, const void *data, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    char dir[4096];
    ex_strlcpy(dir, path, sizeof dir);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

size_t ex_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

size_t ex_utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n || (len == 2 && p[0] < 0xC2) || (len == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return len;
}

size_t ex_utf8_put(uint32_t cp, unsigned char u[4])
{
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | cp >> 18), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool ex_strieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
    return *a == *b;
}

bool ex_istarts_with(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (!*s || lower((unsigned char)*s) != lower((unsigned char)*prefix))
            return false;
    return true;
}

const char *ex_strcasestr_n(const char *hay, size_t haylen, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return hay;
    for (size_t i = 0; i + n <= haylen; i++) {
        size_t k = 0;
        while (k < n && lower((unsigned char)hay[i + k]) == lower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return hay + i;
    }
    return NULL;
}

/* Days from civil date (Howard Hinnant's algorithm): no timezone, no libc state. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t ex_date_to_days(const char *s)
{
    unsigned y, m, d;
    char tail;
    if (!s || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    return days_from_civil(y, m, d);
}

void ex_days_to_date(int64_t z, char *buf, size_t n)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    snprintf(buf, n, "%04lld-%02u-%02u", (long long)(y + (m <= 2)), m, d);
}

int64_t ex_today_days(void)
{
    const char *fixed = getenv("EXAUDIT_TODAY");
    int64_t d = fixed ? ex_date_to_days(fixed) : -1;
    return d >= 0 ? d : (int64_t)(time(NULL) / 86400);
}

int ex_mkdir_p(const char *dir, unsigned mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) ? -1 : 0;
}
