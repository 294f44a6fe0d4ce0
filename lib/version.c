/* version: see version.h. The parser is a small hand-written scanner rather
 * than a regex: it runs on every header of every scanned host and must never
 * read past len, allocate, or accept a number it cannot represent. */
#include "version.h"

#include <stdio.h>
#include <string.h>

#define PART_MAX_DIGITS 5
#define MAJOR_MAX       99
#define MINOR_MAX       99
#define BUILD_MAX       99999
#define REVISION_MAX    99999

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static void skip_spaces(cursor *c)
{
    while (c->p < c->end && is_space((unsigned char)*c->p))
        c->p++;
}

/* Consume a case-insensitive literal prefix; false leaves the cursor alone. */
static bool accept_word(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)c->p[i]) != lower((unsigned char)word[i]))
            return false;
    c->p += n;
    return true;
}

static bool accept_char(cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* One decimal part: 1..PART_MAX_DIGITS digits, leading zeros allowed. */
static int read_part(cursor *c, uint32_t limit, uint32_t *out)
{
    uint32_t v = 0;
    int digits = 0;
    while (c->p < c->end && is_digit((unsigned char)*c->p)) {
        if (++digits > PART_MAX_DIGITS)
            return EX_VERSION_RANGE;
        v = v * 10 + (uint32_t)(*c->p - '0');
        c->p++;
    }
    if (digits == 0)
        return EX_VERSION_SYNTAX;
    if (v > limit)
        return EX_VERSION_RANGE;
    *out = v;
    return EX_VERSION_OK;
}

/* "15.1.2176.9" or "15.1.2176": three or four dot-separated parts. */
static int read_dotted(cursor *c, ex_version *v)
{
    uint32_t major, minor, build, rev;
    int err;
    if ((err = read_part(c, MAJOR_MAX, &major)) || !accept_char(c, '.'))
        return err ? err : EX_VERSION_SYNTAX;
    if ((err = read_part(c, MINOR_MAX, &minor)) || !accept_char(c, '.'))
        return err ? err : EX_VERSION_SYNTAX;
    if ((err = read_part(c, BUILD_MAX, &build)))
        return err;
    v->major = (uint16_t)major;
    v->minor = (uint16_t)minor;
    v->build = build;
    v->revision = -1;
    if (accept_char(c, '.')) {
        if ((err = read_part(c, REVISION_MAX, &rev)))
            return err;
        v->revision = (int32_t)rev;
    }
    return EX_VERSION_OK;
}

/* "Version 15.1 (Build 2176.9)": AdminDisplayVersion. */
static int read_admin_display(cursor *c, ex_version *v)
{
    uint32_t major, minor, build, rev;
    int err;
    skip_spaces(c);
    if ((err = read_part(c, MAJOR_MAX, &major)) || !accept_char(c, '.'))
        return err ? err : EX_VERSION_SYNTAX;
    if ((err = read_part(c, MINOR_MAX, &minor)))
        return err;
    skip_spaces(c);
    if (!accept_char(c, '(') || (skip_spaces(c), !accept_word(c, "build")))
        return EX_VERSION_SYNTAX;
    skip_spaces(c);
    if ((err = read_part(c, BUILD_MAX, &build)) || !accept_char(c, '.'))
        return err ? err : EX_VERSION_SYNTAX;
    if ((err = read_part(c, REVISION_MAX, &rev)))
        return err;
    skip_spaces(c);
    if (!accept_char(c, ')'))
        return EX_VERSION_SYNTAX;
    *v = (ex_version){(uint16_t)major, (uint16_t)minor, build, (int32_t)rev};
    return EX_VERSION_OK;
}

int ex_version_parse(const char *s, size_t len, ex_version *out)
{
    ex_version v = {0};
    cursor c = {s, s + len};
    int err;
    *out = (ex_version){0};
    if (!s || len > EX_VERSION_MAX_INPUT)
        return s ? EX_VERSION_SYNTAX : EX_VERSION_EMPTY;
    skip_spaces(&c);
    while (c.end > c.p && is_space((unsigned char)c.end[-1]))
        c.end--;
    if (c.p == c.end)
        return EX_VERSION_EMPTY;

    if (accept_word(&c, "version")) {
        err = read_admin_display(&c, &v);
    } else {
        if (!accept_word(&c, "exchange/"))
            (void)accept_word(&c, "owaver=");
        err = read_dotted(&c, &v);
        /* owaVer= comes out of a query string: the value ends at '&'. */
        if (!err && c.p < c.end && *c.p == '&')
            c.end = c.p;
    }
    if (err)
        return err;
    if (c.p != c.end)
        return EX_VERSION_SYNTAX;
    if (v.major == 0)
        return EX_VERSION_RANGE;
    *out = v;
    return EX_VERSION_OK;
}

int ex_version_parse_str(const char *s, ex_version *out)
{
    if (!s) {
        *out = (ex_version){0};
        return EX_VERSION_EMPTY;
    }
    size_t n = strnlen(s, EX_VERSION_MAX_INPUT + 1);
    return ex_version_parse(s, n, out);
}

const char *ex_version_strerror(int err)
{
    switch (err) {
    case EX_VERSION_OK: return "ok";
    case EX_VERSION_EMPTY: return "empty build string";
    case EX_VERSION_SYNTAX: return "not an Exchange build (expected e.g. 15.1.2176.9 or 15.1.2176)";
    case EX_VERSION_RANGE: return "build number part out of range";
    }
    return "unknown error";
}

static int cmp_u(uint32_t a, uint32_t b)
{
    return (a > b) - (a < b);
}

int ex_version_cmp_cu(const ex_version *a, const ex_version *b)
{
    int r = cmp_u(a->major, b->major);
    if (!r)
        r = cmp_u(a->minor, b->minor);
    if (!r)
        r = cmp_u(a->build, b->build);
    return r;
}

int ex_version_cmp(const ex_version *a, const ex_version *b)
{
    int r = ex_version_cmp_cu(a, b);
    if (!r)
        r = (a->revision > b->revision) - (a->revision < b->revision);
    return r;
}

bool ex_version_same_cu(const ex_version *a, const ex_version *b)
{
    return ex_version_cmp_cu(a, b) == 0;
}

/* Decimal digits of v, at least width of them (zero padded), into p. */
static char *put_uint(char *p, uint32_t v, int width)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Hand-written instead of snprintf: it runs for every CVE line of every
 * assessed host, and snprintf dominated the profile. */
static int format_parts(const ex_version *v, char *buf, size_t n, const int widths[4])
{
    char tmp[EX_VERSION_STRLEN], *p = tmp;
    p = put_uint(p, v->major, widths[0]);
    *p++ = '.';
    p = put_uint(p, v->minor, widths[1]);
    *p++ = '.';
    p = put_uint(p, v->build, widths[2]);
    if (v->revision >= 0) {
        *p++ = '.';
        p = put_uint(p, (uint32_t)v->revision, widths[3]);
    }
    size_t len = (size_t)(p - tmp);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return (int)len;
}

int ex_version_format(const ex_version *v, char *buf, size_t n)
{
    static const int widths[4] = {1, 1, 1, 1};
    return format_parts(v, buf, n, widths);
}

int ex_version_format_long(const ex_version *v, char *buf, size_t n)
{
    static const int widths[4] = {2, 2, 4, 3};
    return format_parts(v, buf, n, widths);
}
