/* targets: scan inputs -> endpoints, as a stream.
 *
 * Accepted forms (one per argument or per line of a file or stdin):
 *   mail.example.com  mail.example.com:8443  192.0.2.7  192.0.2.7:8443
 *   2001:db8::7  [2001:db8::7]:8443  192.0.2.0/24  192.0.2.10-20  192.0.2.10-192.0.2.20
 *   2001:db8::/120  https://mail.example.com:8443/prefix  http://host/
 *   zmap output (one address per line), masscan -oL ("open tcp 443 192.0.2.7 1700000000")
 *   masscan -oJ (one JSON object per line, "[" / "]" lines and trailing commas ignored)
 * Lines starting with '#' and blank lines are skipped.
 *
 * Nothing is loaded whole: files are read line by line and ranges expand
 * lazily. Duplicates are dropped: a single endpoint costs one 64-bit hash in a
 * set, a range costs one interval (so a /8 does not cost 16 M entries). The
 * order of the stream is the input order, which makes --shard deterministic:
 * endpoint k (counted after exclusion and de-duplication) goes to shard k mod n. */
#ifndef EXAUDIT_TARGETS_H
#define EXAUDIT_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EX_HOST_MAX  256
#define EX_PATH_MAX  256
#define EX_LABEL_MAX 600
#define EX_MAX_PORTS 32
/* A target line longer than this is refused, not read into memory. */
#define EX_TARGET_LINE_MAX 4096
/* IPv6 ranges larger than this many addresses are refused (a /64 is not a scan). */
#define EX_V6_RANGE_MIN_PREFIX 104

typedef unsigned __int128 ex_u128;

/* An address as a 128-bit number; IPv4 is mapped to ::ffff:a.b.c.d. */
typedef struct ex_addr {
    ex_u128 v;
    int family; /* AF_INET or AF_INET6 */
} ex_addr;

int ex_addr_parse(const char *s, ex_addr *out); /* 0 or -1 */
void ex_addr_format(const ex_addr *a, char *buf, size_t n);
int ex_addr_from_sockaddr(const struct sockaddr *sa, ex_addr *out);

/* A set of address intervals (exclusions, ranges already emitted). */
typedef struct ex_ipset {
    struct ex_ipinterval {
        ex_u128 lo, hi;
    } * iv;
    size_t n, cap;
} ex_ipset;
int ex_ipset_add(ex_ipset *s, ex_u128 lo, ex_u128 hi); /* keeps the set sorted and merged */
bool ex_ipset_contains(const ex_ipset *s, ex_u128 v);
void ex_ipset_free(ex_ipset *s);

/* One thing to scan. */
typedef struct ex_endpoint {
    char host[EX_HOST_MAX]; /* name or address literal (IPv6 without brackets) */
    bool is_ip;
    ex_addr addr; /* when is_ip */
    uint16_t port;
    bool tls;                 /* https (default) or http */
    char path[EX_PATH_MAX];   /* base path prefix without trailing '/', "" for the root */
    char label[EX_LABEL_MAX]; /* the "target" of the output: host, or the base URL when http or a prefix */
} ex_endpoint;

/* Base URL "https://host:port/prefix" (IPv6 in brackets). */
void ex_endpoint_url(const ex_endpoint *e, const char *path, char *buf, size_t n);

/* One parsed input: a host name or an address range, with an optional port. */
typedef enum ex_spec_kind { EX_SPEC_NAME = 1, EX_SPEC_RANGE } ex_spec_kind;
typedef struct ex_target_spec {
    ex_spec_kind kind;
    char name[EX_HOST_MAX];
    ex_addr lo, hi; /* range (lo == hi for one address) */
    uint16_t port;  /* 0: use the default ports */
    bool tls;
    bool tls_given; /* the scheme was explicit */
    char path[EX_PATH_MAX];
} ex_target_spec;

/* Parse one target (no masscan/zmap line forms). 0, or -1 with a message. */
int ex_target_parse(const char *s, ex_target_spec *out, char *err, size_t errlen);
/* Parse one input line: 1 a spec, 0 nothing (comment, blank, masscan framing), -1 error. */
int ex_target_parse_line(const char *line, ex_target_spec *out, char *err, size_t errlen);
/* Number of addresses in a spec (names count 1), saturated. */
uint64_t ex_target_spec_size(const ex_target_spec *s);

typedef struct ex_targets_opts {
    uint16_t ports[EX_MAX_PORTS]; /* default ports; none given = 443 */
    size_t nports;
    bool default_tls;     /* scheme of inputs without one (true = https) */
    unsigned shard_index; /* 1-based; 0 = no sharding */
    unsigned shard_count;
    void (*warn)(void *ctx, const char *msg); /* bad input lines; may be NULL */
    void *warn_ctx;
} ex_targets_opts;

typedef struct ex_targets ex_targets;

ex_targets *ex_targets_new(const ex_targets_opts *o);
void ex_targets_free(ex_targets *t);
/* Inputs, consumed in the order added. A path of "-" is stdin. */
int ex_targets_add_arg(ex_targets *t, const char *spec, char *err, size_t errlen);
int ex_targets_add_file(ex_targets *t, const char *path, char *err, size_t errlen);
/* Exclusions: address, range, CIDR or host name. */
int ex_targets_exclude(ex_targets *t, const char *spec, char *err, size_t errlen);
int ex_targets_exclude_file(ex_targets *t, const char *path, char *err, size_t errlen);
const ex_ipset *ex_targets_excluded(const ex_targets *t);
/* Endpoints already done (resume): label + port. */
int ex_targets_skip(ex_targets *t, const char *label, unsigned port);
/* The next endpoint: 1, 0 at the end, -1 on an I/O error (message in err). */
int ex_targets_next(ex_targets *t, ex_endpoint *out, char *err, size_t errlen);
/* Estimated number of endpoints (before de-duplication, after sharding), or
 * -1 when an input cannot be counted ahead (stdin). Reads the files once. */
int64_t ex_targets_estimate(ex_targets *t);
/* Counters for the summary. */
typedef struct ex_targets_stats {
    uint64_t emitted, duplicates, excluded, resumed, other_shard, bad_lines;
} ex_targets_stats;
ex_targets_stats ex_targets_get_stats(const ex_targets *t);

/* A set of 64-bit keys (open addressing); used for de-duplication and resume. */
typedef struct ex_keyset {
    uint64_t *slots;
    size_t cap, count;
} ex_keyset;
bool ex_keyset_has(const ex_keyset *s, uint64_t k);
int ex_keyset_add(ex_keyset *s, uint64_t k); /* 1 added, 0 present, -1 out of memory */
void ex_keyset_free(ex_keyset *s);
uint64_t ex_hash64(const void *p, size_t n, uint64_t seed);

#endif
