/* server: epoll workers serving the fleet (see server.h).
 *
 * A connection goes through: accept (refused unless its local address is loopback and in the
 * fleet) -> TLS handshake (per-host certificate) -> read one request head -> build the answer
 * (handlers) -> write it, or stream it -> keep-alive or close. Tarpits and broken TLS never reach
 * TLS. Idle connections are closed after IIS's default connection timeout (2 minutes); tarpits
 * are not: they exist to make clients time out. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "handlers.h"
#include "http.h"
#include "tls.h"

#define MAX_WORKERS  16
#define IN_CAP       LAB_MAX_HEAD
#define STREAM_CHUNK 16384
#define IDLE_SECONDS 120

enum { ST_TARPIT, ST_BROKEN_TLS, ST_HANDSHAKE, ST_READ, ST_WRITE };
enum { IO_DONE, IO_PENDING, IO_CLOSED };

typedef struct worker worker;

typedef struct conn {
    int fd;
    SSL *ssl;
    worker *w;
    uint8_t state;
    bool close_after, reset_after;
    uint32_t events;
    size_t slot;
    time_t last;
    char *in;
    size_t in_len;
    uint64_t discard;
    ex_buf out;
    size_t out_off;
    lab_stream stream;
    uint64_t stream_left, stream_n;
    lab_host host;
} conn;

struct worker {
    int epfd, lfd, reserve_fd;
    const lab_fleet *fleet;
    lab_cert_cache certs;
    uint64_t seq;
    conn **conns;
    size_t nconns, cap;
    lab_req req;
    uint64_t accepted, refused_addr, refused_fleet, handshakes, resumed;
    pthread_t thread;
};

static worker workers[MAX_WORKERS];
static unsigned nworkers = 1;
static int stop_fd = -1;
static char listen_marker, stop_marker;

/* ---- connections ------------------------------------------------------------------------------- */

static void set_events(conn *c, uint32_t ev)
{
    if (c->events == ev)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

static void conn_free(conn *c, bool reset)
{
    worker *w = c->w;
    if (reset) {
        /* SO_LINGER 0: close sends RST (IIS AbortRequest, reset-mid-response). */
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else if (c->ssl && c->state != ST_HANDSHAKE) {
        SSL_shutdown(c->ssl); /* close_notify, best effort on a non-blocking socket */
    }
    if (c->ssl)
        SSL_free(c->ssl);
    ERR_clear_error();
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    w->conns[c->slot] = w->conns[--w->nconns];
    w->conns[c->slot]->slot = c->slot;
    free(c->in);
    ex_buf_free(&c->out);
    free(c);
}

static int ssl_cert_cb(SSL *ssl, void *arg)
{
    (void)arg;
    conn *c = SSL_get_app_data(ssl);
    return c && lab_tls_use_host(ssl, &c->w->certs, &c->host) == 0 ? 1 : 0;
}

static conn *conn_new(worker *w, int fd, uint32_t index)
{
    if (w->nconns == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        conn **p = realloc(w->conns, cap * sizeof *p);
        if (!p)
            return NULL;
        w->conns = p;
        w->cap = cap;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->w = w;
    c->last = time(NULL);
    c->out.max = 1u << 20;
    lab_host_get(w->fleet, index, &c->host);
    lab_kind k = c->host.persona->kind;
    uint32_t ev = EPOLLIN | EPOLLRDHUP;
    if (k == LAB_K_TARPIT) {
        c->state = ST_TARPIT;
    } else if (k == LAB_K_BROKEN_TLS) {
        c->state = ST_BROKEN_TLS;
    } else {
        c->ssl = SSL_new(lab_tls_ctx(k == LAB_K_OLD_TLS));
        if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
            SSL_free(c->ssl);
            free(c);
            return NULL;
        }
        SSL_set_app_data(c->ssl, c);
        c->state = ST_HANDSHAKE;
    }
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
        SSL_free(c->ssl);
        free(c);
        return NULL;
    }
    c->events = ev;
    c->slot = w->nconns;
    w->conns[w->nconns++] = c;
    return c;
}

/* ---- streaming generators -------------------------------------------------------------------------- */

static char *put_hex64(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4)
        *p++ = digits[(v >> shift) & 0xf];
    return p;
}

/* "X-Header-<n>: <48 hex digits>\r\n". Formatted by hand: a client that stops reading leaves megabytes of
 * socket buffer for the lab to fill, and printf made that most of the lab's CPU for 1 % of its hosts. */
static void endless_header_line(conn *c)
{
    char line[96], num[24], *p = line;
    uint64_t n = c->stream_n++, r = lab_mix64(c->host.rnd ^ n);
    size_t k = sizeof num;
    do
        num[--k] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    memcpy(p, "X-Header-", 9);
    p += 9;
    memcpy(p, num + k, sizeof num - k);
    p += sizeof num - k;
    *p++ = ':';
    *p++ = ' ';
    p = put_hex64(put_hex64(put_hex64(p, r), lab_mix64(r)), ~r);
    *p++ = '\r';
    *p++ = '\n';
    ex_buf_append(&c->out, line, (size_t)(p - line));
}

static void refill_stream(conn *c)
{
    ex_buf_reset(&c->out);
    c->out_off = 0;
    if (c->stream == LAB_STREAM_ENDLESS_HEADERS) {
        while (c->out.len < STREAM_CHUNK - 128)
            endless_header_line(c);
        return;
    }
    static const char line[] = "<!-- exaudit-lab huge-body padding: a scanner must stop reading long before this "
                               "ends -->\r\n";
    size_t want = c->stream_left < STREAM_CHUNK ? (size_t)c->stream_left : STREAM_CHUNK;
    while (c->out.len < want) {
        size_t k = sizeof line - 1;
        if (k > want - c->out.len)
            k = want - c->out.len;
        ex_buf_append(&c->out, line, k);
    }
    c->stream_left -= want;
    if (c->stream_left == 0)
        c->stream = LAB_STREAM_NONE;
}

/* ---- I/O --------------------------------------------------------------------------------------------- */

/* Write what is pending (and what the stream generates). */
static int do_write(conn *c)
{
    for (;;) {
        if (c->out_off >= c->out.len) {
            if (c->stream == LAB_STREAM_NONE)
                break;
            refill_stream(c);
            if (c->out.len == 0)
                break;
        }
        ERR_clear_error();
        int n = SSL_write(c->ssl, c->out.data + c->out_off, (int)(c->out.len - c->out_off));
        if (n > 0) {
            c->out_off += (size_t)n;
            c->last = time(NULL);
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
            set_events(c, e == SSL_ERROR_WANT_WRITE ? EPOLLOUT | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP);
            return IO_PENDING;
        }
        conn_free(c, false); /* the client went away: stop streaming */
        return IO_CLOSED;
    }
    ex_buf_free(&c->out);
    c->out = (ex_buf){.max = 1u << 20};
    c->out_off = 0;
    if (c->reset_after || c->close_after) {
        conn_free(c, c->reset_after);
        return IO_CLOSED;
    }
    c->state = ST_READ;
    set_events(c, EPOLLIN | EPOLLRDHUP);
    return IO_DONE;
}

static void error_response(lab_resp *r, int status)
{
    const char *reason = status == 414   ? "URI Too Long"
                         : status == 431 ? "Request Header Fields Too Large"
                         : status == 505 ? "HTTP Version Not Supported"
                                         : "Bad Request";
    lab_resp_status(r, status, reason);
    lab_resp_header(r, "Content-Type", "text/html; charset=us-ascii");
    lab_resp_header(r, "Server", "Microsoft-HTTPAPI/2.0");
    lab_resp_bodyf(r,
                   "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n"
                   "<HTML><HEAD><TITLE>%s</TITLE></HEAD><BODY><h2>%s</h2></BODY></HTML>\r\n",
                   reason, reason);
    r->close = true;
}

/* Build the answer to the request at the head of c->in (head_len bytes, or a parse error). */
static int answer(conn *c, int parsed)
{
    worker *w = c->w;
    lab_resp r;
    lab_resp_init(&r);
    bool keepalive = false;
    if (parsed < 0) {
        error_response(&r, -parsed);
        c->in_len = 0;
    } else {
        const lab_req *req = &w->req;
        memmove(c->in, c->in + parsed, c->in_len - (size_t)parsed);
        c->in_len -= (size_t)parsed;
        keepalive = lab_req_keepalive(req);
        if (req->chunked || req->content_length > LAB_MAX_BODY_DISCARD)
            keepalive = false; /* the body is not read: close after answering */
        else
            c->discard = req->content_length;
        lab_ctx ctx = {.host = &c->host, .req = req, .seq = ++w->seq};
        lab_handle(&ctx, &r);
    }
    if (r.abort) {
        lab_resp_free(&r);
        conn_free(c, true);
        return IO_CLOSED;
    }
    ex_buf_reset(&c->out);
    if (lab_resp_serialize(&r, keepalive, &c->out) != 0) {
        lab_resp_free(&r);
        conn_free(c, true);
        return IO_CLOSED;
    }
    c->out_off = 0;
    c->close_after = !keepalive || r.close;
    c->stream = r.stream;
    c->stream_left = r.stream_len;
    if (r.truncate && r.truncate < c->out.len) {
        c->out.len = r.truncate;
        c->reset_after = true;
    }
    lab_resp_free(&r);
    c->state = ST_WRITE;
    return do_write(c);
}

/* Handle every complete request in the input buffer. Returns IO_CLOSED when c is gone. */
static int process_input(conn *c)
{
    while (c->state == ST_READ) {
        if (c->discard) {
            size_t k = c->discard < c->in_len ? (size_t)c->discard : c->in_len;
            memmove(c->in, c->in + k, c->in_len - k);
            c->in_len -= k;
            c->discard -= k;
            if (c->discard)
                return IO_DONE;
        }
        if (c->in_len == 0) {
            free(c->in); /* idle keep-alive connections hold no buffer */
            c->in = NULL;
            return IO_DONE;
        }
        int rc = lab_http_parse(c->in, c->in_len, &c->w->req);
        if (rc == LAB_PARSE_MORE && c->in_len < IN_CAP)
            return IO_DONE;
        if (rc == LAB_PARSE_MORE)
            rc = LAB_PARSE_TOO_LARGE;
        int io = answer(c, rc);
        if (io != IO_DONE)
            return io;
    }
    return IO_PENDING;
}

static void do_read(conn *c)
{
    bool eof = false;
    if (!c->in && !(c->in = malloc(IN_CAP))) {
        conn_free(c, true);
        return;
    }
    while (c->in_len < IN_CAP) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, c->in + c->in_len, (int)(IN_CAP - c->in_len));
        if (n > 0) {
            c->in_len += (size_t)n;
            c->last = time(NULL);
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_WANT_WRITE) {
            set_events(c, EPOLLOUT | EPOLLRDHUP);
            break;
        }
        eof = true; /* the client closed (or broke) its side: answer what it sent, then close */
        break;
    }
    if (process_input(c) == IO_CLOSED || !eof)
        return;
    if (c->state == ST_WRITE)
        c->close_after = true;
    else
        conn_free(c, false);
}

static void do_handshake(conn *c)
{
    ERR_clear_error();
    int rc = SSL_accept(c->ssl);
    if (rc == 1) {
        c->w->handshakes++;
        c->w->resumed += SSL_session_reused(c->ssl) == 1;
        c->state = ST_READ;
        set_events(c, EPOLLIN | EPOLLRDHUP);
        do_read(c);
        return;
    }
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        set_events(c, EPOLLIN | EPOLLRDHUP);
    else if (e == SSL_ERROR_WANT_WRITE)
        set_events(c, EPOLLOUT | EPOLLRDHUP);
    else
        conn_free(c, false); /* e.g. a client without TLS 1.0 at the old-tls persona */
}

/* A tarpit reads and forgets, and never writes. */
static void tarpit_read(conn *c)
{
    char sink[4096];
    ssize_t n = read(c->fd, sink, sizeof sink);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        conn_free(c, false);
}

/* Broken TLS: once the ClientHello arrives, garbage instead of a ServerHello, then close. The first
 * byte is no TLS content type, so a client fails at once instead of waiting for more. */
static void broken_tls_read(conn *c)
{
    char sink[4096];
    ssize_t n = read(c->fd, sink, sizeof sink);
    if (n > 0) {
        unsigned char junk[96];
        uint64_t r = c->host.rnd;
        for (size_t i = 0; i < sizeof junk; i++) {
            r = lab_mix64(r);
            junk[i] = (unsigned char)r;
        }
        junk[0] = 0xff;
        ssize_t wr = write(c->fd, junk, sizeof junk);
        (void)wr;
    }
    if (n >= 0 || (errno != EAGAIN && errno != EINTR))
        conn_free(c, false);
}

static void conn_event(conn *c, uint32_t ev)
{
    switch (c->state) {
    case ST_TARPIT: tarpit_read(c); return;
    case ST_BROKEN_TLS: broken_tls_read(c); return;
    case ST_HANDSHAKE: do_handshake(c); return;
    case ST_WRITE:
        if (do_write(c) == IO_DONE)
            (void)process_input(c);
        return;
    default:
        if (ev & (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            do_read(c);
    }
}

/* ---- accepting ---------------------------------------------------------------------------------------- */

static void reject(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void accept_all(worker *w)
{
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && w->reserve_fd >= 0) {
                /* Out of descriptors: shed this one rather than spin on the listener. */
                close(w->reserve_fd);
                int victim = accept(w->lfd, NULL, NULL);
                if (victim >= 0)
                    reject(victim);
                w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            return;
        }
        struct sockaddr_storage local;
        socklen_t len = sizeof local;
        if (getsockname(fd, (struct sockaddr *)&local, &len) != 0 ||
            !lab_addr_is_loopback((struct sockaddr *)&local, len)) {
            w->refused_addr++;
            reject(fd);
            continue;
        }
        long index = local.ss_family == AF_INET
                         ? lab_fleet_index(w->fleet, ntohl(((struct sockaddr_in *)&local)->sin_addr.s_addr))
                         : -1;
        if (index < 0) {
            w->refused_fleet++;
            reject(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        w->accepted++;
        if (!conn_new(w, fd, (uint32_t)index))
            reject(fd);
    }
}

static void sweep_idle(worker *w, time_t now)
{
    for (size_t i = 0; i < w->nconns;) {
        conn *c = w->conns[i];
        if (c->state != ST_TARPIT && now - c->last > IDLE_SECONDS)
            conn_free(c, false); /* moves the last connection into slot i */
        else
            i++;
    }
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    struct epoll_event evs[256];
    time_t last_sweep = time(NULL);
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 256, 1000);
        if (n < 0 && errno != EINTR)
            break;
        bool stop = false;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &listen_marker)
                accept_all(w);
            else if (p == &stop_marker)
                stop = true;
            else
                conn_event(p, evs[i].events);
        }
        if (stop)
            break;
        time_t now = time(NULL);
        if (now - last_sweep >= 5) {
            sweep_idle(w, now);
            last_sweep = now;
        }
    }
    while (w->nconns)
        conn_free(w->conns[0], false);
    return NULL;
}

/* ---- set-up ------------------------------------------------------------------------------------------ */

long lab_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

static int open_listener(uint32_t addr, int port, bool reuseport)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (addr == 0) {
        /* Defence in depth: only packets that arrive on the loopback device reach a socket bound
         * to "lo" (needs CAP_NET_RAW on older kernels: best effort). The accept-time address check
         * is the rule; this keeps the port closed to the network as well. */
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(addr)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4096) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int lab_server_listen(const lab_listen_opts *o)
{
    nworkers = o->threads ? o->threads : 1;
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    int port = o->port;
    for (unsigned i = 0; i < nworkers; i++) {
        int fd = open_listener(o->bind_addr, port, nworkers > 1);
        if (fd < 0) {
            fprintf(stderr, "exaudit-lab: cannot listen on port %d: %s\n", port, strerror(errno));
            return -1;
        }
        if (port == 0) {
            struct sockaddr_in sa;
            socklen_t len = sizeof sa;
            getsockname(fd, (struct sockaddr *)&sa, &len);
            port = ntohs(sa.sin_port);
        }
        workers[i].lfd = fd;
    }
    return port;
}

static void on_signal(int sig)
{
    (void)sig;
    uint64_t one = 1;
    ssize_t n = write(stop_fd, &one, sizeof one);
    (void)n;
}

static int worker_setup(worker *w, const lab_fleet *f)
{
    w->fleet = f;
    w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return -1;
    struct epoll_event l = {.events = EPOLLIN, .data.ptr = &listen_marker};
    struct epoll_event s = {.events = EPOLLIN, .data.ptr = &stop_marker};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &l) != 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, stop_fd, &s) != 0)
        return -1;
    return 0;
}

static void worker_teardown(worker *w)
{
    close(w->lfd);
    close(w->epfd);
    if (w->reserve_fd >= 0)
        close(w->reserve_fd);
    lab_tls_cache_free(&w->certs);
    free(w->conns);
}

int lab_server_run(const lab_fleet *f)
{
    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0 || lab_tls_init(ssl_cert_cb) != 0) {
        fprintf(stderr, "exaudit-lab: TLS or event set-up failed\n");
        return -1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (unsigned i = 0; i < nworkers; i++)
        if (worker_setup(&workers[i], f) != 0) {
            fprintf(stderr, "exaudit-lab: epoll set-up failed: %s\n", strerror(errno));
            return -1;
        }
    for (unsigned i = 1; i < nworkers; i++)
        pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]);
    worker_run(&workers[0]);
    uint64_t accepted = 0, refused = 0, outside = 0, handshakes = 0, resumed = 0;
    for (unsigned i = 0; i < nworkers; i++) {
        if (i > 0)
            pthread_join(workers[i].thread, NULL);
        accepted += workers[i].accepted;
        refused += workers[i].refused_addr;
        outside += workers[i].refused_fleet;
        handshakes += workers[i].handshakes;
        resumed += workers[i].resumed;
    }
    for (unsigned i = 0; i < nworkers; i++)
        worker_teardown(&workers[i]);
    lab_tls_free();
    close(stop_fd);
    fprintf(stderr,
            "exaudit-lab: stopped; %llu connections served, %llu refused (not loopback), %llu outside the fleet; "
            "%llu TLS handshakes, %llu of them resumed sessions\n",
            (unsigned long long)accepted, (unsigned long long)refused, (unsigned long long)outside,
            (unsigned long long)handshakes, (unsigned long long)resumed);
    return 0;
}
