/* exaudit-lab: an emulated fleet of Exchange servers (and things that look
 * like them) on loopback. The contract is docs/lab.md; the behaviour of every
 * persona follows ../shared/docs/remote-detection.md and logs-and-builds.md,
 * cited where it is written (personas.c, exchange.c, truth.c).
 *
 * Modules:
 *   builds.c    the Exchange builds the fleet runs, with their source
 *   truth.c     per-CVE truth and what an honest scanner must say (expect)
 *   fleet.c     persona catalogue, mixes, per-address persona and host details
 *   manifest.c  the ground truth as JSON Lines
 *   http.c      request parser and response builder
 *   exchange.c  on-premises Exchange endpoints
 *   personas.c  everything else: Exchange Online, decoy, TMG, IIS, nginx, WAFs, hostile
 *   ntlm.c      NTLMSSP type 1 parsing and type 2 challenges
 *   tls.c       the ECDSA key, per-host certificates, TLS contexts
 *   server.c    the epoll loop
 *   addr.c      the loopback-only rule */
#ifndef EXAUDIT_LAB_H
#define EXAUDIT_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "version.h"

/* ---- builds (builds.c) -------------------------------------------------------------------- */

typedef enum lab_product { LAB_P2010, LAB_P2013, LAB_P2016, LAB_P2019, LAB_PSE } lab_product;

typedef struct lab_build {
    lab_product product;
    const char *cu;       /* "CU19", "SP3", "RTM" (SE) */
    const char *update;   /* "Mar21SU", "RU30"; "" for the CU release itself */
    const char *build;    /* the build the server runs: "15.1.2176.9" */
    const char *cu_rtm;   /* the CU's own release build: "15.1.2176.2" */
    const char *kb;       /* "" when the source gives none */
    const char *date;     /* release date, "" when the source gives none */
    const char *variants; /* persona variants built on this build (fleet.c): "P C M MC N NC F R H" */
    const char *source;   /* A, B, C: see builds.c */
} lab_build;

extern const lab_build lab_builds[];
extern const size_t lab_nbuilds;
const char *lab_product_code(lab_product p); /* "2010" .. "SE" */

/* ---- personas (fleet.c) ------------------------------------------------------------------- */

typedef enum lab_kind {
    LAB_K_EXCHANGE = 0,
    LAB_K_EXO,
    LAB_K_HAVOC,
    LAB_K_TMG,
    LAB_K_IIS,
    LAB_K_NGINX,
    /* hostile */
    LAB_K_TARPIT,
    LAB_K_ENDLESS_HEADERS,
    LAB_K_HUGE_BODY,
    LAB_K_BAD_CHUNKED,
    LAB_K_REDIRECT_LOOP,
    LAB_K_BROKEN_TLS,
    LAB_K_OLD_TLS,
    LAB_K_RESET,
    LAB_K_COUNT
} lab_kind;

/* Variants of an Exchange persona. */
enum {
    LAB_F_CUONLY = 1u << 0, /* X-OWA-Version stripped: only the CU (logon page path) is visible */
    LAB_F_EOMT = 1u << 1,   /* EOMT URL-rewrite rules (ProxyLogon cookies abort) */
    LAB_F_EOMTV2 = 1u << 2, /* EOMTv2 / EEMS rule (autodiscover + powershell aborts) */
    LAB_F_WAF_F5 = 1u << 3, /* F5 BIG-IP ASM in front: TS01 cookie, blocks attack patterns */
    LAB_F_WAF_GW = 1u << 4, /* zero-trust gateway in front: rewrites 4xx/5xx to 200 */
    LAB_F_HIDDEN = 1u << 5, /* OWA/ECP not published, X-OWA-Version stripped: no build visible */
};

typedef struct lab_persona {
    char name[64];
    lab_kind kind;
    unsigned flags;
    const lab_build *build; /* Exchange only */
    ex_version version;     /* true build */
    ex_version cu_rtm;      /* the CU release: logon page path and export-tool manifest */
    ex_version component;   /* owaVer= / MAPI "Version:" (V5/V6), see exchange.c */
    unsigned weight;        /* slots in the default mix */
} lab_persona;

extern lab_persona *lab_personas;
extern size_t lab_npersonas;
int lab_personas_init(void);
const lab_persona *lab_persona_by_name(const char *name);
const char *lab_kind_name(lab_kind k);                /* "exchange", "exo", "tarpit", ... */
const char *lab_hostile_name(lab_kind k);             /* manifest "hostile" value, NULL when not hostile */
const char *lab_exchange_class(const lab_persona *p); /* onprem online none decoy unknown */
const char *lab_waf_name(const lab_persona *p);       /* NULL when none */
const char *lab_persona_describe(const lab_persona *p, char *buf, size_t n);
/* The precision the server's own answers give a scanner, probes aside: "su", "cu", "none" (NULL
 * when not Exchange). lab_visible (truth.c) adds what the probes reveal. */
const char *lab_precision(const lab_persona *p);

/* ---- hosts (fleet.c) ---------------------------------------------------------------------- */

typedef struct lab_os {
    const char *name; /* "Windows Server 2019" */
    uint8_t major, minor;
    uint16_t build;  /* 17763 */
    const char *iis; /* "10.0" */
} lab_os;

/* Per-host quirks that change the wire but never the truth. */
enum {
    LAB_Q_LOWER_XOWA = 1u << 0,    /* "x-owa-version" in lower case (wappalyzer #5329) */
    LAB_Q_XOWA_ON_302 = 1u << 1,   /* X-OWA-Version on the /owa/ 302 (ExchangeFinder expects it) */
    LAB_Q_EMPTY_XOWA = 1u << 2,    /* an empty X-OWA-Version on EWS (righel 912587b), CU-only hosts */
    LAB_Q_PL_REDIRECT = 1u << 3,   /* ProxyLogon answer is a 302 (CSS-Exchange 447396bda) */
    LAB_Q_PS_401 = 1u << 4,        /* patched ProxyShell probe answers 401, not 400 (GossiTheDog #11) */
    LAB_Q_BASIC_REALM = 1u << 5,   /* Basic realm on EWS too (owa_iis_internal_ip) */
    LAB_Q_LOWER_FESERVER = 1u << 6 /* "x-feserver" */
};

typedef struct lab_host {
    uint32_t index;
    uint32_t addr; /* host byte order */
    const lab_persona *persona;
    uint64_t rnd; /* per-host random stream seed */
    unsigned quirks;
    const lab_os *os;
    char org[24];            /* "contoso-17" */
    char netbios_domain[16]; /* "CONTOSO17" */
    char dns_domain[64];     /* "contoso-17.local" */
    char computer[16];       /* "EXCH01" */
    char fqdn[96];           /* "exch01.contoso-17.local" */
    char tls_name[96];       /* "mail.contoso-17.example" */
    char internal_ip[16];    /* RFC 1918 address leaked without Host */
    char pubkey_token[17];   /* export-tool publicKeyToken, per install */
} lab_host;

typedef struct lab_fleet {
    uint64_t seed;
    uint32_t base; /* first address, host byte order */
    uint32_t n;
    int port;
    const char *mix;
    bool single;
    uint16_t *assign; /* persona index per host */
} lab_fleet;

extern lab_fleet lab_the_fleet;
int lab_fleet_init(lab_fleet *f, const char *mix, const char *single_persona);
void lab_host_get(const lab_fleet *f, uint32_t index, lab_host *h);
/* The subject CN of the host's certificate (Exchange Online presents Microsoft's name). */
const char *lab_cert_cn(const lab_host *h);
/* Index of a local address in the fleet, or -1. */
long lab_fleet_index(const lab_fleet *f, uint32_t addr);
uint64_t lab_mix64(uint64_t x);

/* ---- truth (truth.c) ---------------------------------------------------------------------- */

#define LAB_NCVES 5
extern const char *const lab_cves[LAB_NCVES];

typedef enum lab_status {
    LAB_S_ABSENT = 0, /* expect: the CVE must be absent from the scanner's output */
    LAB_S_NOT_APPLICABLE,
    LAB_S_VULNERABLE,
    LAB_S_PATCHED,
    LAB_S_MITIGATED,
    LAB_S_POSSIBLY,
} lab_status;
const char *lab_status_name(lab_status s);

typedef struct lab_cve_truth {
    const char *cve;
    lab_status truth, expect, expect_passive;
} lab_cve_truth;

/* What the build alone says (true build, no mitigation). */
lab_status lab_build_truth(const char *cve, const ex_version *v);
/* Fill out[LAB_NCVES] for a host of persona p with these wire quirks (LAB_Q_*: a 401 to the
 * ProxyShell probe decides nothing); returns how many apply (0 for non-Exchange and hostile). */
size_t lab_truth_eval(const lab_persona *p, unsigned quirks, lab_cve_truth out[LAB_NCVES]);

/* The build an honest scanner sees, with the behavioural probes (active) or without them. */
typedef struct lab_view {
    const char *precision; /* "su", "cu", "none" */
    ex_version build;      /* su: the true build; cu: the CU (revision -1); none: unset */
} lab_view;
lab_view lab_visible(const lab_persona *p, unsigned quirks, bool active);
/* Do builds of this CU exist on both sides of the fix? */
bool lab_cu_mixed(const char *cve, const ex_version *cu_rtm);

/* ---- manifest (manifest.c) ---------------------------------------------------------------- */

int lab_manifest_write(const lab_fleet *f, const char *path);
void lab_manifest_line(const lab_fleet *f, const lab_host *h, ex_buf *out);

/* ---- addresses (addr.c) ------------------------------------------------------------------- */

struct sockaddr;
bool lab_addr_is_loopback(const struct sockaddr *sa, size_t len);
int lab_parse_ipv4(const char *s, uint32_t *out); /* host byte order; 0 or -1 */
void lab_format_ipv4(uint32_t addr, char *buf, size_t n);

#endif
