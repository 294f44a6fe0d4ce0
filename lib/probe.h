/* probe: the per-host plan, a small state machine (RD §7). It asks the engine
 * for one request at a time, cheapest first, reads every answer through
 * lib/fingerprint, and stops as soon as the answer is certain:
 *
 *   1. GET /owa/auth/logon.aspx      Exchange or not, CU from the asset path
 *   2. GET /owa/                     X-FEServer, X-OWA-Version, Microsoft 365 redirect;
 *                                    a redirect elsewhere on the host is read once (TMG/ISA)
 *   3. GET /autodiscover/autodiscover.xml (always: Exchange without OWA, gateways),
 *      then until a full build is seen: /owa/service, /EWS/Exchange.asmx,
 *                                    /Microsoft-Server-ActiveSync
 *   4. no build at all:              the ECP export-tool manifest
 *   5. active (unless --no-active), each only when the build cannot settle its CVE:
 *      ProxyLogon cookie, ProxyShell autodiscover.json (owa, then mapi/nspi),
 *      ProxyNotShell mitigation; an aborted trigger is followed by the same
 *      request without the trigger
 *   6. NTLM type-1 on /rpc/ (then /EWS/Exchange.asmx) for names and the Windows build
 *
 * Non-Exchange hosts cost three requests; an unreachable or stalling host stops
 * at the first failure. Pure: no I/O; docs/probes.md documents every request. */
#ifndef EXAUDIT_PROBE_H
#define EXAUDIT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "fingerprint.h"
#include "http.h"
#include "kb.h"

/* What the build alone says of each probed CVE, per build: the plan asks it
 * of every Exchange host, and assessing a build costs more than a request. */
enum { EX_BUILD_NA = 1, EX_BUILD_PATCHED, EX_BUILD_OPEN };
#define EX_PROBE_CACHE_SLOTS 512
typedef struct ex_probe_cache {
    struct {
        ex_version v;
        unsigned char st[EX_PROBE_COUNT]; /* 0 = slot empty */
    } slot[EX_PROBE_CACHE_SLOTS];
} ex_probe_cache;

typedef struct ex_plan_opts {
    bool active;           /* behavioural probes */
    bool ntlm;             /* the NTLM challenge */
    size_t max_body;       /* body bytes kept for pages that are parsed (logon page, manifest) */
    const ex_kb *kb;       /* decides which probes are still needed */
    ex_probe_cache *cache; /* shared by the hosts of a scan; may be NULL */
} ex_plan_opts;

#define EX_PLAN_MAX_ERRORS 12
#define EX_PLAN_ERROR_LEN  200

typedef struct ex_plan {
    ex_plan_opts o;
    int step;
    int version_idx;
    ex_fp fp;
    /* a trigger that was aborted, waiting for its baseline */
    ex_http_response pending_trigger;
    char pending_endpoint[160];
    ex_probe_state first_shell; /* ProxyShell: result of the owa variant */
    char first_shell_ev[EX_FP_EVIDENCE];
    char errors[EX_PLAN_MAX_ERRORS][EX_PLAN_ERROR_LEN];
    size_t nerrors;
    bool more_errors;
    unsigned requests;
    char host_name[256]; /* "" for an address target */
    char current[160];   /* endpoint text of the request in flight */
    char follow[256];    /* the redirect of /owa/ to read once */
    bool loop_reported;
} ex_plan;

void ex_plan_init(ex_plan *p, const ex_plan_opts *o, const char *host_name);
/* The next request; false when the plan is done. */
bool ex_plan_next(ex_plan *p, ex_http_request *req);
/* The answer (or failure) to the request last returned by ex_plan_next. */
void ex_plan_response(ex_plan *p, const ex_http_response *r);
/* The server certificate's facts, when the engine has one (first TLS connection). */
void ex_plan_certificate(ex_plan *p, const ex_cert_info *cert);
/* A failure outside any request (per-host time budget). */
void ex_plan_abort(ex_plan *p, ex_fail why, const char *text);
/* Endpoint text of the request in flight ("GET /owa/"). */
const char *ex_plan_current(const ex_plan *p);

#endif
