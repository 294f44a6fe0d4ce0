/* an_oab: OABGenerator logs (<install>\Logging\OABGeneratorLog\, every file,
 * recursively: Test-ProxyLogon applies no name filter).
 *
 * Test-ProxyLogon's CVE-2021-26858 check (../shared/docs/logs-and-builds.md
 * §1.3): lines with "Download failed and temporary file", the path taken with
 * 'Download failed and temporary file (.*?) needs to be removed', malicious
 * when it does not start with "'" + <install> + "ClientAccess\OAB"
 * (StartsWith, CurrentCultureIgnoreCase). The blog: files are only ever
 * downloaded to ...\V15\ClientAccess\OAB\Temp; exploitation writes them to
 * other directories, local or UNC.
 *
 * The log's own line format is not known (UNCERTAIN in the notes): times are
 * taken from the start of a line when it carries one, else the file's
 * modification time stands in for coverage. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/logscan.h"
#include "util.h"

static const char phrase[] = "Download failed and temporary file";
static const char *const lits[] = {"failed and temporary file"};
static const char needs[] = " needs to be removed";
static ex_lit *lit_set;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void)
{
    lit_set = ex_lit_new(lits, 1);
}

const char *const *ex_an_oab_literals(size_t *n)
{
    *n = EX_ARRAY_LEN(lits);
    return lits;
}

static const ex_log_rule r26858 = {
    "oab.cve-2021-26858", "CVE-2021-26858",
    "'Download failed and temporary file (.*?) needs to be removed' where the path does not start with "
    "'<install>ClientAccess\\OAB",
    "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve26858", "logs-and-builds.md §1.3"};

typedef struct oab_state {
    ex_logscan scan; /* first: ex_logscan_feed_state */
    ex_hunt *h;
    const ex_hunt_file *f;
    char oab_prefix[1100]; /* "'C:\...\V15\ClientAccess\OAB", or "" when the install has no drive in the evidence */
    char root_tail[1024];  /* the install root without the evidence's own prefix, '\' separated */
} oab_state;

static bool oab_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**Logging/OABGeneratorLog/**", f->path) ||
           ex_evpath_match("OABGenerator*.log", ex_evpath_base(f->path));
}

/* The Windows form of the evidence root: "C:/x/y" -> "C:\x\y\". */
static void set_prefix(oab_state *s, const char *root)
{
    if (!root)
        return;
    bool drive = strlen(root) >= 3 && root[1] == ':' && root[2] == '/';
    size_t o = 0;
    char *dst = drive ? s->oab_prefix : s->root_tail;
    size_t cap = drive ? sizeof s->oab_prefix : sizeof s->root_tail;
    if (drive)
        dst[o++] = '\'';
    for (const char *p = root; *p && o + 20 < cap; p++)
        dst[o++] = *p == '/' ? '\\' : *p;
    if (o && dst[o - 1] != '\\')
        dst[o++] = '\\';
    dst[o] = '\0';
    if (drive)
        snprintf(dst + o, cap - o, "ClientAccess\\OAB");
}

/* Without a drive in the evidence path, the root's Windows form is unknown:
 * accept "X:\...<some tail of the root>\ClientAccess\OAB" instead. */
static bool under_oab_tailwise(const oab_state *s, const char *path, size_t n)
{
    static const char ca[] = "\\ClientAccess\\OAB";
    if (n < 4 || path[0] != '\'' || path[2] != ':' || path[3] != '\\')
        return false;
    const char *m = ex_strcasestr_n(path, n, ca);
    if (!m)
        return false;
    size_t before = (size_t)(m - path) - 3; /* "\...\V15" after "'X:" */
    const char *b = path + 3;
    size_t tl = strlen(s->root_tail);
    if (tl && s->root_tail[tl - 1] == '\\')
        tl--;
    if (!tl) /* the install's own folder is unknown: any ...\ClientAccess\OAB on a drive */
        return true;
    if (before > tl)
        return false;
    /* b[0..before) must be a component-aligned suffix of the root's tail */
    const char *suffix = s->root_tail + tl - before;
    return strncasecmp(suffix, b, before) == 0 && (suffix == s->root_tail || suffix[-1] == '\\' || b[0] == '\\');
}

static int on_line(void *ctx, const char *line, size_t n, uint64_t ln, uint64_t off, unsigned lit)
{
    oab_state *s = ctx;
    const char *m = ex_strcasestr_n(line, n, phrase);
    if (!m)
        return 0;
    const char *p = m + strlen(phrase);
    size_t rest = n - (size_t)(p - line);
    if (!rest || *p != ' ')
        return 0;
    p++;
    rest--;
    const char *e = ex_strcasestr_n(p, rest, needs); /* lazy (.*?): the first " needs to be removed" */
    if (!e)
        return 0;
    size_t pn = (size_t)(e - p);
    bool legit;
    if (s->oab_prefix[0])
        legit = pn >= strlen(s->oab_prefix) && strncasecmp(p, s->oab_prefix, strlen(s->oab_prefix)) == 0;
    else
        legit = under_oab_tailwise(s, p, pn);
    if (legit)
        return 0;
    ex_log_emit(s->h, s->f, &r26858, EX_KIND_SUCCESS, EX_SEV_HIGH,
                "ProxyLogon CVE-2021-26858: the OAB generator wrote a file outside ClientAccess\\OAB",
                ex_log_line_time(line, n), ln, off, line, n);
    return 0;
}

static void *oab_begin(ex_hunt *h, const ex_hunt_file *f)
{
    pthread_once(&once, init);
    if (!lit_set)
        return NULL;
    oab_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = h;
    s->f = f;
    set_prefix(s, ex_hunt_install_root(h));
    ex_logscan_init(&s->scan, lit_set, on_line, s);
    return s;
}

static void oab_end(void *st, ex_hunt *h, const char *sha256)
{
    oab_state *s = st;
    if (s->scan.first == EX_TIME_UNKNOWN && s->f->mtime != EX_TIME_UNKNOWN && s->f->size) {
        char dir[512];
        ex_log_dir(s->f, dir, sizeof dir);
        ex_hunt_cover(h, dir, s->f->mtime, s->f->mtime);
    } else {
        ex_logscan_cover(&s->scan, h, s->f);
    }
    free(s);
}

const ex_analyzer ex_an_oab = {
    .name = "oab",
    .flags = EX_AN_LINES,
    .wants = oab_wants,
    .begin = oab_begin,
    .feed = ex_logscan_feed_state,
    .end = oab_end,
};
