/* util: small helpers shared by every module: a bounded growable buffer,
 * whole-file reads with a size cap, atomic file replacement. */
#ifndef EXAUDIT_UTIL_H
#define EXAUDIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer that refuses to grow past max (0 = no cap beyond
 * SIZE_MAX/2). data is always NUL-terminated when non-NULL. */
typedef struct ex_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} ex_buf;

int ex_buf_append(ex_buf *b, const void *p, size_t n); /* -1 when over max or out of memory */
int ex_buf_puts(ex_buf *b, const char *s);
int ex_buf_printf(ex_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ex_buf_reset(ex_buf *b);
void ex_buf_free(ex_buf *b);
/* Hand the data over to the caller (who frees it); the buffer is emptied. */
char *ex_buf_steal(ex_buf *b);

/* Read a whole regular file, at most max bytes (errno = EFBIG beyond). The
 * result is NUL-terminated; *len excludes the NUL. NULL with errno and a
 * message in err on failure. Opens read-only, and with O_NOATIME where the
 * kernel allows it, so that evidence access times are left alone. */
char *ex_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);
/* Create dir and every missing parent (mkdir -p) with the given mode; 0 or -1 (errno set). */
int ex_mkdir_p(const char *dir, unsigned mode);

/* Open a file read-only without touching its access time where possible. */
int ex_open_readonly(const char *path);

/* Write data to tmp, fsync, rename over path, fsync the directory. */
int ex_write_file_atomic(const char *tmp, const char *path, const void *data, size_t len);

/* strlcpy semantics: always NUL-terminates, returns strlen(src). */
size_t ex_strlcpy(char *dst, const char *src, size_t size);

/* Length (1..4) of the valid UTF-8 sequence at p (n bytes available), or 0
 * when it is not valid UTF-8 (overlong forms and surrogates included). */
size_t ex_utf8_len(const unsigned char *p, size_t n);
/* Encode code point cp (<= 0x10FFFF) as UTF-8 into out; returns 1..4. */
size_t ex_utf8_put(uint32_t cp, unsigned char out[4]);

/* ASCII case-insensitive helpers (Windows paths, HTTP headers). */
bool ex_strieq(const char *a, const char *b);
bool ex_istarts_with(const char *s, const char *prefix);
const char *ex_strcasestr_n(const char *hay, size_t haylen, const char *needle);

/* Today's date (UTC) as days since 1970-01-01, overridable with
 * EXAUDIT_TODAY=YYYY-MM-DD so that tests are reproducible. */
int64_t ex_today_days(void);
/* "YYYY-MM-DD" -> days since epoch; -1 on malformed input. */
int64_t ex_date_to_days(const char *ymd);
/* days -> "YYYY-MM-DD" (buf >= 11). */
void ex_days_to_date(int64_t days, char *buf, size_t n);

#endif
