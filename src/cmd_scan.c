/* exaudit scan: safe remote fingerprinting of Exchange servers. Glue only:
 * lib/targets feeds lib/engine, whose hosts run lib/probe's plan; each
 * finished host is assessed (lib/verdict) and written at once, and with --db
 * committed to the inventory (lib/out/recorder) from the event-loop thread. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assess_cache.h"
#include "cli.h"
#include "engine.h"
#include "kb.h"
#include "out/recorder.h"
#include "out/scan_out.h"
#include "out/store.h"
#include "out/term.h"
#include "probe.h"
#include "targets.h"
#include "util.h"

enum format { FMT_TABLE, FMT_JSON, FMT_CSV };

#define MAX_RESOLVE 64

typedef struct scan {
    enum format fmt;
    FILE *out;
    FILE *summary_out;
    bool color, progress, quiet;
    const ex_kb *kb;
    ex_assess_cache *assessments;
    ex_record_cache *records; /* NULL only costs time */
    int64_t today;
    ex_plan_opts plan;
    ex_engine_opts eng;
    ex_targets *targets;
    int64_t total; /* estimated, -1 unknown */
    ex_scan_summary sum;
    uint64_t vulnerable_hosts;
    bool write_failed;
    bool progress_shown;
    double t0;
    char host_timeout_text[64];
    bool write_hosts; /* per-host output (with --db only when asked for) */
    /* --db: the inventory, the run, and what went into it */
    ex_store *store;
    int64_t run;
    bool resuming; /* an interrupted run: skip the targets it holds */
    bool run_ended;
    uint64_t recorded, already_recorded;
    bool store_failed;
} scan;

typedef struct job {
    ex_endpoint ep;
    ex_plan plan;
} job;

static void usage(FILE *out)
{
    fprintf(out, "usage: exaudit scan [options] TARGET...\n\n"
                 "Find Microsoft Exchange servers, their build and their exposure, with safe requests\n"
                 "only (docs/probes.md). TARGET: host, address, CIDR, a.b.c.d-e range, URL; '-' or no\n"
                 "TARGET with a pipe reads targets (also zmap and masscan -oL/-oJ output) from stdin.\n\n"
                 "Targets:\n"
                 "  -iL, --input FILE      read targets from FILE (repeatable)\n"
                 "  -p, --ports LIST       ports for targets without one (default 443)\n"
                 "  --http                 plain HTTP for targets without a scheme\n"
                 "  --exclude LIST         comma-separated addresses, ranges, CIDRs or names not to scan\n"
                 "  --exclude-file FILE    the same, one per line\n"
                 "  --shard I/N            scan only shard I of N (1-based) of the de-duplicated list\n"
                 "  --resume FILE          skip the hosts already in this JSON Lines output\n"
                 "  --resume               with --db: continue the newest interrupted scan run of the\n"
                 "                         inventory, skipping the targets it holds; with no TARGET\n"
                 "                         (nor -iL) its own targets, ports, exclusions and shard\n"
                 "Probes:\n"
                 "  --no-active            passive version detection only (no behavioural checks)\n"
                 "  --no-ntlm              skip the NTLM challenge\n"
                 "Engine:\n"
                 "  --concurrency N        hosts in flight (default 1000)\n"
                 "  --rate N               new hosts per second (default: no limit)\n"
                 "  --threads N            event loops (default: one per processor)\n"
                 "  --timeout S            per-request time limit (default 10)\n"
                 "  --connect-timeout S    TCP connect time limit (default 5)\n"
                 "  --host-timeout S       time budget of one host (default 30)\n"
                 "  --retries N            retries after a connect timeout (default 1)\n"
                 "  --proxy URL            send everything through this proxy\n"
                 "  --user-agent S         User-Agent header\n"
                 "  --http1.1              never negotiate HTTP/2\n"
                 "  --legacy-tls           also talk TLS 1.0/1.1 and weak ciphers\n"
                 "  --resolve H:P:A        use address A for host H port P (repeatable)\n"
                 "  --max-body BYTES       body bytes kept per parsed page (default 65536)\n"
                 "Output:\n"
                 "  --json                 JSON Lines, one object per host (docs/schema.md)\n"
                 "  --csv                  CSV, one row per host\n"
                 "  -o, --output FILE      write results to FILE (appended to when it is the --resume file)\n"
                 "  --db [FILE]            record into the inventory as the scan goes (one commit per\n"
                 "                         finished host; default $XDG_DATA_HOME/exaudit/inventory.db;\n"
                 "                         FILE follows when it ends in .db/.sqlite/.sqlite3 or is a\n"
                 "                         SQLite file, else write --db=FILE). Per-host lines are then\n"
                 "                         printed only with --json, --csv or -o\n"
                 "  -q, --quiet            no progress line and no summary\n"
                 "  --data DIR             knowledge-base bundle directory\n"
                 "  -h, --help             this text\n\n"
                 "Exit status: 0 nothing vulnerable, 1 a host has a CVE with status vulnerable,\n"
                 "2 usage error, 3 runtime error or interrupted scan. docs/scan.md has the details.\n");
}

/* ---- engine callbacks ------------------------------------------------------------------------------ */

static int next_target(void *user, ex_endpoint *ep)
{
    scan *s = user;
    char err[512], key[EX_LABEL_MAX + 16];
    for (;;) {
        int r = ex_targets_next(s->targets, ep, err, sizeof err);
        if (r < 0)
            fprintf(stderr, "exaudit scan: %s\n", err);
        if (r != 1 || !s->resuming)
            return r;
        ex_recorder_target(ep->label, ep->port, key, sizeof key);
        if (!ex_store_run_has(s->store, s->run, key))
            return 1;
        s->already_recorded++;
    }
}

static void *host_start(void *user, const ex_endpoint *ep)
{
    scan *s = user;
    job *j = malloc(sizeof *j);
    if (!j)
        return NULL;
    j->ep = *ep;
    ex_plan_init(&j->plan, &s->plan, ep->is_ip ? NULL : ep->host);
    return j;
}

static bool host_next(void *user, void *jp, ex_http_request *req)
{
    return ex_plan_next(&((job *)jp)->plan, req);
}

static void host_response(void *user, void *jp, const ex_http_response *r, const ex_conn_info *ci)
{
    job *j = jp;
    ex_cert_info cert;
    if (ci->cert_x509 && !j->plan.fp.cert.seen && ex_cert_from_x509(ci->cert_x509, &cert) == 0)
        ex_plan_certificate(&j->plan, &cert);
    ex_plan_response(&j->plan, r);
}

static void clear_progress(scan *s)
{
    if (s->progress_shown) {
        fputs("\r\033[K", stderr);
        s->progress_shown = false;
    }
}

static void write_host(scan *s, const ex_scan_host *h)
{
    if (s->fmt == FMT_JSON) {
        char *text = ex_scan_json_line(h, s->records);
        if (!text || fputs(text, s->out) == EOF || fputc('\n', s->out) == EOF)
            s->write_failed = true;
        free(text);
    } else if (s->fmt == FMT_CSV) {
        ex_scan_csv_row(s->out, h);
    } else {
        if (s->out == stdout)
            clear_progress(s);
        ex_scan_table_row(s->out, h, s->color);
    }
    /* Written as each host finishes: an interrupted scan loses nothing already done. */
    if (fflush(s->out) != 0 || ferror(s->out))
        s->write_failed = true;
}

/* Commit one finished host. A host cut by a second interrupt did not run its
 * plan to the end: it is left out, so that --resume scans it again. */
static void record_host(scan *s, const ex_scan_host *h, const ex_facts *facts, bool timed_out)
{
    if (s->store_failed || (timed_out && ex_engine_stop_level() >= 2))
        return;
    char key[EX_LABEL_MAX + 16];
    ex_recorder_target(h->ep->label, h->ep->port, key, sizeof key);
    if (ex_recorder_put_scan_host(s->store, s->run, key, h, facts) == 0) {
        s->recorded++;
        return;
    }
    s->store_failed = true;
    clear_progress(s);
    fprintf(stderr, "exaudit scan: recording %s into the inventory failed: %s; starting no new host\n", key,
            ex_store_errmsg(s->store));
    ex_engine_request_stop(1);
}

static void host_done(void *user, void *jp, const ex_conn_info *ci, bool timed_out)
{
    scan *s = user;
    job *j = jp;
    if (timed_out)
        ex_plan_abort(&j->plan, EX_FAIL_HOST_TIMEOUT,
                      ex_engine_stop_level() >= 2 ? "scan interrupted" : s->host_timeout_text);
    ex_fp_result res;
    ex_fp_conclude(&j->plan.fp, &res);
    ex_observation obs[EX_PROBE_COUNT];
    ex_facts facts = {.today = s->today};
    ex_fp_facts(&j->plan.fp, &res, obs, &facts);
    const ex_assessment *a = ex_assess_cached(s->assessments, &facts);
    if (a) {
        ex_scan_host h = {.ep = &j->ep, .ci = ci, .plan = &j->plan, .res = &res, .a = a};
        if (s->write_hosts)
            write_host(s, &h);
        if (s->store)
            record_host(s, &h, &facts, timed_out);
        ex_scan_summary_add(&s->sum, &h);
        s->vulnerable_hosts += ex_scan_host_worst(&h) == EX_STATUS_VULNERABLE;
    } else {
        s->write_failed = true;
    }
    free(j);
}

static void tick(void *user, const ex_engine_stats *st)
{
    scan *s = user;
    if (!s->progress)
        return;
    double secs = (double)st->elapsed_ms / 1000.0;
    double rate = secs > 0 ? (double)st->done / secs : 0;
    char total[32] = "?", eta[32] = "?";
    int64_t tot = s->total >= 0 ? s->total : (st->exhausted ? (int64_t)st->started : -1);
    if (tot >= 0) {
        snprintf(total, sizeof total, "%lld", (long long)tot);
        if (rate > 0 && tot >= (int64_t)st->done) {
            long left = (long)((double)(tot - (int64_t)st->done) / rate);
            snprintf(eta, sizeof eta, "%ld:%02ld", left / 60, left % 60);
        }
    }
    fprintf(stderr, "\r\033[K%llu/%s hosts  %.0f/s  ETA %s  in flight %llu  found: %llu Exchange, %llu vulnerable",
            (unsigned long long)st->done, total, rate, eta, (unsigned long long)st->active,
            (unsigned long long)s->sum.kinds[EX_KIND_ONPREM], (unsigned long long)s->vulnerable_hosts);
    s->progress_shown = true;
}

/* ---- options -------------------------------------------------------------------------------------- */

static int parse_seconds(const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end);
    /* !(a && b) also refuses NaN; under 1 ms would be 0, which libcurl reads as "no limit" */
    if (end == s || *end || !(v >= 0.001 && v <= 86400))
        return -1;
    *ms = (long)(v * 1000);
    return 0;
}

/* curl's --resolve syntax, HOST:PORT:ADDRESS[,ADDRESS...]: libcurl would refuse a bad one on every request. */
static bool valid_resolve(const char *s)
{
    const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || c1 == s || c2 == c1 + 1 || c2[1] == '\0' || c2 - c1 > 6)
        return false;
    unsigned long port = 0;
    for (const char *p = c1 + 1; p < c2; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    return port >= 1 && port <= 65535;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_ports(const char *s, ex_targets_opts *to)
{
    char buf[512];
    ex_strlcpy(buf, s, sizeof buf);
    to->nports = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned long p;
        if (to->nports == EX_MAX_PORTS || parse_uint(t, 1, 65535, &p) != 0)
            return -1;
        to->ports[to->nports++] = (uint16_t)p;
    }
    return to->nports ? 0 : -1;
}

static int parse_shard(const char *s, ex_targets_opts *to)
{
    unsigned i, n;
    char c;
    if (sscanf(s, "%u/%u%c", &i, &n, &c) != 2 || n == 0 || i == 0 || i > n || n > 1000000)
        return -1;
    to->shard_index = i;
    to->shard_count = n;
    return 0;
}

static void on_sig(int sig)
{
    if (ex_engine_escalate_stop() >= 3)
        _exit(EXIT_RUNTIME);
}

static void warn_target(void *ctx, const char *msg)
{
    fprintf(stderr, "exaudit scan: warning: %s\n", msg);
}

/* Load the labels of finished hosts from a JSON Lines file; a cut last line is ignored. */
static int load_resume(scan *s, const char *path, size_t *count)
{
    bool dummy;
    (void)dummy;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return errno == ENOENT ? 0 : -1;
    char *line = NULL;
    size_t cap = 0, records = 0, others = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        json_t *j = n < (1 << 20) ? json_loadb(line, (size_t)n, 0, NULL) : NULL;
        const char *t = json_string_value(json_object_get(j, "target"));
        json_int_t port = json_integer_value(json_object_get(j, "port"));
        records += t && port > 0;
        others += !(t && port > 0) && line[strspn(line, " \t\r\n")] != '\0';
        if (t && port > 0 && ex_targets_skip(s->targets, t, (unsigned)port) == 0)
            (*count)++;
        json_decref(j);
    }
    free(line);
    fclose(fp);
    /* A CSV or table output names no host to skip: resuming from it would scan everything again (and append
     * duplicates to it), so say so. One cut line (an interrupted JSON Lines file) is normal. */
    return records == 0 && others > 1 ? -2 : 0;
}

/* Appending to a file that ends in a half-written line would glue two records: cut it. */
static int trim_partial_line(const char *path)
{
    FILE *fp = fopen(path, "r+");
    if (!fp)
        return errno == ENOENT ? 0 : -1;
    if (fseeko(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return -1;
    }
    off_t end = ftello(fp), keep = end;
    while (keep > 0) {
        fseeko(fp, keep - 1, SEEK_SET);
        if (fgetc(fp) == '\n')
            break;
        keep--;
    }
    int rc = keep < end ? ftruncate(fileno(fp), keep) : 0;
    fclose(fp);
    return rc;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b)
        return false;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return strcmp(a, b) == 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

typedef struct cli {
    ex_targets_opts to;
    const char *inputs[64];
    size_t ninputs;
    const char *excludes[64];
    size_t nexcludes;
    const char *exclude_files[16];
    size_t nexclude_files;
    const char *resolve[MAX_RESOLVE + 1];
    size_t nresolve;
    const char *resume, *output, *data_dir;
    unsigned long max_body;
    const char *const *targets; /* the TARGET arguments */
    int ntargets;
    bool stdin_targets;
    bool use_db, resume_db;
    const char *db;    /* NULL: the default inventory */
    json_t *argv_json; /* the command line, kept with a new run */
    json_t *params;    /* of a resumed run; its strings back a replayed target list */
    char **replayed;
} cli;

enum {
    O_INPUT = 256,
    O_HTTP,
    O_EXCLUDE,
    O_EXCLUDE_FILE,
    O_SHARD,
    O_RESUME,
    O_NO_ACTIVE,
    O_NO_NTLM,
    O_CONC,
    O_RATE,
    O_TIMEOUT,
    O_CTIMEOUT,
    O_HTIMEOUT,
    O_RETRIES,
    O_PROXY,
    O_UA,
    O_HTTP1,
    O_LEGACY,
    O_RESOLVE,
    O_MAXBODY,
    O_JSON,
    O_CSV,
    O_DATA,
    O_LOOPBACK,
    O_DB,
    O_DB_FILE,
    O_RESUME_DB,
    O_THREADS
};

static int option(scan *s, cli *c, int opt, const char *arg)
{
    unsigned long v;
    switch (opt) {
    case O_INPUT:
        if (c->ninputs == EX_ARRAY_LEN(c->inputs))
            return ex_usage_error("scan", "too many input files");
        c->inputs[c->ninputs++] = arg;
        return 0;
    case 'p': return parse_ports(arg, &c->to) ? ex_usage_error("scan", "bad port list '%s'", arg) : 0;
    case O_HTTP: c->to.default_tls = false; return 0;
    case O_EXCLUDE:
        if (c->nexcludes == EX_ARRAY_LEN(c->excludes))
            return ex_usage_error("scan", "too many --exclude options");
        c->excludes[c->nexcludes++] = arg;
        return 0;
    case O_EXCLUDE_FILE:
        if (c->nexclude_files == EX_ARRAY_LEN(c->exclude_files))
            return ex_usage_error("scan", "too many --exclude-file options");
        c->exclude_files[c->nexclude_files++] = arg;
        return 0;
    case O_SHARD:
        return parse_shard(arg, &c->to) ? ex_usage_error("scan", "bad shard '%s' (I/N, 1 <= I <= N)", arg) : 0;
    case O_RESUME: c->resume = arg; return 0;
    case O_NO_ACTIVE: s->plan.active = false; return 0;
    case O_NO_NTLM: s->plan.ntlm = false; return 0;
    case O_CONC:
        if (parse_uint(arg, 1, 100000, &v))
            return ex_usage_error("scan", "bad concurrency '%s' (1..100000)", arg);
        s->eng.concurrency = (unsigned)v;
        return 0;
    case O_THREADS:
        if (parse_uint(arg, 1, EX_ENGINE_MAX_THREADS, &v))
            return ex_usage_error("scan", "bad threads '%s' (1..%d)", arg, EX_ENGINE_MAX_THREADS);
        s->eng.threads = (unsigned)v;
        return 0;
    case O_RATE:
        if (parse_uint(arg, 1, 10000000, &v))
            return ex_usage_error("scan", "bad rate '%s'", arg);
        s->eng.rate = (double)v;
        return 0;
    case O_TIMEOUT: return parse_seconds(arg, &s->eng.request_timeout_ms) ? ex_usage_error("scan", "bad timeout") : 0;
    case O_CTIMEOUT: return parse_seconds(arg, &s->eng.connect_timeout_ms) ? ex_usage_error("scan", "bad timeout") : 0;
    case O_HTIMEOUT: return parse_seconds(arg, &s->eng.host_timeout_ms) ? ex_usage_error("scan", "bad timeout") : 0;
    case O_RETRIES:
        if (parse_uint(arg, 0, 10, &v))
            return ex_usage_error("scan", "bad retries '%s' (0..10)", arg);
        s->eng.retries = (int)v;
        return 0;
    case O_PROXY: s->eng.proxy = arg; return 0;
    case O_UA: s->eng.user_agent = arg; return 0;
    case O_HTTP1: s->eng.http1_only = true; return 0;
    case O_LEGACY: s->eng.legacy_tls = true; return 0;
    case O_LOOPBACK: s->eng.loopback_only = true; return 0;
    case O_RESOLVE:
        if (c->nresolve == MAX_RESOLVE)
            return ex_usage_error("scan", "too many --resolve options");
        if (!valid_resolve(arg))
            return ex_usage_error("scan", "bad --resolve '%s' (HOST:PORT:ADDRESS)", arg);
        c->resolve[c->nresolve++] = arg;
        return 0;
    case O_MAXBODY:
        if (parse_uint(arg, 1024, 16u << 20, &v))
            return ex_usage_error("scan", "bad --max-body '%s' (1024..16777216)", arg);
        c->max_body = v;
        return 0;
    case O_JSON: s->fmt = FMT_JSON; return 0;
    case O_CSV: s->fmt = FMT_CSV; return 0;
    case 'o': c->output = arg; return 0;
    case 'q': s->quiet = true; return 0;
    case O_DATA: c->data_dir = arg; return 0;
    case O_DB:
    case O_DB_FILE:
        if (arg && !*arg)
            return ex_usage_error("scan", "--db= names no file");
        c->db = arg;
        return 0;
    case O_RESUME_DB: c->resume_db = true; return 0;
    default: return ex_usage_error("scan", "unknown option");
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

/* With --db, "--resume" takes the next word only when it is a JSON Lines file
 * (an existing file that is no database, or *.json, *.jsonl, *.ndjson);
 * otherwise it continues the inventory's interrupted run. Without --db it
 * always takes FILE, as it always did. */
static void resume_word(void *ud, int argc, char **argv, int i)
{
    if (strcmp(argv[i], "--resume") != 0)
        return;
    const char *w = i + 1 < argc ? argv[i + 1] : NULL;
    struct stat st;
    bool file = w && w[0] != '-' &&
                (ends_with(w, ".json") || ends_with(w, ".jsonl") || ends_with(w, ".ndjson") ||
                 (stat(w, &st) == 0 && S_ISREG(st.st_mode) && !ex_cli_is_db_word(w)));
    if (!file)
        argv[i] = "--resume-db";
}

static int parse_args(scan *s, cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, NULL, O_INPUT},
                                             {"ports", required_argument, NULL, 'p'},
                                             {"http", no_argument, NULL, O_HTTP},
                                             {"exclude", required_argument, NULL, O_EXCLUDE},
                                             {"exclude-file", required_argument, NULL, O_EXCLUDE_FILE},
                                             {"shard", required_argument, NULL, O_SHARD},
                                             {"resume", required_argument, NULL, O_RESUME},
                                             {"no-active", no_argument, NULL, O_NO_ACTIVE},
                                             {"no-ntlm", no_argument, NULL, O_NO_NTLM},
                                             {"concurrency", required_argument, NULL, O_CONC},
                                             {"rate", required_argument, NULL, O_RATE},
                                             {"threads", required_argument, NULL, O_THREADS},
                                             {"timeout", required_argument, NULL, O_TIMEOUT},
                                             {"connect-timeout", required_argument, NULL, O_CTIMEOUT},
                                             {"host-timeout", required_argument, NULL, O_HTIMEOUT},
                                             {"retries", required_argument, NULL, O_RETRIES},
                                             {"proxy", required_argument, NULL, O_PROXY},
                                             {"user-agent", required_argument, NULL, O_UA},
                                             {"http1.1", no_argument, NULL, O_HTTP1},
                                             {"legacy-tls", no_argument, NULL, O_LEGACY},
                                             {"loopback-only", no_argument, NULL, O_LOOPBACK},
                                             {"resolve", required_argument, NULL, O_RESOLVE},
                                             {"max-body", required_argument, NULL, O_MAXBODY},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"csv", no_argument, NULL, O_CSV},
                                             {"output", required_argument, NULL, 'o'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"data", required_argument, NULL, O_DATA},
                                             {"help", no_argument, NULL, 'h'},
                                             {"db", optional_argument, NULL, O_DB},
                                             {"db-file", required_argument, NULL, O_DB_FILE},
                                             {"resume-db", no_argument, NULL, O_RESUME_DB},
                                             {0}};
    static const char *shortopts = "p:o:qh";
    /* nmap's "-iL FILE" spelling */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-iL"))
            argv[i] = "--input";
    c->use_db = ex_cli_db_words(argc, argv, longopts, shortopts);
    if (c->use_db)
        ex_cli_each_option(argc, argv, longopts, shortopts, resume_word, NULL);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return -1;
        }
        if (opt == '?')
            return ex_usage_error("scan", "unknown option");
        int r = option(s, c, opt, optarg);
        if (r)
            return r;
    }
    c->targets = (const char *const *)(argv + optind);
    c->ntargets = argc - optind;
    return 0;
}

/* ---- setup ----------------------------------------------------------------------------------------- */

static int setup_targets(scan *s, cli *c)
{
    char err[512];
    c->to.warn = warn_target;
    s->targets = ex_targets_new(&c->to);
    if (!s->targets)
        return ex_runtime_error("scan", "out of memory");
    bool any = c->ninputs > 0;
    for (int i = 0; i < c->ntargets; i++) {
        any = true;
        bool dash = !strcmp(c->targets[i], "-");
        c->stdin_targets |= dash;
        int r = dash ? ex_targets_add_file(s->targets, "-", err, sizeof err)
                     : ex_targets_add_arg(s->targets, c->targets[i], err, sizeof err);
        if (r)
            return ex_usage_error("scan", "%s", err);
    }
    for (size_t i = 0; i < c->ninputs; i++) {
        c->stdin_targets |= !strcmp(c->inputs[i], "-");
        /* files are read lazily: check them now, so that a mistyped -iL stops the scan before any traffic */
        if (strcmp(c->inputs[i], "-") != 0 && access(c->inputs[i], R_OK) != 0)
            return ex_runtime_error("scan", "%s: %s", c->inputs[i], strerror(errno));
        if (ex_targets_add_file(s->targets, c->inputs[i], err, sizeof err))
            return ex_usage_error("scan", "%s", err);
    }
    if (!any) {
        if (isatty(STDIN_FILENO))
            return ex_usage_error("scan", "no targets (give some, -iL FILE, or pipe them in)");
        c->stdin_targets = true;
        ex_targets_add_file(s->targets, "-", err, sizeof err);
    }
    for (size_t i = 0; i < c->nexcludes; i++)
        if (ex_targets_exclude(s->targets, c->excludes[i], err, sizeof err))
            return ex_usage_error("scan", "--exclude: %s", err);
    for (size_t i = 0; i < c->nexclude_files; i++) {
        /* an unreadable file is a runtime error (exit 3, as for -iL); a bad line in it is a usage error */
        if (access(c->exclude_files[i], R_OK) != 0)
            return ex_runtime_error("scan", "--exclude-file: %s: %s", c->exclude_files[i], strerror(errno));
        if (ex_targets_exclude_file(s->targets, c->exclude_files[i], err, sizeof err))
            return ex_usage_error("scan", "--exclude-file: %s", err);
    }
    s->eng.excluded = ex_targets_excluded(s->targets);
    return 0;
}

static int setup_output(scan *s, cli *c)
{
    size_t resumed = 0;
    int resume_rc = c->resume ? load_resume(s, c->resume, &resumed) : 0;
    if (resume_rc == -2)
        return ex_usage_error("scan", "--resume %s: no JSON Lines host record in it (--resume reads --json output)",
                              c->resume);
    if (resume_rc != 0)
        return ex_runtime_error("scan", "--resume %s: %s", c->resume, strerror(errno));
    if (c->resume && !s->quiet)
        fprintf(stderr, "exaudit scan: resuming: %zu hosts already done in %s\n", resumed, c->resume);
    s->out = stdout;
    if (c->output) {
        bool append = same_file(c->output, c->resume);
        if (append && trim_partial_line(c->output) != 0)
            return ex_runtime_error("scan", "%s: %s", c->output, strerror(errno));
        s->out = fopen(c->output, append ? "a" : "w");
        if (!s->out)
            return ex_runtime_error("scan", "%s: %s", c->output, strerror(errno));
        if (s->fmt == FMT_CSV && (!append || ftello(s->out) == 0))
            ex_scan_csv_header(s->out);
    } else if (s->fmt == FMT_CSV) {
        ex_scan_csv_header(s->out);
    }
    bool machine_stdout = s->out == stdout && s->fmt != FMT_TABLE;
    s->summary_out = machine_stdout ? stderr : stdout;
    s->color = ex_use_color(s->summary_out) && (s->out != stdout || s->fmt == FMT_TABLE);
    s->progress = !s->quiet && isatty(STDERR_FILENO);
    s->write_hosts = !c->use_db || s->fmt != FMT_TABLE || c->output;
    return 0;
}

/* ---- the inventory (--db) -------------------------------------------------------------------------- */

static json_t *string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, ex_json_text(v[i]));
    return a;
}

/* Input files as absolute paths: a resumed run may start from another directory. */
static json_t *path_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        char *abs = strcmp(v[i], "-") ? realpath(v[i], NULL) : NULL;
        json_array_append_new(a, ex_json_text(abs ? abs : v[i]));
        free(abs);
    }
    return a;
}

/* What --resume needs to scan the same targets again. */
static json_t *target_params(const cli *c)
{
    json_t *ports = json_array();
    for (size_t i = 0; i < c->to.nports; i++)
        json_array_append_new(ports, json_integer(c->to.ports[i]));
    char shard[32] = "";
    if (c->to.shard_count)
        snprintf(shard, sizeof shard, "%u/%u", c->to.shard_index, c->to.shard_count);
    return json_pack("{s:o, s:o, s:o, s:b, s:o, s:o, s:s?, s:b}", "args", string_array(c->targets, (size_t)c->ntargets),
                     "inputs", path_array(c->inputs, c->ninputs), "ports", ports, "http", !c->to.default_tls, "exclude",
                     string_array(c->excludes, c->nexcludes), "exclude_files",
                     path_array(c->exclude_files, c->nexclude_files), "shard", shard[0] ? shard : NULL, "stdin",
                     c->stdin_targets);
}

/* The strings of a JSON array into out[max]; the JSON keeps them alive. */
static int replay_strings(const json_t *arr, const char **out, size_t max, size_t *n)
{
    const json_t *v;
    size_t i;
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || *n == max)
            return -1;
        out[(*n)++] = json_string_value(v);
    }
    return 0;
}

static int replay_ports(const json_t *arr, ex_targets_opts *to)
{
    const json_t *v;
    size_t i;
    to->nports = 0;
    json_array_foreach(arr, i, v)
    {
        json_int_t p = json_integer_value(v);
        if (p < 1 || p > 65535 || to->nports == EX_MAX_PORTS)
            return -1;
        to->ports[to->nports++] = (uint16_t)p;
    }
    return 0;
}

/* --resume without targets: those of the interrupted run (target_params). */
static int replay_targets(cli *c, const json_t *t)
{
    if (!json_is_object(t))
        return ex_usage_error("scan", "the interrupted run kept no target list: give the targets again");
    if (json_is_true(json_object_get(t, "stdin")))
        return ex_usage_error("scan", "the interrupted run read targets from standard input: give them again");
    const json_t *args = json_object_get(t, "args"), *shard = json_object_get(t, "shard");
    size_t nargs = json_array_size(args);
    c->replayed = calloc(nargs + 1, sizeof *c->replayed);
    if (!c->replayed)
        return ex_runtime_error("scan", "out of memory");
    size_t n;
    if (replay_strings(args, (const char **)c->replayed, nargs, &n) != 0 ||
        replay_strings(json_object_get(t, "inputs"), c->inputs, EX_ARRAY_LEN(c->inputs), &c->ninputs) != 0 ||
        replay_strings(json_object_get(t, "exclude"), c->excludes, EX_ARRAY_LEN(c->excludes), &c->nexcludes) != 0 ||
        replay_strings(json_object_get(t, "exclude_files"), c->exclude_files, EX_ARRAY_LEN(c->exclude_files),
                       &c->nexclude_files) != 0 ||
        replay_ports(json_object_get(t, "ports"), &c->to) != 0 ||
        (json_is_string(shard) && parse_shard(json_string_value(shard), &c->to) != 0))
        return ex_usage_error("scan", "the interrupted run's target list cannot be read back: give the targets again");
    c->targets = (const char *const *)c->replayed;
    c->ntargets = (int)n;
    c->to.default_tls = !json_is_true(json_object_get(t, "http"));
    return 0;
}

/* Open the inventory; with --resume take over its newest interrupted scan run. */
static int setup_store(scan *s, cli *c)
{
    if (!c->use_db)
        return 0;
    if (!(s->store = ex_cli_store("scan", c->db)))
        return EXIT_RUNTIME;
    if (!c->resume_db)
        return 0;
    s->run = ex_store_resume_run(s->store, "scan", &c->params);
    if (s->run < 0)
        return ex_runtime_error("scan", "the inventory: %s", ex_store_errmsg(s->store));
    if (s->run == 0) {
        fprintf(stderr, "exaudit scan: no interrupted scan in the inventory; starting a new run\n");
        return 0;
    }
    s->resuming = true;
    if (!s->quiet)
        fprintf(stderr, "exaudit scan: resuming run %lld: %lld hosts already recorded\n", (long long)s->run,
                (long long)ex_store_run_count(s->store, s->run));
    if (c->ntargets == 0 && c->ninputs == 0)
        return replay_targets(c, json_object_get(c->params, "targets"));
    return 0;
}

static int begin_run(scan *s, cli *c)
{
    if (!s->store || s->run > 0)
        return 0;
    json_t *params = json_pack("{s:s, s:O, s:o, s:s, s:s}", "command", "scan", "argv", c->argv_json, "targets",
                               target_params(c), "tool_version", EXAUDIT_VERSION, "kb_version", s->kb->version);
    s->run = params ? ex_store_begin_run(s->store, "scan", params) : -1;
    json_decref(params);
    if (s->run <= 0)
        return ex_runtime_error("scan", "cannot start a run in the inventory: %s", ex_store_errmsg(s->store));
    return 0;
}

/* A run that did not end normally stays resumable: "interrupted". */
static void end_run(scan *s, bool complete)
{
    if (!s->store || s->run <= 0 || s->run_ended)
        return;
    s->run_ended = true;
    if (ex_store_end_run(s->store, s->run, complete ? "done" : "interrupted") != 0) {
        fprintf(stderr, "exaudit scan: the inventory: %s\n", ex_store_errmsg(s->store));
        s->store_failed = true;
    }
}

static void print_store_summary(scan *s, const cli *c)
{
    char path[4096];
    if (!c->db && ex_store_default_path(path, sizeof path) != 0)
        snprintf(path, sizeof path, "the default inventory");
    fprintf(s->summary_out, "  inventory: run %lld, %llu hosts recorded", (long long)s->run,
            (unsigned long long)s->recorded);
    if (s->already_recorded)
        fprintf(s->summary_out, ", %llu already recorded before the interruption",
                (unsigned long long)s->already_recorded);
    fprintf(s->summary_out, " (%s)\n", c->db ? c->db : path);
}

static int setup_limits(scan *s)
{
    unsigned long need = ex_engine_fds_needed(s->eng.concurrency);
    unsigned long got = ex_raise_nofile(need);
    if (got >= need)
        return 0;
    unsigned long fit = got > 96 ? (got - 64) / 2 : 0;
    if (fit == 0)
        return ex_runtime_error("scan", "the open-file limit (RLIMIT_NOFILE = %lu) is too low to scan", got);
    fprintf(stderr,
            "exaudit scan: warning: the open-file limit (RLIMIT_NOFILE) is %lu, too low for --concurrency %u; "
            "using %lu (raise the hard limit with ulimit -Hn or limits.conf)\n",
            got, s->eng.concurrency, fit);
    s->eng.concurrency = (unsigned)fit;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(scan *s, cli *c)
{
    static const ex_engine_ops ops = {next_target, host_start, host_next, host_response, host_done, tick};
    char err[512] = "";
    struct sigaction sa = {.sa_handler = on_sig};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    c->resolve[c->nresolve] = NULL;
    s->eng.resolve = c->resolve;
    s->plan.max_body = c->max_body;
    snprintf(s->host_timeout_text, sizeof s->host_timeout_text, "per-host time budget of %.1f s spent",
             (double)s->eng.host_timeout_ms / 1000.0);
    s->total = s->progress ? ex_targets_estimate(s->targets) : -1;
    if (s->total > 0 && s->resuming) { /* those already recorded are skipped, never started */
        int64_t held = ex_store_run_count(s->store, s->run);
        s->total = held > 0 && held < s->total ? s->total - held : s->total;
    }
    s->t0 = now_s();
    int rc = ex_engine_run(&s->eng, &ops, s, err, sizeof err);
    clear_progress(s);
    bool stopped = ex_engine_stop_level() > 0;
    end_run(s, rc == 0 && !stopped && !s->store_failed);
    double secs = now_s() - s->t0;
    ex_targets_stats ts = ex_targets_get_stats(s->targets);
    if (!s->quiet) {
        ex_scan_summary_print(s->summary_out, &s->sum, secs, s->color);
        if (ts.duplicates || ts.excluded || ts.resumed || ts.bad_lines)
            fprintf(s->summary_out,
                    "  targets: %llu duplicates dropped, %llu excluded, %llu already done, %llu bad "
                    "lines\n",
                    (unsigned long long)ts.duplicates, (unsigned long long)ts.excluded, (unsigned long long)ts.resumed,
                    (unsigned long long)ts.bad_lines);
        if (s->store)
            print_store_summary(s, c);
    }
    if (rc != 0)
        fprintf(stderr, "exaudit scan: %s\n", err);
    if (s->out != stdout && fclose(s->out) != 0)
        s->write_failed = true;
    if (s->write_failed)
        fprintf(stderr, "exaudit scan: writing the results failed\n");
    if ((stopped || s->store_failed) && !s->quiet)
        fprintf(stderr, "exaudit scan: interrupted; %s continues where it stopped\n",
                s->store ? "--db --resume" : "--resume with the JSON output");
    if (s->vulnerable_hosts)
        return EXIT_FOUND;
    return (rc != 0 || s->write_failed || s->store_failed || stopped) ? EXIT_RUNTIME : EXIT_NOTHING_FOUND;
}

static void cleanup(scan *s, cli *c)
{
    end_run(s, false); /* a run that never got to scan stays resumable */
    ex_store_close(s->store);
    ex_targets_free(s->targets);
    free(s->plan.cache);
    ex_assess_cache_free(s->assessments);
    ex_record_cache_free(s->records);
    json_decref(c->params);
    json_decref(c->argv_json);
    free(c->replayed);
}

int cmd_scan(int argc, char **argv)
{
    scan s = {.fmt = FMT_TABLE, .today = ex_today_days(), .plan = {.active = true, .ntlm = true}};
    cli c = {.to = {.default_tls = true}, .max_body = 65536};
    ex_engine_default_opts(&s.eng);
    if (getenv("EXAUDIT_LOOPBACK_ONLY"))
        s.eng.loopback_only = true; /* tests and benchmarks: nothing but loopback, ever */
    c.argv_json = string_array((const char *const *)(argv + 1), argc > 1 ? (size_t)argc - 1 : 0);
    int r = parse_args(&s, &c, argc, argv);
    if (r) {
        json_decref(c.argv_json);
        return r < 0 ? EXIT_NOTHING_FOUND : r;
    }
    s.kb = ex_cli_kb(c.data_dir);
    s.plan.kb = s.kb;
    s.plan.cache = calloc(1, sizeof *s.plan.cache); /* NULL only costs time */
    s.assessments = ex_assess_cache_new(s.kb);
    s.records = ex_record_cache_new();
    if (!s.assessments)
        r = ex_runtime_error("scan", "out of memory");
    if (r || (r = setup_store(&s, &c)) || (r = setup_targets(&s, &c)) || (r = setup_limits(&s)) ||
        (r = setup_output(&s, &c)) || (r = begin_run(&s, &c))) {
        cleanup(&s, &c);
        return r;
    }
    r = run(&s, &c);
    cleanup(&s, &c);
    return r;
}
