/* engine: see engine.h. The loop follows libcurl's multi_socket contract
 * (curl_multi_socket_action + CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION). */
#include "engine.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define TICK_MS      250
#define SMALL_BUFFER 8192

/* Atomic, not sig_atomic_t: the handlers of two signals may run at once in two threads of the scan, and a
 * read-then-write would let both raise the level to the same value (one interrupt lost). */
static atomic_int stop_level;

void ex_engine_request_stop(int level)
{
    int cur = atomic_load(&stop_level);
    while (level > cur && !atomic_compare_exchange_weak(&stop_level, &cur, level))
        ;
}

int ex_engine_escalate_stop(void)
{
    return atomic_fetch_add(&stop_level, 1) + 1;
}

int ex_engine_stop_level(void)
{
    return stop_level;
}

void ex_engine_default_opts(ex_engine_opts *o)
{
    *o = (ex_engine_opts){.concurrency = 1000,
                          .connect_timeout_ms = 5000,
                          .request_timeout_ms = 10000,
                          .host_timeout_ms = 30000,
                          .retries = 1,
                          .user_agent = "Mozilla/5.0 (compatible; exaudit/0.1; safe Exchange audit)",
                          .max_headers = 64 * 1024,
                          .max_read = 256 * 1024};
}

unsigned ex_engine_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > EX_ENGINE_MAX_THREADS ? EX_ENGINE_MAX_THREADS : (unsigned)n;
}

typedef struct engine engine;
typedef struct common common;

typedef struct host {
    engine *e;
    CURL *easy;
    CURLSH *share; /* the host's own connection and DNS cache: both close with it */
    struct curl_slist *hdrs;
    void *job;
    ex_endpoint ep;
    ex_http_request req;
    char url[1200];
    ex_buf hbuf, bbuf;
    size_t body_read;
    bool hdr_over, body_over, excluded_hit, not_loopback, cert_done;
    int retries_left;
    int64_t deadline;
    long request_tmo_ms; /* the request's time limit: --timeout, or less when the host's budget is nearly spent */
    X509 *cert;
    ex_conn_info ci;
    char errbuf[CURL_ERROR_SIZE];
    struct host *prev, *next; /* hosts in flight */
} host;

/* What the loops share. The lock serialises every call into ops (the caller's callbacks need no locking of
 * their own) and guards the target source, the rate tokens and the counters. Callbacks are a small part of a
 * host's cost; TLS and HTTP run outside the lock, in each loop. */
struct common {
    const ex_engine_opts *o;
    const ex_engine_ops *ops;
    void *user;
    pthread_mutex_t lock;
    struct curl_slist *resolve;
    double tokens;
    int64_t last_refill;
    bool exhausted, failed;
    char *err;
    size_t errlen;
    ex_engine_stats st;
    int64_t t0, last_tick;
};

/* One event loop (one thread): its own multi handle, epoll set and hosts in flight. */
struct engine {
    common *c;
    const ex_engine_opts *o;
    CURLM *multi;
    int epfd;
    int64_t timer_at; /* monotonic ms, -1 = none */
    unsigned concurrency, active;
    host *hosts;
    pthread_t thread;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned long ex_engine_fds_needed(unsigned concurrency)
{
    return 2ul * concurrency + 64;
}

unsigned long ex_raise_nofile(unsigned long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want) ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? ~0ul : (unsigned long)rl.rlim_cur;
}

/* ---- curl callbacks -------------------------------------------------------------------- */

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    engine *e = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {
        .events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u), .data.fd = s};
    if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
        epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    engine *e = userp;
    e->timer_at = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    return 0;
}

/* The certificate and protocol of the host's first TLS connection. */
static void take_tls(host *h)
{
    const struct curl_tlssessioninfo *ti = NULL;
    h->cert_done = true;
    if (curl_easy_getinfo(h->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
        ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
        return;
    SSL *ssl = ti->internals;
    ex_strlcpy(h->ci.tls_version, SSL_get_version(ssl), sizeof h->ci.tls_version);
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    if (c)
        ex_strlcpy(h->ci.cipher, SSL_CIPHER_get_name(c), sizeof h->ci.cipher);
    h->cert = SSL_get1_peer_certificate(ssl); /* a reference, freed with the host */
    h->ci.cert_x509 = h->cert;
}

static size_t header_cb(char *data, size_t size, size_t n, void *userp)
{
    host *h = userp;
    size_t len = size * n;
    if (!h->cert_done && h->ep.tls)
        take_tls(h);
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
        h->hbuf.len = 0; /* keep only the final response's header block */
    if (h->hbuf.len + len > h->e->o->max_headers || ex_buf_append(&h->hbuf, data, len) != 0) {
        h->hdr_over = true;
        return 0; /* aborts the transfer */
    }
    return len;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
    host *h = userp;
    size_t len = size * n;
    size_t room = h->req.body_keep > h->bbuf.len ? h->req.body_keep - h->bbuf.len : 0;
    if (room && ex_buf_append(&h->bbuf, data, len < room ? len : room) != 0)
        return 0;
    h->body_read += len;
    if (h->body_read > h->e->o->max_read) {
        h->body_over = true;
        return 0;
    }
    return len;
}

static bool is_loopback(const ex_addr *a)
{
    if (a->family == AF_INET)
        return ((uint32_t)a->v >> 24) == 127;
    return a->v == 1;
}

static curl_socket_t open_cb(void *userp, curlsocktype purpose, struct curl_sockaddr *sa)
{
    host *h = userp;
    ex_addr a;
    if (ex_addr_from_sockaddr(&sa->addr, &a) == 0) {
        if (h->e->o->loopback_only && !is_loopback(&a)) {
            h->not_loopback = true;
            return CURL_SOCKET_BAD;
        }
        if (h->e->o->excluded && !h->e->o->proxy && ex_ipset_contains(h->e->o->excluded, a.v)) {
            h->excluded_hit = true;
            return CURL_SOCKET_BAD;
        }
    }
    return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

/* ---- requests ------------------------------------------------------------------------------ */

static void set_common(engine *e, host *h)
{
    CURL *c = h->easy;
    const ex_engine_opts *o = e->o;
    curl_easy_setopt(c, CURLOPT_PRIVATE, h);
    if (h->share)
        curl_easy_setopt(c, CURLOPT_SHARE, h->share);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    /* Nothing is verified, so no CA store is loaded: parsing it for every connection would cost more than
     * the handshake itself. */
    curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    /* Memory per host in flight, which is what bounds --concurrency: curl's receive buffer (16 KB by
     * default) and its send buffer (64 KB by default; every HTTPS request is copied into it) are allocated
     * for each transfer. A request is a few hundred bytes and OpenSSL keeps its own 16 KB record buffer,
     * so the smallest sizes curl accepts for sending and small reads cost nothing measurable and save
     * ~60 KB per host (bench/scan: 65,536 hosts at --concurrency 5000). */
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 4096L);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (o->proxy)
        curl_easy_setopt(c, CURLOPT_PROXY, o->proxy);
    else
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* ignore *_proxy environment variables unless asked */
    if (e->c->resolve)
        curl_easy_setopt(c, CURLOPT_RESOLVE, e->c->resolve);
    if (o->legacy_tls) {
        curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_0);
        curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
    }
}

static int start_request(engine *e, host *h)
{
    int64_t left = h->deadline - mono_ms();
    if (left <= 0)
        return -1;
    ex_endpoint_url(&h->ep, h->req.path, h->url, sizeof h->url);
    curl_slist_free_all(h->hdrs);
    h->hdrs = NULL;
    for (size_t i = 0; i < EX_HTTP_MAX_HEADERS && h->req.headers[i]; i++)
        h->hdrs = curl_slist_append(h->hdrs, h->req.headers[i]);
    CURL *c = h->easy;
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdrs);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(h->req.method, "GET") ? h->req.method : NULL);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                     (h->req.http1 || e->o->http1_only) ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    long tmo = e->o->request_timeout_ms < left ? e->o->request_timeout_ms : (long)left;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo);
    h->request_tmo_ms = tmo;
    ex_buf_reset(&h->hbuf);
    ex_buf_reset(&h->bbuf);
    h->body_read = 0;
    h->hdr_over = h->body_over = h->excluded_hit = h->not_loopback = false;
    h->errbuf[0] = '\0';
    if (curl_multi_add_handle(e->multi, c) != CURLM_OK)
        return -1;
    h->ci.requests++;
    pthread_mutex_lock(&e->c->lock);
    e->c->st.requests++;
    pthread_mutex_unlock(&e->c->lock);
    return 0;
}

static void free_host(host *h)
{
    if (h->easy)
        curl_easy_cleanup(h->easy);
    if (h->share)
        curl_share_cleanup(h->share);
    curl_slist_free_all(h->hdrs);
    ex_buf_free(&h->hbuf);
    ex_buf_free(&h->bbuf);
    X509_free(h->cert);
    free(h);
}

static void finish_host(engine *e, host *h, bool timed_out)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        e->hosts = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->ci.elapsed_ms = wall_ms() - h->ci.started_ms;
    common *c = e->c;
    pthread_mutex_lock(&c->lock);
    c->ops->host_done(c->user, h->job, &h->ci, timed_out);
    c->st.active--;
    c->st.done++;
    pthread_mutex_unlock(&c->lock);
    e->active--;
    free_host(h);
}

/* Ask the job for its next request, or finish the host. */
static void advance(engine *e, host *h)
{
    if (stop_level >= 2) {
        finish_host(e, h, true);
        return;
    }
    common *c = e->c;
    pthread_mutex_lock(&c->lock);
    bool more = c->ops->host_next(c->user, h->job, &h->req);
    pthread_mutex_unlock(&c->lock);
    if (!more) {
        finish_host(e, h, false);
        return;
    }
    if (start_request(e, h) != 0)
        finish_host(e, h, true); /* the per-host budget is spent */
}

static bool start_host(engine *e, const ex_endpoint *ep)
{
    host *h = calloc(1, sizeof *h);
    if (!h)
        return false;
    h->e = e;
    h->ep = *ep;
    h->retries_left = e->o->retries;
    h->hbuf.max = e->o->max_headers + 1;
    h->ci.started_ms = wall_ms();
    h->deadline = mono_ms() + e->o->host_timeout_ms;
    h->easy = curl_easy_init();
    /* The host's own share holds its connections and its DNS entry: both go with it. A DNS cache shared
     * by the whole scan would be pruned by a walk over every host resolved in the last minute, on every
     * connection (O(hosts) per connect). */
    h->share = curl_share_init();
    if (h->share && (curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
                     curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)) {
        curl_share_cleanup(h->share);
        h->share = NULL; /* fall back to the multi's cache */
    }
    if (h->easy) {
        pthread_mutex_lock(&e->c->lock);
        h->job = e->c->ops->host_start(e->c->user, ep);
        pthread_mutex_unlock(&e->c->lock);
    }
    if (!h->job) {
        free_host(h);
        return false;
    }
    set_common(e, h);
    h->next = e->hosts;
    if (e->hosts)
        e->hosts->prev = h;
    e->hosts = h;
    e->active++;
    pthread_mutex_lock(&e->c->lock);
    e->c->st.started++;
    e->c->st.active++;
    pthread_mutex_unlock(&e->c->lock);
    advance(e, h);
    return true;
}

/* ---- results -------------------------------------------------------------------------------- */

static bool old_tls_error(const char *msg)
{
    static const char *const pats[] = {"unsupported protocol",   "protocol version",
                                       "no protocols available", "version too low",
                                       "no shared cipher",       "sslv3 alert handshake failure",
                                       "dh key too small",       "legacy"};
    for (size_t i = 0; i < EX_ARRAY_LEN(pats); i++)
        if (strstr(msg, pats[i]))
            return true;
    return false;
}

static ex_fail classify(host *h, CURLcode rc, long status, const char *msg)
{
    curl_off_t connect_us = 0;
    long local_port = 0;
    curl_easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(h->easy, CURLINFO_LOCAL_PORT, &local_port);
    if (h->not_loopback || h->excluded_hit)
        return EX_FAIL_EXCLUDED;
    if (h->hdr_over)
        return EX_FAIL_HEADERS_TOO_BIG;
    if (h->body_over)
        return EX_FAIL_BODY_TOO_BIG;
    switch (rc) {
    case CURLE_OK: return EX_FAIL_NONE;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return EX_FAIL_DNS;
    case CURLE_COULDNT_CONNECT: return EX_FAIL_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        /* curl's connect phase includes the TLS handshake: a server that accepts TCP and then stalls
         * (a tarpit) is not helped by a retry; only a TCP connect that timed out is. A local port is
         * known only once TCP connected (CONNECT_TIME stays 0 when the TLS handshake stalls). */
        return (connect_us == 0 && local_port == 0) ? EX_FAIL_CONNECT_TIMEOUT : EX_FAIL_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_PEER_FAILED_VERIFICATION: return old_tls_error(msg) ? EX_FAIL_TLS_OLD : EX_FAIL_TLS;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
        /* Nothing at all came back: a URL-rewrite AbortRequest looks exactly like this (RD §2.1). */
        return status == 0 && h->hbuf.len == 0 ? EX_FAIL_ABORTED : EX_FAIL_PROTOCOL;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING: return EX_FAIL_PROTOCOL;
    default: return EX_FAIL_OTHER;
    }
}

/* "<kind>: <detail>", so that an error reads the same whatever curl said. */
static void describe(ex_fail f, const char *curl_msg, long tmo, bool legacy_tls, char *out, size_t n)
{
    const char *kind = ex_fail_name(f);
    switch (f) {
    case EX_FAIL_EXCLUDED:
        snprintf(out, n, "%s: refused: the address is excluded (or not loopback in a test)", kind);
        break;
    case EX_FAIL_HEADERS_TOO_BIG: snprintf(out, n, "%s: response headers larger than the limit: cut", kind); break;
    case EX_FAIL_BODY_TOO_BIG: snprintf(out, n, "%s: response body larger than the read limit: cut", kind); break;
    case EX_FAIL_TIMEOUT:
        if (strstr(curl_msg, "SSL") || strstr(curl_msg, "Connection timed out"))
            snprintf(out, n, "%s: connected, but the TLS handshake did not complete in time (%s)", kind, curl_msg);
        else
            snprintf(out, n, "%s: no complete answer within %ld ms (%s)", kind, tmo, curl_msg);
        break;
    case EX_FAIL_HOST_TIMEOUT:
        snprintf(out, n, "%s: the host's time budget of %ld ms (--host-timeout) ran out (%s)", kind, tmo, curl_msg);
        break;
    case EX_FAIL_ABORTED: snprintf(out, n, "%s: connection closed without a response (%s)", kind, curl_msg); break;
    case EX_FAIL_TLS_OLD:
        snprintf(out, n, "%s: the server offers only old TLS versions or ciphers (%s)%s", kind, curl_msg,
                 legacy_tls ? ", older than --legacy-tls reaches" : "; --legacy-tls allows them");
        break;
    case EX_FAIL_TLS:
        /* OpenSSL's "wrong version number": the first bytes back are no TLS record at all (junk, plain HTTP),
         * which no TLS version or --legacy-tls would read. */
        if (strstr(curl_msg, "wrong version number"))
            snprintf(out, n, "%s: the server's answer is not TLS (%s)", kind, curl_msg);
        else
            snprintf(out, n, "%s: %s", kind, curl_msg);
        break;
    default: snprintf(out, n, "%s: %s", kind, curl_msg); break;
    }
}

/* A page read once (the logon page, up to --max-body) need not stay allocated while the host waits for its
 * small answers: buffers are grown on demand and given back when large. */
static void shrink_buffers(host *h)
{
    if (h->bbuf.cap > SMALL_BUFFER)
        ex_buf_free(&h->bbuf);
    if (h->hbuf.cap > SMALL_BUFFER)
        ex_buf_free(&h->hbuf);
}

static void deliver(engine *e, host *h, CURLcode rc, const char *errbuf)
{
    long status = 0, httpv = 0, nconn = 0;
    char *ip = NULL;
    if (curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
        h->ci.connections += (unsigned)nconn;
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h->easy, CURLINFO_HTTP_VERSION, &httpv);
    /* Through a proxy, libcurl's primary IP is the proxy's: the target's address is then unknown here. */
    if (!e->o->proxy && curl_easy_getinfo(h->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && ip[0] && !h->ci.ip[0])
        ex_strlcpy(h->ci.ip, ip, sizeof h->ci.ip);
    const char *msg = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(rc);
    ex_fail f = classify(h, rc, status, msg);
    /* A request cut short by the host's budget, not by --timeout, ends the host with host-timeout. */
    if ((f == EX_FAIL_TIMEOUT || f == EX_FAIL_CONNECT_TIMEOUT) && h->request_tmo_ms < e->o->request_timeout_ms &&
        mono_ms() >= h->deadline)
        f = EX_FAIL_HOST_TIMEOUT;
    if (f == EX_FAIL_CONNECT_TIMEOUT && h->retries_left > 0) {
        h->retries_left--;
        h->ci.retries++;
        if (start_request(e, h) == 0)
            return;
    }
    if (status > 0)
        h->ci.http_version = httpv == CURL_HTTP_VERSION_2_0 ? 2 : 1;
    bool headers_ok = f == EX_FAIL_NONE || f == EX_FAIL_BODY_TOO_BIG || f == EX_FAIL_PROTOCOL;
    char text[320];
    describe(f, msg, f == EX_FAIL_HOST_TIMEOUT ? e->o->host_timeout_ms : h->request_tmo_ms, e->o->legacy_tls, text,
             sizeof text);
    ex_http_response r = {.status = headers_ok ? (int)status : 0,
                          .headers = h->hbuf.data,
                          .headers_len = headers_ok ? h->hbuf.len : 0,
                          .body = h->bbuf.data,
                          .body_len = h->bbuf.len,
                          .body_truncated = h->body_read > h->bbuf.len,
                          .fail = f,
                          .error = f == EX_FAIL_NONE ? "" : text};
    if (f == EX_FAIL_PROTOCOL && status == 0)
        r.status = 0;
    pthread_mutex_lock(&e->c->lock);
    e->c->ops->host_response(e->c->user, h->job, &r, &h->ci);
    pthread_mutex_unlock(&e->c->lock);
    shrink_buffers(h);
    advance(e, h);
}

static void drain_messages(engine *e)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        host *h = NULL;
        CURL *easy = m->easy_handle;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
        curl_multi_remove_handle(e->multi, easy);
        deliver(e, h, rc, h->errbuf);
    }
}

/* ---- the loop ----------------------------------------------------------------------------------- */

static void refill(common *c, int64_t now)
{
    if (c->o->rate <= 0)
        return;
    double burst = c->o->rate / 20 > 1 ? c->o->rate / 20 : 1;
    c->tokens += (double)(now - c->last_refill) * c->o->rate / 1000.0;
    if (c->tokens > burst)
        c->tokens = burst;
    c->last_refill = now;
}

/* The next target for this loop, under the lock: 1, or 0 when there is none now (exhausted, failed,
 * stopping, or no rate token). */
static int take_target(common *c, ex_endpoint *ep)
{
    refill(c, mono_ms());
    if (c->exhausted || c->failed || stop_level != 0 || (c->o->rate > 0 && c->tokens < 1))
        return 0;
    int r = c->ops->next_target(c->user, ep);
    if (r < 0) {
        c->failed = true;
        snprintf(c->err, c->errlen, "reading targets failed");
        return 0;
    }
    if (r == 0) {
        c->exhausted = c->st.exhausted = true;
        return 0;
    }
    if (c->o->rate > 0)
        c->tokens -= 1;
    return 1;
}

static void fill(engine *e)
{
    while (e->active < e->concurrency) {
        ex_endpoint ep;
        pthread_mutex_lock(&e->c->lock);
        int r = take_target(e->c, &ep);
        pthread_mutex_unlock(&e->c->lock);
        if (r == 0)
            return;
        start_host(e, &ep);
    }
}

static int wait_ms(engine *e)
{
    int64_t now = mono_ms(), w = TICK_MS;
    if (e->timer_at >= 0)
        w = e->timer_at - now < w ? e->timer_at - now : w;
    common *c = e->c;
    pthread_mutex_lock(&c->lock);
    if (c->o->rate > 0 && !c->exhausted && e->active < e->concurrency && c->tokens < 1) {
        int64_t need = (int64_t)((1 - c->tokens) * 1000.0 / c->o->rate) + 1;
        w = need < w ? need : w;
    }
    pthread_mutex_unlock(&c->lock);
    return w < 0 ? 0 : (int)w;
}

static bool finished(engine *e)
{
    pthread_mutex_lock(&e->c->lock);
    bool done = e->c->exhausted || e->c->failed;
    pthread_mutex_unlock(&e->c->lock);
    return e->active == 0 && (done || stop_level);
}

/* Whichever loop comes first after TICK_MS reports (a loop may run out of hosts before the others). */
static void tick(common *c, int64_t now)
{
    if (!c->ops->tick)
        return;
    pthread_mutex_lock(&c->lock);
    if (now - c->last_tick >= TICK_MS) {
        c->last_tick = now;
        c->st.elapsed_ms = now - c->t0;
        c->ops->tick(c->user, &c->st);
    }
    pthread_mutex_unlock(&c->lock);
}

static void cut_all(engine *e)
{
    /* Level 2: every transfer is ended; each host gets its result now. */
    while (e->hosts) {
        host *h = e->hosts;
        curl_multi_remove_handle(e->multi, h->easy);
        finish_host(e, h, true);
    }
}

static void *loop(void *arg)
{
    engine *e = arg;
    struct epoll_event evs[512];
    int running = 0;
    for (;;) {
        fill(e);
        if (stop_level >= 2)
            cut_all(e);
        if (finished(e))
            break;
        int n = epoll_wait(e->epfd, evs, (int)EX_ARRAY_LEN(evs), wait_ms(e));
        for (int i = 0; i < n; i++) {
            int flags = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                        ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                        ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(e->multi, evs[i].data.fd, flags, &running);
        }
        int64_t now = mono_ms();
        if (e->timer_at >= 0 && now >= e->timer_at) {
            e->timer_at = -1;
            curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        drain_messages(e);
        tick(e->c, now);
    }
    return NULL;
}

static int loop_open(engine *e, common *c, unsigned concurrency)
{
    *e = (engine){.c = c, .o = c->o, .timer_at = -1, .concurrency = concurrency};
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->multi = curl_multi_init();
    if (e->epfd < 0 || !e->multi)
        return -1;
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    /* Each host keeps its connections in its own share (closed when the host is done), so the multi's cache
     * only matters when a share could not be made. It counts connections in use too: below the concurrency,
     * every connection handed back between two requests of a host would be closed, losing keep-alive. */
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)concurrency * 2 + 16);
    return 0;
}

static void loop_close(engine *e)
{
    if (e->multi)
        curl_multi_cleanup(e->multi);
    if (e->epfd >= 0)
        close(e->epfd);
}

/* Threads in use: as asked (0 = one per processor), never more than hosts in flight. */
static unsigned loops_for(const ex_engine_opts *o)
{
    unsigned n = o->threads ? o->threads : ex_engine_default_threads();
    if (n > EX_ENGINE_MAX_THREADS)
        n = EX_ENGINE_MAX_THREADS;
    return n > o->concurrency ? (o->concurrency ? o->concurrency : 1) : n;
}

static void run_loops(engine *loops, unsigned n)
{
    unsigned started = 1;
    for (; started < n; started++)
        if (pthread_create(&loops[started].thread, NULL, loop, &loops[started]) != 0)
            break;
    /* A loop that could not get a thread gives its hosts to the others: the total stays as asked. */
    for (unsigned i = started; i < n; i++)
        loops[i % started].concurrency += loops[i].concurrency;
    loop(&loops[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(loops[i].thread, NULL);
}

int ex_engine_run(const ex_engine_opts *o, const ex_engine_ops *ops, void *user, char *err, size_t errlen)
{
    static bool global_done;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "libcurl initialisation failed");
            return -1;
        }
        global_done = true;
    }
    common c = {.o = o, .ops = ops, .user = user, .err = err, .errlen = errlen, .tokens = 1};
    pthread_mutex_init(&c.lock, NULL);
    c.t0 = c.last_refill = c.last_tick = mono_ms();
    for (size_t i = 0; o->resolve && o->resolve[i]; i++)
        c.resolve = curl_slist_append(c.resolve, o->resolve[i]);
    unsigned n = loops_for(o);
    engine loops[EX_ENGINE_MAX_THREADS];
    int rc = 0;
    for (unsigned i = 0; i < n; i++) {
        loops[i] = (engine){.epfd = -1};
        if (rc == 0 && loop_open(&loops[i], &c, o->concurrency / n + (i < o->concurrency % n)) != 0) {
            snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
            rc = -1;
        }
    }
    if (rc == 0) {
        run_loops(loops, n);
        if (ops->tick) {
            c.st.elapsed_ms = mono_ms() - c.t0;
            ops->tick(user, &c.st);
        }
    }
    for (unsigned i = 0; i < n; i++)
        loop_close(&loops[i]);
    curl_slist_free_all(c.resolve);
    pthread_mutex_destroy(&c.lock);
    return rc != 0 || c.failed ? -1 : 0;
}
