/* inventory: read-only questions to the store. The fleet with each host's
 * current state, and what changed between two runs. */
#ifndef EXAUDIT_INVENTORY_H
#define EXAUDIT_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "out/state.h"
#include "out/store.h"

typedef struct ex_fleet_row {
    int64_t host_id;
    const char *target, *name, *customer, *tags; /* tags: comma-separated, or NULL */
    ex_light light;                              /* combined: assessment, reachability, hunt */
    bool scanned;                                /* has a current result */
    bool reachable;
    const char *exchange; /* onprem online none decoy unknown, or NULL */
    const char *verdict, *version, *product, *cu, *update, *support;
    const char *worst_cve, *worst_status; /* the most urgent open CVE, or NULL */
    const char *cve_status;               /* with a CVE filter: that CVE's status */
    const char *kb_version;
    int64_t last_seen; /* when the current result was recorded, or 0 */
    const char *hunt;  /* last hunt verdict, or NULL */
    int64_t hunt_time;
    int64_t result_id, hunt_id; /* 0 when none */
} ex_fleet_row;

typedef struct ex_fleet_filter {
    const char *customer; /* exact, or NULL */
    const char *tag;
    const char *cve; /* only hosts whose current result has this CVE not patched */
    int light;       /* ex_light, or -1 for all */
} ex_fleet_filter;

/* Calls cb for every host that passes the filter, ordered by customer and
 * target. The row's strings live until cb returns. cb returns non-zero to stop.
 * Returns 0, or -1 on a database error. */
typedef int (*ex_fleet_cb)(void *ud, const ex_fleet_row *r);
int ex_fleet_each(ex_store *s, const ex_fleet_filter *f, ex_fleet_cb cb, void *ud);
/* How many hosts' current verdicts were computed with a knowledge base older
 * than kb_version (they need `exaudit rescore`); -1 on a database error. */
long ex_fleet_stale(ex_store *s, const char *kb_version);

/* --- runs --- */

typedef struct ex_run_info {
    int64_t id;
    char kind[8];
    char status[16];
    int64_t started, finished;
    char kb_version[32];
} ex_run_info;

/* The n newest runs of kind (NULL: any), newest first; returns how many. */
int ex_runs_latest(ex_store *s, const char *kind, ex_run_info *out, int n);
int ex_run_get(ex_store *s, int64_t id, ex_run_info *out); /* 0, or -1 when unknown */
/* How many host results a run holds; -1 on a database error. */
long ex_run_results(ex_store *s, int64_t id);

/* --- diff --- */

typedef enum ex_change {
    EX_CHANGE_NEWLY_VULNERABLE = 0,
    EX_CHANGE_NEW_CVE, /* a CVE vulnerable in B that was not in A */
    EX_CHANGE_PATCHED,
    EX_CHANGE_BUILD,
    EX_CHANGE_END_OF_LIFE,
    EX_CHANGE_UNREACHABLE,
    EX_CHANGE_GONE,
    EX_CHANGE_NEW_HOST,
    EX_CHANGE_HUNT_FINDING,
    EX_CHANGE_COUNT
} ex_change;
const char *ex_change_name(ex_change c); /* "newly-vulnerable", ... */

typedef struct ex_diff_item {
    ex_change change;
    const char *target, *customer;
    const char *before, *after; /* old and new value (verdict, build, ...), may be NULL */
    const char *detail;         /* CVE id, finding title, ... may be NULL */
} ex_diff_item;

typedef int (*ex_diff_cb)(void *ud, const ex_diff_item *it);
/* What changed from scan run a to scan run b; hunt findings of the hunts
 * recorded after a and up to b. Returns 0 or -1. */
int ex_diff_runs(ex_store *s, int64_t a, int64_t b, ex_diff_cb cb, void *ud);

#endif
