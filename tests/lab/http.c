/* The lab's HTTP/1.x parser and response builder (see http.h). */
#include "http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Copy at most n-1 bytes of [s, s+len) into dst, NUL-terminated. */
static void copy_cut(char *dst, size_t n, const char *s, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static bool token_ieq(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static const char *find_line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl;
}

static int parse_request_line(const char *p, const char *eol, lab_req *req)
{
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof req->method)
        return LAB_PARSE_BAD;
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(eol - t));
    if (!sp2 || sp2 == t)
        return LAB_PARSE_BAD;
    if ((size_t)(sp2 - t) >= sizeof req->target)
        return LAB_PARSE_TOO_LONG_URI;
    const char *v = sp2 + 1;
    size_t vlen = (size_t)(eol - v);
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
        vlen--;
    if (vlen != 8 || strncmp(v, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)v[7]))
        return (vlen >= 5 && strncmp(v, "HTTP/", 5) == 0) ? LAB_PARSE_VERSION : LAB_PARSE_BAD;
    req->minor = v[7] - '0';
    copy_cut(req->method, sizeof req->method, p, (size_t)(sp1 - p));
    copy_cut(req->target, sizeof req->target, t, (size_t)(sp2 - t));
    for (const char *c = req->target; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return LAB_PARSE_BAD;
    /* Absolute form (proxy style): keep only the path. */
    const char *path = req->target;
    if (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0) {
        const char *slash = strchr(strstr(path, "//") + 2, '/');
        path = slash ? slash : "/";
    }
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    req->query = q ? strchr(req->target, '?') + 1 : "";
    copy_cut(req->path_lc, sizeof req->path_lc, path, plen);
    for (char *c = req->path_lc; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return 0;
}

static int parse_content_length(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    if (!n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i]) || x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

static int parse_header(const char *p, const char *eol, lab_req *req)
{
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon || colon == p)
        return LAB_PARSE_BAD;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1, *ve = eol;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    size_t vlen = (size_t)(ve - v);
    if (token_ieq(p, nlen, "host")) {
        req->has_host = true;
        copy_cut(req->host, sizeof req->host, v, vlen);
    } else if (token_ieq(p, nlen, "cookie")) {
        size_t have = strlen(req->cookie);
        if (have && have + 2 < sizeof req->cookie)
            strcat(req->cookie, "; ");
        have = strlen(req->cookie);
        copy_cut(req->cookie + have, sizeof req->cookie - have, v, vlen);
    } else if (token_ieq(p, nlen, "authorization")) {
        copy_cut(req->authorization, sizeof req->authorization, v, vlen);
    } else if (token_ieq(p, nlen, "connection")) {
        for (const char *c = v; c < ve;) {
            const char *e = c;
            while (e < ve && *e != ',')
                e++;
            const char *a = c, *b = e;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            if (token_ieq(a, (size_t)(b - a), "close"))
                req->conn_close = true;
            else if (token_ieq(a, (size_t)(b - a), "keep-alive"))
                req->conn_keepalive = true;
            c = e < ve ? e + 1 : e;
        }
    } else if (token_ieq(p, nlen, "content-length")) {
        if (parse_content_length(v, vlen, &req->content_length) != 0)
            return LAB_PARSE_BAD;
    } else if (token_ieq(p, nlen, "transfer-encoding")) {
        req->chunked = true; /* any coding: the lab does not read such bodies */
    }
    return 0;
}

int lab_http_parse(const char *buf, size_t len, lab_req *req)
{
    req->method[0] = req->target[0] = req->path_lc[0] = '\0';
    req->minor = 0;
    req->host[0] = req->cookie[0] = req->authorization[0] = '\0';
    req->query = "";
    req->has_host = req->conn_close = req->conn_keepalive = req->chunked = false;
    req->content_length = 0;
    const char *p = buf, *end = buf + (len > LAB_MAX_HEAD ? LAB_MAX_HEAD : len);
    /* RFC 9112 2.2: ignore empty lines before the request line. */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    const char *eol = find_line_end(p, end);
    if (!eol)
        return len >= LAB_MAX_HEAD ? LAB_PARSE_TOO_LARGE : LAB_PARSE_MORE;
    int rc = parse_request_line(p, eol, req);
    if (rc)
        return rc;
    unsigned count = 0;
    for (p = eol + 1;; p = eol + 1) {
        eol = find_line_end(p, end);
        if (!eol)
            return len >= LAB_MAX_HEAD ? LAB_PARSE_TOO_LARGE : LAB_PARSE_MORE;
        if (eol == p || (eol == p + 1 && *p == '\r'))
            return (int)(eol + 1 - buf);
        if (++count > 128)
            return LAB_PARSE_TOO_LARGE;
        if (*p == ' ' || *p == '\t')
            return LAB_PARSE_BAD; /* obsolete line folding: refused (RFC 9112 5.2) */
        if ((rc = parse_header(p, eol, req)) != 0)
            return rc;
    }
}

bool lab_req_keepalive(const lab_req *req)
{
    if (req->conn_close)
        return false;
    return req->minor >= 1 || req->conn_keepalive;
}

bool lab_cookie_has(const lab_req *req, const char *needle_ci)
{
    return ex_strcasestr_n(req->cookie, strlen(req->cookie), needle_ci) != NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

void lab_url_decode(const char *src, char *dst, size_t n)
{
    size_t o = 0;
    for (const char *s = src; *s && o + 1 < n; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hexval((unsigned char)s[1])) >= 0 && (lo = hexval((unsigned char)s[2])) >= 0) {
            dst[o++] = (char)(hi * 16 + lo);
            s += 2;
        } else {
            dst[o++] = *s;
        }
    }
    dst[o] = '\0';
}

/* ---- responses ------------------------------------------------------------------------------ */

#define LAB_MAX_RESP_HEAD 16384
#define LAB_MAX_RESP_BODY (256u * 1024)

void lab_resp_init(lab_resp *r)
{
    memset(r, 0, sizeof *r);
    r->head.max = LAB_MAX_RESP_HEAD;
    r->body.max = LAB_MAX_RESP_BODY;
    r->status = 200;
    r->reason = "OK";
}

void lab_resp_free(lab_resp *r)
{
    ex_buf_free(&r->head);
    ex_buf_free(&r->body);
}

void lab_resp_status(lab_resp *r, int status, const char *reason)
{
    r->status = status;
    r->reason = reason;
}

void lab_resp_header(lab_resp *r, const char *name, const char *fmt, ...)
{
    char value[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    ex_buf_printf(&r->head, "%s: %s\r\n", name, value);
}

void lab_resp_body(lab_resp *r, const char *data, size_t n)
{
    ex_buf_append(&r->body, data, n);
}

void lab_resp_bodyf(lab_resp *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    char *tmp = malloc((size_t)n + 1);
    if (!tmp)
        return;
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ex_buf_append(&r->body, tmp, (size_t)n);
    free(tmp);
}

static bool line_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

void lab_resp_remove_header(lab_resp *r, const char *name)
{
    if (!r->head.data)
        return;
    size_t out = 0;
    for (size_t i = 0; i < r->head.len;) {
        const char *nl = memchr(r->head.data + i, '\n', r->head.len - i);
        size_t len = nl ? (size_t)(nl - (r->head.data + i)) + 1 : r->head.len - i;
        if (!line_is(r->head.data + i, len, name)) {
            memmove(r->head.data + out, r->head.data + i, len);
            out += len;
        }
        i += len;
    }
    r->head.len = out;
    r->head.data[out] = '\0';
}

bool lab_resp_has_header(const lab_resp *r, const char *name)
{
    for (size_t i = 0; r->head.data && i < r->head.len;) {
        const char *nl = memchr(r->head.data + i, '\n', r->head.len - i);
        size_t len = nl ? (size_t)(nl - (r->head.data + i)) + 1 : r->head.len - i;
        if (line_is(r->head.data + i, len, name))
            return true;
        i += len;
    }
    return false;
}

int lab_resp_serialize(const lab_resp *r, bool keepalive, ex_buf *out)
{
    if (r->raw)
        return ex_buf_append(out, r->body.data ? r->body.data : "", r->body.len);
    int rc = ex_buf_printf(out, "HTTP/1.1 %d %s\r\n", r->status, r->reason);
    if (r->head.len)
        rc |= ex_buf_append(out, r->head.data, r->head.len);
    if (r->stream == LAB_STREAM_NONE) {
        rc |= ex_buf_printf(out, "Content-Length: %zu\r\n", r->body.len);
        if (!keepalive || r->close)
            rc |= ex_buf_puts(out, "Connection: close\r\n");
        rc |= ex_buf_puts(out, "\r\n");
        if (!r->head_only && r->body.len)
            rc |= ex_buf_append(out, r->body.data, r->body.len);
    } else if (r->stream == LAB_STREAM_HUGE_BODY) {
        rc |= ex_buf_printf(out, "Content-Length: %llu\r\n\r\n", (unsigned long long)r->stream_len);
    }
    return rc ? -1 : 0;
}

void lab_http_date(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
