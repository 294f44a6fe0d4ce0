/* mkevidence: write a synthetic Exchange server's evidence and its ground truth.
 * The contract with the hunter's tests is docs/evidence.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkev.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: mkevidence --out DIR|FILE.zip [--scenario NAME] [--seed S] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
        "                  [--size BYTES[K|M|G]] [--layout tree|kape-zip|velociraptor-zip] [--evtx binary|xml|csv]\n"
        "                  [--truth FILE] [--install-root PATH] [--build 15.1.2176.2] [--patched-on DATE|never]\n"
        "                  [--patched-build BUILD] [--quiet]\n\n"
        "Writes the logs and files of an Exchange server (a mounted C: drive under DIR/C/, or a triage zip)\n"
        "with benign traffic and the traces of one scenario, and the ground truth (docs/evidence.md).\n\n"
        "Scenarios:\n");
    for (int i = 0; i < MK_SC_COUNT; i++)
        fprintf(out, "  %-26s %s (default %s .. %s)\n", mk_scenarios[i].name, mk_scenarios[i].summary,
                mk_scenarios[i].from, mk_scenarios[i].to);
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    uint64_t mul = 1;
    switch (*end) {
    case 0: break;
    case 'k':
    case 'K':
        mul = 1ULL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ULL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ULL << 30;
        end++;
        break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v * (double)mul > 1e13)
        return -1;
    *out = (uint64_t)(v * (double)mul);
    return 0;
}

static int parse_build(const char *s, mk_build *b)
{
    char tail;
    if (sscanf(s, "%d.%d.%d.%d%c", &b->major, &b->minor, &b->build, &b->rev, &tail) != 4)
        return -1;
    if (b->major != 15 || b->minor < 0 || b->minor > 2 || b->build <= 0 || b->build > 9999 || b->rev < 0 ||
        b->rev > 999)
        return -1;
    return 0;
}

/* "C:\Program Files\...\V15\" or "C:/..." -> both forms, no trailing separator. */
static int parse_install_root(const char *s, mk_cfg *c)
{
    size_t n = strlen(s);
    while (n > 3 && (s[n - 1] == '\\' || s[n - 1] == '/'))
        n--;
    /* Bounded so that every evidence path built on it fits the writers' buffers. */
    if (n < 4 || n > 160 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) || s[1] != ':' ||
        (s[2] != '\\' && s[2] != '/'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"' || ch == '<' || ch == '>' || ch == '|' || ch == '*' || ch == '?' || (unsigned char)ch < 0x20 ||
            (i > 2 && ch == ':'))
            return -1;
        c->install_win[i] = ch == '/' ? '\\' : ch;
        c->install_v[i] = ch == '\\' ? '/' : ch;
    }
    c->install_win[0] = c->install_v[0] = (char)(s[0] & ~0x20);
    c->install_win[n] = c->install_v[n] = 0;
    if (strstr(c->install_v, "/../") || strstr(c->install_v, "/./"))
        return -1;
    return 0;
}

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    closedir(d);
    return empty;
}

/* Directories get the time of their newest entry, as a file system would
 * after the files were written: deterministic trees, dates that fit the story.
 * Empty folders date from the install. */
static int64_t settle_dir_times(const char *dir, int64_t empty_time)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int64_t newest = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[4096];
        struct stat st;
        if (snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= (int)sizeof sub || lstat(sub, &st) < 0)
            continue;
        int64_t t = S_ISDIR(st.st_mode) ? settle_dir_times(sub, empty_time)
                                        : (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        if (t > newest)
            newest = t;
    }
    closedir(d);
    if (!newest)
        newest = empty_time; /* an empty folder dates from the install */
    struct timespec ts[2] = {{(time_t)(newest / 1000), (long)(newest % 1000) * 1000000L}};
    ts[1] = ts[0];
    utimensat(AT_FDCWD, dir, ts, 0);
    return newest;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    static mk_cfg c;
    const char *scenario = "clean", *from = NULL, *to = NULL, *patched = NULL, *build = NULL, *patched_build = NULL;
    const char *layout = "tree", *evtx = "binary", *install = "C:\\Program Files\\Microsoft\\Exchange Server\\V15";
    c.size = 64ULL << 20;
    c.seed = 1;
    enum { O_FROM = 256, O_TO, O_SIZE, O_LAYOUT, O_EVTX, O_TRUTH, O_INSTALL, O_BUILD, O_PATCHED, O_PBUILD };
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"scenario", required_argument, 0, 's'},
        {"seed", required_argument, 0, 'S'},
        {"from", required_argument, 0, O_FROM},
        {"to", required_argument, 0, O_TO},
        {"size", required_argument, 0, O_SIZE},
        {"layout", required_argument, 0, O_LAYOUT},
        {"evtx", required_argument, 0, O_EVTX},
        {"truth", required_argument, 0, O_TRUTH},
        {"install-root", required_argument, 0, O_INSTALL},
        {"build", required_argument, 0, O_BUILD},
        {"patched-on", required_argument, 0, O_PATCHED},
        {"patched-build", required_argument, 0, O_PBUILD},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "o:s:S:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': c.out = optarg; break;
        case 's': scenario = optarg; break;
        case 'S': {
            char *end;
            errno = 0;
            c.seed = strtoull(optarg, &end, 0);
            if (errno || *end) {
                fprintf(stderr, "mkevidence: bad --seed '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case O_FROM: from = optarg; break;
        case O_TO: to = optarg; break;
        case O_SIZE:
            if (parse_size(optarg, &c.size) < 0) {
                fprintf(stderr, "mkevidence: bad --size '%s' (e.g. 64M, 5G)\n", optarg);
                return 2;
            }
            break;
        case O_LAYOUT: layout = optarg; break;
        case O_EVTX: evtx = optarg; break;
        case O_TRUTH: c.truth_path = optarg; break;
        case O_INSTALL: install = optarg; break;
        case O_BUILD: build = optarg; break;
        case O_PATCHED: patched = optarg; break;
        case O_PBUILD: patched_build = optarg; break;
        case 'q': c.quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !c.out) {
        usage(stderr);
        return 2;
    }
    int sc = mk_scenario_lookup(scenario);
    if (sc < 0) {
        fprintf(stderr, "mkevidence: unknown scenario '%s'\n", scenario);
        usage(stderr);
        return 2;
    }
    c.scenario = (mk_scenario_id)sc;
    const mk_scenario_info *si = &mk_scenarios[sc];
    c.layout = !strcmp(layout, "tree")               ? MK_LAYOUT_TREE
               : !strcmp(layout, "kape-zip")         ? MK_LAYOUT_KAPE
               : !strcmp(layout, "velociraptor-zip") ? MK_LAYOUT_VELO
                                                     : -1;
    c.evtx_form = !strcmp(evtx, "binary") ? MK_EVTX_BINARY
                  : !strcmp(evtx, "xml")  ? MK_EVTX_XML
                  : !strcmp(evtx, "csv")  ? MK_EVTX_CSV
                                          : -1;
    if (c.layout < 0 || c.evtx_form < 0) {
        fprintf(stderr, "mkevidence: bad --layout or --evtx\n");
        return 2;
    }
    c.from_ms = mk_parse_date(from ? from : si->from);
    c.to_ms = mk_parse_date(to ? to : si->to);
    /* At most 400 days: every hour opens up to ten HttpProxy files. */
    if (c.from_ms < 0 || c.to_ms < 0 || c.to_ms <= c.from_ms || c.to_ms - c.from_ms > 400 * MK_DAY_MS) {
        fprintf(stderr, "mkevidence: bad --from/--to (YYYY-MM-DD, from < to, at most 400 days)\n");
        return 2;
    }
    const char *pon = patched ? patched : si->patched_on;
    if (!pon || !strcmp(pon, "never")) {
        c.patched_ms = INT64_MAX;
    } else {
        c.patched_ms = mk_parse_date(pon);
        if (c.patched_ms < 0) {
            fprintf(stderr, "mkevidence: bad --patched-on '%s'\n", pon);
            return 2;
        }
        c.patched_ms += 19 * MK_HOUR_MS + 30 * 60000; /* admins patch in the evening */
    }
    c.build = si->build;
    if (build && parse_build(build, &c.build) < 0) {
        fprintf(stderr, "mkevidence: bad --build '%s' (15.x.y.z)\n", build);
        return 2;
    }
    c.patched_build = c.build;
    if (patched_build) {
        if (parse_build(patched_build, &c.patched_build) < 0) {
            fprintf(stderr, "mkevidence: bad --patched-build '%s'\n", patched_build);
            return 2;
        }
    } else if (c.patched_ms != INT64_MAX && !mk_fixed_build(c.scenario, &c.build, &c.patched_build)) {
        mk_warn("no fixed build known for this CU; ExSetup.exe and the logs keep the build after --patched-on "
                "(give --patched-build)");
    }
    if (parse_install_root(install, &c) < 0) {
        fprintf(stderr, "mkevidence: bad --install-root '%s' (a Windows path such as 'C:\\Exchange\\V15')\n", install);
        return 2;
    }
    c.install_ms = c.from_ms - 41 * MK_DAY_MS + 19 * MK_HOUR_MS + 42 * 60000 + 11000;
    if (c.patched_ms != INT64_MAX && c.patched_ms < c.install_ms)
        c.install_ms = c.patched_ms - 30 * MK_DAY_MS;

    /* Where the tree goes: DIR itself, or a temporary directory beside the zip. */
    char tmpdir[4096] = "";
    if (c.layout == MK_LAYOUT_TREE) {
        if (mkdir(c.out, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "mkevidence: cannot create %s: %s\n", c.out, strerror(errno));
            return 3;
        }
        /* Files of an earlier run would mix into this evidence and its truth. */
        if (!dir_is_empty(c.out)) {
            fprintf(stderr, "mkevidence: %s is not an empty directory\n", c.out);
            return 2;
        }
        mk_out_init(c.out);
    } else {
        const char *slash = strrchr(c.out, '/');
        snprintf(tmpdir, sizeof tmpdir, "%.*s.mkevidence.XXXXXX", slash ? (int)(slash - c.out + 1) : 0, c.out);
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "mkevidence: cannot create a temporary directory beside %s: %s\n", c.out, strerror(errno));
            return 3;
        }
        mk_out_init(tmpdir);
    }

    mk_users_make(c.seed);
    static mk_plan plan;
    int rc = mk_scenario_plan(&c, &plan);
    mk_lookalikes_plan(&c, &plan);
    mk_plan_sort(&plan);
    if (rc == 0)
        rc = mk_files_write(&c, &plan);
    int64_t bytes = rc == 0 ? mk_weblogs_write(&c, &plan) : -1;
    if (bytes < 0)
        rc = -1;
    if (rc == 0)
        rc = mk_events_write(&c, &plan);
    if (rc == 0)
        settle_dir_times(mk_out_root(), c.install_ms);
    if (rc == 0 && c.layout != MK_LAYOUT_TREE)
        rc = mk_layout_pack(&c, tmpdir);
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == 0 && c.truth_path)
        rc = mk_truth_write(&c, c.truth_path);
    mk_plan_free(&plan);
    mk_truth_reset();
    free(mk_users);
    mk_keep_release();
    if (rc != 0) {
        fprintf(stderr, "mkevidence: failed\n");
        return 3;
    }
    if (!c.quiet)
        fprintf(stderr, "mkevidence: %s: %.1f MiB of web logs in %s\n", si->name, (double)bytes / (1 << 20), c.out);
    return 0;
}
