/* hunt: the engine. Lists the evidence, finds the install, streams every
 * wanted file once to its analyzers on worker threads, and gathers what they
 * report (findings, coverage, skips, facts). See hunt.h and analyzer.h. */
#include "hunt/hunt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hunt/evpath.h"
#include "hunt/hunt_int.h"

/* Bytes read per step; lines analyzers get line-aligned chunks of about this size. */
#define CHUNK         (1u << 20)
#define MAX_ANALYZERS 32
#define MAX_FACTS     100000

typedef struct hworker {
    ex_hunt *h;
    char *buf;           /* CHUNK + EX_HUNT_LINE_MAX + 1 */
    char *cut;           /* an overlong line, cut, with a '\n' appended */
    ex_findings pending; /* findings on the current file, waiting for its SHA-256 */
    hentry *cur;
} hworker;

static _Thread_local hworker *tls_worker;

double hunt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Make room for one more element in a growable array; false when out of memory. */
static bool grow(void **items, size_t *cap, size_t count, size_t size, size_t first)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : first;
    void *n = realloc(*items, ncap * size);
    if (!n)
        return false;
    *items = n;
    *cap = ncap;
    return true;
}

void hunt_skip_source(ex_hunt *h, const hsrc *s, const char *rel, size_t rellen, const char *reason)
{
    char shown[1200];
    snprintf(shown, sizeof shown, "%s%s%.*s", s->ops->walk || !s->root_real ? s->input : s->root_real,
             s->ops->walk ? "!" : "/", (int)(rellen > 1000 ? 1000 : rellen), rel);
    hunt_skip_path(h, shown, reason);
}

/* ------------------------------------------------------------------------ */
/* what analyzers may call                                                    */

void ex_hunt_emit(ex_hunt *h, ex_finding *f)
{
    if (!h || !f)
        return;
    if (!f->subject)
        ex_finding_setz(&f->subject, h->subject);
    if (!f->id)
        ex_finding_setz(&f->id, "unknown");
    hworker *w = tls_worker;
    if (w && w->h == h && w->cur && f->ev.path && !f->ev.sha256[0] && strcmp(f->ev.path, w->cur->path) == 0) {
        if (ex_findings_push(&w->pending, f) == 0)
            return;
    }
    hsink_add(&h->sink, f);
}

void ex_hunt_cover(ex_hunt *h, const char *logdir, int64_t first, int64_t last)
{
    if (!h || !logdir || first == EX_TIME_UNKNOWN || last == EX_TIME_UNKNOWN)
        return;
    if (last < first) {
        int64_t t = first;
        first = last;
        last = t;
    }
    pthread_mutex_lock(&h->mu);
    hcover_dir *d = NULL;
    for (size_t i = 0; i < h->ncov && !d; i++)
        if (strcmp(h->cov[i].logdir, logdir) == 0)
            d = &h->cov[i];
    if (!d && grow((void **)&h->cov, &h->capcov, h->ncov, sizeof *h->cov, 16)) {
        d = &h->cov[h->ncov];
        memset(d, 0, sizeof *d);
        if ((d->logdir = strdup(logdir)))
            h->ncov++;
        else
            d = NULL;
    }
    if (d && grow((void **)&d->iv, &d->cap, d->n, sizeof *d->iv, 64))
        d->iv[d->n++] = (hcover_iv){first, last};
    pthread_mutex_unlock(&h->mu);
}

void hunt_skip_path(ex_hunt *h, const char *path, const char *reason)
{
    if (!reason)
        reason = "not read";
    if (!path)
        path = "";
    pthread_mutex_lock(&h->mu);
    bool over = h->nskips >= EX_HUNT_SKIP_RECORDS;
    const char *key = over ? "(further files)" : path;
    ex_hunt_skip_rec *r = NULL;
    for (size_t i = h->nskips; i-- > 0 && !r;)
        if (strcmp(h->skips[i].path, key) == 0 && strcmp(h->skips[i].reason, reason) == 0)
            r = &h->skips[i];
    if (!r && h->nskips < 2 * EX_HUNT_SKIP_RECORDS) {
        if (grow((void **)&h->skips, &h->capskips, h->nskips, sizeof *h->skips, 32)) {
            r = &h->skips[h->nskips];
            r->path = strdup(key);
            r->reason = strdup(reason);
            r->count = 0;
            if (r->path && r->reason) {
                h->nskips++;
            } else {
                free(r->path);
                free(r->reason);
                r = NULL;
            }
        }
    }
    if (r)
        r->count++;
    h->stats.skipped++;
    pthread_mutex_unlock(&h->mu);
}

void ex_hunt_skip(ex_hunt *h, const ex_hunt_file *f, const char *reason)
{
    if (h)
        hunt_skip_path(h, f ? f->path : NULL, reason);
}

void ex_hunt_fact(ex_hunt *h, const char *key, int64_t time, const char *detail, const char *evidence_path)
{
    if (!h || !key)
        return;
    pthread_mutex_lock(&h->mu);
    if (h->nfacts < MAX_FACTS && grow((void **)&h->facts, &h->capfacts, h->nfacts, sizeof *h->facts, 16)) {
        ex_hunt_fact_rec *r = &h->facts[h->nfacts];
        r->key = strdup(key);
        r->time = time;
        r->detail = detail ? strdup(detail) : NULL;
        r->path = evidence_path ? strdup(evidence_path) : NULL;
        if (r->key)
            h->nfacts++;
    }
    pthread_mutex_unlock(&h->mu);
}

void *ex_hunt_shared(ex_hunt *h, const char *key, void *(*create)(void), void (*destroy)(void *))
{
    if (!h || !key)
        return NULL;
    void *p = NULL;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nshared && !p; i++)
        if (strcmp(h->shared[i].key, key) == 0)
            p = h->shared[i].p;
    if (!p && create && h->nshared < EX_ARRAY_LEN(h->shared)) {
        char *k = strdup(key);
        p = k ? create() : NULL;
        if (p)
            h->shared[h->nshared++] = (struct hshared){k, p, destroy};
        else
            free(k);
    }
    pthread_mutex_unlock(&h->mu);
    return p;
}

const char *ex_hunt_install_root(const ex_hunt *h)
{
    return h ? h->root : NULL;
}
bool ex_hunt_full(const ex_hunt *h)
{
    return h && h->o.full;
}

/* ------------------------------------------------------------------------ */
/* the file list                                                              */

int hunt_add_entry(ex_hunt *h, hsrc *s, const char *rel, size_t rellen, uint64_t size, int64_t mtime, uint32_t id)
{
    int problem = 0;
    /* the entry's own name decides traversal; the input's prefix may hold the drive */
    char *path = ex_evpath_normalise(rel, rellen, NULL, &problem);
    if (path && s->prefix && s->prefix[0]) {
        ex_buf j = {0};
        int r = ex_buf_puts(&j, s->prefix) | ex_buf_append(&j, "/", 1) | ex_buf_append(&j, rel, rellen);
        free(path);
        path = r ? NULL : ex_evpath_normalise(j.data, j.len, NULL, &problem);
        ex_buf_free(&j);
    }
    if (!path) {
        hunt_skip_source(h, s, rel, rellen, problem ? ex_evpath_problem_name(problem) : "out of memory");
        return problem ? 0 : -1;
    }
    if (h->nent >= EX_HUNT_MAX_FILES) {
        if (!h->list_truncated)
            hunt_skip_path(h, path, "too many files in the evidence: the rest is not listed");
        h->list_truncated = true;
        free(path);
        return 0;
    }
    if (!grow((void **)&h->ent, &h->capent, h->nent, sizeof *h->ent, 1024)) {
        free(path);
        return -1;
    }
    char *r = malloc(rellen + 1);
    if (!r) {
        free(path);
        return -1;
    }
    memcpy(r, rel, rellen);
    r[rellen] = '\0';
    h->ent[h->nent++] =
        (hentry){.src = s->index, .id = id, .size = size, .mtime = mtime, .rel = r, .path = path, .sel = -1};
    return 0;
}

static char *entry_display(const ex_hunt *h, const hentry *e)
{
    const hsrc *s = &h->src[e->src];
    size_t n = strlen(s->root_real ? s->root_real : s->input) + strlen(e->rel) + 2;
    char *d = malloc(n);
    if (!d)
        return NULL;
    if (s->ops->walk)
        snprintf(d, n, "%s!%s", s->input, e->rel);
    else if (s->root_real && e->rel[0])
        snprintf(d, n, "%s/%s", s->root_real, e->rel);
    else
        snprintf(d, n, "%s", s->root_real ? s->root_real : s->input);
    return d;
}

/* ------------------------------------------------------------------------ */
/* reading one file                                                           */

static void whole_acquire(ex_hunt *h, uint64_t n)
{
    pthread_mutex_lock(&h->whole_mu);
    while (h->whole_inflight && h->whole_inflight + n > EX_HUNT_WHOLE_MAX)
        pthread_cond_wait(&h->whole_cv, &h->whole_mu);
    h->whole_inflight += n;
    pthread_mutex_unlock(&h->whole_mu);
}

static void whole_release(ex_hunt *h, uint64_t n)
{
    pthread_mutex_lock(&h->whole_mu);
    h->whole_inflight -= n;
    pthread_cond_broadcast(&h->whole_cv);
    pthread_mutex_unlock(&h->whole_mu);
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int new_memfd(void)
{
    return memfd_create("exaudit-evidence", MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

static void seal_memfd(int fd)
{
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

/* The state of one file on its way through the analyzers. */
typedef struct hfile {
    ex_hunt *h;
    hworker *w;
    hentry *e;
    ex_hunt_file f;
    const ex_analyzer *an[MAX_ANALYZERS];
    void *st[MAX_ANALYZERS];
    bool lines[MAX_ANALYZERS], whole[MAX_ANALYZERS];
    size_t n;
    bool any_lines, any_whole, eager_hash, cut_reported, read_failed;
    int memfd;
    uint64_t whole_bytes, whole_budget;
    ex_sha256_ctx sha;
} hfile;

static void drop_whole(hfile *x, const char *reason)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->whole[i]) {
            char msg[200];
            snprintf(msg, sizeof msg, "%s: not read by %s", reason, x->an[i]->name);
            ex_hunt_skip(x->h, &x->f, msg);
            x->whole[i] = false;
        }
    x->any_whole = false;
    if (x->memfd >= 0)
        close(x->memfd);
    x->memfd = -1;
}

static void feed_lines(hfile *x, const char *p, size_t n, uint64_t off)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->lines[i] && x->an[i]->feed(x->st[i], p, n, off) != 0)
            x->lines[i] = false; /* the analyzer has seen enough */
}

static void feed_cut_line(hfile *x, const char *p, uint64_t off)
{
    memcpy(x->w->cut, p, EX_HUNT_LINE_MAX);
    x->w->cut[EX_HUNT_LINE_MAX] = '\n';
    feed_lines(x, x->w->cut, EX_HUNT_LINE_MAX + 1, off);
    if (!x->cut_reported)
        ex_hunt_skip(x->h, &x->f, "line longer than 1 MiB: cut, the rest of the file read");
    x->cut_reported = true;
}

/* Hand buf[0..have) to the lines analyzers up to its last '\n'; returns the
 * number of bytes consumed. *discard: inside an overlong line being dropped. */
static size_t split_lines(hfile *x, char *buf, size_t have, uint64_t base, bool *discard)
{
    size_t start = 0;
    if (*discard) {
        char *nl = memchr(buf, '\n', have);
        if (!nl)
            return have;
        start = (size_t)(nl - buf) + 1;
        *discard = false;
    }
    char *last = have > start ? memrchr(buf + start, '\n', have - start) : NULL;
    if (last) {
        size_t end = (size_t)(last - buf) + 1;
        feed_lines(x, buf + start, end - start, base + start);
        return end;
    }
    if (have - start >= EX_HUNT_LINE_MAX) {
        feed_cut_line(x, buf + start, base + start);
        *discard = true;
        return have;
    }
    return start;
}

static int begin_analyzers(hfile *x)
{
    ex_hunt *h = x->h;
    for (size_t i = 0; i < h->nan && x->n < MAX_ANALYZERS; i++) {
        if (!(x->e->want & (1u << i)))
            continue;
        const ex_analyzer *a = h->an[i];
        bool whole = (a->flags & EX_AN_WHOLE) && a->whole;
        bool lines = !whole && a->feed;
        if (whole && x->e->size > EX_HUNT_WHOLE_MAX) {
            char msg[200];
            snprintf(msg, sizeof msg, "larger than %u MiB: not read by %s", EX_HUNT_WHOLE_MAX >> 20, a->name);
            ex_hunt_skip(h, &x->f, msg);
            continue;
        }
        void *st = a->begin ? a->begin(h, &x->f) : NULL;
        if (!st && a->begin) {
            char msg[200];
            snprintf(msg, sizeof msg, "out of memory: not read by %s", a->name);
            ex_hunt_skip(h, &x->f, msg);
            continue;
        }
        x->an[x->n] = a;
        x->st[x->n] = st;
        x->whole[x->n] = whole;
        x->lines[x->n] = lines;
        x->any_whole |= whole;
        x->any_lines |= lines;
        x->eager_hash |= whole || (a->flags & EX_AN_HASH);
        x->n++;
    }
    return 0;
}

static void whole_write(hfile *x, const char *p, size_t n)
{
    if (!x->any_whole)
        return;
    if (x->whole_bytes + n > EX_HUNT_WHOLE_MAX) {
        drop_whole(x, "grew past the whole-file limit while read");
        return;
    }
    if (write_all(x->memfd, p, n) != 0) {
        drop_whole(x, "no memory for an in-memory copy");
        return;
    }
    x->whole_bytes += n;
}

static void run_whole(hfile *x)
{
    if (!x->any_whole || x->memfd < 0)
        return;
    seal_memfd(x->memfd);
    const unsigned char *data = (const unsigned char *)"";
    void *map = NULL;
    if (x->whole_bytes) {
        map = mmap(NULL, x->whole_bytes, PROT_READ, MAP_SHARED, x->memfd, 0);
        if (map == MAP_FAILED) {
            drop_whole(x, "cannot map the in-memory copy");
            return;
        }
        data = map;
    }
    char local[64];
    snprintf(local, sizeof local, "/proc/self/fd/%d", x->memfd);
    for (size_t i = 0; i < x->n; i++)
        if (x->whole[i])
            x->an[i]->whole(x->st[i], data, (size_t)x->whole_bytes, local);
    if (map)
        munmap(map, x->whole_bytes);
}

/* Stream the reader through hash, lines analyzers and the in-memory copy. */
static void stream(hfile *x, hreader *r)
{
    char *buf = x->w->buf;
    size_t have = 0;
    uint64_t base = 0; /* file offset of buf[0] */
    bool discard = false;
    for (;;) {
        ssize_t n = r->read(r, buf + have, CHUNK);
        if (n < 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "read error after %llu bytes: %s", (unsigned long long)(base + have),
                     r->error ? r->error : strerror(errno));
            ex_hunt_skip(x->h, &x->f, msg);
            drop_whole(x, "incomplete read");
            x->read_failed = true;
            break;
        }
        if (n == 0)
            break;
        if (x->eager_hash)
            ex_sha256_update(&x->sha, buf + have, (size_t)n);
        whole_write(x, buf + have, (size_t)n);
        atomic_fetch_add_explicit(&x->h->bytes_done, (uint64_t)n, memory_order_relaxed);
        have += (size_t)n;
        size_t used = x->any_lines ? split_lines(x, buf, have, base, &discard) : have;
        memmove(buf, buf + used, have - used);
        have -= used;
        base += used;
    }
    if (have && !discard && x->any_lines)
        feed_lines(x, buf, have, base);
}

/* The SHA-256 of an entry, read again (log files are hashed only when a
 * finding cites them: hashing every log would halve the throughput). */
static bool hash_entry(ex_hunt *h, const hentry *e, char out[EX_SHA256_HEX])
{
    hsrc *s = &h->src[e->src];
    hreader r;
    char err[200];
    if (!s->ops->open_entry || s->ops->open_entry(s, e, &r, err, sizeof err) != 0)
        return false;
    size_t cap = 256u << 10;
    char *buf = malloc(cap);
    ex_sha256_ctx c;
    bool ok = buf && ex_sha256_init(&c) == 0;
    if (ok) {
        ssize_t n;
        while ((n = r.read(&r, buf, cap)) > 0)
            ex_sha256_update(&c, buf, (size_t)n);
        ex_sha256_final(&c, out);
        ok = n == 0;
    }
    free(buf);
    r.close(&r);
    if (!ok)
        out[0] = '\0';
    return ok;
}

static void flush_pending(hworker *w, const char *sha)
{
    for (size_t i = 0; i < w->pending.count; i++) {
        ex_finding *f = &w->pending.items[i];
        if (sha[0])
            memcpy(f->ev.sha256, sha, EX_SHA256_HEX);
        hsink_add(&w->h->sink, f);
    }
    w->pending.count = 0;
}

static void process(hworker *w, hentry *e, hreader *r)
{
    ex_hunt *h = w->h;
    hfile x = {.h = h, .w = w, .e = e, .memfd = -1};
    char *display = entry_display(h, e);
    x.f = (ex_hunt_file){.path = e->path,
                         .install_rel = e->install_rel,
                         .display = display ? display : e->path,
                         .size = e->size,
                         .mtime = e->mtime};
    w->cur = e;
    begin_analyzers(&x);
    /* archives are read once, in order: hash them on the way */
    x.eager_hash |= h->src[e->src].ops->walk != NULL;
    if (x.eager_hash && ex_sha256_init(&x.sha) != 0)
        x.eager_hash = false;
    if (x.any_whole) {
        x.whole_budget = e->size < EX_HUNT_WHOLE_MAX ? e->size : EX_HUNT_WHOLE_MAX;
        whole_acquire(h, x.whole_budget);
        if ((x.memfd = new_memfd()) < 0)
            drop_whole(&x, "cannot create an in-memory copy");
    }
    stream(&x, r);
    bool complete = !r->error && !x.read_failed;
    run_whole(&x);
    if (x.memfd >= 0)
        close(x.memfd);
    if (x.whole_budget)
        whole_release(h, x.whole_budget);
    char sha[EX_SHA256_HEX] = "";
    if (x.eager_hash)
        ex_sha256_final(&x.sha, sha);
    if (!complete)
        sha[0] = '\0'; /* a hash of part of the file would be a lie */
    for (size_t i = 0; i < x.n; i++)
        if (x.an[i]->end)
            x.an[i]->end(x.st[i], h, sha);
    if (!sha[0] && complete && w->pending.count)
        hash_entry(h, e, sha);
    if (sha[0] && e->sel >= 0)
        memcpy(h->sha[e->sel], sha, EX_SHA256_HEX);
    flush_pending(w, sha);
    w->cur = NULL;
    atomic_fetch_add_explicit(&h->files_done, 1, memory_order_relaxed);
    free(display);
}

void hunt_process_entry(ex_hunt *h, hentry *e, hreader *r)
{
    hworker *w = tls_worker;
    if (w && w->h == h)
        process(w, e, r);
}

static int worker_init(hworker *w, ex_hunt *h)
{
    memset(w, 0, sizeof *w);
    w->h = h;
    w->buf = malloc(CHUNK + EX_HUNT_LINE_MAX + 1);
    w->cut = malloc(EX_HUNT_LINE_MAX + 1);
    if (!w->buf || !w->cut) {
        free(w->buf);
        free(w->cut);
        return -1;
    }
    tls_worker = w;
    return 0;
}

static void worker_fini(hworker *w)
{
    tls_worker = NULL;
    ex_findings_free(&w->pending);
    free(w->buf);
    free(w->cut);
}

typedef struct hwork {
    ex_hunt *h;
    hentry **items;
    size_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running;
} hwork;

static void work_done(hwork *wk)
{
    pthread_mutex_lock(&wk->mu);
    wk->running--;
    pthread_cond_broadcast(&wk->cv);
    pthread_mutex_unlock(&wk->mu);
}

static void *dir_worker(void *arg)
{
    hwork *wk = arg;
    ex_hunt *h = wk->h;
    hworker w;
    if (worker_init(&w, h) == 0) {
        for (;;) {
            size_t i = atomic_fetch_add(&h->next, 1);
            if (i >= wk->n)
                break;
            hentry *e = wk->items[i];
            hsrc *s = &h->src[e->src];
            hreader r;
            char err[300];
            if (s->ops->open_entry(s, e, &r, err, sizeof err) != 0) {
                hunt_skip_path(h, e->path, err);
                atomic_fetch_add(&h->files_done, 1);
                atomic_fetch_add(&h->bytes_done, e->size);
                continue;
            }
            process(&w, e, &r);
            r.close(&r);
        }
        worker_fini(&w);
    }
    work_done(wk);
    return NULL;
}

static void *archive_worker(void *arg)
{
    hwork *wk = arg;
    ex_hunt *h = wk->h;
    hworker w;
    if (worker_init(&w, h) == 0) {
        for (size_t i = 0; i < h->nsrc; i++)
            if (h->src[i].ops->walk && h->src[i].ctx && h->src[i].ops->walk(&h->src[i], h) != 0)
                hunt_skip_path(h, h->src[i].input, "archive could not be read to the end");
        worker_fini(&w);
    }
    work_done(wk);
    return NULL;
}

static void report_progress(ex_hunt *h, bool final)
{
    if (!h->o.progress)
        return;
    ex_hunt_progress p = {.bytes_done = atomic_load(&h->bytes_done),
                          .bytes_total = h->bytes_total,
                          .files_done = atomic_load(&h->files_done),
                          .files_total = h->nsel,
                          .seconds = hunt_now() - h->t0,
                          .final = final};
    if (p.bytes_done > p.bytes_total)
        p.bytes_total = p.bytes_done;
    h->o.progress(h->o.progress_ctx, &p);
}

static int cmp_size_desc(const void *a, const void *b)
{
    const hentry *x = *(hentry *const *)a, *y = *(hentry *const *)b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

static unsigned thread_count(const ex_hunt *h)
{
    long n = h->o.threads ? (long)h->o.threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static int run_workers(ex_hunt *h)
{
    hentry **items = malloc((h->nsel ? h->nsel : 1) * sizeof *items);
    if (!items)
        return -1;
    size_t n = 0;
    bool archives = false;
    for (size_t i = 0; i < h->nsel; i++) {
        if (h->src[h->sel[i]->src].ops->walk)
            archives = true;
        else
            items[n++] = h->sel[i];
    }
    qsort(items, n, sizeof *items, cmp_size_desc);
    hwork wk = {.h = h, .items = items, .n = n};
    pthread_mutex_init(&wk.mu, NULL);
    pthread_cond_init(&wk.cv, NULL);
    unsigned nt = thread_count(h);
    if (n < nt)
        nt = (unsigned)n;
    h->stats.threads = nt + archives;
    pthread_t th[66];
    size_t started = 0;
    for (unsigned i = 0; i < nt + archives; i++) {
        pthread_mutex_lock(&wk.mu);
        wk.running++;
        pthread_mutex_unlock(&wk.mu);
        if (pthread_create(&th[started], NULL, archives && i == nt ? archive_worker : dir_worker, &wk) == 0) {
            started++;
            continue;
        }
        /* no thread: do this share of the work here */
        (archives && i == nt ? archive_worker : dir_worker)(&wk);
    }
    pthread_mutex_lock(&wk.mu);
    while (wk.running > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&wk.cv, &wk.mu, &ts);
        pthread_mutex_unlock(&wk.mu);
        report_progress(h, false);
        pthread_mutex_lock(&wk.mu);
    }
    pthread_mutex_unlock(&wk.mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    report_progress(h, true);
    pthread_mutex_destroy(&wk.mu);
    pthread_cond_destroy(&wk.cv);
    free(items);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* the run                                                                    */

static int cmp_entry_path(const void *a, const void *b)
{
    const hentry *x = *(hentry *const *)a, *y = *(hentry *const *)b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->src != y->src ? (x->src < y->src ? -1 : 1) : (x->id < y->id ? -1 : x->id > y->id));
}

static int select_entries(ex_hunt *h)
{
    h->sel = malloc((h->nent ? h->nent : 1) * sizeof *h->sel);
    if (!h->sel)
        return -1;
    for (size_t k = 0; k < h->nent; k++) {
        hentry *e = &h->ent[k];
        e->install_rel = h->root ? ex_evpath_under(e->path, h->root) : NULL;
        ex_hunt_file f = {
            .path = e->path, .install_rel = e->install_rel, .display = e->path, .size = e->size, .mtime = e->mtime};
        for (size_t i = 0; i < h->nan; i++)
            if (h->an[i]->wants && h->an[i]->wants(h, &f))
                e->want |= 1u << i;
        if (e->want) {
            h->sel[h->nsel++] = e;
            h->bytes_total += e->size;
        }
    }
    qsort(h->sel, h->nsel, sizeof *h->sel, cmp_entry_path);
    for (size_t i = 0; i < h->nsel; i++)
        h->sel[i]->sel = (int32_t)i;
    h->sha = calloc(h->nsel ? h->nsel : 1, sizeof *h->sha);
    return h->sha ? 0 : -1;
}

static hentry *find_selected(const ex_hunt *h, const char *path)
{
    size_t lo = 0, hi = h->nsel;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->sel[mid]->path, path);
        if (c == 0)
            return h->sel[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Findings that cite a file other than the one being read (cross-file
 * conclusions in finish()) get that file's hash here. */
static void fill_hashes(ex_hunt *h)
{
    for (size_t i = 0; i < h->findings.count; i++) {
        ex_finding *f = &h->findings.items[i];
        if (!f->ev.path || f->ev.sha256[0])
            continue;
        hentry *e = find_selected(h, f->ev.path);
        if (!e)
            continue;
        if (!h->sha[e->sel][0])
            hash_entry(h, e, h->sha[e->sel]);
        memcpy(f->ev.sha256, h->sha[e->sel], EX_SHA256_HEX);
    }
}

static bool sniff_archive(const char *path)
{
    unsigned char m[262] = {0};
    int fd = ex_open_readonly(path);
    if (fd < 0)
        return false;
    ssize_t n = pread(fd, m, sizeof m, 0);
    close(fd);
    if (n < 4)
        return false;
    return (m[0] == 'P' && m[1] == 'K' && (m[2] == 3 || m[2] == 5 || m[2] == 7)) || /* zip */
           (n >= 6 && memcmp(m, "7z\xBC\xAF\x27\x1C", 6) == 0) ||                   /* 7-Zip */
           (n >= 262 && memcmp(m + 257, "ustar", 5) == 0);                          /* tar */
}

/* The evidence-path prefix of a directory or single-file input (evpath.h):
 * for a single file, that of its folder. */
static char *input_prefix(const char *real, bool is_dir)
{
    char *copy = strdup(real);
    if (!copy)
        return NULL;
    if (!is_dir) {
        char *slash = strrchr(copy, '/');
        if (slash)
            *slash = '\0';
        else
            copy[0] = '\0';
    }
    char *p = ex_evpath_input_prefix(copy);
    free(copy);
    return p;
}

static int open_sources(ex_hunt *h, char *err, size_t errlen)
{
    h->src = calloc(h->o.ninputs ? h->o.ninputs : 1, sizeof *h->src);
    if (!h->src)
        return -1;
    size_t opened = 0;
    for (size_t i = 0; i < h->o.ninputs; i++) {
        const char *in = h->o.inputs[i];
        struct stat st;
        hsrc *s = &h->src[h->nsrc];
        memset(s, 0, sizeof *s);
        s->input = in;
        s->index = (uint32_t)h->nsrc;
        if (stat(in, &st) != 0) {
            snprintf(err, errlen, "%s: %s", in, strerror(errno));
            hunt_skip_path(h, in, strerror(errno));
            continue;
        }
        bool archive = S_ISREG(st.st_mode) && sniff_archive(in);
        s->ops = archive ? &ex_source_archive : &ex_source_dir;
        s->input_size = (int64_t)st.st_size;
        s->root_real = realpath(in, NULL);
        s->prefix = archive ? strdup("") : input_prefix(s->root_real ? s->root_real : in, S_ISDIR(st.st_mode));
        char e2[300] = "";
        if (!s->prefix || s->ops->open(s, e2, sizeof e2) != 0) {
            snprintf(err, errlen, "%s: %s", in, e2[0] ? e2 : "cannot open");
            hunt_skip_path(h, in, e2[0] ? e2 : "cannot open");
            free(s->root_real);
            free(s->prefix);
            continue;
        }
        h->nsrc++;
        opened++;
    }
    return opened ? 0 : -1;
}

static void list_sources(ex_hunt *h)
{
    for (size_t i = 0; i < h->nsrc; i++)
        if (h->src[i].ops->list(&h->src[i], h) != 0)
            hunt_skip_path(h, h->src[i].input, "listing stopped early (out of memory or unreadable)");
}

int ex_hunt_run(ex_hunt *h, char *err, size_t errlen)
{
    if (!h)
        return -1;
    err[0] = '\0';
    h->t0 = hunt_now();
    if (open_sources(h, err, errlen) != 0) {
        if (!err[0])
            snprintf(err, errlen, "no evidence input could be opened");
        return -1;
    }
    list_sources(h);
    hunt_discover(h);
    if (select_entries(h) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (run_workers(h) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < h->nan; i++)
        if (h->an[i]->finish)
            h->an[i]->finish(h);
    if (hsink_drain(&h->sink, &h->findings) != 0) {
        snprintf(err, errlen, "out of memory while gathering findings");
        return -1;
    }
    hunt_correlate(h);
    fill_hashes(h);
    hunt_assess(h);
    hunt_coverage_build(h);
    h->stats.files_listed = h->nent;
    h->stats.files_read = atomic_load(&h->files_done);
    h->stats.bytes_read = atomic_load(&h->bytes_done);
    h->stats.seconds = hunt_now() - h->t0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* life cycle and results                                                     */

static char *default_subject(const ex_hunt_opts *o)
{
    if (o->subject)
        return strdup(o->subject);
    if (!o->ninputs)
        return strdup("evidence");
    char *real = realpath(o->inputs[0], NULL);
    const char *p = real ? real : o->inputs[0];
    const char *b = strrchr(p, '/');
    char *s = strdup(b && b[1] ? b + 1 : p);
    free(real);
    return s;
}

ex_hunt *ex_hunt_new(const ex_hunt_opts *o)
{
    ex_hunt *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->o = *o;
    h->kb = o->kb ? o->kb : ex_kb_builtin();
    if (!h->o.today)
        h->o.today = ex_today_days();
    h->subject = default_subject(o);
    const ex_analyzer *const *list = o->analyzers ? o->analyzers : ex_hunt_registry();
    size_t n = o->analyzers ? o->nanalyzers : 0;
    if (!o->analyzers)
        while (list[n])
            n++;
    if (n > MAX_ANALYZERS)
        n = MAX_ANALYZERS;
    h->an = calloc(n ? n : 1, sizeof *h->an);
    if (!h->subject || !h->an) {
        free(h->subject);
        free(h->an);
        free(h);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (list[i])
            h->an[h->nan++] = list[i];
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->whole_mu, NULL);
    pthread_cond_init(&h->whole_cv, NULL);
    hsink_init(&h->sink, o->max_per_rule);
    h->tl.first_malicious = h->tl.last_malicious = EX_TIME_UNKNOWN;
    h->tl.patch_installed = h->tl.exposed_from = h->tl.exposed_to = EX_TIME_UNKNOWN;
    h->tl.exploitable_during_attacks = "n/a";
    h->hive_update_time = EX_TIME_UNKNOWN;
    return h;
}

void ex_hunt_free(ex_hunt *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nsrc; i++) {
        if (h->src[i].ops && h->src[i].ops->close)
            h->src[i].ops->close(&h->src[i]);
        free(h->src[i].root_real);
        free(h->src[i].prefix);
    }
    free(h->src);
    for (size_t i = 0; i < h->nent; i++) {
        free(h->ent[i].rel);
        free(h->ent[i].path);
    }
    free(h->ent);
    free(h->sel);
    free(h->sha);
    hsink_free(&h->sink);
    ex_findings_free(&h->findings);
    for (size_t i = 0; i < h->ncov; i++) {
        free(h->cov[i].logdir);
        free(h->cov[i].iv);
    }
    free(h->cov);
    for (size_t i = 0; i < h->ncoverage; i++)
        free(h->coverage[i].gaps);
    free(h->coverage);
    for (size_t i = 0; i < h->nskips; i++) {
        free(h->skips[i].path);
        free(h->skips[i].reason);
    }
    free(h->skips);
    for (size_t i = 0; i < h->nfacts; i++) {
        free(h->facts[i].key);
        free(h->facts[i].detail);
        free(h->facts[i].path);
    }
    free(h->facts);
    for (size_t i = 0; i < h->nshared; i++) {
        if (h->shared[i].destroy)
            h->shared[i].destroy(h->shared[i].p);
        free(h->shared[i].key);
    }
    if (h->have_assessment)
        ex_assessment_free(&h->assessment);
    free(h->root);
    free(h->build);
    free(h->hive_build);
    free(h->build_path);
    free(h->subject);
    free(h->an);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->whole_mu);
    pthread_cond_destroy(&h->whole_cv);
    free(h);
}

const ex_findings *ex_hunt_findings(const ex_hunt *h)
{
    return &h->findings;
}
size_t ex_hunt_coverage_count(const ex_hunt *h)
{
    return h->ncoverage;
}
const ex_hunt_coverage *ex_hunt_coverage_at(const ex_hunt *h, size_t i)
{
    return i < h->ncoverage ? &h->coverage[i] : NULL;
}
size_t ex_hunt_skip_count(const ex_hunt *h)
{
    return h->nskips;
}
const ex_hunt_skip_rec *ex_hunt_skip_at(const ex_hunt *h, size_t i)
{
    return i < h->nskips ? &h->skips[i] : NULL;
}
size_t ex_hunt_fact_count(const ex_hunt *h)
{
    return h->nfacts;
}
const ex_hunt_fact_rec *ex_hunt_fact_at(const ex_hunt *h, size_t i)
{
    return i < h->nfacts ? &h->facts[i] : NULL;
}
const ex_hunt_fact_rec *ex_hunt_fact_find(const ex_hunt *h, const char *key)
{
    for (size_t i = 0; i < h->nfacts; i++)
        if (strcmp(h->facts[i].key, key) == 0)
            return &h->facts[i];
    return NULL;
}
const ex_hunt_install *ex_hunt_install_info(const ex_hunt *h)
{
    return &h->inst;
}
const ex_assessment *ex_hunt_assessment(const ex_hunt *h)
{
    return h->have_assessment ? &h->assessment : NULL;
}
const ex_hunt_timeline *ex_hunt_timeline_info(const ex_hunt *h)
{
    return &h->tl;
}
const ex_hunt_stats *ex_hunt_stats_info(const ex_hunt *h)
{
    return &h->stats;
}
const char *ex_hunt_subject(const ex_hunt *h)
{
    return h->subject;
}

/* ------------------------------------------------------------------------ */
/* in-memory copies for path-based libraries                                  */

int hunt_entry_memfd(ex_hunt *h, const hentry *e, uint64_t max, char *err, size_t errlen)
{
    hsrc *s = &h->src[e->src];
    hreader r;
    if (!s->ops->open_entry || s->ops->open_entry(s, e, &r, err, errlen) != 0)
        return -1;
    int fd = new_memfd();
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    uint64_t total = 0;
    ssize_t n = -1;
    if (fd >= 0 && buf) {
        while ((n = r.read(&r, buf, cap)) > 0) {
            total += (uint64_t)n;
            if (total > max) {
                snprintf(err, errlen, "larger than %llu MiB: not read", (unsigned long long)(max >> 20));
                n = -2;
                break;
            }
            if (write_all(fd, buf, (size_t)n) != 0) {
                snprintf(err, errlen, "no memory for an in-memory copy");
                n = -2;
                break;
            }
        }
        if (n == -1)
            snprintf(err, errlen, "read error: %s", r.error ? r.error : strerror(errno));
    } else {
        snprintf(err, errlen, "no memory for an in-memory copy");
    }
    free(buf);
    r.close(&r);
    if (n != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    seal_memfd(fd);
    return fd;
}
