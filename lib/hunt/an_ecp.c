/* an_ecp: Exchange ECP Server logs (<install>\Logging\ECP\Server\*.log,
 * "#Fields: TimeStamp,ServerName,EventId,EventData").
 *
 * Facts followed (../shared/docs/logs-and-builds.md §1.4, §3.2):
 *  - Test-ProxyLogon's CVE-2021-27065 check: a line matching the .NET regex
 *      Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)
 *    case-insensitively (Select-String's default). It needs lookahead: PCRE2.
 *  - The blog's looser form: "All Set-<AppName>VirtualDirectory properties
 *    should never contain script"; HELSECERT's trimmed excerpt (no S:URL
 *    field) matches only this: Set-*VirtualDirectory with a tag in a ...Url=
 *    parameter (Volexity's literal "S:CMD=Set-OabVirtualDirectory.ExternalUrl='").
 *  - The OAB virtual directory removed and recreated (Remove-/New-OABVirtualDirectory),
 *    the "reset" that writes the web shell (HELSECERT ECPServer20210303-1.LOG).
 * Attempt or success: docs/hunt.md (the set alone is an attempt; followed by
 * the removal and recreation it is a success, concluded in correlate.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an.h"
#include "hunt/evpath.h"
#include "hunt/logscan.h"
#include "util.h"

enum { L_VDIR, L_FIELDS };
/* "lDirectory": the rare part of VirtualDirectory (a fingerprint of "Vir" would also stop at every "Virtual"). */
static const char *const lits[] = {"lDirectory", "#Fields:"};

static const char tpl_regex[] = "Set-.+VirtualDirectory.+?(?=Url).+<\\w+.*>(.*?)<\\/\\w+>.+?(?=VirtualDirectory)";
/* The tag must sit inside the ...Url= value, which S:CMD quotes with '' (a
 * benign line has "S:TNAME=<null>" further on). */
static const char blog_regex[] = "Set-\\w*VirtualDirectory\\.[^;]*?Url=''[^']*<\\w+";

/* A 1 MiB line must not turn the regex's nested .+ into minutes of backtracking. */
#define MATCH_LIMIT 2000000u

static struct {
    ex_lit *lit;
    pcre2_code *tpl, *blog;
} g;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static pcre2_code *compile(const char *re)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &off, NULL);
    if (c)
        pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* optional: the interpreter is the fallback */
    return c;
}

static void init(void)
{
    g.lit = ex_lit_new(lits, EX_ARRAY_LEN(lits));
    g.tpl = compile(tpl_regex);
    g.blog = compile(blog_regex);
}

const char *const *ex_an_ecp_literals(size_t *n)
{
    *n = 1;
    return lits;
}

static const ex_log_rule rset_tpl = {
    "ecp.cve-2021-27065.set-vdir-script", "CVE-2021-27065", tpl_regex,
    "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve27065 (ECP server log)", "logs-and-builds.md §1.4"};
static const ex_log_rule rset_blog = {
    "ecp.cve-2021-27065.set-vdir-script", "CVE-2021-27065", "Set-.+VirtualDirectory with a tag in a ...Url= parameter",
    "Microsoft HAFNIUM blog ('Set-.+VirtualDirectory', properties should never contain script); Volexity "
    "S:CMD=Set-OabVirtualDirectory.ExternalUrl='",
    "logs-and-builds.md §1.4, §3.2"};
static const ex_log_rule rremove = {"ecp.oab-vdir.removed", "CVE-2021-27065", "S:CMD=Remove-OABVirtualDirectory",
                                    "HELSECERT 2021-march-exchange (ECP server log excerpt)",
                                    "logs-and-builds.md §3.2"};
static const ex_log_rule rnew = {"ecp.oab-vdir.created", "CVE-2021-27065", "S:CMD=New-OABVirtualDirectory",
                                 "HELSECERT 2021-march-exchange (ECP server log excerpt)", "logs-and-builds.md §3.2"};

typedef struct ecp_state {
    ex_logscan scan; /* first: ex_logscan_feed_state */
    ex_hunt *h;
    const ex_hunt_file *f;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    bool limit_reported;
} ecp_state;

static bool ecp_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    const char *base = ex_evpath_base(f->path);
    if (!ex_evpath_match("*.log", base))
        return false;
    return ex_evpath_match("**Logging/ECP/Server/**", f->path) || ex_evpath_match("ECPServer*", base);
}

/* 1 match, 0 no match, -1 limit reached */
static int match(ecp_state *s, const pcre2_code *re, const char *line, size_t n)
{
    if (!re)
        return 0;
    int rc = pcre2_match(re, (PCRE2_SPTR)line, n, 0, 0, s->md, s->mc);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static void limit_hit(ecp_state *s, uint64_t ln)
{
    if (s->limit_reported)
        return;
    char msg[160];
    snprintf(msg, sizeof msg, "regex match limit reached at line %llu: that line was not fully checked",
             (unsigned long long)ln);
    ex_hunt_skip(s->h, s->f, msg);
    s->limit_reported = true;
}

static int on_line(void *ctx, const char *line, size_t n, uint64_t ln, uint64_t off, unsigned lit)
{
    ecp_state *s = ctx;
    if (line[0] == '#')
        return 0;
    int64_t t = ex_log_line_time(line, n);
    int m = match(s, g.tpl, line, n);
    const ex_log_rule *rule = m == 1 ? &rset_tpl : NULL;
    if (m < 0)
        limit_hit(s, ln);
    if (!rule && (m = match(s, g.blog, line, n)) == 1)
        rule = &rset_blog;
    if (m < 0)
        limit_hit(s, ln);
    if (rule)
        ex_log_emit(s->h, s->f, rule, EX_KIND_ATTEMPT, EX_SEV_HIGH,
                    "ProxyLogon CVE-2021-27065: Set-*VirtualDirectory with script in a URL (web shell planted in the "
                    "virtual directory's configuration)",
                    t, ln, off, line, n);
    if (ex_strcasestr_n(line, n, "S:CMD=Remove-OABVirtualDirectory"))
        ex_log_emit(s->h, s->f, &rremove, EX_KIND_ATTEMPT, EX_SEV_INFO, "OAB virtual directory removed", t, ln, off,
                    line, n);
    if (ex_strcasestr_n(line, n, "S:CMD=New-OABVirtualDirectory"))
        ex_log_emit(s->h, s->f, &rnew, EX_KIND_ATTEMPT, EX_SEV_INFO, "OAB virtual directory created", t, ln, off, line,
                    n);
    return 0;
}

static void *ecp_begin(ex_hunt *h, const ex_hunt_file *f)
{
    pthread_once(&once, init);
    if (!g.lit)
        return NULL;
    ecp_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = h;
    s->f = f;
    s->md = pcre2_match_data_create(16, NULL);
    s->mc = pcre2_match_context_create(NULL);
    if (!s->md || !s->mc) {
        pcre2_match_data_free(s->md);
        pcre2_match_context_free(s->mc);
        free(s);
        return NULL;
    }
    pcre2_set_match_limit(s->mc, MATCH_LIMIT);
    pcre2_set_depth_limit(s->mc, MATCH_LIMIT / 20);
    ex_logscan_init(&s->scan, g.lit, on_line, s);
    return s;
}

static void ecp_end(void *st, ex_hunt *h, const char *sha256)
{
    ecp_state *s = st;
    ex_logscan_cover(&s->scan, h, s->f);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mc);
    free(s);
}

const ex_analyzer ex_an_ecp = {
    .name = "ecp",
    .flags = EX_AN_LINES,
    .wants = ecp_wants,
    .begin = ecp_begin,
    .feed = ex_logscan_feed_state,
    .end = ecp_end,
};
