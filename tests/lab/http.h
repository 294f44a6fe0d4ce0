/* http: the lab's HTTP/1.x request parser and response builder.
 * Bounded: a request head is at most LAB_MAX_HEAD bytes, each kept header has a
 * fixed-size slot (longer values are cut, never overflow). */
#ifndef EXAUDIT_LAB_HTTP_H
#define EXAUDIT_LAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define LAB_MAX_HEAD         16384
#define LAB_MAX_TARGET       8192
#define LAB_MAX_BODY_DISCARD (1u << 20) /* larger request bodies: answer, then close */

typedef struct lab_req {
    char method[24];
    char target[LAB_MAX_TARGET];  /* as sent: path?query */
    char path_lc[LAB_MAX_TARGET]; /* path only, lower case (IIS routes case-insensitively) */
    const char *query;            /* into target, after '?', "" when none */
    int minor;                    /* HTTP/1.minor */
    bool has_host;
    char host[256];
    char cookie[4096];
    char authorization[4096];
    bool conn_close, conn_keepalive, chunked;
    uint64_t content_length;
} lab_req;

enum {
    LAB_PARSE_MORE = 0,
    LAB_PARSE_BAD = -400,
    LAB_PARSE_TOO_LONG_URI = -414,
    LAB_PARSE_TOO_LARGE = -431,
    LAB_PARSE_VERSION = -505,
};

/* Parse one request head from buf. Returns the head length (> 0), LAB_PARSE_MORE,
 * or a negative LAB_PARSE_* code (the HTTP status to answer before closing). */
int lab_http_parse(const char *buf, size_t len, lab_req *req);

/* Does the request want the connection kept open after the response? */
bool lab_req_keepalive(const lab_req *req);
/* Value of the cookie named name (case-sensitive as browsers send them), or NULL. */
bool lab_cookie_has(const lab_req *req, const char *needle_ci);
/* Percent-decode src into dst (always NUL-terminated). */
void lab_url_decode(const char *src, char *dst, size_t n);

typedef enum lab_stream {
    LAB_STREAM_NONE = 0,
    LAB_STREAM_ENDLESS_HEADERS, /* header lines, forever */
    LAB_STREAM_HUGE_BODY,       /* stream_len body bytes, generated, never allocated */
} lab_stream;

typedef struct lab_resp {
    int status;
    const char *reason;
    ex_buf head; /* "Name: value\r\n" lines */
    ex_buf body;
    bool head_only;  /* HEAD request */
    bool close;      /* Connection: close, then FIN */
    bool abort;      /* no response: reset the connection (IIS URL-rewrite AbortRequest) */
    bool raw;        /* body holds the whole wire bytes: no status line or headers added */
    size_t truncate; /* > 0: send only this many bytes of the serialized response, then reset */
    lab_stream stream;
    uint64_t stream_len;
} lab_resp;

void lab_resp_init(lab_resp *r);
void lab_resp_free(lab_resp *r);
void lab_resp_status(lab_resp *r, int status, const char *reason);
void lab_resp_header(lab_resp *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void lab_resp_body(lab_resp *r, const char *data, size_t n);
void lab_resp_bodyf(lab_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remove every header line with this name (case-insensitive). */
void lab_resp_remove_header(lab_resp *r, const char *name);
bool lab_resp_has_header(const lab_resp *r, const char *name);
/* Status line + headers + Content-Length (unless raw/streaming) + body into out. */
int lab_resp_serialize(const lab_resp *r, bool keepalive, ex_buf *out);

/* RFC 7231 IMF-fixdate of now. */
void lab_http_date(char *buf, size_t n);

#endif
