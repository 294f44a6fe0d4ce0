/* store: the inventory, an embedded SQLite database.
 *
 * It holds the fleet (hosts with customer, name and tags), every scan and hunt
 * run with its parameters, every host result of a scan (the scan record with
 * each probe's evidence, the facts the verdict was computed from, and the
 * assessment) and every finding of a hunt.
 *
 * Durability: WAL journal, a busy timeout, and one short write transaction
 * per host. A process killed with SIGKILL loses at most the host it was
 * writing; the run stays "running" and can be resumed (ex_store_resume_run).
 * Several processes may write the same database at once: SQLite serialises
 * the transactions (BEGIN IMMEDIATE, so that no reader-turned-writer
 * deadlocks).
 *
 * Storage is normalised so that 100,000 hosts with history stay small: what a
 * verdict was computed from (ex_facts) and the assessment itself (the
 * kb-derived part of the host record) are stored once per distinct value and
 * shared by every result that has the same. The exposure findings that
 * ex_host_findings() derives from an assessment are not stored per host (they
 * are derived again from the shared assessment); every other finding is.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open, inside one transaction: a migration never loses rows.
 *
 * How the commands use it:
 *   scan:  run = ex_store_begin_run(s, "scan", params);  per finished host:
 *          ex_store_put_host(s, run, target, host_json, &facts, &findings);
 *          ex_store_end_run(s, run, "done")
 *   hunt:  run = ex_store_begin_run(s, "hunt", params);
 *          ex_store_put_hunt(s, run, host, &findings, coverage, timeline);
 *          ex_store_end_run(s, run, "done")
 *   --resume: run = ex_store_resume_run(s, "scan", &params); skip the
 *          targets for which ex_store_run_has(s, run, target) is true. */
#ifndef EXAUDIT_STORE_H
#define EXAUDIT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "kb.h"
#include "verdict.h"

#define EX_STORE_SCHEMA_VERSION 2
#define EX_STORE_FILE           "inventory.db"
/* Longest target / customer / tag / name accepted (bytes). */
#define EX_STORE_NAME_MAX 255

typedef struct ex_store ex_store;

/* The default database: $XDG_DATA_HOME/exaudit/inventory.db, else
 * ~/.local/share/exaudit/inventory.db. Creates the directory. */
int ex_store_default_path(char *out, size_t n);

/* Open (and create, and migrate) the database at path; NULL path means the
 * default. NULL with a message in err on failure. */
ex_store *ex_store_open(const char *path, char *err, size_t errlen);
void ex_store_close(ex_store *s);
/* The last SQLite error message (for the CLI). */
const char *ex_store_errmsg(const ex_store *s);
/* The schema version of the open database (after migration). */
int ex_store_schema_version(ex_store *s);
/* The underlying connection, for the query modules of lib/out (inventory.c). */
struct sqlite3 *ex_store_db(ex_store *s);

/* --- runs --- */

/* Start a run of kind "scan" or "hunt" with its parameters (a JSON object:
 * the command line, targets, options). Returns the run id (> 0) or -1. */
int64_t ex_store_begin_run(ex_store *s, const char *kind, const json_t *params);
/* status: "done" or "interrupted". */
int ex_store_end_run(ex_store *s, int64_t run, const char *status);
/* The newest run of this kind that never ended (killed, or interrupted), or 0
 * when there is none. *params (may be NULL) receives its parameters (caller
 * decrefs). The run is marked "running" again. */
int64_t ex_store_resume_run(ex_store *s, const char *kind, json_t **params);
/* Has this run already recorded a result for target? */
bool ex_store_run_has(ex_store *s, int64_t run, const char *target);
/* Number of host results (scan) or hunted hosts (hunt) in a run; -1 on error. */
int64_t ex_store_run_count(ex_store *s, int64_t run);

/* --- results --- */

/* Record one finished host of a scan run in one transaction. host is the host
 * record (ex_host_json() plus the scan fields: target, ip, port, exchange,
 * tls, ntlm, probes, errors, timings). facts are what the verdict was computed
 * from (the build string with its precision, the probe observations, the
 * configuration facts), kept so that `exaudit rescore` can compute the same
 * verdict again against a newer knowledge base; when NULL they are recovered
 * from the record (build.version and the by_probe CVE statuses). findings are
 * what the scanner reported for the host (ex_host_findings() and its own).
 * Recording the same target twice in a run replaces the first result. */
int ex_store_put_host(ex_store *s, int64_t run, const char *target, const json_t *host, const ex_facts *facts,
                      const ex_findings *findings);

/* Record the hunt of one server: its findings, the log coverage (JSON object
 * logdir -> {"first": ISO time, "last": ISO time}) and the timeline (JSON
 * array of {"key", "time", "detail", "evidence"}); both may be NULL. host
 * names the server (an inventory target or its name); when no host of the
 * inventory matches it is added. */
int ex_store_put_hunt(ex_store *s, int64_t run, const char *host, const ex_findings *findings, const json_t *coverage,
                      const json_t *timeline);

/* --- facts <-> JSON (the stored form; exact for rescoring) --- */

/* {"version": "15.1.2176.2"|null, "version_evidence": ..., "observations": [{"cve", "outcome", "evidence"}],
 *  "config": [{"family", "state", "evidence"}]} */
json_t *ex_facts_to_json(const ex_facts *f);
/* The facts a host record implies when the scanner's own were not kept. */
json_t *ex_facts_from_record(const json_t *host);

/* Parsed facts: the strings point into the JSON, which must outlive them. */
typedef struct ex_stored_facts {
    ex_facts facts;
    ex_observation obs[32];
    ex_config_fact config[16];
} ex_stored_facts;
int ex_facts_parse(const json_t *j, int64_t today, ex_stored_facts *out);

/* --- the fleet: hosts, customers, tags --- */

typedef struct ex_host_entry {
    const char *target;   /* address or DNS name, as scanned */
    const char *name;     /* display name, NULL to keep / none */
    const char *customer; /* NULL to keep / none */
} ex_host_entry;

/* Add a host or update its name and customer. Returns the host id or -1. */
int64_t ex_store_add_host(ex_store *s, const ex_host_entry *h);
/* Tag / untag a host. Returns 0, 1 when the host is unknown, -1 on error. */
int ex_store_tag(ex_store *s, const char *target, const char *tag, bool remove);
/* Remove a host and its tags; its results and findings stay in the runs
 * (history is never rewritten) but no longer show in the fleet. Returns 0, 1
 * when unknown, -1 on error. */
int ex_store_remove_host(ex_store *s, const char *target);
/* Import hosts from CSV (header row with target, and optionally customer,
 * name, tags: tags separated by ';' or spaces). All rows in one transaction:
 * a broken file changes nothing. Returns the number of hosts or -1 (err). */
long ex_store_import_csv(ex_store *s, const char *text, size_t len, char *err, size_t errlen);

/* --- re-evaluation --- */

typedef struct ex_rescore_stats {
    size_t results;          /* results looked at */
    size_t distinct;         /* distinct facts assessed */
    size_t changed;          /* results whose assessment changed */
    size_t verdicts_changed; /* ... whose verdict changed */
} ex_rescore_stats;

/* Re-run ex_assess() on the stored facts of every host's current result (all
 * results when all is true) against kb, and store the new assessments. The
 * kb-derived exposure findings follow the assessment. One transaction.
 * on_change (may be NULL) is told about every result whose verdict changed. */
typedef void (*ex_rescore_cb)(void *ud, const char *target, const char *customer, const char *old_verdict,
                              const char *new_verdict);
int ex_store_rescore(ex_store *s, const ex_kb *kb, int64_t today, bool all, ex_rescore_cb on_change, void *ud,
                     ex_rescore_stats *st);

#endif
