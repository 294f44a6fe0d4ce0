/* http: see http.h. */
#include "http.h"

#include <string.h>

#include "util.h"

const char *ex_fail_name(ex_fail f)
{
    static const char *const names[EX_FAIL_COUNT] = {"none",
                                                     "dns",
                                                     "refused",
                                                     "connect-timeout",
                                                     "tls",
                                                     "tls-old",
                                                     "timeout",
                                                     "aborted",
                                                     "headers-too-big",
                                                     "body-too-big",
                                                     "protocol-error",
                                                     "excluded",
                                                     "host-timeout",
                                                     "error"};
    return (unsigned)f < EX_FAIL_COUNT ? names[f] : "error";
}

/* Iterate header lines: returns the next line start, sets name/value spans. */
static const char *next_line(const char *p, const char *end, const char **name, size_t *nlen, const char **val,
                             size_t *vlen)
{
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        const char *next = eol ? eol + 1 : end;
        if (!colon || colon == p) {
            p = next;
            continue;
        }
        *name = p;
        *nlen = (size_t)(colon - p);
        const char *v = colon + 1, *ve = le;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        *val = v;
        *vlen = (size_t)(ve - v);
        return next;
    }
    return NULL;
}

int ex_http_header(const ex_http_response *r, const char *name, size_t index, char *out, size_t outlen)
{
    if (!r->headers)
        return -1;
    const char *p = r->headers, *end = r->headers + r->headers_len, *n, *v;
    size_t nl, vl, want = strlen(name);
    while ((p = next_line(p, end, &n, &nl, &v, &vl))) {
        if (nl != want || strncasecmp(n, name, nl) != 0)
            continue;
        if (index--)
            continue;
        if (out && outlen) {
            size_t c = vl < outlen - 1 ? vl : outlen - 1;
            memcpy(out, v, c);
            out[c] = '\0';
        }
        return vl > INT32_MAX ? INT32_MAX : (int)vl;
    }
    return -1;
}

bool ex_http_has_header(const ex_http_response *r, const char *name)
{
    return ex_http_header(r, name, 0, NULL, 0) >= 0;
}

bool ex_http_header_value_contains(const ex_http_response *r, const char *needle)
{
    if (!r->headers)
        return false;
    const char *p = r->headers, *end = r->headers + r->headers_len, *n, *v;
    size_t nl, vl;
    while ((p = next_line(p, end, &n, &nl, &v, &vl)))
        if (ex_strcasestr_n(v, vl, needle))
            return true;
    return false;
}

bool ex_http_body_has(const ex_http_response *r, const char *needle)
{
    return r->body && memmem(r->body, r->body_len, needle, strlen(needle)) != NULL;
}

bool ex_http_body_ihas(const ex_http_response *r, const char *needle)
{
    return r->body && ex_strcasestr_n(r->body, r->body_len, needle) != NULL;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long ex_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=')
            break;
        int v = b64_value(c);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == outcap)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}
