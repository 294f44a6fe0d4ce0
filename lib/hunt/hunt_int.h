/* hunt_int: what the engine's own files share (hunt.c, sink.c, source_*.c,
 * discover.c, timeline.c). Not for analyzers: they see only analyzer.h. */
#ifndef EXAUDIT_HUNT_INT_H
#define EXAUDIT_HUNT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "hash.h"
#include "hunt/hunt.h"
#include "util.h"

/* --- evidence sources: a small function table per kind (zmap style) --- */

typedef struct hsrc hsrc;
typedef struct hentry hentry;

/* A stream of one entry's bytes. */
typedef struct hreader {
    ssize_t (*read)(struct hreader *r, void *buf, size_t n); /* 0 at end, -1 with errno */
    void (*close)(struct hreader *r);
    int fd;
    void *ctx;
    const char *error; /* set by read() on a source-level problem (zip bomb, corrupt entry) */
} hreader;

typedef struct ex_source_ops {
    const char *name; /* "directory", "archive" */
    /* Open the input. 0, or -1 with a message. */
    int (*open)(hsrc *s, char *err, size_t errlen);
    /* List every regular file through hunt_add_entry(); problems through hunt_skip_path(). */
    int (*list)(hsrc *s, ex_hunt *h);
    /* Random access (directories): a reader for one entry; NULL when the source is sequential. */
    int (*open_entry)(hsrc *s, const hentry *e, hreader *r, char *err, size_t errlen);
    /* Sequential sources (archives): call hunt_process_entry() for every selected entry, in order. */
    int (*walk)(hsrc *s, ex_hunt *h);
    void (*close)(hsrc *s);
} ex_source_ops;

extern const ex_source_ops ex_source_dir;
extern const ex_source_ops ex_source_archive;

struct hsrc {
    const ex_source_ops *ops;
    const char *input;  /* as given on the command line */
    char *root_real;    /* realpath of a directory input */
    char *prefix;       /* evidence-path prefix for entries that carry no drive ("Logging/", "") */
    uint32_t index;     /* position in the run's source list */
    int64_t input_size; /* bytes of an archive file */
    void *ctx;
};

/* One file of the evidence. */
struct hentry {
    uint32_t src;
    uint32_t id; /* source-specific: archive entry ordinal */
    uint64_t size;
    int64_t mtime;
    char *rel;  /* the path inside the source, raw bytes ('/' separated) */
    char *path; /* normalised evidence path (analyzer.h) */
    const char *install_rel;
    uint32_t want; /* bit i: analyzer i reads this file */
    int32_t sel;   /* index among selected entries, or -1 */
};

/* --- the run --- */

typedef struct hsink_bucket hsink_bucket;

typedef struct hsink {
    pthread_mutex_t mu;
    hsink_bucket **buckets;
    size_t nbuckets, capbuckets;
    size_t per_rule;
} hsink;

void hsink_init(hsink *s, size_t per_rule);
/* Takes ownership of *f. */
void hsink_add(hsink *s, ex_finding *f);
/* Move everything kept (plus one aggregate finding per capped rule) into out, sorted. */
int hsink_drain(hsink *s, ex_findings *out);
void hsink_free(hsink *s);
/* The order of findings: time (unknown last), then path, line, id. */
int ex_hunt_finding_cmp(const ex_finding *a, const ex_finding *b);

typedef struct hcover_iv {
    int64_t first, last;
} hcover_iv;
typedef struct hcover_dir {
    char *logdir;
    hcover_iv *iv;
    size_t n, cap;
} hcover_dir;

#define EX_HUNT_SKIP_RECORDS 2000 /* distinct (path, reason) records kept; the rest are folded per reason */

struct ex_hunt {
    ex_hunt_opts o;
    const ex_kb *kb;
    char *subject;
    const ex_analyzer **an;
    size_t nan;

    hsrc *src;
    size_t nsrc;

    /* the file list: entries point into the arena */
    hentry *ent;
    size_t nent, capent;
    bool list_truncated;
    hentry **sel; /* selected entries, sorted by path */
    size_t nsel;
    char (*sha)[EX_SHA256_HEX]; /* per selected entry, "" until known */

    /* install */
    ex_hunt_install inst;
    char *root, *build, *hive_build, *build_path;
    int64_t hive_update_time; /* when the update that gave the hive's build was installed */
    ex_assessment assessment;
    bool have_assessment;
    ex_hunt_timeline tl;

    /* shared state, under mu */
    pthread_mutex_t mu;
    hsink sink;
    ex_findings findings;
    hcover_dir *cov;
    size_t ncov, capcov;
    ex_hunt_coverage *coverage;
    size_t ncoverage;
    ex_hunt_skip_rec *skips;
    size_t nskips, capskips;
    ex_hunt_fact_rec *facts;
    size_t nfacts, capfacts;

    /* ex_hunt_shared */
    struct hshared {
        char *key;
        void *p;
        void (*destroy)(void *);
    } shared[32];
    size_t nshared;

    /* whole-file memory budget */
    pthread_mutex_t whole_mu;
    pthread_cond_t whole_cv;
    uint64_t whole_inflight;

    /* progress */
    _Atomic uint64_t bytes_done, files_done;
    atomic_size_t next;
    uint64_t bytes_total;
    double t0;
    ex_hunt_stats stats;
};

/* Sources call these while listing. */
int hunt_add_entry(ex_hunt *h, hsrc *s, const char *rel, size_t rellen, uint64_t size, int64_t mtime, uint32_t id);
void hunt_skip_path(ex_hunt *h, const char *path, const char *reason);
/* The same for an entry of a source, shown as "<dir>/<rel>" or "<archive>!<entry>". */
void hunt_skip_source(ex_hunt *h, const hsrc *s, const char *rel, size_t rellen, const char *reason);
/* Sequential sources call this for a selected entry; r streams its bytes. */
void hunt_process_entry(ex_hunt *h, hentry *e, hreader *r);
/* Seconds on a monotonic clock. */
double hunt_now(void);

/* discover.c: find the install root and the hive's build; timeline.c: assessment and timeline. */
void hunt_discover(ex_hunt *h);
void hunt_assess(ex_hunt *h);
void hunt_coverage_build(ex_hunt *h);
/* correlate.c: conclusions across files and analyzers, added to h->findings. */
void hunt_correlate(ex_hunt *h);

/* Read a whole selected or listed entry into a sealed memfd (for path-based
 * libraries). Returns the fd, or -1 with a reason in err. */
int hunt_entry_memfd(ex_hunt *h, const hentry *e, uint64_t max, char *err, size_t errlen);

/* An evidence path for a Windows path ("C:\x\y\" -> "C:/x/y"), without trailing '/'. */
char *hunt_windows_to_evidence(const char *win);
/* The evidence directory that best matches a Windows directory path: an exact
 * prefix of a listed file, or the same path without its drive inside the
 * evidence ("img/Program Files/..."). NULL when no listed file lies under it. */
char *hunt_resolve_dir(ex_hunt *h, const char *evpath);

#endif
