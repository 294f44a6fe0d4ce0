/* mkevidence: synthetic Exchange evidence with a ground truth.
 *
 * The generator writes what a real Exchange server writes (formats from
 * ../shared/docs/logs-and-builds.md §3 and ioc-hunting.md), fills it with
 * benign traffic and plants the documented attack traces of one scenario.
 * Every planted trace that a correct hunter must report is recorded in the
 * ground truth (docs/evidence.md) with the file, line and time it was
 * written at, so the hunter's tests never need to know how it was made.
 *
 * Everything is a pure function of the command line: one seeded PRNG per
 * concern, fixed file times, no clock, no environment. */
#ifndef MKEV_H
#define MKEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_LEN(a) (sizeof(a) / sizeof((a)[0]))

void mk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Make room for one more element in a growable array (exits when memory runs out: a generator has no better answer). */
#define MK_GROW(arr, n, cap)                                                                                           \
    do {                                                                                                               \
        if ((n) == (cap)) {                                                                                            \
            size_t nc_ = (cap) ? (cap)*2 : 64;                                                                         \
            void *np_ = realloc((arr), nc_ * sizeof *(arr));                                                           \
            if (!np_) {                                                                                                \
                mk_warn("out of memory");                                                                              \
                exit(3);                                                                                               \
            }                                                                                                          \
            (arr) = np_;                                                                                               \
            (cap) = nc_;                                                                                               \
        }                                                                                                              \
    } while (0)

/* ---------------------------------------------------------------- config */

enum { MK_LAYOUT_TREE, MK_LAYOUT_KAPE, MK_LAYOUT_VELO };
enum { MK_EVTX_BINARY, MK_EVTX_XML, MK_EVTX_CSV };

typedef enum mk_scenario_id {
    MK_SC_CLEAN,
    MK_SC_SCANNED,
    MK_SC_PROXYLOGON,
    MK_SC_PROXYSHELL,
    MK_SC_PROXYNOTSHELL,
    MK_SC_COMPILED,
    MK_SC_COUNT
} mk_scenario_id;

typedef struct mk_build {
    int major, minor, build, rev;
} mk_build;

typedef struct mk_cfg {
    const char *out;        /* tree: directory; zips: the .zip file */
    const char *truth_path; /* NULL: no ground truth */
    mk_scenario_id scenario;
    uint64_t seed;
    uint64_t size;          /* target bytes of text logs */
    int64_t from_ms, to_ms; /* [from, to) in ms since the epoch, whole days */
    int64_t patched_ms;     /* when the fix was installed; INT64_MAX: never */
    int layout, evtx_form;
    mk_build build;         /* running before the fix */
    mk_build patched_build; /* running after the fix (== build when unknown) */
    char install_win[256];  /* "C:\Program Files\Microsoft\Exchange Server\V15" */
    char install_v[256];    /* the same in evidence form "C:/Program Files/..." */
    int64_t install_ms;     /* when Exchange (this CU) was installed */
    bool quiet;
} mk_cfg;

/* Build running at time t (ms). */
const mk_build *mk_build_at(const mk_cfg *c, int64_t t);
/* "15.1.2176.2" / "15.01.2176.002" */
void mk_build_short(const mk_build *b, char *buf, size_t n);
void mk_build_long(const mk_build *b, char *buf, size_t n);

/* ------------------------------------------------------------------ PRNG */

typedef struct mk_rng {
    uint64_t s[4];
} mk_rng;

void mk_rng_seed(mk_rng *r, uint64_t seed, uint64_t stream);
uint64_t mk_rng_next(mk_rng *r);
/* Uniform in [0, n) (n > 0). */
static inline uint32_t mk_rng_below(mk_rng *r, uint32_t n)
{
    return (uint32_t)(((mk_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
static inline bool mk_rng_chance(mk_rng *r, uint32_t per_mille)
{
    return mk_rng_below(r, 1000) < per_mille;
}
/* A GUID-shaped 16 bytes. */
void mk_rng_guid(mk_rng *r, uint8_t g[16]);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case), 37 bytes with the NUL. */
void mk_guid_str(const uint8_t g[16], char out[37]);
/* Deterministic 64-bit hash of a string (FNV-1a), for stable per-name choices. */
uint64_t mk_hash_str(const char *s, uint64_t seed);

/* ------------------------------------------------------------------ time */

#define MK_HOUR_MS 3600000LL
#define MK_DAY_MS  86400000LL
/* "2021-03-03T06:49:42.162Z" (25 bytes with NUL) */
void mk_time_iso_ms(int64_t ms, char *buf);
/* "2021-03-03T06:49:42Z" */
void mk_time_iso_s(int64_t ms, char *buf);
/* broken-down UTC */
typedef struct mk_tm {
    int year, mon, day, hour, min, sec, ms, wday;
} mk_tm;
void mk_time_split(int64_t ms, mk_tm *t);
int64_t mk_time_make(int year, int mon, int day, int hour, int min, int sec, int ms);
/* "2021-03-03" -> ms at 00:00 UTC, -1 when malformed */
int64_t mk_parse_date(const char *s);

/* ------------------------------------------------------------ output files */

/* A file being written: a large buffer in front of a file descriptor, with
 * the evidence path it will be reported under. Lines are counted by the
 * writers that know where lines end (mk_file.lines). */
typedef struct mk_file {
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t bytes;  /* written so far, buffered included */
    uint64_t lines;  /* complete lines written so far */
    char vpath[512]; /* evidence form: "C:/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log" */
    bool failed;
} mk_file;

/* Output root: where evidence paths land on disk. */
void mk_out_init(const char *root);
const char *mk_out_root(void);
/* Map an evidence path to the local path ("C:/x" -> ROOT/C/x, "EventLogs/x" -> ROOT/EventLogs/x). */
void mk_out_local(const char *vpath, char *buf, size_t n);
/* mkdir -p of the parent directories of a local path. */
int mk_mkdirs_for(const char *local);
int mk_mkdir_v(const char *vpath);

int mk_file_open(mk_file *f, const char *vpath);
/* Make room for at least n bytes in the buffer; returns the write pointer. */
char *mk_file_reserve(mk_file *f, size_t n);
static inline void mk_file_commit(mk_file *f, char *end)
{
    size_t n = (size_t)(end - (f->buf + f->len));
    f->len += n;
    f->bytes += n;
}
void mk_file_write(mk_file *f, const void *p, size_t n);
void mk_file_puts(mk_file *f, const char *s);
/* Flush, set the modification (and access) time, close. Returns -1 on any I/O error. */
int mk_file_close(mk_file *f, int64_t mtime_ms);
/* Whole file at once. */
int mk_write_whole(const char *vpath, const void *data, size_t len, int64_t mtime_ms);
/* Set a directory's times (after its content is written). */
void mk_set_dir_time(const char *vpath, int64_t mtime_ms);

/* Fast formatting into a reserved buffer (no bounds checks: reserve first). */
static inline char *mk_put(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}
char *mk_put_u(char *p, uint64_t v);
static inline char *mk_put_2d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}
static inline char *mk_put_3d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 100 % 10);
    p[1] = (char)('0' + v / 10 % 10);
    p[2] = (char)('0' + v % 10);
    return p + 3;
}
char *mk_put_guid(char *p, const uint8_t g[16]);
/* A CSV field: quoted with "" escapes when it holds , " or a line break. */
char *mk_put_csv(char *p, const char *s);

/* ---------------------------------------------------------- ground truth */

typedef enum mk_sev { MK_SEV_NONE = -1, MK_SEV_INFO, MK_SEV_MEDIUM, MK_SEV_HIGH, MK_SEV_CRITICAL } mk_sev;

/* What a planted trace means for the hunter. */
typedef struct mk_expect {
    const char *kind; /* exploitation-attempt, exploitation-success, webshell, ... */
    const char *cve;  /* or NULL */
    mk_sev min_sev;
    mk_sev max_sev; /* MK_SEV_NONE: no ceiling */
    bool required;  /* false: context (part of the attack, reporting is optional) */
    const char *note;
} mk_expect;

/* A planted log line / event / file was written. line and record are -1 when
 * not applicable; time_ms is EX-unknown (INT64_MIN) for files. */
void mk_truth_add(const mk_expect *e, const char *vpath, int64_t line, int64_t record, int64_t time_ms,
                  const char *sha256);
/* A benign look-alike (never to be reported above info). line -1 for files. */
void mk_truth_benign(const char *vpath, int64_t line, const char *note);
/* Coverage of a log directory (install-relative when under the install root). */
void mk_truth_cover(const char *vpath_dir, int64_t first_ms, int64_t last_ms);
/* Malicious activity time that is not itself an expected finding (file drop, context line). */
void mk_truth_malicious_time(int64_t ms);
int mk_truth_write(const mk_cfg *c, const char *path);
void mk_truth_reset(void);

/* ------------------------------------------------------------ the server */

/* Names of the emulated organisation and server (fixed: hunters must not
 * depend on them, but stable names keep runs comparable). */
#define MK_DOMAIN         "contoso.com"
#define MK_NETBIOS        "CONTOSO"
#define MK_AD_DOMAIN      "contoso.local"
#define MK_SERVER         "EXCH01"
#define MK_SERVER_FQDN    "EXCH01.contoso.local"
#define MK_SERVER_FQDN_LC "exch01.contoso.local"
#define MK_SERVER_IP      "10.10.1.20"
#define MK_PUBLIC_HOST    "mail.contoso.com"

/* HttpProxy protocols, in folder order. */
enum {
    MK_P_AUTODISCOVER,
    MK_P_EAS,
    MK_P_ECP,
    MK_P_EWS,
    MK_P_MAPI,
    MK_P_OAB,
    MK_P_OWA,
    MK_P_OWACAL,
    MK_P_POWERSHELL,
    MK_P_RPCHTTP,
    MK_P_COUNT,
    MK_P_NONE = 255 /* not proxied (served by the front end itself) */
};
extern const char *const mk_proto_folder[MK_P_COUNT]; /* "Autodiscover", "Eas", ... */
extern const char *const mk_proto_name[MK_P_COUNT];   /* value of the Protocol column */

/* Which logs a request lands in. */
enum {
    MK_R_HP = 1u << 0,  /* Logging/HttpProxy/<Protocol> */
    MK_R_FE = 1u << 1,  /* IIS W3SVC1 (Default Web Site, front end) */
    MK_R_BE = 1u << 2,  /* IIS W3SVC2 (Exchange Back End) */
    MK_R_ECP = 1u << 3, /* Logging/ECP/Server (one ECP.Request line) */
};
enum { MK_T_HP, MK_T_FE, MK_T_BE, MK_T_ECP, MK_T_COUNT };

/* One HTTP request as the logs see it. Strings are borrowed (static tables,
 * the generator's scratch arena, or a plant's own copies). */
typedef struct mk_req {
    int64_t t; /* ms */
    uint8_t proto;
    uint8_t flags; /* MK_R_* */
    bool authenticated;
    const char *method;
    const char *url_host;
    const char *stem;      /* path */
    const char *query;     /* without '?', "" when none */
    const char *user;      /* "CONTOSO\jdoe" or "" */
    const char *ua;        /* raw user agent ("" none) */
    const char *cip;       /* client address */
    const char *anchor;    /* AnchorMailbox */
    const char *auth_type; /* AuthenticationType */
    const char *protocol_action;
    const char *routing_type;
    const char *routing_hint;
    const char *be_cookie;
    const char *target; /* back end server ("" when not proxied) */
    const char *error_code;
    const char *ecp_cmd;       /* ECP log S:CMD value (raw, unquoted) */
    const char *ecp_ex;        /* ECP log S:EX value */
    const char *generic_extra; /* appended to GenericInfo */
    const char *be_stem;       /* back end cs-uri-stem when it differs (SSRF target), else NULL */
    const char *be_query;      /* back end cs-uri-query when be_stem is set */
    const char *be_cip;        /* back end c-ip (default: the server) */
    const char *be_user;       /* back end cs-username (default: user) */
    int status, be_status;
    int substatus, win32;
    int time_taken; /* ms */
    int req_bytes, resp_bytes;
    uint8_t rid[16];                     /* RequestId / cafeReqId */
    const mk_expect *expect[MK_T_COUNT]; /* planted: what each log line means */
    const char *benign_note[MK_T_COUNT]; /* benign look-alike lines */
} mk_req;

/* ECP server log lines that are not requests, OAB generator lines, events: planted items. */
typedef struct mk_logline {
    int64_t t;
    const char *text;     /* ECP: EventData items, already "S:..;" encoded; OAB: message */
    const char *event_id; /* ECP EventId column / OAB level */
    const mk_expect *expect;
    const char *benign_note;
} mk_logline;

/* ----------------------------------------------------- events (evtx etc.) */

enum { MK_CH_APPLICATION, MK_CH_MANAGEMENT, MK_CH_COUNT };
extern const char *const mk_channel_name[MK_CH_COUNT];

#define MK_EVENT_DATA_MAX 27
typedef struct mk_event {
    int64_t t;
    int channel;
    const char *provider;
    uint16_t event_id, qualifiers, task;
    uint8_t level; /* 2 error, 3 warning, 4 information */
    uint64_t keywords;
    int ndata;
    const char *data[MK_EVENT_DATA_MAX]; /* NULL or "": empty <Data/> */
    uint64_t record_id;                  /* assigned when written */
    const mk_expect *expect;
    const char *benign_note;
} mk_event;

/* ------------------------------------------------------------- the users */

typedef struct mk_user {
    char sam[40];      /* "anna.berg" */
    char upn[80];      /* "anna.berg@contoso.com" */
    char dom_user[64]; /* "CONTOSO\anna.berg" */
    char sid[64];
    char lan_ip[16], ext_ip[16], mobile_ip[16];
    char device_id[40];
    uint8_t mbx_guid[16];
    uint8_t db_guid_idx;
    uint8_t device;  /* index into the mobile device table */
    uint8_t outlook; /* index into the Outlook UA table */
    bool admin;
} mk_user;

extern mk_user *mk_users;
extern size_t mk_nusers;
void mk_users_make(uint64_t seed);

/* --------------------------------------------------------------- the plan */

/* A file the scenario drops (web shell) or changes (benign customisation). */
typedef struct mk_pfile {
    const char *vpath;
    uint8_t *data;
    size_t len;
    int64_t mtime;
    const mk_expect *expect;
    const char *benign_note;
} mk_pfile;

/* What the scenario plants; filled by mk_scenario_plan(), consumed by the writers. */
typedef struct mk_plan {
    mk_req *reqs;
    size_t nreqs, capreqs;
    mk_logline *ecp, *oab;
    size_t necp, capecp, noab, capoab;
    mk_event *events;
    size_t nevents, capevents;
    mk_pfile *files;
    size_t nfiles, capfiles;
    bool branded_logon; /* benign customised logon.aspx */
    bool eems_rewrite;  /* EOMTv2/EEMS "PowerShell - inbound" rule in wwwroot web.config */
    int64_t eems_ms;
} mk_plan;

mk_req *mk_plan_req(mk_plan *p);
mk_logline *mk_plan_ecp(mk_plan *p);
mk_logline *mk_plan_oab(mk_plan *p);
mk_event *mk_plan_event(mk_plan *p);
/* Plan a file (the data is copied). */
void mk_plan_file(mk_plan *p, const char *vpath, const void *data, size_t len, int64_t mtime, const mk_expect *e,
                  const char *benign_note);
/* One MSExchange CmdletLogs EID 1 event (27 data strings, as in the real samples). */
void mk_cmdlet_event(mk_event *e, int64_t t, const char *cmdlet, const char *params, const mk_user *u, bool via_ecp,
                     const char *activity_guid);
void mk_plan_sort(mk_plan *p);
/* Copy a string into the plan's lifetime (never freed before exit). */
const char *mk_keep(const char *s);
const char *mk_keepf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free every mk_keep/mk_keepf string (at exit). */
void mk_keep_release(void);
void mk_plan_free(mk_plan *p);

/* Scenarios: defaults (dates, build, patch date) and the plan. */
typedef struct mk_scenario_info {
    const char *name;
    const char *from, *to, *patched_on; /* defaults */
    mk_build build;
    const char *summary;
} mk_scenario_info;
extern const mk_scenario_info mk_scenarios[MK_SC_COUNT];
int mk_scenario_lookup(const char *name);
/* Plan the attack traces; also plants the files of the attack (web shells). */
int mk_scenario_plan(const mk_cfg *c, mk_plan *p);
/* Benign look-alikes common to every scenario. */
void mk_lookalikes_plan(const mk_cfg *c, mk_plan *p);

/* The fixed build for a scenario's CVE family, or false when unknown. */
bool mk_fixed_build(mk_scenario_id sc, const mk_build *b, mk_build *fixed);

/* --------------------------------------------------------- the writers */

/* Web logs: HttpProxy, IIS (front and back end), ECP server, OAB generator.
 * Streams benign traffic hour by hour between from and to, merging the
 * plan's items at their times. Returns bytes written or -1. */
int64_t mk_weblogs_write(const mk_cfg *c, const mk_plan *p);
/* Benign request generator (traffic.c). */
typedef struct mk_traffic mk_traffic;
mk_traffic *mk_traffic_new(const mk_cfg *c);
void mk_traffic_free(mk_traffic *t);
/* Fill r with the next benign request at time t. */
void mk_traffic_next(mk_traffic *t, int64_t time_ms, mk_req *r);
/* Relative load of the hour starting at t (diurnal and weekly pattern). */
double mk_traffic_weight(int64_t hour_ms);

/* ECP server log EventData ("S:TIME=..;S:SID=..;S:CMD=..;..."), items quoted as Exchange does. */
size_t mk_ecp_eventdata(char *out, size_t n, int time_ms, const char *sid, const char *cmd, const char *url,
                        const char *ex, const char *bld, const char *actid, const char *usid);

/* Event logs in the configured form. */
int mk_events_write(const mk_cfg *c, mk_plan *p);

/* EVTX binary writer (evtx.c): whole file built in memory (event logs are small). */
typedef struct mk_evtx mk_evtx;
mk_evtx *mk_evtx_new(void);
int mk_evtx_add(mk_evtx *w, const mk_event *ev, const char *computer);
/* Returns the file bytes (owned by w) */
const uint8_t *mk_evtx_finish(mk_evtx *w, size_t *len);
void mk_evtx_free(mk_evtx *w);
uint32_t mk_crc32(uint32_t crc, const void *data, size_t len);

/* The OWA logon page (stock, or with a customer's branding). */
char *mk_logon_aspx(const char *vdir_build, bool branded);

/* Files: owa\auth, configs, ExSetup.exe, aspnet_client, the plan's files (SHA-256 into the truth). */
int mk_files_write(const mk_cfg *c, const mk_plan *p);

/* PE images (pe.c). */
/* A minimal PE32+ executable with a VS_VERSIONINFO resource for b. */
uint8_t *mk_pe_exsetup(const mk_build *b, size_t *len);
/* A minimal PE32 DLL holding the given strings (ASCII and UTF-16) in .text, padded to pad_to bytes. */
uint8_t *mk_pe_dll(const char *const *ascii, size_t nascii, const char *const *wide, size_t nwide, size_t pad_to,
                   uint32_t timestamp, size_t *len);

/* Layouts (layout.c): pack the generated tree into a triage zip. */
int mk_layout_pack(const mk_cfg *c, const char *tree_root);

#endif
