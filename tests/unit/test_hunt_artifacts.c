/* The evtx, files, exsetup and iisconfig analyzers through the hunt engine:
 * an evidence tree laid out like a mounted C: drive, built from the fixtures
 * and the real .evtx samples (copied at run time, never into the repository),
 * read with every registered analyzer. Expected values: the fixtures' own
 * contents (their READMEs), the build ExSetup.exe carries (mkpe.py), the
 * hashes of the bytes written here (OpenSSL, not the engine). */
#include "t.h"
#include "t_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hunt/hunt.h"
#include "util.h"

#define V15    "C/Program Files/Microsoft/Exchange Server/V15"
#define EV_V15 "C:/Program Files/Microsoft/Exchange Server/V15"

static char root[128];

/* Write data at root/rel (folders created) with this mtime. */
static int put(const char *rel, const void *data, size_t len, int64_t mtime)
{
    char path[4096];
    t_put(root, rel, data, len);
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
    if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
        t_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char err[200];
    char *d = ex_read_file(path, 8u << 20, len, err, sizeof err);
    if (!d)
        t_fail(__FILE__, __LINE__, "%s: %s", path, err);
    return d;
}

/* Copy a fixture (tests/fixtures/<fx>) or a reference sample (shared=true) into the tree. */
static int copy_in(const char *from, bool shared, const char *rel, int64_t mtime, char sha[EX_SHA256_HEX])
{
    char src[4200];
    if (shared) {
        const char *env = getenv("EXAUDIT_SHARED");
        if (env && *env)
            snprintf(src, sizeof src, "%s/reference/evtx/%s", env, from);
        else {
            snprintf(src, sizeof src, "%s/../shared/reference/evtx/%s", t_srcdir(), from);
            if (access(src, F_OK) != 0)
                snprintf(src, sizeof src, "%s/../../shared/reference/evtx/%s", t_srcdir(), from);
        }
    } else {
        snprintf(src, sizeof src, "%s", t_fixture(from));
    }
    size_t len;
    char *d = slurp(src, &len);
    if (!d)
        return -1;
    if (sha)
        ex_sha256_hex(d, len, sha);
    int r = put(rel, d, len, mtime);
    free(d);
    return r;
}

static const ex_finding *find(const ex_findings *l, const char *id, const char *path_end)
{
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        size_t pl = f->ev.path ? strlen(f->ev.path) : 0, el = strlen(path_end);
        if (!strcmp(f->id, id) && pl >= el && !strcmp(f->ev.path + pl - el, path_end))
            return f;
    }
    return NULL;
}

static size_t count_on(const ex_findings *l, const char *path_end, int min_sev)
{
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++) {
        const ex_finding *f = &l->items[i];
        size_t pl = f->ev.path ? strlen(f->ev.path) : 0, el = strlen(path_end);
        n += pl >= el && !strcmp(f->ev.path + pl - el, path_end) && (int)f->severity >= min_sev;
    }
    return n;
}

static bool skipped(const ex_hunt *h, const char *path_end, const char *reason_part)
{
    for (size_t i = 0; i < ex_hunt_skip_count(h); i++) {
        const ex_hunt_skip_rec *s = ex_hunt_skip_at(h, i);
        size_t pl = strlen(s->path), el = strlen(path_end);
        if (pl >= el && !strcmp(s->path + pl - el, path_end) && strstr(s->reason, reason_part))
            return true;
    }
    return false;
}

#define T_PATCH 1615377600 /* 2021-03-10T12:00:00Z: when ExSetup.exe was written */
#define T_SHELL 1614754760 /* 2021-03-03T06:59:20Z */

TEST(tree_through_the_engine)
{
    t_tmpdir(root, sizeof root, "artifacts");
    char sha_shell[EX_SHA256_HEX], sha_pst[EX_SHA256_HEX];
    int bad = 0;
    bad |= copy_in("pe/ExSetup-2016-CU19-Mar21SU.exe", false, V15 "/Bin/ExSetup.exe", T_PATCH, NULL);
    bad |= copy_in("files/logon_branded.aspx", false, V15 "/FrontEnd/HttpProxy/owa/auth/logon.aspx", T_PATCH, NULL);
    bad |= copy_in("files/oab_vd_export_chopper.aspx", false,
                   V15 "/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx", T_SHELL, sha_shell);
    bad |= put(V15 "/FrontEnd/HttpProxy/ecp/auth/TimeoutLogoff.aspx", "<%@ Page Language=\"C#\" %>\n", 26, T_PATCH);
    bad |= copy_in("files/proxyshell_pst_headed.aspx", false, "C/inetpub/wwwroot/aspnet_client/rwgzb.aspx", T_SHELL,
                   sha_pst);
    bad |= copy_in("om__MSExchange_Management_wec.evtx", true,
                   "C/Windows/System32/winevt/Logs/MSExchange Management.evtx", T_PATCH, NULL);
    bad |= copy_in("om__Application_no_crc32.evtx", true, "C/Windows/System32/winevt/Logs/Application.evtx", T_PATCH,
                   NULL);
    bad |= copy_in("events/Exchange-events.xml", false, "EventLogs/Exchange-events.xml", T_PATCH, NULL);
    bad |= copy_in("events/20210905101500_EvtxECmd_Output.csv", false, "EventLogs/20210905101500_EvtxECmd_Output.csv",
                   T_PATCH, NULL);
    /* Extended Protection removed everywhere: "off" */
    size_t len;
    char *cfg = slurp(t_fixture("config/applicationHost.config"), &len);
    static const char *const from[] = {"tokenChecking=\"Require\"", "tokenChecking=\"Allow\""};
    static const char *const to[] = {"tokenChecking=\"None\"   ", "tokenChecking=\"None\" "}; /* same length */
    for (size_t k = 0; cfg && k < 2; k++)
        for (char *p = cfg; (p = strstr(p, from[k])); p++)
            memcpy(p, to[k], strlen(to[k]));
    if (cfg)
        bad |= put("C/Windows/System32/inetsrv/config/applicationHost.config", cfg, len, T_PATCH);
    free(cfg);
    if (bad) {
        t_rmtree(root);
        return;
    }

    const char *inputs[] = {root};
    ex_hunt_opts o = {.inputs = inputs, .ninputs = 1, .threads = 2, .today = ex_date_to_days("2026-08-19")};
    ex_hunt *h = ex_hunt_new(&o);
    char err[300];
    CHECK(h != NULL);
    if (!h || ex_hunt_run(h, err, sizeof err) != 0) {
        t_fail(__FILE__, __LINE__, "run: %s", h ? err : "no hunt");
        ex_hunt_free(h);
        t_rmtree(root);
        return;
    }
    const ex_findings *l = ex_hunt_findings(h);

    /* exsetup: the exact build, through the knowledge base */
    const ex_hunt_install *in = ex_hunt_install_info(h);
    CHECK_STR(in->build, "15.1.2176.9");
    CHECK_STR(in->build_how, "Bin/ExSetup.exe version resource");
    const ex_hunt_fact_rec *fx = ex_hunt_fact_find(h, "patch.installed");
    CHECK(fx && fx->time == T_PATCH);
    const ex_assessment *a = ex_hunt_assessment(h);
    CHECK(a != NULL);
    if (a) {
        const ex_cve_verdict *v = ex_assessment_cve(a, "CVE-2021-26855");
        CHECK(v && v->status == EX_STATUS_PATCHED); /* Mar21SU is the fix (logs-and-builds.md §4) */
        v = ex_assessment_cve(a, "CVE-2021-34473");
        CHECK(v && v->status == EX_STATUS_VULNERABLE); /* ProxyShell: fixed from Apr21SU */
    }

    /* iisconfig: the state as a fact */
    fx = ex_hunt_fact_find(h, "config.extended-protection");
    CHECK(fx && fx->detail && !strcmp(fx->detail, "off"));

    /* files: the shells, each with the SHA-256 of its bytes; nothing on the stock files */
    const ex_finding *f =
        find(l, "files.yara.EXA_WEBSHELL_VirtualDirectory_Export_With_Script", "owa/auth/RedirSuiteServerProxy.aspx");
    CHECK(f != NULL);
    if (f) {
        CHECK_STR(f->ev.sha256, sha_shell);
        CHECK_INT(f->time, T_SHELL);
        CHECK_INT(f->severity, EX_SEV_CRITICAL);
    }
    f = find(l, "files.yara.EXA_WEBSHELL_PST_Headed_Page", "aspnet_client/rwgzb.aspx");
    CHECK(f && !strcmp(f->ev.sha256, sha_pst));
    CHECK_INT(count_on(l, "owa/auth/logon.aspx", EX_SEV_MEDIUM), 0);
    CHECK_INT(count_on(l, "ecp/auth/TimeoutLogoff.aspx", EX_SEV_MEDIUM), 0);

    /* evtx: the XML and CSV hits, the forwarded record reported unreadable */
    CHECK(find(l, "evtx.proxylogon.set-oabvirtualdirectory", "EventLogs/Exchange-events.xml") != NULL);
    CHECK(find(l, "evtx.proxyshell.new-mailboxexportrequest", "_EvtxECmd_Output.csv") != NULL);
    CHECK(find(l, "evtx.cve-2021-26857", "_EvtxECmd_Output.csv") != NULL);
    CHECK(skipped(h, "MSExchange Management.evtx", "1 of 1 events unreadable"));
    CHECK(skipped(h, "Exchange-events.xml", "1 of 10 events unreadable"));
    CHECK(skipped(h, "_EvtxECmd_Output.csv", "2 of 9 events unreadable"));
    CHECK_INT(count_on(l, "winevt/Logs/Application.evtx", EX_SEV_MEDIUM), 0);
    bool covered = false;
    for (size_t i = 0; i < ex_hunt_coverage_count(h); i++)
        covered |= !strcmp(ex_hunt_coverage_at(h, i)->logdir, "EventLog/MSExchange Management");
    CHECK(covered);

    ex_hunt_free(h);
    t_rmtree(root);
}

/* A CU's own build (15.1.2176.2 is 2016 CU19 itself in ../shared/reference/exchange-builds.tsv):
 * the installed build, but no patch was installed. */
TEST(cu_build_is_no_patch)
{
    t_tmpdir(root, sizeof root, "artifacts");
    if (copy_in("pe/ExSetup-fixed-only.exe", false, V15 "/Bin/ExSetup.exe", T_PATCH, NULL) == 0) {
        const char *inputs[] = {root};
        ex_hunt_opts o = {.inputs = inputs, .ninputs = 1, .threads = 1, .today = ex_date_to_days("2026-08-19")};
        ex_hunt *h = ex_hunt_new(&o);
        char err[300];
        if (h && ex_hunt_run(h, err, sizeof err) == 0) {
            const ex_hunt_fact_rec *b = ex_hunt_fact_find(h, "install.build");
            CHECK(b && !strcmp(b->detail, "15.1.2176.2") && b->time == T_PATCH);
            CHECK(ex_hunt_fact_find(h, "patch.installed") == NULL);
        } else {
            t_fail(__FILE__, __LINE__, "run failed");
        }
        ex_hunt_free(h);
    }
    t_rmtree(root);
}
