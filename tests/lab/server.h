/* server: the lab's event loop. One listening socket per worker (SO_REUSEPORT
 * when there are several), epoll, non-blocking sockets, OpenSSL; memory per
 * connection is bounded (one request head, one response or one stream chunk). */
#ifndef EXAUDIT_LAB_SERVER_H
#define EXAUDIT_LAB_SERVER_H

#include "lab.h"

typedef struct lab_listen_opts {
    uint32_t bind_addr; /* host order; 0 = wildcard (then only loopback destinations are served) */
    int port;           /* 0 = pick one */
    unsigned threads;
} lab_listen_opts;

/* Bind and listen on every worker's socket; returns the port or -1 (message on stderr). */
int lab_server_listen(const lab_listen_opts *o);
/* Run the workers until SIGTERM/SIGINT; returns 0 on a clean stop. */
int lab_server_run(const lab_fleet *f);
/* Raise RLIMIT_NOFILE to its hard limit; returns the new soft limit. */
long lab_raise_nofile(void);

#endif
