/* http: the request and response records the engine fills and the
 * fingerprint and probe modules read. Pure data plus bounded, defensive
 * header parsing: no network here. */
#ifndef EXAUDIT_HTTP_H
#define EXAUDIT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EX_HTTP_MAX_HEADERS 4

/* What went wrong with one request. Order matters little; names are in ex_fail_name(). */
typedef enum ex_fail {
    EX_FAIL_NONE = 0,
    EX_FAIL_DNS,             /* name did not resolve */
    EX_FAIL_REFUSED,         /* TCP connect refused / unreachable */
    EX_FAIL_CONNECT_TIMEOUT, /* TCP connect timed out (the one case that is retried) */
    EX_FAIL_TLS,             /* TLS handshake failed */
    EX_FAIL_TLS_OLD,         /* the server offers only protocol versions or ciphers refused by policy */
    EX_FAIL_TIMEOUT,         /* connected, but no complete answer in time (tarpit) */
    EX_FAIL_ABORTED, /* connection closed or reset before any response: the URL-rewrite AbortRequest signature */
    EX_FAIL_HEADERS_TOO_BIG, /* header block beyond the cap */
    EX_FAIL_BODY_TOO_BIG,    /* body beyond the read cap (what was kept is still parsed) */
    EX_FAIL_PROTOCOL,        /* malformed HTTP (bad chunking, bad status line) */
    EX_FAIL_EXCLUDED,        /* the name resolved to an excluded address */
    EX_FAIL_HOST_TIMEOUT,    /* the per-host time budget ran out */
    EX_FAIL_OTHER,
    EX_FAIL_COUNT
} ex_fail;

const char *ex_fail_name(ex_fail f); /* "timeout", "aborted", ... */

typedef struct ex_http_request {
    const char *method;                       /* "GET" */
    char path[512];                           /* appended to the endpoint's base URL */
    const char *headers[EX_HTTP_MAX_HEADERS]; /* "Cookie: ...", NULL-terminated */
    bool http1;                               /* force HTTP/1.1 (NTLM needs the connection) */
    size_t body_keep;                         /* bytes of body kept for parsing (0 = none) */
} ex_http_request;

typedef struct ex_http_response {
    const char *endpoint; /* "GET /owa/auth/logon.aspx", for evidence strings */
    int status;           /* 0: no HTTP response */
    const char *headers;  /* the final response's header lines, "Name: value\r\n" each */
    size_t headers_len;
    const char *body; /* the kept part of the body */
    size_t body_len;
    bool body_truncated; /* more body existed than was kept */
    ex_fail fail;
    const char *error; /* human text for fail, "" when none */
} ex_http_response;

/* The value of the index-th header named name (case-insensitive), trimmed and
 * copied into out (cut at outlen-1). Returns the full value length, or -1 when
 * absent. */
int ex_http_header(const ex_http_response *r, const char *name, size_t index, char *out, size_t outlen);
bool ex_http_has_header(const ex_http_response *r, const char *name);
/* Does any header value (of any name) contain needle, case-insensitively? */
bool ex_http_header_value_contains(const ex_http_response *r, const char *needle);
/* Body contains needle (case-sensitive / insensitive). */
bool ex_http_body_has(const ex_http_response *r, const char *needle);
bool ex_http_body_ihas(const ex_http_response *r, const char *needle);

/* Base64 decoding, bounded: returns the decoded length or -1. */
long ex_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);

#endif
