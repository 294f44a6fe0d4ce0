/* engine: the only module of the scanner that touches the network.
 *
 * Event loops: libcurl's multi_socket API on epoll, one loop per thread
 * (--threads; the hosts in flight are split between them, the callbacks
 * below are called one at a time, under one lock). Each host in flight
 * owns one easy handle and asks its job (lib/probe) for one request at a
 * time, so requests of a host reuse its connection (keep-alive; HTTP/2 by
 * ALPN, HTTP/1.1 otherwise). Limits: hosts in flight (--concurrency), new
 * hosts per second (--rate), connect / request / per-host time budgets, and
 * bounded header and body sizes enforced in curl's callbacks. Only a connect
 * timeout is retried. Certificates are not verified (a scanner reports them);
 * the first one seen per host is handed over as OpenSSL decoded it. */
#ifndef EXAUDIT_ENGINE_H
#define EXAUDIT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "targets.h"

#define EX_ENGINE_MAX_THREADS 64

typedef struct ex_engine_opts {
    unsigned concurrency; /* hosts in flight (1 .. 100000) */
    unsigned threads;     /* event loops, each in its own thread; 0 = one per processor */
    double rate;          /* new hosts per second; 0 = no limit */
    long connect_timeout_ms;
    long request_timeout_ms;
    long host_timeout_ms; /* the whole plan of one host */
    int retries;          /* extra attempts after a connect timeout */
    const char *proxy;    /* curl proxy URL or NULL */
    const char *user_agent;
    bool http1_only;
    bool legacy_tls;            /* allow TLS 1.0/1.1 and weak ciphers (OpenSSL SECLEVEL 0) */
    const char *const *resolve; /* "host:port:address" entries (curl --resolve), NULL-terminated */
    const ex_ipset *excluded;   /* refused after name resolution */
    bool loopback_only;         /* refuse every address outside 127.0.0.0/8 and ::1 (tests, demo, bench) */
    size_t max_headers;         /* bytes of response header per request */
    size_t max_read;            /* bytes of body read per request before it is cut */
} ex_engine_opts;

void ex_engine_default_opts(ex_engine_opts *o);
/* One per online processor, at most EX_ENGINE_MAX_THREADS. */
unsigned ex_engine_default_threads(void);

/* What is known about the connection(s) of one host. */
typedef struct ex_conn_info {
    char ip[48];
    const void *cert_x509; /* first certificate seen (OpenSSL X509), valid during callbacks */
    char tls_version[16];
    char cipher[64];
    int http_version; /* 1, 2, or 0 when no response */
    unsigned requests;
    unsigned retries;
    unsigned connections; /* new connections opened (TLS handshakes) */
    int64_t started_ms;   /* wall clock, ms since the epoch */
    int64_t elapsed_ms;
} ex_conn_info;

typedef struct ex_engine_stats {
    uint64_t started, done, active, requests;
    int64_t elapsed_ms;
    bool exhausted; /* no more targets */
} ex_engine_stats;

/* Called under the engine's lock, one at a time, from any of its threads. */
typedef struct ex_engine_ops {
    /* The next target: 1, 0 when there are none left, -1 on error (stops the scan). */
    int (*next_target)(void *user, ex_endpoint *ep);
    /* A new host; returns its job (NULL = out of memory, host skipped). */
    void *(*host_start)(void *user, const ex_endpoint *ep);
    /* The job's next request; false when the host is done. */
    bool (*host_next)(void *user, void *job, ex_http_request *req);
    void (*host_response)(void *user, void *job, const ex_http_response *r, const ex_conn_info *ci);
    /* The host is finished (also after the per-host budget ran out: then
     * timed_out is true and host_response was not called for the cut request). */
    void (*host_done)(void *user, void *job, const ex_conn_info *ci, bool timed_out);
    /* About four times a second. */
    void (*tick)(void *user, const ex_engine_stats *st);
} ex_engine_ops;

/* Run until the targets are exhausted and every host is done. 0, or -1 with a message. */
int ex_engine_run(const ex_engine_opts *o, const ex_engine_ops *ops, void *user, char *err, size_t errlen);

/* Async-signal-safe: level 1 = start no new hosts, finish those in flight;
 * level 2 = cut every host now (their results are still delivered). */
void ex_engine_request_stop(int level);
/* Async-signal-safe: one level more than now (one more interrupt); returns the new level. */
int ex_engine_escalate_stop(void);
int ex_engine_stop_level(void);

/* Raise RLIMIT_NOFILE toward want (soft up to the hard limit). Returns the
 * limit in force afterwards. */
unsigned long ex_raise_nofile(unsigned long want);
/* File descriptors needed for a concurrency (two connections per host in
 * the worst case, plus the resolver and the output). */
unsigned long ex_engine_fds_needed(unsigned concurrency);

#endif
