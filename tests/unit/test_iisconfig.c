/* lib/hunt/iisconfig: Extended Protection per virtual directory and virtual
 * directories into ProgramData or Users. The fixture (tests/fixtures/config,
 * mkconfig.py) sets every Exchange virtual directory to the value HealthChecker
 * expects (logs-and-builds.md §2.3); the variants below change it the way the
 * field notes describe (one vdir lowered, Extended Protection absent, a
 * ProxyShell folder as physicalPath, ioc-hunting.md §1.4). */
#include "t.h"

#include "hunt/iisconfig.h"
#include "util.h"

static char *config(size_t *len)
{
    char err[200];
    char *d = ex_read_file(t_fixture("config/applicationHost.config"), 1 << 20, len, err, sizeof err);
    if (!d)
        t_fail(__FILE__, __LINE__, "applicationHost.config: %s", err);
    return d;
}

/* Replace every occurrence of from with to (to no longer than from). */
static size_t replace_all(char *s, const char *from, const char *to)
{
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (char *p = s; (p = strstr(p, from)); n++) {
        memcpy(p, to, tl);
        memmove(p + tl, p + fl, strlen(p + fl) + 1);
        p += tl;
    }
    return n;
}

static const char *state_of(const char *text, char *detail, size_t n)
{
    static char state[16];
    ex_iiscfg cfg;
    char err[200];
    if (ex_iiscfg_parse(text, strlen(text), &cfg, err, sizeof err) != 0) {
        t_fail(__FILE__, __LINE__, "parse: %s", err);
        ex_iiscfg_free(&cfg);
        return "error";
    }
    const char *s = ex_iiscfg_ep_state(&cfg, detail, n);
    snprintf(state, sizeof state, "%s", s ? s : "(none)");
    ex_iiscfg_free(&cfg);
    return state;
}

TEST(expected_settings_are_on)
{
    size_t len;
    char *t = config(&len), detail[800];
    if (!t)
        return;
    CHECK_STR(state_of(t, detail, sizeof detail), "on");
    CHECK_STR(detail, "");
    ex_iiscfg cfg;
    char err[200];
    CHECK_INT(ex_iiscfg_parse(t, len, &cfg, err, sizeof err), 0);
    /* 1 + 11 front-end and 1 + 14 back-end applications, one vdir each */
    CHECK_INT(cfg.nvdirs, 27);
    CHECK_INT(ex_iiscfg_token(&cfg, "Default Web Site/OWA"), EX_EP_REQUIRE);
    CHECK_INT(ex_iiscfg_token(&cfg, "default web site/owa"), EX_EP_REQUIRE); /* IIS paths ignore case */
    CHECK_INT(ex_iiscfg_token(&cfg, "Default Web Site/EWS"), EX_EP_ALLOW);
    CHECK_INT(ex_iiscfg_token(&cfg, "Default Web Site/OWA/auth"), EX_EP_REQUIRE); /* inherited below */
    CHECK_INT(ex_iiscfg_token(&cfg, "Default Web Site/OWAX"), EX_EP_NONE);        /* not a child of /OWA */
    CHECK_INT(ex_iiscfg_token(&cfg, "Exchange Back End/mapi/nspi"), EX_EP_REQUIRE);
    ex_findings out = {0};
    CHECK_INT(ex_iiscfg_findings(&cfg, "C:/Windows/System32/inetsrv/config/applicationHost.config", 7, &out), 0);
    CHECK_INT(out.count, 1); /* only the info statement */
    if (out.count) {
        CHECK_STR(out.items[0].id, "iisconfig.extended-protection");
        CHECK_INT(out.items[0].severity, EX_SEV_INFO);
        CHECK_INT(out.items[0].time, 7);
    }
    ex_findings_free(&out);
    ex_iiscfg_free(&cfg);
    free(t);
}

TEST(one_vdir_lowered_is_partial)
{
    size_t len;
    char *t = config(&len), detail[800];
    if (!t)
        return;
    /* the back end's EWS from Require to Allow: below HealthChecker's Require */
    char *ews = strstr(t, "<location path=\"Exchange Back End/EWS\"");
    CHECK(ews != NULL);
    if (ews) {
        char *tok = strstr(ews, "tokenChecking=\"Require\"");
        memcpy(tok, "tokenChecking=\"Allow\"  ", 23);
    }
    CHECK_STR(state_of(t, detail, sizeof detail), "partial");
    CHECK_STR(detail, "Exchange Back End/EWS Allow (expected Require)");
    free(t);
}

TEST(no_extended_protection_is_off)
{
    size_t len;
    char *t = config(&len), detail[800];
    if (!t)
        return;
    CHECK(replace_all(t, "tokenChecking=\"Require\"", "tokenChecking=\"None\"") > 10);
    CHECK(replace_all(t, "tokenChecking=\"Allow\"", "tokenChecking=\"None\"") > 3);
    CHECK_STR(state_of(t, detail, sizeof detail), "off");
    CHECK_CONTAINS(detail, "Default Web Site/OWA None (expected Require)");
    free(t);
}

TEST(site_level_setting_inherited)
{
    /* one location for the whole front-end site, none per vdir: every FE vdir inherits Require */
    const char *t = "<configuration><system.applicationHost><sites><site name=\"Default Web Site\" id=\"1\">"
                    "<application path=\"/owa\"><virtualDirectory path=\"/\" physicalPath=\"C:\\x\" /></application>"
                    "<application path=\"/ecp\"><virtualDirectory path=\"/\" physicalPath=\"C:\\y\" /></application>"
                    "</site></sites></system.applicationHost>"
                    "<location path=\"Default Web Site\"><system.webServer><security><authentication>"
                    "<windowsAuthentication><extendedProtection tokenChecking=\"Require\" /></windowsAuthentication>"
                    "</authentication></security></system.webServer></location></configuration>";
    char detail[400];
    CHECK_STR(state_of(t, detail, sizeof detail), "on");
    /* no Exchange virtual directory at all: no statement */
    CHECK_STR(state_of("<configuration><system.applicationHost><sites><site name=\"Intranet\"><application "
                       "path=\"/\"><virtualDirectory path=\"/\" physicalPath=\"D:\\web\" /></application></site>"
                       "</sites></system.applicationHost></configuration>",
                       detail, sizeof detail),
              "(none)");
}

TEST(rogue_virtual_directories)
{
    size_t len;
    char *t = config(&len);
    if (!t)
        return;
    /* ProxyShell's folders (ioc-hunting.md §1.4: C:\ProgramData\COM|WHO|ZING|..., C:\Users\All Users\)
     * and a plain ProgramData folder, added under the root application of the front end */
    const char *root = "physicalPath=\"%SystemDrive%\\inetpub\\wwwroot\" />";
    char *at = strstr(t, root);
    CHECK(at != NULL);
    if (!at) {
        free(t);
        return;
    }
    ex_buf b = {0};
    ex_buf_append(&b, t, (size_t)(at - t) + strlen(root));
    ex_buf_puts(&b, "<virtualDirectory path=\"/zz\" physicalPath=\"C:\\ProgramData\\ZING\\x\" />"
                    "<virtualDirectory path=\"/c1\" physicalPath=\"%ProgramData%\\COM1\" />"
                    "<virtualDirectory path=\"/au\" physicalPath=\"c:\\users\\all users\\AUX\\\" />"
                    "<virtualDirectory path=\"/v\" physicalPath=\"C:\\ProgramData\\VendorPortal\" />"
                    "<virtualDirectory path=\"/ok\" physicalPath=\"D:\\ProgramData\\..\\web\" />");
    ex_buf_puts(&b, at + strlen(root));
    ex_iiscfg cfg;
    char err[200];
    CHECK_INT(ex_iiscfg_parse(b.data, b.len, &cfg, err, sizeof err), 0);
    ex_findings out = {0};
    CHECK_INT(ex_iiscfg_findings(&cfg, "C:/Windows/System32/inetsrv/config/applicationHost.config", 0, &out), 0);
    size_t critical = 0, high = 0;
    for (size_t i = 0; i < out.count; i++) {
        if (strcmp(out.items[i].id, "iisconfig.vdir-user-writable") != 0)
            continue;
        CHECK_INT(out.items[i].kind, EX_KIND_PERSISTENCE);
        CHECK(out.items[i].ev.line > 0);
        critical += out.items[i].severity == EX_SEV_CRITICAL;
        high += out.items[i].severity == EX_SEV_HIGH;
        if (strstr(out.items[i].ev.match, "/zz"))
            CHECK_CONTAINS(out.items[i].title, "Default Web Site/zz");
    }
    CHECK_INT(critical, 3); /* ZING, COM1, All Users\AUX */
    /* VendorPortal; "D:\ProgramData\..\web" resolves to D:\web, as Windows opens it */
    CHECK_INT(high, 1);
    ex_findings_free(&out);
    ex_iiscfg_free(&cfg);
    ex_buf_free(&b);
    free(t);
}

TEST(broken_xml)
{
    ex_iiscfg cfg;
    char err[200];
    const char *t = "<configuration><system.applicationHost><sites><site name=\"Default Web Site\">"
                    "<application path=\"/x\"><virtualDirectory path=\"/\" physicalPath=\"C:\\Users\\Public\\w\" />"
                    "</application></site></sites><unclosed></configuration>";
    CHECK_INT(ex_iiscfg_parse(t, strlen(t), &cfg, err, sizeof err), -1);
    CHECK_CONTAINS(err, "not well-formed");
    CHECK_INT(cfg.nvdirs, 1); /* what came before the error is kept */
    ex_iiscfg_free(&cfg);
    /* entity expansion bombs are refused by expat rather than expanded */
    const char *bomb = "<!DOCTYPE c [<!ENTITY a \"aaaaaaaaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
                       "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
                       "<configuration><location path=\"&d;&d;&d;&d;\"/></configuration>";
    int r = ex_iiscfg_parse(bomb, strlen(bomb), &cfg, err, sizeof err);
    CHECK(r == 0 || r == -1);
    ex_iiscfg_free(&cfg);
}
