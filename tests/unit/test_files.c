/* lib/hunt/files, yarascan, iocs, filetype: the files analyzer's record logic
 * on the fixtures of tests/fixtures/files (README.md there: each is written
 * from a pattern of ../shared/docs/ioc-hunting.md). Expected rule names follow
 * from which pattern each fixture carries; expected IOC rows from
 * ../shared/reference/iocs; the MD5 of a fixture from md5sum(1). */
#include "t.h"
#include "t_fs.h"

#include <unistd.h>

#include "hunt/files.h"
#include "hunt/filetype.h"
#include "hunt/iocs.h"
#include "hunt/yarascan.h"
#include "util.h"

#define OWA    "C:/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/"
#define ECP    "C:/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp/auth/"
#define ASPNET "C:/inetpub/wwwroot/aspnet_client/"

static unsigned char *fixture(const char *name, size_t *len)
{
    char err[200], rel[300];
    snprintf(rel, sizeof rel, "files/%s", name);
    unsigned char *d = (unsigned char *)ex_read_file(t_fixture(rel), 1 << 20, len, err, sizeof err);
    if (!d)
        t_fail(__FILE__, __LINE__, "%s: %s", name, err);
    return d;
}

/* The content findings for a fixture placed at path. */
static void scan(const ex_yara *y, const char *name, const char *path, ex_findings *out)
{
    size_t len;
    unsigned char *d = fixture(name, &len);
    if (!d)
        return;
    char md5[33], sha1[41];
    ex_files_note note;
    CHECK_INT(ex_files_check_content(y, path, 0, d, len, md5, sha1, out, &note), 0);
    CHECK_STR(note.skip, "");
    free(d);
}

static const ex_finding *find_id(const ex_findings *l, const char *id)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].id, id) == 0)
            return &l->items[i];
    return NULL;
}

static ex_yara *builtin(void)
{
    ex_yara *y = NULL;
    char err[300];
    ex_yara_load_report rep;
    if (ex_yara_load(NULL, &y, &rep, err, sizeof err) != 0)
        t_fail(__FILE__, __LINE__, "built-in rules: %s", err);
    return y;
}

TEST(builtin_rules_compile_all)
{
    ex_yara *y = NULL;
    char err[300];
    ex_yara_load_report rep;
    CHECK_INT(ex_yara_load(NULL, &y, &rep, err, sizeof err), 0);
    /* as many rules as the source file declares */
    char path[4200];
    size_t len;
    snprintf(path, sizeof path, "%s/data/rules/exchange_webshells.yar", t_srcdir());
    char *text = ex_read_file(path, 1 << 20, &len, err, sizeof err);
    CHECK(text != NULL);
    size_t declared = 0;
    for (char *p = text; p && (p = strstr(p, "\nrule ")); p++)
        declared++;
    CHECK_INT(rep.rules, declared);
    CHECK(declared >= 10);
    free(text);
    ex_yara_free(y);
}

static const struct {
    const char *fixture, *path, *rule;
} hits[] = {
    {"oab_vd_export_chopper.aspx", OWA "RedirSuiteServerProxy.aspx",
     "files.yara.EXA_WEBSHELL_VirtualDirectory_Export_With_Script"},
    {"oab_vd_export_chopper.aspx", OWA "RedirSuiteServerProxy.aspx", "files.yara.EXA_WEBSHELL_Chopper_Eval_Request"},
    {"proxylogon_poc_comment.aspx", OWA "test1337.aspx", "files.yara.EXA_WEBSHELL_Chopper_Eval_Request"},
    {"chopper_item_paren.aspx", ASPNET "a.aspx", "files.yara.EXA_WEBSHELL_Chopper_Eval_Request"},
    {"upload_stub.aspx", ASPNET "up.aspx", "files.yara.EXA_WEBSHELL_Upload_Stub"},
    {"sportsball_like.aspx", OWA "Current/themes/x.aspx", "files.yara.EXA_WEBSHELL_SportsBall_Like"},
    {"xslt_shell.xslt", ASPNET "x.xslt", "files.yara.EXA_WEBSHELL_XSLT_Script"},
    {"proxyshell_pst_headed.aspx", ASPNET "rwgzb.aspx", "files.yara.EXA_WEBSHELL_PST_Headed_Page"},
    {"proxyshell_der_headed.aspx", ASPNET "cert.aspx", "files.yara.EXA_WEBSHELL_DER_Headed_Page"},
    {"App_Web_k3x0qz1w.dll",
     "C:/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/1/2/App_Web_k3x0qz1w.dll",
     "files.yara.EXA_WEBSHELL_Compiled_AppWeb_Assembly"},
    {"mailbox_export_plain.aspx", OWA "15.1.2176/y.aspx", "files.type-mismatch"},
};

TEST(each_shell_is_found)
{
    ex_yara *y = builtin();
    if (!y)
        return;
    for (size_t i = 0; i < EX_ARRAY_LEN(hits); i++) {
        ex_findings out = {0};
        scan(y, hits[i].fixture, hits[i].path, &out);
        const ex_finding *f = find_id(&out, hits[i].rule);
        if (!f) {
            t_fail(__FILE__, __LINE__, "%s: no %s (%zu findings)", hits[i].fixture, hits[i].rule, out.count);
        } else {
            CHECK(f->severity >= EX_SEV_HIGH);
            CHECK_INT(f->kind, EX_KIND_WEBSHELL);
            CHECK_STR(f->ev.path, hits[i].path);
            CHECK(f->rule_ref && f->rule_ref[0]); /* every rule cites its field note */
            CHECK(f->ev.match && f->ev.match[0]); /* and shows what it matched */
        }
        ex_findings_free(&out);
    }
    ex_yara_free(y);
}

TEST(evidence_details)
{
    ex_yara *y = builtin();
    if (!y)
        return;
    ex_findings out = {0};
    scan(y, "oab_vd_export_chopper.aspx", OWA "RedirSuiteServerProxy.aspx", &out);
    const ex_finding *f = find_id(&out, "files.yara.EXA_WEBSHELL_VirtualDirectory_Export_With_Script");
    if (f) {
        CHECK_STR(f->cve, "CVE-2021-27065");
        CHECK_STR(f->rule_source, "exaudit data/rules/exchange_webshells.yar");
        CHECK_STR(f->rule_author, "exaudit");
        CHECK_CONTAINS(f->ev.match, "ExternalUrl");
        CHECK_CONTAINS(f->ev.match, "http://f/<script language=\"JScript\" runat=\"server\">");
        CHECK(f->ev.offset > 0);
    }
    ex_findings_free(&out);
    scan(y, "proxyshell_pst_headed.aspx", ASPNET "rwgzb.aspx", &out);
    f = find_id(&out, "files.yara.EXA_WEBSHELL_PST_Headed_Page");
    if (f) {
        CHECK_STR(f->cve, "CVE-2021-31207");
        CHECK_INT(f->severity, EX_SEV_CRITICAL);
        for (const char *p = f->ev.match; p && *p; p++) /* binary bytes shown as '.' */
            CHECK(*p >= 0x20 && *p < 0x7F);
    }
    CHECK(find_id(&out, "files.type-mismatch") == NULL); /* the rule hit says more */
    ex_findings_free(&out);
    ex_yara_free(y);
}

/* ioc-hunting.md §5: a branded logon.aspx is no web shell. */
TEST(benign_customisation_not_flagged)
{
    ex_yara *y = builtin();
    if (!y)
        return;
    ex_findings out = {0};
    scan(y, "logon_branded.aspx", OWA "logon.aspx", &out);
    CHECK_INT(out.count, 0);
    CHECK_INT(ex_files_check_path(OWA "logon.aspx", 0, &out), 0);
    CHECK_INT(out.count, 0);
    ex_findings_free(&out);
    ex_yara_free(y);
}

/* LOKI's six externals (ioc-hunting.md §1.1, §7.2), as signature-base's
 * *_ext_vars.yar files use them; a broken file in the directory is left out
 * and reported, the others are used (LOKI's behaviour). */
static void write_rules(const char *dir, const char *rel, const char *text)
{
    t_put(dir, rel, text, strlen(text));
}

TEST(user_rules_with_loki_externals)
{
    char dir[128], good[300], ext[300], broken[300], sub[300];
    t_tmpdir(dir, sizeof dir, "rules");
    snprintf(good, sizeof good, "%s/all_externals.yar", dir);
    snprintf(sub, sizeof sub, "%s/more", dir);
    snprintf(ext, sizeof ext, "%s/more/proxyshell_ext.yara", dir);
    snprintf(broken, sizeof broken, "%s/broken.yar", dir);
    /* md5sum tests/fixtures/files/proxyshell_pst_headed.aspx */
    write_rules(
        dir, "all_externals.yar",
        "rule All_Six_Externals {\n"
        "  meta: author = \"Test Author\" reference = \"https://example.org/rule\" score = 85\n"
        "  condition: filename == \"rwgzb.ASPX\" and filepath == \"C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\"\n"
        "    and extension == \".aspx\" and filetype == \"PST\" and owner == \"\"\n"
        "    and md5 == \"7b67a500c7c64a0c3eb8b2a5a546a818\"\n}\n");
    write_rules(
        dir, "more/proxyshell_ext.yara",
        "rule PST_With_Aspx_Extension {\n"
        "  meta: author = \"Another Author\" reference = \"ioc-hunting.md 1.4\" description = \"PST named .aspx\"\n"
        "  condition: uint32(0) == 0x4E444221 and extension == \".aspx\"\n}\n");
    write_rules(dir, "broken.yar", "rule Broken { condition: undefined_identifier_here }\n");
    ex_yara *y = NULL;
    ex_yara_load_report rep;
    char err[300] = "";
    CHECK_INT(ex_yara_load(dir, &y, &rep, err, sizeof err), 0);
    CHECK_INT(rep.files, 2);
    CHECK_INT(rep.skipped, 1);
    CHECK_CONTAINS(rep.first_skip, "broken.yar");
    CHECK_CONTAINS(rep.first_skip, "undefined_identifier_here");
    if (y) {
        ex_findings out = {0};
        scan(y, "proxyshell_pst_headed.aspx", ASPNET "rwgzb.ASPX", &out);
        const ex_finding *f = find_id(&out, "files.yara.All_Six_Externals");
        CHECK(f != NULL);
        if (f) {
            CHECK_STR(f->rule_author, "Test Author");
            CHECK_STR(f->rule_ref, "https://example.org/rule");
            CHECK_STR(f->rule_source, good);
            CHECK_INT(f->severity, EX_SEV_HIGH); /* score 85 */
        }
        f = find_id(&out, "files.yara.PST_With_Aspx_Extension");
        CHECK(f != NULL);
        if (f) {
            CHECK_STR(f->rule_author, "Another Author");
            CHECK_INT(f->severity, EX_SEV_MEDIUM); /* no score: LOKI's default 70 */
            CHECK_CONTAINS(f->title, "PST named .aspx");
        }
        CHECK(find_id(&out, "files.yara.EXA_WEBSHELL_PST_Headed_Page") != NULL); /* the built-in rules stay */
        ex_findings_free(&out);
        /* the same bytes under another name: the externals change, the rule does not fire */
        scan(y, "proxyshell_pst_headed.aspx", ASPNET "other.aspx", &out);
        CHECK(find_id(&out, "files.yara.All_Six_Externals") == NULL);
        ex_findings_free(&out);
        ex_yara_free(y);
    }
    /* only broken files: an error naming the first */
    unlink(good), unlink(ext), rmdir(sub);
    CHECK_INT(ex_yara_load(dir, &y, &rep, err, sizeof err), -1);
    CHECK_CONTAINS(err, "no rule file compiled");
    unlink(broken);
    CHECK_INT(ex_yara_load(dir, &y, &rep, err, sizeof err), -1);
    CHECK_CONTAINS(err, "no .yar or .yara file");
    t_rmtree(dir);
    CHECK_INT(ex_yara_load("/nonexistent/rules.yar", &y, &rep, err, sizeof err), -1);
}

/* Each table parses completely: as many rows as the file has lines after its header. */
TEST(ioc_tables_complete)
{
    static const char *const tables[] = {"hashes", "names", "paths", "stock-files"};
    CHECK_INT(ex_iocs_load(), 0);
    for (size_t i = 0; i < EX_ARRAY_LEN(tables); i++) {
        char path[4200], err[200];
        size_t len, lines = 0;
        snprintf(path, sizeof path, "%s/data/iocs/%s.tsv", t_srcdir(), tables[i]);
        char *text = ex_read_file(path, 1 << 20, &len, err, sizeof err);
        CHECK(text != NULL);
        for (size_t k = 0; text && k < len; k++)
            lines += text[k] == '\n';
        if (ex_iocs_count(tables[i]) + 1 != lines)
            t_fail(__FILE__, __LINE__, "%s: %zu rows parsed, file has %zu lines", tables[i], ex_iocs_count(tables[i]),
                   lines);
        free(text);
    }
}

TEST(ioc_lookups)
{
    /* CISA AA21-062A's first Microsoft hash; HvS's MD5 of 570221043.aspx */
    const ex_ioc_hash *h = ex_ioc_hash_find("B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0");
    CHECK(h && !strcmp(h->type, "sha256") && strstr(h->source, "CHIRP"));
    h = ex_ioc_hash_find("4d812c34ab1ad038cec7bc83c909680b");
    CHECK(h && !strcmp(h->type, "md5") && !strcmp(h->file_name, "570221043.aspx"));
    CHECK(ex_ioc_hash_find("0000000000000000000000000000000000000000000000000000000000000000") == NULL);

    const ex_ioc_name *n = ex_ioc_name_find("ERROREE.aspx");
    CHECK(n && !strcmp(n->scope, "exchange-web"));
    CHECK(ex_ioc_name_find("logon.aspx") == NULL);

    CHECK(ex_ioc_path_match(OWA "8Lw7tAhF9i1pJnRo.aspx") != NULL); /* MSTIC */
    CHECK(ex_ioc_path_match("D:/Exchange/V15/FrontEnd/HttpProxy/owa/auth/8lw7tahf9i1pjnro.ASPX") !=
          NULL);                                                       /* moved root */
    CHECK(ex_ioc_path_match("C:/ProgramData/COM/shell.aspx") != NULL); /* ProxyShell folder */
    CHECK(ex_ioc_path_match("C:/ProgramData/COMX/shell.aspx") == NULL);
    CHECK(ex_ioc_path_match(OWA "logon.aspx") == NULL);
    const ex_ioc_path *p = ex_ioc_path_match("C:/ProgramData/it.zip");
    CHECK(p && !strcmp(p->kind, "exfiltration-staging"));

    CHECK(ex_ioc_stock("ecp/auth", "timeoutlogoff.aspx"));
    CHECK(!ex_ioc_stock("ecp/auth", "logon.aspx"));
    CHECK(ex_ioc_stock("owa/auth", "logon.aspx"));
}

TEST(locations_and_selection)
{
    static const struct {
        const char *path;
        ex_webloc loc;
        bool wanted;
    } cases[] = {
        {OWA "logon.aspx", EX_LOC_OWA_AUTH, true},
        {OWA "Current/themes/resources/logon.css", EX_LOC_OWA_AUTH_SUB, true},
        {OWA "15.1.2176/scripts/x.js", EX_LOC_OWA_AUTH_SUB, true},
        {ECP "TimeoutLogoff.aspx", EX_LOC_ECP_AUTH, true},
        {ASPNET "system_web/4_0_30319/WebUIValidation.js", EX_LOC_ASPNET_CLIENT, true},
        {"C:/inetpub/wwwroot/iisstart.htm", EX_LOC_WWWROOT, true},
        {"inetpub/wwwroot/web.config", EX_LOC_WWWROOT, true}, /* no drive in a partial collection */
        {"C:/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/OAB/log.aspx", EX_LOC_HTTPPROXY, true},
        {"C:/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/bin/x.dll", EX_LOC_HTTPPROXY, false},
        {"C:/Program Files/Microsoft/Exchange Server/V15/ClientAccess/Owa/auth/x.aspx", EX_LOC_CLIENTACCESS, true},
        {"C:/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/ecp/1/2/App_Web_abcd1234.dll",
         EX_LOC_TEMP_ASPNET, true},
        {"C:/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/ecp/1/2/other.dll",
         EX_LOC_TEMP_ASPNET, false},
        {"C:/root/lsass.dmp", EX_LOC_NONE, true},
        {"C:/Windows/Temp/lsass.exe.dmp", EX_LOC_NONE, true},
        {"C:/ProgramData/Vendor/update.ZIP", EX_LOC_NONE, true},
        {"C:/ProgramData/Vendor/update.zip.bak", EX_LOC_NONE, false},
        {"C:/Windows/Temp/xx.bat", EX_LOC_NONE, true},
        {"C:/Users/bob/Documents/report.docx", EX_LOC_NONE, false},
        {"C:/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/x.LOG", EX_LOC_NONE, false},
    };
    for (size_t i = 0; i < EX_ARRAY_LEN(cases); i++) {
        if (ex_files_location(cases[i].path) != cases[i].loc)
            t_fail(__FILE__, __LINE__, "%s: location %d, expected %d", cases[i].path, ex_files_location(cases[i].path),
                   cases[i].loc);
        if (ex_files_wanted(cases[i].path, false) != cases[i].wanted)
            t_fail(__FILE__, __LINE__, "%s: wanted %d", cases[i].path, !cases[i].wanted);
        CHECK(ex_files_wanted(cases[i].path, true)); /* --full reads everything */
    }
}

static int path_findings(const char *path, ex_findings *out)
{
    ex_findings_free(out);
    CHECK_INT(ex_files_check_path(path, 1614744751, out), 0);
    return (int)out->count;
}

TEST(path_checks)
{
    ex_findings out = {0};
    /* CISA AA21-062A: scripts in owa\auth that no standard install has */
    CHECK_INT(path_findings(OWA "errorFE.aspx", &out), 0);
    CHECK_INT(path_findings(OWA "newpage.aspx", &out), 1);
    CHECK_STR(out.items[0].id, "files.location");
    CHECK_INT(out.items[0].severity, EX_SEV_MEDIUM);
    CHECK_INT(out.items[0].time, 1614744751);
    CHECK_INT(path_findings(OWA "Current/themes/resources/logon.css", &out), 0);
    CHECK_INT(path_findings(OWA "Current/themes/x.aspx", &out), 1);
    /* ecp\auth: anything but TimeoutLogoff.aspx */
    CHECK_INT(path_findings(ECP "TimeoutLogoff.aspx", &out), 0);
    CHECK_INT(path_findings(ECP "notes.txt", &out), 1);
    CHECK_INT(path_findings(ASPNET "system_web/4_0_30319/WebUIValidation.js", &out), 0);
    CHECK_INT(path_findings(ASPNET "abc.aspx", &out), 1);
    /* a HAFNIUM name in a web-shell folder: the name finding, and the location one */
    CHECK_INT(path_findings(OWA "errorEEE.aspx", &out), 2);
    CHECK(find_id(&out, "files.ioc.name") && find_id(&out, "files.ioc.name")->severity == EX_SEV_HIGH);
    ex_files_settle(&out);
    CHECK_INT(out.count, 1); /* the location finding gives way to the stronger one */
    CHECK(find_id(&out, "files.location") == NULL);
    /* the same name elsewhere is nobody's business */
    CHECK_INT(path_findings("C:/Users/bob/errorEEE.aspx", &out), 0);
    /* Test-ProxyLogon's suspicious files */
    CHECK_INT(path_findings("C:/root/lsass.dmp", &out), 1);
    CHECK(out.items[0].kind == EX_KIND_CREDENTIAL_THEFT && out.items[0].severity == EX_SEV_HIGH);
    CHECK_INT(path_findings("C:/ProgramData/Vendor/update.zip", &out), 1);
    CHECK(out.items[0].kind == EX_KIND_EXFIL_STAGING && out.items[0].severity == EX_SEV_INFO);
    CHECK_INT(path_findings("C:/ProgramData/it.zip", &out), 2); /* the HAFNIUM path IOC, and the archive rule */
    CHECK(find_id(&out, "files.ioc.path") && find_id(&out, "files.ioc.path")->severity == EX_SEV_HIGH);
    ex_findings_free(&out);
}

TEST(hash_checks)
{
    ex_findings out = {0};
    CHECK_INT(ex_files_check_hashes(OWA "x.aspx", 5, "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0",
                                    "", NULL, &out),
              0);
    CHECK_INT(out.count, 1);
    if (out.count) {
        CHECK_STR(out.items[0].id, "files.ioc.hash");
        CHECK_INT(out.items[0].severity, EX_SEV_CRITICAL);
        CHECK_CONTAINS(out.items[0].ev.match, "sha256:b75f163c");
        CHECK_CONTAINS(out.items[0].rule_ref, "AA21-062A");
    }
    ex_findings_free(&out);
    CHECK_INT(ex_files_check_hashes(OWA "x.aspx", 5, "", "", "", &out), 0);
    CHECK_INT(out.count, 0);
}

TEST(magic_types)
{
    CHECK_STR(ex_filetype((const unsigned char *)"!BDN\x01\x02", 6), "PST");
    CHECK_STR(ex_filetype((const unsigned char *)"\x30\x82\x01\x0a", 4), "DER");
    CHECK_STR(ex_filetype((const unsigned char *)"MZ\x90", 3), "EXE");
    CHECK_STR(ex_filetype((const unsigned char *)"MDMP\x93\xa7", 6), "MDMP");
    CHECK_STR(ex_filetype((const unsigned char *)"<%@ Page", 8), "UNKNOWN");
    CHECK_STR(ex_filetype((const unsigned char *)"M", 1), "UNKNOWN");
    CHECK_STR(ex_filetype((const unsigned char *)"", 0), "UNKNOWN");
}
