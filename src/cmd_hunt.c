/* exaudit hunt: compromise hunting in the logs and files of an Exchange server.
 * With --db the hunt is one run of the inventory, committed when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"
#include "hunt/files.h"
#include "hunt/an.h"
#include "hunt/hunt.h"
#include "kb.h"
#include "out/finding_json.h"
#include "out/hunt_report.h"
#include "out/recorder.h"
#include "out/store.h"
#include "out/term.h"
#include "util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: exaudit hunt [options] EVIDENCE...\n\n"
            "Hunt for compromise of a Microsoft Exchange server in its logs and files, offline.\n"
            "EVIDENCE is a directory tree (mounted image, SMB-mounted C$, extracted collection),\n"
            "a KAPE or Velociraptor triage zip (read in place), or a single log file or folder.\n"
            "Nothing in the evidence is changed, access times included (as root or the files' owner;\n"
            "otherwise a warning says that reading updates them).\n\n"
            "Options:\n"
            "  --exchange-root PATH  the Exchange install folder, e.g. 'C:\\Program Files\\Microsoft\\\n"
            "                        Exchange Server\\V15' (default: SOFTWARE hive, default paths, Logging layout)\n"
            "  --json                findings as JSON Lines, then one summary object (docs/schema.md)\n"
            "  --timeline FILE       write a Timesketch CSV timeline (message, datetime, timestamp_desc, ...)\n"
            "  --full                the files analyzer walks the whole tree, not only the known places\n"
            "  --rules FILE|DIR      also run these YARA rules on files (LOKI's external variables are\n"
            "                        defined, so signature-base compiles; broken rule files are left out)\n"
            "  --analyzers LIST      only these analyzers (comma-separated; --list-analyzers shows them)\n"
            "  --list-analyzers      print the analyzers and exit\n"
            "  --list-literals       print the log analyzers' prefilter literals (analyzer, tab, literal) and exit\n"
            "  --threads N           worker threads (default: one per CPU)\n"
            "  --max-per-rule N      findings listed per check before they are counted (default %d)\n"
            "  --subject NAME        server name for the findings (default: the evidence's name)\n"
            "  --data DIR            use the knowledge-base bundle installed in DIR\n"
            "  --db [FILE]           record the hunt into the inventory (one run; default\n"
            "                        $XDG_DATA_HOME/exaudit/inventory.db; FILE follows when it ends\n"
            "                        in .db/.sqlite/.sqlite3 or is a SQLite file, else --db=FILE)\n"
            "  --host NAME           with --db: the server hunted, an inventory target or name\n"
            "                        (default: --subject, else the evidence's name); also the\n"
            "                        findings' subject unless --subject is given\n"
            "  --no-progress         no progress line on a terminal\n"
            "  -v, --verbose         list info findings and every skipped file\n"
            "  -h, --help            this text\n\n"
            "Exit status: 0 nothing found, 1 a compromise or an exploitation attempt was found,\n"
            "2 usage error, 3 runtime error (no evidence readable).\n",
            EX_HUNT_DEFAULT_PER_RULE);
}

typedef struct hunt_cli {
    ex_hunt_opts o;
    bool json, verbose, progress;
    const char *timeline, *data_dir, *only, *rules;
    const ex_analyzer *picked[33];
    bool use_db;
    const char *db, *host; /* db NULL: the default inventory */
} hunt_cli;

static void on_progress(void *ctx, const ex_hunt_progress *p)
{
    (void)ctx;
    ex_hunt_print_progress(stderr, p);
}

static int pick_analyzers(hunt_cli *c)
{
    char *list = strdup(c->only);
    size_t n = 0;
    if (!list)
        return -1;
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const ex_analyzer *a = ex_hunt_analyzer_by_name(t);
        if (!a || n == 32) {
            /* t points into list: report before freeing it */
            int rc = a ? ex_usage_error("hunt", "--analyzers names more than 32 analyzers")
                       : ex_usage_error("hunt", "unknown analyzer '%s' (see --list-analyzers)", t);
            free(list);
            return rc;
        }
        c->picked[n++] = a;
    }
    free(list);
    c->o.analyzers = c->picked;
    c->o.nanalyzers = n;
    return 0;
}

static void print_literals(void)
{
    static const struct {
        const char *name;
        const char *const *(*get)(size_t *n);
    } sets[] = {{"httpproxy", ex_an_httpproxy_literals},
                {"ecp", ex_an_ecp_literals},
                {"oab", ex_an_oab_literals},
                {"iis", ex_an_iis_literals}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        size_t n;
        const char *const *l = sets[i].get(&n);
        for (size_t k = 0; k < n; k++)
            printf("%s\t%s\n", sets[i].name, l[k]);
    }
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(hunt_cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"exchange-root", required_argument, NULL, 'r'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"timeline", required_argument, NULL, 't'},
                                             {"full", no_argument, NULL, 'F'},
                                             {"rules", required_argument, NULL, 'R'},
                                             {"analyzers", required_argument, NULL, 'a'},
                                             {"list-analyzers", no_argument, NULL, 'L'},
                                             {"threads", required_argument, NULL, 'T'},
                                             {"max-per-rule", required_argument, NULL, 'm'},
                                             {"subject", required_argument, NULL, 's'},
                                             {"data", required_argument, NULL, 'd'},
                                             {"no-progress", no_argument, NULL, 'P'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"list-literals", no_argument, NULL, 'I'},
                                             {"db", optional_argument, NULL, 'D'},
                                             {"db-file", required_argument, NULL, 'D'},
                                             {"host", required_argument, NULL, 'H'},
                                             {0}};
    int ch;
    unsigned long v;
    c->use_db = ex_cli_db_words(argc, argv, longopts, "vh");
    optind = 1;
    while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'r': c->o.exchange_root = optarg; break;
        case 'j': c->json = true; break;
        case 't': c->timeline = optarg; break;
        case 'F': c->o.full = true; break;
        case 'R': c->rules = optarg; break;
        case 'a': c->only = optarg; break;
        case 'L':
            for (const ex_analyzer *const *a = ex_hunt_registry(); *a; a++)
                printf("%s\n", (*a)->name);
            return -2;
        case 'I': print_literals(); return -2;
        case 'T':
            if (parse_count(optarg, 64, &v) != 0)
                return ex_usage_error("hunt", "--threads wants a number from 0 to 64");
            c->o.threads = (unsigned)v;
            break;
        case 'm':
            if (parse_count(optarg, 100000, &v) != 0 || v == 0)
                return ex_usage_error("hunt", "--max-per-rule wants a number from 1 to 100000");
            c->o.max_per_rule = v;
            break;
        case 's': c->o.subject = optarg; break;
        case 'd': c->data_dir = optarg; break;
        case 'P': c->progress = false; break;
        case 'v': c->verbose = true; break;
        case 'D':
            if (optarg && !*optarg)
                return ex_usage_error("hunt", "--db= names no file");
            c->db = optarg;
            break;
        case 'H': c->host = optarg; break;
        case 'h': usage(stdout); return -2;
        default: return ex_usage_error("hunt", "unknown option");
        }
    }
    if (optind == argc)
        return ex_usage_error("hunt", "no evidence given");
    if (c->host && !c->use_db)
        return ex_usage_error("hunt", "--host names the server in the inventory: give --db too");
    if (c->host && !c->o.subject)
        c->o.subject = c->host;
    c->o.inputs = (const char *const *)(argv + optind);
    c->o.ninputs = (size_t)(argc - optind);
    if (c->only && pick_analyzers(c) != 0)
        return EXIT_USAGE;
    return 0;
}

static int write_outputs(hunt_cli *c, ex_hunt *h)
{
    if (c->json) {
        const ex_findings *l = ex_hunt_findings(h);
        for (size_t i = 0; i < l->count; i++) {
            json_t *j = ex_finding_to_json(&l->items[i]);
            json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(j);
        }
        json_t *s = ex_hunt_summary_json(h);
        json_dumpf(s, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(s);
    } else {
        ex_hunt_report_opts ro = {.color = ex_use_color(stdout), .verbose = c->verbose};
        ex_hunt_print_summary(stdout, h, &ro);
    }
    if (c->timeline) {
        FILE *f = fopen(c->timeline, "w");
        if (!f)
            return ex_runtime_error("hunt", "cannot write %s", c->timeline);
        int r = ex_hunt_write_timeline_csv(f, h);
        if (fclose(f) != 0 || r != 0)
            return ex_runtime_error("hunt", "cannot write %s", c->timeline);
    }
    if (fflush(stdout) != 0)
        return ex_runtime_error("hunt", "output error");
    return 0;
}

/* --rules: compiled before the run, so that a bad path is a usage error, not a silent miss. */
static int load_rules(const hunt_cli *c)
{
    if (!c->rules)
        return 0;
    ex_yara_load_report rep;
    char err[512];
    if (ex_files_configure(c->rules, &rep, err, sizeof err) != 0) {
        ex_usage_error("hunt", "%s", err);
        return -1;
    }
    if (rep.skipped)
        fprintf(stderr, "exaudit hunt: --rules: %zu rule file%s did not compile and %s left out (first: %s)\n",
                rep.skipped, rep.skipped == 1 ? "" : "s", rep.skipped == 1 ? "was" : "were", rep.first_skip);
    return 0;
}

/* ---- the inventory (--db) ---------------------------------------------------------------------- */

typedef struct hunt_store {
    ex_store *st;
    int64_t run;
    const char *name; /* the server, as the inventory knows it */
    pthread_mutex_t lock;
    bool ended, recorded;
    bool watching;
    pthread_t watcher;
    sigset_t sigs;
} hunt_store;

static void store_end(hunt_store *hs, const char *status)
{
    pthread_mutex_lock(&hs->lock);
    if (!hs->ended && ex_store_end_run(hs->st, hs->run, status) != 0)
        fprintf(stderr, "exaudit hunt: the inventory: %s\n", ex_store_errmsg(hs->st));
    hs->ended = true;
    pthread_mutex_unlock(&hs->lock);
}

/* SIGINT/SIGTERM during a hunt: a hunt has no partial result worth keeping,
 * so the run is marked "interrupted" and the process ends. The signals are
 * blocked in every thread (the hunt's workers inherit the mask) and taken
 * here with sigwait; a signal after the run ended only ends this thread. */
static void *watch_signals(void *arg)
{
    hunt_store *hs = arg;
    int sig = 0;
    if (sigwait(&hs->sigs, &sig) != 0)
        return NULL;
    pthread_mutex_lock(&hs->lock);
    if (!hs->ended) {
        ex_store_end_run(hs->st, hs->run, "interrupted");
        fprintf(stderr, "\nexaudit hunt: interrupted; run %lld of the inventory is marked so\n", (long long)hs->run);
        _exit(EXIT_RUNTIME);
    }
    pthread_mutex_unlock(&hs->lock);
    return NULL;
}

static int store_open(hunt_store *hs, const hunt_cli *c, ex_hunt *h, int argc, char **argv)
{
    if (!(hs->st = ex_cli_store("hunt", c->db)))
        return EXIT_RUNTIME;
    hs->name = c->host ? c->host : ex_hunt_subject(h);
    json_t *args = json_array(), *evidence = json_array();
    for (int i = 1; i < argc; i++)
        json_array_append_new(args, ex_json_string_lossy(argv[i]));
    for (size_t i = 0; i < c->o.ninputs; i++)
        json_array_append_new(evidence, ex_json_string_lossy(c->o.inputs[i]));
    json_t *params = json_pack("{s:s, s:o, s:o, s:o, s:s, s:s}", "command", "hunt", "argv", args, "host",
                               ex_json_string_lossy(hs->name), "evidence", evidence, "tool_version", EXAUDIT_VERSION,
                               "kb_version", c->o.kb->version);
    hs->run = params ? ex_store_begin_run(hs->st, "hunt", params) : -1;
    json_decref(params);
    if (hs->run <= 0)
        return ex_runtime_error("hunt", "cannot start a run in the inventory: %s", ex_store_errmsg(hs->st));
    pthread_mutex_init(&hs->lock, NULL);
    sigemptyset(&hs->sigs);
    sigaddset(&hs->sigs, SIGINT);
    sigaddset(&hs->sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &hs->sigs, NULL);
    hs->watching = pthread_create(&hs->watcher, NULL, watch_signals, hs) == 0;
    return 0;
}

/* One transaction: the findings, the log coverage and the timeline. */
static int store_hunt(hunt_store *hs, const ex_hunt *h)
{
    json_t *summary = ex_hunt_summary_json(h), *coverage = NULL, *timeline = NULL;
    const ex_findings *findings = ex_hunt_findings(h);
    pthread_mutex_lock(&hs->lock);
    int rc = summary && ex_recorder_hunt_shapes(summary, &coverage, &timeline) == 0
                 ? ex_store_put_hunt(hs->st, hs->run, hs->name, findings, coverage, timeline)
                 : -1;
    pthread_mutex_unlock(&hs->lock);
    if (rc != 0)
        fprintf(stderr, "exaudit hunt: recording into the inventory failed: %s\n", ex_store_errmsg(hs->st));
    store_end(hs, rc == 0 ? "done" : "interrupted");
    hs->recorded = rc == 0;
    json_decref(summary);
    json_decref(coverage);
    json_decref(timeline);
    return rc == 0 ? 0 : EXIT_RUNTIME;
}

static void store_close(hunt_store *hs, const hunt_cli *c)
{
    if (!hs->st)
        return;
    if (hs->recorded)
        fprintf(c->json ? stderr : stdout, "Inventory: run %lld, hunt of %s recorded (%s)\n", (long long)hs->run,
                hs->name, c->db ? c->db : "the default inventory");
    if (hs->run > 0)
        store_end(hs, "interrupted"); /* only when the hunt did not get to be recorded */
    if (hs->watching) {
        pthread_kill(hs->watcher, SIGTERM); /* wakes sigwait; the run has ended */
        pthread_join(hs->watcher, NULL);
        pthread_mutex_destroy(&hs->lock);
    }
    ex_store_close(hs->st);
}

/* O_NOATIME is granted only to the files' owner or with CAP_FOWNER; otherwise
 * reading updates access times (relatime too, for files not read for a day),
 * unless the evidence is mounted read-only or noatime. Say so, rather than let
 * "access times included" stand when it is not true. */
static void warn_if_atime_changes(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return;
    }
    struct statvfs vfs;
    if (errno != EPERM || (statvfs(path, &vfs) == 0 && (vfs.f_flag & (ST_RDONLY | ST_NOATIME))))
        return;
    fprintf(stderr,
            "exaudit hunt: warning: %s: reading will update access times (O_NOATIME is refused: not the files' "
            "owner, no CAP_FOWNER); run as root or mount the evidence read-only or noatime to keep them\n",
            path);
}

int cmd_hunt(int argc, char **argv)
{
    hunt_cli c = {.progress = true};
    hunt_store hs = {0};
    int rc = parse_args(&c, argc, argv);
    if (rc == -2)
        return EXIT_NOTHING_FOUND;
    if (rc)
        return rc;
    if (load_rules(&c) != 0)
        return EXIT_USAGE;
    for (size_t i = 0; i < c.o.ninputs; i++)
        warn_if_atime_changes(c.o.inputs[i]);
    c.o.kb = ex_cli_kb(c.data_dir);
    c.o.today = ex_today_days();
    if (c.progress && isatty(fileno(stderr))) {
        c.o.progress = on_progress;
        c.o.progress_ctx = &c;
    }
    ex_hunt *h = ex_hunt_new(&c.o);
    if (!h)
        return ex_runtime_error("hunt", "out of memory");
    char err[512];
    if (c.use_db && (rc = store_open(&hs, &c, h, argc, argv)) != 0) {
        store_close(&hs, &c);
        ex_hunt_free(h);
        return rc;
    }
    if (ex_hunt_run(h, err, sizeof err) != 0) {
        store_close(&hs, &c);
        ex_hunt_free(h);
        return ex_runtime_error("hunt", "%s", err);
    }
    int stored = c.use_db ? store_hunt(&hs, h) : 0;
    rc = write_outputs(&c, h);
    if (rc == 0)
        rc = stored ? stored : ex_hunt_found_attack(h) ? EXIT_FOUND : EXIT_NOTHING_FOUND;
    store_close(&hs, &c);
    ex_hunt_free(h);
    ex_files_release();
    return rc;
}
