/* hunt: one compromise hunt over the evidence of an Exchange server.
 *
 * The run: open every input (directory tree, triage zip, single log file or
 * folder), list its files, find the Exchange install (--exchange-root, the
 * SOFTWARE hive's MsiInstallPath, the default paths, the Logging layout),
 * stream every file once to the analyzers that want it (lib/hunt/analyzer.h),
 * then let the analyzers draw cross-file conclusions, assess the installed
 * build offline (lib/verdict.h) and build the timeline.
 *
 * Evidence is opened read-only, without touching access times; nothing is
 * ever extracted to disk. Memory is bounded by the number of files listed,
 * never by their size: logs are streamed, whole-file analyzers get at most
 * EX_HUNT_WHOLE_MAX bytes, findings are capped per rule.
 *
 *   ex_hunt_opts o = {.inputs = paths, .ninputs = n};
 *   ex_hunt *h = ex_hunt_new(&o);
 *   if (ex_hunt_run(h, err, sizeof err) == 0) ... ex_hunt_findings(h) ...
 *   ex_hunt_free(h); */
#ifndef EXAUDIT_HUNT_HUNT_H
#define EXAUDIT_HUNT_HUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "hunt/analyzer.h"
#include "kb.h"
#include "verdict.h"

/* Progress of a run, handed to the progress callback about every 200 ms. */
typedef struct ex_hunt_progress {
    uint64_t bytes_done, bytes_total;
    uint64_t files_done, files_total;
    double seconds; /* since the run started */
    bool final;     /* the last call */
} ex_hunt_progress;

typedef struct ex_hunt_opts {
    const char *const *inputs; /* evidence paths: directories, zip files, single files */
    size_t ninputs;
    /* The install root in Windows or evidence form ("C:\Program Files\Microsoft\Exchange Server\V15");
     * overrides discovery. */
    const char *exchange_root;
    bool full;           /* the files analyzer walks the whole tree */
    unsigned threads;    /* worker threads; 0 = one per online CPU */
    size_t max_per_rule; /* findings kept per check id; 0 = EX_HUNT_DEFAULT_PER_RULE */
    const char *subject; /* server name for the findings; default: the first input's base name */
    const ex_kb *kb;     /* NULL = built-in tables */
    int64_t today;       /* days since 1970-01-01; 0 = ex_today_days() */
    /* Analyzers to run; NULL = every registered analyzer (ex_hunt_registry). */
    const ex_analyzer *const *analyzers;
    size_t nanalyzers;
    void (*progress)(void *ctx, const ex_hunt_progress *p);
    void *progress_ctx;
} ex_hunt_opts;

#define EX_HUNT_DEFAULT_PER_RULE 50
/* Hard limits that keep memory bounded whatever the evidence holds. */
#define EX_HUNT_MAX_FILES  (4u << 20)   /* entries listed per run */
#define EX_HUNT_MAX_DEPTH  256          /* directory nesting */
#define EX_HUNT_ZIP_RATIO  200          /* an entry expanding more than this per compressed byte is a bomb */
#define EX_HUNT_ZIP_FLOOR  (64u << 20)  /* ... once it is past this many bytes */
#define EX_HUNT_ZIP_BUDGET 8            /* an archive expands to at most this many such entries in all */
#define EX_HUNT_HIVE_MAX   (512u << 20) /* a SOFTWARE hive larger than this is not read */

/* The registered analyzers (lib/hunt/registry.c), NULL-terminated. */
const ex_analyzer *const *ex_hunt_registry(void);
const ex_analyzer *ex_hunt_analyzer_by_name(const char *name);

ex_hunt *ex_hunt_new(const ex_hunt_opts *o);
/* 0 when the evidence was read (even with skips); -1 with a message in err when
 * no input could be opened at all or memory ran out. */
int ex_hunt_run(ex_hunt *h, char *err, size_t errlen);
void ex_hunt_free(ex_hunt *h);

/* --- results (valid after ex_hunt_run, until ex_hunt_free) --- */

/* Every finding, sorted by time (unknown last), then path and line. Aggregate
 * findings ("N more like this") stand for instances beyond the per-rule cap. */
const ex_findings *ex_hunt_findings(const ex_hunt *h);

/* Log coverage per log directory. */
typedef struct ex_hunt_gap {
    int64_t from, to; /* no entry between these times */
} ex_hunt_gap;
typedef struct ex_hunt_coverage {
    char *logdir; /* relative to the install root, or the evidence directory outside it */
    int64_t first, last;
    uint64_t files;
    ex_hunt_gap *gaps;
    size_t ngaps;
    bool reaches; /* first <= the relevant period's start (EX_HUNT_PROXYLOGON_FROM) */
} ex_hunt_coverage;
/* A gap is reported when a log directory has no entry for longer than this. */
#define EX_HUNT_GAP_SECONDS (2 * 86400)
/* CISA AA21-062A: investigate "from at least January 1, 2021" (2021-01-01T00:00:00Z). */
#define EX_HUNT_PROXYLOGON_FROM 1609459200
size_t ex_hunt_coverage_count(const ex_hunt *h);
const ex_hunt_coverage *ex_hunt_coverage_at(const ex_hunt *h, size_t i);

/* What was not (fully) read, and why. */
typedef struct ex_hunt_skip_rec {
    char *path;
    char *reason;
    uint64_t count; /* the same reason for the same analyzer area, folded */
} ex_hunt_skip_rec;
size_t ex_hunt_skip_count(const ex_hunt *h);
const ex_hunt_skip_rec *ex_hunt_skip_at(const ex_hunt *h, size_t i);

/* Facts (ex_hunt_fact), in the order they were given. */
typedef struct ex_hunt_fact_rec {
    char *key;
    int64_t time;
    char *detail;
    char *path;
} ex_hunt_fact_rec;
size_t ex_hunt_fact_count(const ex_hunt *h);
const ex_hunt_fact_rec *ex_hunt_fact_at(const ex_hunt *h, size_t i);
/* The first fact with this key, or NULL. */
const ex_hunt_fact_rec *ex_hunt_fact_find(const ex_hunt *h, const char *key);

/* The Exchange install as found. */
typedef struct ex_hunt_install {
    const char *root;       /* evidence form, or NULL when not found */
    const char *root_how;   /* "--exchange-root", "SOFTWARE hive MsiInstallPath", "default path", "Logging layout" */
    const char *build;      /* "15.1.2176.2", or NULL */
    const char *build_how;  /* "Bin/ExSetup.exe version resource", "SOFTWARE hive Msi* values" */
    const char *build_path; /* evidence path the build came from */
    bool build_conflict;    /* the hive and ExSetup.exe disagree (ExSetup.exe wins) */
    const char *hive_build; /* the hive's build when it differs */
} ex_hunt_install;
const ex_hunt_install *ex_hunt_install_info(const ex_hunt *h);

/* The offline assessment of the installed build, or NULL when no build was found. */
const ex_assessment *ex_hunt_assessment(const ex_hunt *h);

/* The timeline: malicious activity against the date the fix was installed. */
typedef struct ex_hunt_timeline {
    int64_t first_malicious, last_malicious; /* EX_TIME_UNKNOWN when no dated attack finding */
    size_t attacks;                          /* dated findings of an attack kind above info */
    int64_t patch_installed;                 /* EX_TIME_UNKNOWN when not known */
    const char *patch_how;                   /* where the install time comes from */
    const char *patch_path;
    /* ProxyLogon exposure window: from the disclosure (2021-03-02) ... */
    int64_t exposed_from;
    int64_t exposed_to; /* ... to the patch install time (EX_TIME_UNKNOWN: still open or unknown) */
    /* Whether the server was exploitable while attacks were seen:
     * "yes", "no", "unknown" (no build or no patch date), "n/a" (no attack seen). */
    const char *exploitable_during_attacks;
    char basis[400]; /* one sentence that explains the answer */
} ex_hunt_timeline;
const ex_hunt_timeline *ex_hunt_timeline_info(const ex_hunt *h);

/* Totals. */
typedef struct ex_hunt_stats {
    uint64_t files_listed, files_read, bytes_read;
    uint64_t skipped; /* sum of skip counts */
    double seconds;
    unsigned threads;
} ex_hunt_stats;
const ex_hunt_stats *ex_hunt_stats_info(const ex_hunt *h);

/* "2021-03-03T06:59:20Z", or "unknown" for EX_TIME_UNKNOWN. */
void ex_hunt_fmt_time(int64_t t, char *buf, size_t n);

/* The subject (server name or evidence root) findings carry. */
const char *ex_hunt_subject(const ex_hunt *h);

#endif
