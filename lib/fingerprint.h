/* fingerprint: recorded HTTP responses -> facts about one host. Pure: bytes
 * in, facts out; no network, no clock (the certificate's dates are compared
 * with a `now` passed in).
 *
 * Every rule cites ../shared/docs/remote-detection.md (RD §n). The facts feed
 * lib/verdict through ex_fp_facts(): a build with its precision and where it
 * was seen, and one observation per behavioural probe. */
#ifndef EXAUDIT_FINGERPRINT_H
#define EXAUDIT_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "verdict.h"
#include "version.h"

/* What the host is (RD §6.7, §6.8, §7). */
typedef enum ex_exchange_kind {
    EX_KIND_UNKNOWN_HOST = 0, /* reachable, but no answer could be had (or not reachable at all) */
    EX_KIND_ONPREM,
    EX_KIND_ONLINE,
    EX_KIND_NONE,
    EX_KIND_DECOY,
} ex_exchange_kind;
const char *ex_exchange_kind_name(ex_exchange_kind k); /* "onprem", "online", "none", "decoy", "unknown" */

/* Where a build number was seen; the order is the order of trust. */
typedef enum ex_build_source {
    EX_SRC_NONE = 0,
    EX_SRC_OWA_PATH,      /* logon page asset path: CU only (RD §1.1), 4 parts on 2007/2010 */
    EX_SRC_EXPORTTOOL,    /* ECP export-tool manifest: CU-RTM-like (RD §1.3) */
    EX_SRC_OWAVER,        /* owaVer= of an errorfe redirect: a component build (RD §1 V5, §6.9) */
    EX_SRC_SERVERAPP,     /* X-ServerApplication: the same component build (RD §1 V6, sample 06) */
    EX_SRC_X_OWA_VERSION, /* X-OWA-Version header: the installed build (RD §1.2) */
    EX_SRC_COUNT
} ex_build_source;
const char *ex_build_source_name(ex_build_source s);

#define EX_FP_EVIDENCE 240

typedef struct ex_build_signal {
    bool seen;
    ex_version v;
    char evidence[EX_FP_EVIDENCE]; /* "GET /owa/ -> X-OWA-Version: 15.1.2176.9" */
} ex_build_signal;

/* NTLM type-2 challenge (MS-NLMP 2.2.1.2; RD §1 V7, nmap http-ntlm-info). */
typedef struct ex_ntlm_info {
    bool seen;
    char target_name[128];
    char nb_computer[128], nb_domain[128], dns_computer[256], dns_domain[256], dns_tree[256];
    char os_version[32]; /* "10.0.17763" from the Version field, "" when absent */
    char endpoint[96];
} ex_ntlm_info;

/* TLS certificate facts (the engine hands over the DER). */
#define EX_CERT_MAX_SANS 16
typedef struct ex_cert_info {
    bool seen;
    char subject[256], subject_cn[256], issuer[256];
    char sans[EX_CERT_MAX_SANS][128];
    size_t nsans;
    bool more_sans;
    char not_before[24], not_after[24]; /* ISO 8601 UTC */
    int64_t not_after_unix;
    bool self_signed;
    char sha256[65];
} ex_cert_info;

int ex_cert_parse(const uint8_t *der, size_t len, ex_cert_info *out);
/* The same from an OpenSSL X509 the TLS stack has already decoded (no second parse). */
int ex_cert_from_x509(const void *x509, ex_cert_info *out);
/* Parse a WWW-Authenticate value "NTLM <base64>" / "Negotiate <base64>". 0 or -1. */
int ex_ntlm_parse_header(const char *value, ex_ntlm_info *out);
/* Parse a raw type-2 message. 0 or -1. */
int ex_ntlm_parse(const uint8_t *msg, size_t len, ex_ntlm_info *out);

/* Build numbers in bodies and headers (exposed for tests and fuzzing). */
bool ex_fp_owa_path_version(const char *body, size_t len, ex_version *v);
bool ex_fp_exporttool_version(const char *body, size_t len, ex_version *v);
bool ex_fp_owaver(const char *s, size_t len, ex_version *v);

/* Behavioural probes (RD §2), named for the output. */
typedef enum ex_probe_id {
    EX_PROBE_PROXYLOGON = 0, /* CVE-2021-26855 */
    EX_PROBE_PROXYSHELL,     /* CVE-2021-34473 */
    EX_PROBE_PROXYNOTSHELL,  /* CVE-2022-41040: mitigation state only */
    EX_PROBE_COUNT
} ex_probe_id;
const char *ex_probe_name(ex_probe_id p); /* "proxylogon", ... */
const char *ex_probe_cve(ex_probe_id p);  /* "CVE-2021-26855", ... */

typedef enum ex_probe_state {
    EX_PSTATE_NOT_RUN = 0, /* skipped: not needed, not applicable, or --no-active */
    EX_PSTATE_POSITIVE,
    EX_PSTATE_NEGATIVE,
    EX_PSTATE_MITIGATED,
    EX_PSTATE_NO_MITIGATION, /* ProxyNotShell: the trigger was answered */
    EX_PSTATE_INCONCLUSIVE,
} ex_probe_state;
const char *ex_probe_state_name(ex_probe_state s);

typedef struct ex_probe_result {
    ex_probe_state state;
    char evidence[EX_FP_EVIDENCE];
    char why_skipped[96];
} ex_probe_result;

/* Everything learnt about one host. */
typedef struct ex_fp {
    /* is it Exchange? (RD §1.1 markers, §4 header dictionary) */
    bool any_response;  /* at least one HTTP answer */
    bool owa_page;      /* OwaPage comment, IsOwaPremiumBrowser, scripts message */
    bool fba_guid;      /* {57A118C6-...}: OWA or TMG/ISA */
    bool iis;           /* Server: Microsoft-IIS / X-Powered-By: ASP.NET */
    char fe_server[64]; /* X-FEServer */
    bool exporttool;    /* the manifest parsed */
    int exo_markers;    /* Exchange Online back-end names and redirects (RD §4, §6.8) */
    char exo_evidence[EX_FP_EVIDENCE];
    char onprem_evidence[EX_FP_EVIDENCE];
    bool microsoft_host; /* the host name or certificate is Microsoft's (set by ex_fp_set_host) */
    bool exo_redirect;   /* redirect to login.microsoftonline.com / outlook.office365.com */
    char inconsistency[EX_FP_EVIDENCE];
    /* a WAF / reverse proxy / gateway in front */
    char waf_id[24]; /* "f5-asm", "ztna-gateway", "tmg" */
    char waf[64];    /* its readable name */
    char waf_evidence[EX_FP_EVIDENCE];
    char server_header[64]; /* first Server: value seen */
    bool tmg_page;          /* an ISA/TMG forms logon page (FBA GUID without OWA markers) */
    /* same-host redirects seen, to name a loop */
    struct {
        char from[96], to[96];
    } redirects[4];
    size_t nredirects;
    char redirect_loop[EX_FP_EVIDENCE];
    /* build signals */
    ex_build_signal build[EX_SRC_COUNT];
    bool exo_version_seen; /* an X-OWA-Version that came with Exchange Online markers */
    /* extras */
    ex_ntlm_info ntlm;
    ex_cert_info cert;
    ex_probe_result probes[EX_PROBE_COUNT];
    /* failures, for "unknown" */
    unsigned responses, failures;
    ex_fail last_fail;
} ex_fp;

void ex_fp_init(ex_fp *fp);
/* The target's host name (NULL for an address) and the certificate decide
 * whether Exchange Online markers are genuine. Call after the certificate. */
void ex_fp_set_host(ex_fp *fp, const char *host_name);
/* Learn from one response (any endpoint). A response cut by a failure
 * (reset, bad chunking, oversized) only counts as a failure. */
void ex_fp_observe(ex_fp *fp, const ex_http_response *r);
/* The same-host path a redirect of this response points to ("" when none). */
void ex_fp_redirect_path(const ex_http_response *r, char *out, size_t n);

/* The conclusion. */
typedef struct ex_fp_result {
    ex_exchange_kind kind;
    bool have_version;
    ex_version version;     /* with revision -1 when only the CU is known */
    ex_build_source source; /* the signal the version rests on */
    char version_evidence[2 * EX_FP_EVIDENCE];
    char reason[EX_FP_EVIDENCE]; /* why this kind */
} ex_fp_result;
void ex_fp_conclude(const ex_fp *fp, ex_fp_result *out);

/* Is the build exact (X-OWA-Version, or the four-part path of 2007/2010)?
 * owaVer=, X-ServerApplication and the export-tool manifest carry component
 * builds that sit at or below the CU's release build (sample 05/06 show
 * 15.2.858.2 on a CU9 whose first build is 15.2.858.5), so they name the CU
 * only, unless they equal X-OWA-Version. */
bool ex_fp_build_is_exact(const ex_fp_result *r);

/* Readings of the behavioural probes (RD §2). Each takes the response to
 * the trigger request (and, for an abort, the baseline without the trigger)
 * and what is known about the host. */
ex_probe_state ex_fp_read_proxylogon(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen);
ex_probe_state ex_fp_read_proxyshell(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen);
ex_probe_state ex_fp_read_proxynotshell(const ex_fp *fp, const ex_http_response *r, char *ev, size_t evlen);
/* An abort on the trigger: mitigated if the baseline was answered. */
ex_probe_state ex_fp_read_abort(const ex_http_response *trigger, const ex_http_response *baseline, char *ev,
                                size_t evlen);
/* Was this answer demonstrably from Exchange itself (not a WAF, not a 401)? */
bool ex_fp_clean_exchange_answer(const ex_fp *fp, const ex_http_response *r);

/* Facts for lib/verdict: version and one observation per probe that decided
 * something. obs must hold EX_PROBE_COUNT entries; strings point into fp/res. */
void ex_fp_facts(const ex_fp *fp, const ex_fp_result *res, ex_observation *obs, ex_facts *facts);

#endif
