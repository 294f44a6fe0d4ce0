/* targets: see targets.h. */
#include "targets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- small helpers ---------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* 64-bit FNV-1a followed by a final avalanche (splitmix64), good enough for
 * de-duplication keys: no adversary chooses our inputs' hash seeds. */
uint64_t ex_hash64(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h ? h : 1; /* 0 marks an empty slot */
}

bool ex_keyset_has(const ex_keyset *s, uint64_t k)
{
    if (!s->cap)
        return false;
    k = k ? k : 1;
    for (size_t i = k & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == 0)
            return false;
        if (s->slots[i] == k)
            return true;
    }
}

static int keyset_grow(ex_keyset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    uint64_t *n = calloc(ncap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t k = s->slots[i];
        if (!k)
            continue;
        size_t j = k & (ncap - 1);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = k;
    }
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 0;
}

int ex_keyset_add(ex_keyset *s, uint64_t k)
{
    k = k ? k : 1;
    if ((s->count + 1) * 2 > s->cap && keyset_grow(s) != 0)
        return -1;
    size_t i = k & (s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == k)
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = k;
    s->count++;
    return 1;
}

void ex_keyset_free(ex_keyset *s)
{
    free(s->slots);
    *s = (ex_keyset){0};
}

/* ---- addresses -------------------------------------------------------------------- */

static const ex_u128 V4_MAPPED = (ex_u128)0xffff << 32;

int ex_addr_parse(const char *s, ex_addr *out)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        out->family = AF_INET;
        out->v = V4_MAPPED | ntohl(a4.s_addr);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        out->family = AF_INET6;
        out->v = 0;
        for (int i = 0; i < 16; i++)
            out->v = (out->v << 8) | a6.s6_addr[i];
        return 0;
    }
    return -1;
}

void ex_addr_format(const ex_addr *a, char *buf, size_t n)
{
    if (a->family == AF_INET) {
        struct in_addr a4 = {.s_addr = htonl((uint32_t)a->v)};
        inet_ntop(AF_INET, &a4, buf, (socklen_t)n);
        return;
    }
    struct in6_addr a6;
    for (int i = 15; i >= 0; i--)
        a6.s6_addr[i] = (uint8_t)(a->v >> (8 * (15 - i)));
    inet_ntop(AF_INET6, &a6, buf, (socklen_t)n);
}

int ex_addr_from_sockaddr(const struct sockaddr *sa, ex_addr *out)
{
    char buf[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    else
        return -1;
    /* An IPv4-mapped IPv6 socket address is the IPv4 address. */
    if (ex_addr_parse(buf, out) != 0)
        return -1;
    if (out->family == AF_INET6 && (out->v >> 32) == 0xffff)
        out->family = AF_INET;
    return 0;
}

/* ---- interval sets ------------------------------------------------------------------ */

static size_t ipset_lower(const ex_ipset *s, ex_u128 v)
{
    size_t lo = 0, hi = s->n; /* first interval with hi >= v */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->iv[mid].hi < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool ex_ipset_contains(const ex_ipset *s, ex_u128 v)
{
    size_t i = ipset_lower(s, v);
    return i < s->n && s->iv[i].lo <= v;
}

int ex_ipset_add(ex_ipset *s, ex_u128 lo, ex_u128 hi)
{
    size_t i = ipset_lower(s, lo ? lo - 1 : 0); /* first that may touch or overlap */
    size_t j = i;
    while (j < s->n && (hi == (ex_u128)-1 || s->iv[j].lo <= hi + 1)) {
        lo = s->iv[j].lo < lo ? s->iv[j].lo : lo;
        hi = s->iv[j].hi > hi ? s->iv[j].hi : hi;
        j++;
    }
    if (j == i) { /* no merge: insert */
        if (s->n == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 16;
            void *p = realloc(s->iv, ncap * sizeof *s->iv);
            if (!p)
                return -1;
            s->iv = p;
            s->cap = ncap;
        }
        memmove(&s->iv[i + 1], &s->iv[i], (s->n - i) * sizeof *s->iv);
        s->n++;
    } else if (j > i + 1) {
        memmove(&s->iv[i + 1], &s->iv[j], (s->n - j) * sizeof *s->iv);
        s->n -= j - i - 1;
    }
    s->iv[i].lo = lo;
    s->iv[i].hi = hi;
    return 0;
}

void ex_ipset_free(ex_ipset *s)
{
    free(s->iv);
    *s = (ex_ipset){0};
}

/* ---- parsing one target -------------------------------------------------------------- */

static bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
        return false;
    bool alpha = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return false;
        alpha |= isalpha(c) || c == '-' || c == '_';
    }
    return alpha; /* all digits and dots is a bad address, not a name */
}

static int parse_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 1 || v > 65535)
        return fail(err, errlen, "bad port '%s'", s);
    *port = (uint16_t)v;
    return 0;
}

static int parse_cidr(const char *s, ex_target_spec *o, char *err, size_t errlen)
{
    char a[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    if ((size_t)(slash - s) >= sizeof a)
        return fail(err, errlen, "bad network '%s'", s);
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    if (ex_addr_parse(a, &o->lo) != 0)
        return fail(err, errlen, "bad network address '%s'", a);
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    int max = o->lo.family == AF_INET ? 32 : 128;
    if (!slash[1] || *end || bits < 0 || bits > max)
        return fail(err, errlen, "bad prefix length in '%s'", s);
    if (o->lo.family == AF_INET6 && bits < EX_V6_RANGE_MIN_PREFIX)
        return fail(err, errlen, "IPv6 network '%s' is too large (prefix shorter than /%d)", s, EX_V6_RANGE_MIN_PREFIX);
    int host_bits = max - (int)bits;
    ex_u128 mask = host_bits >= 128 ? (ex_u128)-1 : (((ex_u128)1 << host_bits) - 1);
    o->hi = o->lo;
    o->lo.v &= ~mask;
    o->hi.v = o->lo.v | mask;
    if (o->lo.family == AF_INET) { /* keep the ::ffff: prefix */
        o->lo.v |= V4_MAPPED;
        o->hi.v = (o->hi.v & 0xffffffffu) | V4_MAPPED;
    }
    o->kind = EX_SPEC_RANGE;
    return 0;
}

/* 192.0.2.10-20 or 192.0.2.10-192.0.2.20 */
static int parse_dash_range(const char *s, const char *dash, ex_target_spec *o, char *err, size_t errlen)
{
    char a[INET_ADDRSTRLEN + 1];
    if ((size_t)(dash - s) >= sizeof a)
        return 1;
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = '\0';
    if (ex_addr_parse(a, &o->lo) != 0 || o->lo.family != AF_INET)
        return 1; /* not a range: maybe a host name with a dash */
    o->hi = o->lo;
    if (strchr(dash + 1, '.')) {
        if (ex_addr_parse(dash + 1, &o->hi) != 0 || o->hi.family != AF_INET)
            return fail(err, errlen, "bad range end in '%s'", s);
    } else {
        char *end;
        long last = strtol(dash + 1, &end, 10);
        if (!dash[1] || *end || last < 0 || last > 255)
            return fail(err, errlen, "bad range end in '%s'", s);
        o->hi.v = (o->lo.v & ~(ex_u128)0xff) | (ex_u128)last;
    }
    if (o->hi.v < o->lo.v)
        return fail(err, errlen, "range '%s' ends before it starts", s);
    o->kind = EX_SPEC_RANGE;
    return 0;
}

/* host, host:port, v4, v4:port, v6, [v6], [v6]:port, CIDR, dash range. */
static int parse_authority(const char *s, ex_target_spec *o, char *err, size_t errlen)
{
    char host[EX_HOST_MAX];
    const char *port = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            return fail(err, errlen, "bad bracketed address '%s'", s);
        hl = (size_t)(close - s - 1);
        if (hl >= sizeof host)
            return fail(err, errlen, "address too long");
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port = close + 2;
        if (ex_addr_parse(host, &o->lo) != 0 || o->lo.family != AF_INET6)
            return fail(err, errlen, "bad IPv6 address '%s'", host);
        o->hi = o->lo;
        o->kind = EX_SPEC_RANGE;
        return port ? parse_port(port, &o->port, err, errlen) : 0;
    }
    if (strchr(s, '/'))
        return parse_cidr(s, o, err, errlen);
    const char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) { /* bare IPv6 */
        if (ex_addr_parse(s, &o->lo) != 0)
            return fail(err, errlen, "bad IPv6 address '%s'", s);
        o->hi = o->lo;
        o->kind = EX_SPEC_RANGE;
        return 0;
    }
    hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return fail(err, errlen, "bad host '%s'", s);
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (colon && parse_port(colon + 1, &o->port, err, errlen) != 0)
        return -1;
    const char *dash = strchr(host, '-');
    if (dash) {
        int r = parse_dash_range(host, host + (dash - host), o, err, errlen);
        if (r <= 0)
            return r;
    }
    if (ex_addr_parse(host, &o->lo) == 0) {
        o->hi = o->lo;
        o->kind = EX_SPEC_RANGE;
        return 0;
    }
    if (!valid_hostname(host))
        return fail(err, errlen, "'%s' is neither an address nor a host name", host);
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ex_strlcpy(o->name, host, sizeof o->name);
    o->kind = EX_SPEC_NAME;
    return 0;
}

static int parse_url(const char *s, const char *sep, ex_target_spec *o, char *err, size_t errlen)
{
    size_t sl = (size_t)(sep - s);
    if (sl == 5 && strncasecmp(s, "https", 5) == 0)
        o->tls = true;
    else if (sl == 4 && strncasecmp(s, "http", 4) == 0)
        o->tls = false;
    else
        return fail(err, errlen, "unsupported scheme in '%s' (http or https)", s);
    o->tls_given = true;
    const char *auth = sep + 3;
    size_t al = strcspn(auth, "/?#");
    char a[EX_HOST_MAX + 16];
    if (al == 0 || al >= sizeof a)
        return fail(err, errlen, "bad URL '%s'", s);
    memcpy(a, auth, al);
    a[al] = '\0';
    if (strchr(a, '@'))
        return fail(err, errlen, "credentials in URLs are not used: '%s'", s);
    if (strchr(a, '/') || (strchr(a, '-') && !strchr(a, ':') && ex_addr_parse(a, &o->lo) != 0 && !valid_hostname(a)))
        return fail(err, errlen, "bad URL host '%s'", a);
    if (parse_authority(a, o, err, errlen) != 0)
        return -1;
    if (o->kind == EX_SPEC_RANGE && o->lo.v != o->hi.v)
        return fail(err, errlen, "a URL names one host, not a range: '%s'", s);
    const char *path = auth + al;
    size_t pl = strcspn(path, "?#");
    while (pl && path[pl - 1] == '/')
        pl--;
    if (pl >= sizeof o->path)
        return fail(err, errlen, "URL path too long");
    memcpy(o->path, path, pl);
    o->path[pl] = '\0';
    for (size_t i = 0; i < pl; i++)
        if ((unsigned char)o->path[i] <= ' ' || o->path[i] == '"' || (unsigned char)o->path[i] >= 0x7f)
            return fail(err, errlen, "bad character in URL path");
    return 0;
}

int ex_target_parse(const char *in, ex_target_spec *o, char *err, size_t errlen)
{
    char s[EX_TARGET_LINE_MAX];
    *o = (ex_target_spec){.tls = true};
    while (isspace((unsigned char)*in))
        in++;
    size_t n = strlen(in);
    while (n && isspace((unsigned char)in[n - 1]))
        n--;
    if (n == 0)
        return fail(err, errlen, "empty target");
    if (n >= sizeof s)
        return fail(err, errlen, "target too long");
    memcpy(s, in, n);
    s[n] = '\0';
    const char *sep = strstr(s, "://");
    if (sep)
        return parse_url(s, sep, o, err, errlen);
    return parse_authority(s, o, err, errlen);
}

/* masscan -oJ: {"ip": "192.0.2.7", "timestamp": "...", "ports": [{"port": 443, ...}]}, */
static int parse_masscan_json(const char *line, ex_target_spec *o, char *err, size_t errlen)
{
    size_t n = strlen(line);
    while (n && (isspace((unsigned char)line[n - 1]) || line[n - 1] == ','))
        n--;
    json_error_t je;
    json_t *j = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (strstr(line, "finished")) /* masscan's closing {finished: 1} is not JSON */
            return 0;
        return fail(err, errlen, "bad masscan JSON line: %s", je.text);
    }
    const char *ip = json_string_value(json_object_get(j, "ip"));
    json_t *first = json_array_get(json_object_get(j, "ports"), 0);
    json_t *port = json_object_get(first, "port");
    const char *status = json_string_value(json_object_get(first, "status"));
    int r = -1;
    if (status && strcmp(status, "open") != 0)
        r = 0; /* a closed port (masscan --show closed), as for -oL */
    else if (!ip)
        fail(err, errlen, "masscan JSON line without \"ip\"");
    else if (ex_target_parse(ip, o, err, errlen) == 0 && o->kind == EX_SPEC_RANGE) {
        r = 1;
        if (json_is_integer(port)) {
            json_int_t p = json_integer_value(port);
            if (p < 1 || p > 65535)
                r = fail(err, errlen, "bad masscan port");
            o->port = (uint16_t)p;
        }
    }
    json_decref(j);
    return r;
}

int ex_target_parse_line(const char *line, ex_target_spec *o, char *err, size_t errlen)
{
    while (isspace((unsigned char)*line))
        line++;
    /* masscan 1.3 -oJ writes ",\n" before every record but the first: a lone comma is punctuation. */
    if (!*line || *line == '#' ||
        ((*line == '[' || *line == ']' || *line == ',') && line[1 + strspn(line + 1, " \t\r\n,")] == '\0'))
        return 0;
    if (*line == '{')
        return parse_masscan_json(line, o, err, errlen);
    char status[16], proto[8], ip[INET6_ADDRSTRLEN];
    unsigned port;
    /* masscan -oL: "open tcp 443 192.0.2.7 1700000000" */
    if (sscanf(line, "%15s %7s %u %45s", status, proto, &port, ip) == 4 && strcmp(proto, "tcp") == 0) {
        if (strcmp(status, "open") != 0)
            return 0;
        if (ex_target_parse(ip, o, err, errlen) != 0 || o->kind != EX_SPEC_RANGE)
            return -1;
        if (port < 1 || port > 65535)
            return fail(err, errlen, "bad masscan port");
        o->port = (uint16_t)port;
        return 1;
    }
    return ex_target_parse(line, o, err, errlen) == 0 ? 1 : -1;
}

uint64_t ex_target_spec_size(const ex_target_spec *s)
{
    if (s->kind == EX_SPEC_NAME)
        return 1;
    ex_u128 d = s->hi.v - s->lo.v;
    return d >= (ex_u128)UINT64_MAX ? UINT64_MAX : (uint64_t)d + 1;
}

/* ---- endpoints ------------------------------------------------------------------------- */

void ex_endpoint_url(const ex_endpoint *e, const char *path, char *buf, size_t n)
{
    bool v6 = e->is_ip && e->addr.family == AF_INET6;
    snprintf(buf, n, "%s://%s%s%s:%u%s%s", e->tls ? "https" : "http", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port,
             e->path, path ? path : "");
}

static void make_label(ex_endpoint *e)
{
    bool plain = e->tls && !e->path[0];
    if (plain) {
        ex_strlcpy(e->label, e->host, sizeof e->label);
        return;
    }
    ex_endpoint_url(e, "", e->label, sizeof e->label);
}

static uint64_t endpoint_key(const ex_endpoint *e)
{
    char k[EX_LABEL_MAX + 16];
    int n = snprintf(k, sizeof k, "%s|%u", e->label, e->port);
    return ex_hash64(k, (size_t)n, 0x7a);
}

/* ---- the stream ---------------------------------------------------------------------------- */

typedef struct input {
    bool is_file;
    char *text;
} input;

/* Ranges already emitted, per (scheme, port, path). */
typedef struct range_group {
    uint64_t key;
    ex_ipset set;
} range_group;

struct ex_targets {
    ex_targets_opts o;
    input *inputs;
    size_t ninputs, capinputs, cur;
    FILE *fp;
    bool fp_is_stdin;
    unsigned long lineno;
    /* the spec being expanded */
    bool have_spec;
    ex_target_spec spec;
    ex_u128 next_addr;
    size_t port_idx;
    /* filters */
    ex_keyset seen, done, excluded_names;
    ex_ipset excluded;
    range_group *groups;
    size_t ngroups;
    uint64_t index; /* after exclusion and de-duplication: the shard counter */
    ex_targets_stats st;
};

ex_targets *ex_targets_new(const ex_targets_opts *o)
{
    ex_targets *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->o = *o;
    if (!t->o.nports) {
        t->o.ports[0] = 443;
        t->o.nports = 1;
    }
    return t;
}

void ex_targets_free(ex_targets *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ninputs; i++)
        free(t->inputs[i].text);
    free(t->inputs);
    if (t->fp && !t->fp_is_stdin)
        fclose(t->fp);
    ex_keyset_free(&t->seen);
    ex_keyset_free(&t->done);
    ex_keyset_free(&t->excluded_names);
    ex_ipset_free(&t->excluded);
    for (size_t i = 0; i < t->ngroups; i++)
        ex_ipset_free(&t->groups[i].set);
    free(t->groups);
    free(t);
}

static int push_input(ex_targets *t, bool is_file, const char *text)
{
    if (t->ninputs == t->capinputs) {
        size_t nc = t->capinputs ? t->capinputs * 2 : 8;
        void *p = realloc(t->inputs, nc * sizeof *t->inputs);
        if (!p)
            return -1;
        t->inputs = p;
        t->capinputs = nc;
    }
    char *d = strdup(text);
    if (!d)
        return -1;
    t->inputs[t->ninputs++] = (input){is_file, d};
    return 0;
}

int ex_targets_add_arg(ex_targets *t, const char *spec, char *err, size_t errlen)
{
    ex_target_spec s;
    if (ex_target_parse(spec, &s, err, errlen) != 0) /* bad arguments are usage errors, found early */
        return -1;
    return push_input(t, false, spec) ? fail(err, errlen, "out of memory") : 0;
}

int ex_targets_add_file(ex_targets *t, const char *path, char *err, size_t errlen)
{
    return push_input(t, true, path) ? fail(err, errlen, "out of memory") : 0;
}

static int exclude_spec(ex_targets *t, const ex_target_spec *s)
{
    if (s->kind == EX_SPEC_NAME)
        return ex_keyset_add(&t->excluded_names, ex_hash64(s->name, strlen(s->name), 0x5e)) < 0 ? -1 : 0;
    return ex_ipset_add(&t->excluded, s->lo.v, s->hi.v);
}

int ex_targets_exclude(ex_targets *t, const char *spec, char *err, size_t errlen)
{
    char buf[EX_TARGET_LINE_MAX];
    ex_strlcpy(buf, spec, sizeof buf);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        ex_target_spec s;
        if (ex_target_parse(tok, &s, err, errlen) != 0)
            return -1;
        if (exclude_spec(t, &s) != 0)
            return fail(err, errlen, "out of memory");
    }
    return 0;
}

/* Read one line into buf; an overlong line is skipped whole (returns 2). */
static int read_line(FILE *fp, char *buf, size_t n)
{
    if (!fgets(buf, (int)n, fp))
        return 0;
    size_t l = strlen(buf);
    if (l == n - 1 && buf[l - 1] != '\n' && !feof(fp)) {
        int c;
        while ((c = getc(fp)) != EOF && c != '\n')
            ;
        return 2;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 1;
}

static FILE *open_input(const char *path, bool *is_stdin, char *err, size_t errlen)
{
    *is_stdin = strcmp(path, "-") == 0;
    if (*is_stdin)
        return stdin;
    int fd = ex_open_readonly(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!fp)
        fail(err, errlen, "%s: %s", path, strerror(errno));
    return fp;
}

int ex_targets_exclude_file(ex_targets *t, const char *path, char *err, size_t errlen)
{
    bool is_stdin;
    FILE *fp = open_input(path, &is_stdin, err, errlen);
    if (!fp)
        return -1;
    char line[EX_TARGET_LINE_MAX], e2[256];
    unsigned long no = 0;
    int r, rc = 0;
    while (rc == 0 && (r = read_line(fp, line, sizeof line)) > 0) {
        ex_target_spec s;
        no++;
        int p = r == 2 ? fail(e2, sizeof e2, "line too long") : ex_target_parse_line(line, &s, e2, sizeof e2);
        if (p < 0)
            rc = fail(err, errlen, "%s:%lu: %s", path, no, e2);
        else if (p > 0 && exclude_spec(t, &s) != 0)
            rc = fail(err, errlen, "out of memory");
    }
    if (!is_stdin)
        fclose(fp);
    return rc;
}

const ex_ipset *ex_targets_excluded(const ex_targets *t)
{
    return &t->excluded;
}

int ex_targets_skip(ex_targets *t, const char *label, unsigned port)
{
    char k[EX_LABEL_MAX + 16];
    int n = snprintf(k, sizeof k, "%s|%u", label, port);
    return ex_keyset_add(&t->done, ex_hash64(k, (size_t)n, 0x7a)) < 0 ? -1 : 0;
}

static void warn(ex_targets *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(ex_targets *t, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->st.bad_lines++;
    if (t->o.warn)
        t->o.warn(t->o.warn_ctx, msg);
}

/* Load the next spec from the inputs: 1, 0 at the end, -1 on I/O error. */
static int next_spec(ex_targets *t, char *err, size_t errlen)
{
    char line[EX_TARGET_LINE_MAX], e2[256];
    for (;;) {
        if (t->fp) {
            int r = read_line(t->fp, line, sizeof line);
            const char *name = t->inputs[t->cur - 1].text;
            if (r == 0) {
                bool bad = ferror(t->fp);
                if (!t->fp_is_stdin)
                    fclose(t->fp);
                t->fp = NULL;
                if (bad)
                    return fail(err, errlen, "%s: read error", name);
                continue;
            }
            t->lineno++;
            if (r == 2) {
                warn(t, "%s:%lu: line longer than %d bytes, skipped", name, t->lineno, EX_TARGET_LINE_MAX);
                continue;
            }
            int p = ex_target_parse_line(line, &t->spec, e2, sizeof e2);
            if (p < 0)
                warn(t, "%s:%lu: %s", name, t->lineno, e2);
            if (p > 0)
                return 1;
            continue;
        }
        if (t->cur == t->ninputs)
            return 0;
        input *in = &t->inputs[t->cur++];
        if (!in->is_file) {
            if (ex_target_parse(in->text, &t->spec, e2, sizeof e2) == 0)
                return 1;
            warn(t, "%s: %s", in->text, e2);
            continue;
        }
        t->fp = open_input(in->text, &t->fp_is_stdin, err, errlen);
        if (!t->fp)
            return -1;
        t->lineno = 0;
    }
}

static range_group *group_for(ex_targets *t, const ex_endpoint *e, bool create)
{
    char k[EX_PATH_MAX + 16];
    int n = snprintf(k, sizeof k, "%d|%u|%s", e->tls, e->port, e->path);
    uint64_t key = ex_hash64(k, (size_t)n, 0x9a);
    for (size_t i = 0; i < t->ngroups; i++)
        if (t->groups[i].key == key)
            return &t->groups[i];
    if (!create)
        return NULL;
    void *p = realloc(t->groups, (t->ngroups + 1) * sizeof *t->groups);
    if (!p)
        return NULL;
    t->groups = p;
    t->groups[t->ngroups] = (range_group){.key = key};
    return &t->groups[t->ngroups++];
}

/* The spec has been expanded: remember its whole range for later duplicates. */
static int close_range(ex_targets *t)
{
    const ex_target_spec *s = &t->spec;
    if (s->kind != EX_SPEC_RANGE || s->lo.v == s->hi.v)
        return 0;
    ex_endpoint e = {.tls = s->tls};
    ex_strlcpy(e.path, s->path, sizeof e.path);
    size_t np = s->port ? 1 : t->o.nports;
    for (size_t i = 0; i < np; i++) {
        e.port = s->port ? s->port : t->o.ports[i];
        range_group *g = group_for(t, &e, true);
        if (!g || ex_ipset_add(&g->set, s->lo.v, s->hi.v) != 0)
            return -1;
    }
    return 0;
}

static void fill_endpoint(ex_targets *t, ex_endpoint *e)
{
    const ex_target_spec *s = &t->spec;
    *e = (ex_endpoint){.tls = s->tls_given ? s->tls : t->o.default_tls};
    if (s->kind == EX_SPEC_NAME) {
        ex_strlcpy(e->host, s->name, sizeof e->host);
    } else {
        e->is_ip = true;
        e->addr = (ex_addr){.v = t->next_addr, .family = s->lo.family};
        ex_addr_format(&e->addr, e->host, sizeof e->host);
    }
    e->port = s->port ? s->port : t->o.ports[t->port_idx];
    ex_strlcpy(e->path, s->path, sizeof e->path);
    make_label(e);
}

/* Advance the expansion cursor; false when the spec is exhausted. */
static bool advance(ex_targets *t)
{
    const ex_target_spec *s = &t->spec;
    size_t np = s->port ? 1 : t->o.nports;
    if (++t->port_idx < np)
        return true;
    t->port_idx = 0;
    if (s->kind == EX_SPEC_NAME || t->next_addr == s->hi.v)
        return false;
    t->next_addr++;
    return true;
}

/* 1 keep, 0 drop, -1 out of memory */
static int filter(ex_targets *t, const ex_endpoint *e)
{
    bool multi = t->spec.kind == EX_SPEC_RANGE && t->spec.lo.v != t->spec.hi.v;
    if (e->is_ip ? ex_ipset_contains(&t->excluded, e->addr.v)
                 : ex_keyset_has(&t->excluded_names, ex_hash64(e->host, strlen(e->host), 0x5e))) {
        t->st.excluded++;
        return 0;
    }
    uint64_t key = endpoint_key(e);
    range_group *g = e->is_ip ? group_for(t, e, false) : NULL;
    bool dup = (g && ex_ipset_contains(&g->set, e->addr.v)) || ex_keyset_has(&t->seen, key);
    if (!dup && !multi && ex_keyset_add(&t->seen, key) < 0)
        return -1;
    if (dup) {
        t->st.duplicates++;
        return 0;
    }
    uint64_t idx = t->index++;
    if (t->o.shard_count > 1 && idx % t->o.shard_count != t->o.shard_index - 1) {
        t->st.other_shard++;
        return 0;
    }
    if (ex_keyset_has(&t->done, key)) {
        t->st.resumed++;
        return 0;
    }
    return 1;
}

int ex_targets_next(ex_targets *t, ex_endpoint *out, char *err, size_t errlen)
{
    for (;;) {
        if (!t->have_spec) {
            int r = next_spec(t, err, errlen);
            if (r <= 0)
                return r;
            t->have_spec = true;
            t->next_addr = t->spec.lo.v;
            t->port_idx = 0;
        }
        fill_endpoint(t, out);
        int f = filter(t, out); /* before close_range: a range is not a duplicate of itself */
        if (f < 0)
            return fail(err, errlen, "out of memory");
        if (!advance(t)) {
            t->have_spec = false;
            if (close_range(t) != 0)
                return fail(err, errlen, "out of memory");
        }
        if (f) {
            t->st.emitted++;
            return 1;
        }
    }
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t spec_endpoints(const ex_targets *t, const ex_target_spec *s)
{
    uint64_t n = ex_target_spec_size(s);
    uint64_t np = s->port ? 1 : t->o.nports;
    return n > UINT64_MAX / np ? UINT64_MAX : n * np;
}

int64_t ex_targets_estimate(ex_targets *t)
{
    uint64_t total = 0;
    char line[EX_TARGET_LINE_MAX], e2[64];
    for (size_t i = 0; i < t->ninputs; i++) {
        ex_target_spec s;
        if (!t->inputs[i].is_file) {
            if (ex_target_parse(t->inputs[i].text, &s, e2, sizeof e2) == 0)
                total = sat_add(total, spec_endpoints(t, &s));
            continue;
        }
        bool is_stdin;
        FILE *fp = open_input(t->inputs[i].text, &is_stdin, e2, sizeof e2);
        if (is_stdin)
            return -1;
        if (!fp)
            continue;
        int r;
        while ((r = read_line(fp, line, sizeof line)) > 0)
            if (r == 1 && ex_target_parse_line(line, &s, e2, sizeof e2) > 0)
                total = sat_add(total, spec_endpoints(t, &s));
        fclose(fp);
    }
    if (t->o.shard_count > 1)
        total = (total + t->o.shard_count - 1) / t->o.shard_count;
    return total > INT64_MAX ? INT64_MAX : (int64_t)total;
}

ex_targets_stats ex_targets_get_stats(const ex_targets *t)
{
    return t->st;
}
