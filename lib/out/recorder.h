/* recorder: what `exaudit scan --db`, `exaudit hunt --db` and `exaudit
 * record` share, so that recording a scan or hunt live and recording its
 * JSON output later make exactly the same store calls (docs/inventory.md).
 *
 *   scan:  ex_recorder_target(label, port, key, sizeof key);
 *          ex_recorder_put_scan_host(store, run, key, &scan_host, &facts);
 *   hunt:  ex_recorder_hunt_shapes(ex_hunt_summary_json(h), &coverage, &timeline);
 *          ex_store_put_hunt(store, run, name, findings, coverage, timeline); */
#ifndef EXAUDIT_RECORDER_H
#define EXAUDIT_RECORDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "out/scan_out.h"
#include "out/store.h"

/* The inventory's name of a scanned endpoint: the scan's target, with
 * ":port" when the port is not 443 ("127.1.0.7:8443", "[2001:db8::7]:8443").
 * A base URL ("https://gw.example:8443/x", "http://h:80") carries its port
 * already and is kept; port <= 0 means not known (kept as is). So one host
 * scanned on two ports is two inventory hosts, and a host scanned on 443 is
 * the name an admin types. */
void ex_recorder_target(const char *label, long port, char *out, size_t n);

/* Record one finished host of a scan run (one transaction): the JSON Lines
 * record of `exaudit scan --json`, the facts the scanner gave ex_assess(), and
 * the host's findings. 0, or -1 (ex_store_errmsg). */
int ex_recorder_put_scan_host(ex_store *st, int64_t run, const char *key, const ex_scan_host *h, const ex_facts *facts);

/* The store's shapes of a hunt, from the summary object of `exaudit hunt
 * --json` (ex_hunt_summary_json): coverage {logdir: {"first", "last",
 * "files", "gaps"}} and timeline [{"key", "time", "detail", "evidence"}] (the
 * hunt's facts, such as patch.installed). Either may be set to NULL when the
 * summary has none. 0, or -1 when out of memory. */
int ex_recorder_hunt_shapes(const json_t *summary, json_t **coverage, json_t **timeline);

#endif
