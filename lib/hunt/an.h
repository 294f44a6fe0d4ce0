/* an: the log analyzers of the hunt engine's own team (registered in
 * registry.c), and the literals their prefilters search for (bench/hunt
 * hands the same literals to `rg -F -f`). */
#ifndef EXAUDIT_HUNT_AN_H
#define EXAUDIT_HUNT_AN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hunt/analyzer.h"

extern const ex_analyzer ex_an_httpproxy;
extern const ex_analyzer ex_an_ecp;
extern const ex_analyzer ex_an_oab;
extern const ex_analyzer ex_an_iis;

const char *const *ex_an_httpproxy_literals(size_t *n);
const char *const *ex_an_ecp_literals(size_t *n);
const char *const *ex_an_oab_literals(size_t *n);
const char *const *ex_an_iis_literals(size_t *n);

/* Requests to .aspx/.ashx/.asmx pages under /owa/auth/, /ecp/auth/,
 * /aspnet_client/ and /oab/ seen in IIS logs, per URL (the stem, lower-cased),
 * the earliest EX_ASPX_KEEP of each: correlate.c ties them to web shells the
 * files analyzer found (a stock page name modified into a shell is requested
 * under its stock name). Shared under the key EX_ASPX_STORE_KEY. */
#define EX_ASPX_STORE_KEY "iis.aspx-requests"
#define EX_ASPX_KEEP      4
#define EX_ASPX_URLS      4096
typedef struct ex_aspx_req {
    int64_t time;
    int status;
    char *path; /* the IIS log */
    int64_t line, offset;
    char *text; /* the log line */
} ex_aspx_req;
typedef struct ex_aspx_url {
    char *url;
    uint64_t count;
    ex_aspx_req req[EX_ASPX_KEEP];
    size_t n;
} ex_aspx_url;
typedef struct ex_aspx_store ex_aspx_store;
/* The run's store (created on first use), or NULL. */
ex_aspx_store *ex_aspx_store_get(ex_hunt *h);
/* Requests to url (case-insensitive), or NULL; valid until the run is freed. */
const ex_aspx_url *ex_aspx_store_find(ex_aspx_store *s, const char *url);
/* Every URL, for the caller to walk (n set). */
const ex_aspx_url *ex_aspx_store_all(ex_aspx_store *s, size_t *n);

/* What the HttpProxy log concluded for a request id (its RequestId column):
 * the front end's IIS log names the same request as cafeReqId=<id> in the
 * query (INFERRED: HELSECERT's IIS line carries the field; docs/hunt.md), so
 * that correlate.c can tell an IIS POST /ecp/y.js that only reached
 * autodiscover from one that succeeded. Bounded: EX_REQID_MAX ids. */
#define EX_REQID_MAX 200000
void ex_reqid_note(ex_hunt *h, const char *id, size_t n, ex_kind kind, ex_severity sev, const char *what);
/* true and the HttpProxy conclusion when id is known */
bool ex_reqid_find(ex_hunt *h, const char *id, size_t n, ex_kind *kind, ex_severity *sev, const char **what);

#endif
