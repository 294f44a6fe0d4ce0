/* The file system of the server: stock-looking owa\auth and ecp\auth pages,
 * the OWA version folder and Current\ with themes/resources, aspnet_client,
 * the IIS configuration (wwwroot web.config, applicationHost.config with
 * Exchange's virtual directories and Extended Protection settings,
 * logs-and-builds.md §2.3), ExSetup.exe carrying the installed build, and the
 * scenario's planted files. File times follow the story: the install date for
 * stock files, the patch date for ExSetup.exe once patched, the drop time for
 * web shells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mkev.h"

static const char *find_planted(const mk_plan *p, const char *vpath)
{
    for (size_t i = 0; i < p->nfiles; i++)
        if (!strcmp(p->files[i].vpath, vpath))
            return p->files[i].vpath;
    return NULL;
}

static int put_text(const mk_plan *p, const char *vpath, const char *text, int64_t mtime)
{
    if (find_planted(p, vpath))
        return 0; /* the scenario's version wins */
    return mk_write_whole(vpath, text, strlen(text), mtime);
}

/* Windows text files use CRLF. */
static char *crlf(const char *s)
{
    size_t n = 0;
    for (const char *q = s; *q; q++)
        n += *q == '\n' ? 2 : 1;
    char *out = malloc(n + 1), *w = out;
    if (!out) {
        mk_warn("out of memory");
        exit(3);
    }
    for (; *s; s++) {
        if (*s == '\n')
            *w++ = '\r';
        *w++ = *s;
    }
    *w = 0;
    return out;
}

static int put_crlf(const mk_plan *p, const char *vpath, const char *text, int64_t mtime)
{
    char *t = crlf(text);
    int rc = put_text(p, vpath, t, mtime);
    free(t);
    return rc;
}

/* ------------------------------------------------------------ owa\auth */

/* The logon page: the markers of remote-detection.md §1.1 (the {57A118C6...}
 * comment, IsOwaPremiumBrowser, the scripts message, the version path). */
char *mk_logon_aspx(const char *vdir_build, bool branded)
{
    const char *brand_css = branded ? "\n<style>\n .signInImageHeader { background-color: #00457c; }\n"
                                      " #disclaimer { font-size: 11px; color: #555; margin-top: 18px; }\n</style>"
                                    : "";
    const char *brand_html =
        branded ? "\n<div id=\"disclaimer\">Contoso Ltd. Authorised users only. Problems signing in? Call the IT "
                  "service desk on +49 30 5550 1234.</div>"
                : "";
    return (char *)mk_keepf(
        "<%%@ Page language=\"c#\" AutoEventWireup=\"false\" Inherits=\"Microsoft.Exchange.HttpProxy.Logon\" %%>\n"
        "<%%@ Import namespace=\"Microsoft.Exchange.Clients.Owa.Core\"%%>\n"
        "<%%@ Import namespace=\"Microsoft.Exchange.HttpProxy\"%%>\n"
        "<%%@ Import namespace=\"Microsoft.Exchange.Clients.Owa.Core.Controls\"%%>\n"
        "<!DOCTYPE HTML>\n"
        "<!-- {57A118C6-2DA9-419d-BE9A-F92B0F9A418B} -->\n"
        "<html dir=\"<%%=(IsRtl ? \"rtl\" : \"ltr\")%%>\">\n"
        "<head>\n"
        "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=10\" />\n"
        "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; CHARSET=utf-8\">\n"
        "<title><%%=LocalizedStrings.GetHtmlEncoded(Strings.IDs.OutlookWebApp)%%></title>\n"
        "<link rel=\"shortcut icon\" href=\"/owa/auth/%s/themes/resources/favicon.ico\" type=\"image/x-icon\">\n"
        "<link type=\"text/css\" rel=\"stylesheet\" href=\"/owa/auth/%s/themes/resources/logon.css\">\n"
        "<link type=\"text/css\" rel=\"stylesheet\" href=\"/owa/auth/%s/themes/resources/owafont_ja.css\">%s\n"
        "<script type=\"text/javascript\">\n"
        "function IsOwaPremiumBrowser()\n{\n"
        "    var isOwaPremium = (document.getElementById(\"isOwaPremiumBrowser\").value == \"1\");\n"
        "    return isOwaPremium;\n}\n"
        "function clkLgn() { if (gbid(\"username\").value.indexOf(\"\\\\\") == -1) { } }\n"
        "</script>\n"
        "</head>\n"
        "<body class=\"signInBg\" onload=\"document.forms[0].username.focus();\">\n"
        "<noscript><div id=\"dvErr\"><div>To use Outlook, browser settings must allow scripts to run. For "
        "information about how to allow scripts, consult the Help for your browser.</div></div></noscript>\n"
        "<form action=\"/owa/auth.owa\" method=\"POST\" name=\"logonForm\" ENCTYPE=\"application/x-www-form-"
        "urlencoded\" autocomplete=\"off\">\n"
        "<input type=\"hidden\" name=\"destination\" value=\"<%%=Destination%%>\">\n"
        "<input type=\"hidden\" name=\"flags\" value=\"4\">\n"
        "<input type=\"hidden\" name=\"forcedownlevel\" value=\"0\">\n"
        "<div class=\"signInImageHeader\" role=\"heading\" aria-label=\"Outlook\"><img class=\"mouseHeader\" "
        "src=\"/owa/auth/%s/themes/resources/olk_logo_white.png\" alt=\"Outlook\"></div>\n"
        "<div class=\"signInInputLabel\" id=\"userNameLabel\" aria-hidden=\"true\">Domain\\user name:</div>\n"
        "<div><input id=\"username\" name=\"username\" class=\"signInInputText\" role=\"textbox\"></div>\n"
        "<div class=\"signInInputLabel\" id=\"passwordLabel\" aria-hidden=\"true\">Password:</div>\n"
        "<div><input id=\"password\" onKeyPress=\"return checkSubmit(event)\" name=\"password\" value=\"\" "
        "type=\"password\" class=\"signInInputText\"></div>\n"
        "<div onclick=\"clkLgn()\" class=\"signinbutton\" role=\"button\" tabIndex=\"0\"><span "
        "class=\"signinTxt\">sign in</span></div>%s\n"
        "<input name=\"isUtf8\" value=\"1\" type=\"hidden\"/>\n"
        "</form>\n"
        "<!-- OwaPage = ASP.auth_logon_aspx -->\n"
        "</body>\n"
        "</html>\n",
        vdir_build, vdir_build, vdir_build, brand_css, vdir_build, brand_html);
}

static const struct {
    const char *name, *text;
} auth_pages[] = {
    {"errorFE.aspx", "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy."
                     "ErrorFE\" %>\n<%@ Import namespace=\"Microsoft.Exchange.HttpProxy\" %>\n<!DOCTYPE html>\n"
                     "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
                     "<title><%= GetErrorTitle() %></title>\n</head>\n<body>\n<div id=\"errMsg\"><%= "
                     "GetErrorMessage() %></div>\n</body>\n</html>\n"},
    {"logoff.aspx", "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy."
                    "Logoff\" %>\n<!DOCTYPE html>\n<html>\n<head>\n<title>Outlook</title>\n</head>\n<body>\n"
                    "<div>You have successfully signed out.</div>\n</body>\n</html>\n"},
    {"ExpiredPassword.aspx", "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange."
                             "HttpProxy.ExpiredPassword\" %>\n<!DOCTYPE html>\n<html>\n<head>\n<title>Outlook"
                             "</title>\n</head>\n<body>\n<form method=\"POST\" action=\"ExpiredPassword.aspx\">\n"
                             "<input type=\"password\" name=\"oldPwd\"><input type=\"password\" name=\"newPwd1\">"
                             "<input type=\"password\" name=\"newPwd2\">\n</form>\n</body>\n</html>\n"},
    {"RedirSuiteServerProxy.aspx", "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft."
                                   "Exchange.HttpProxy.RedirSuiteServerProxy\" %>\n<!DOCTYPE html>\n<html>\n"
                                   "<head><title></title></head>\n<body>\n<form id=\"redirForm\" method=\"POST\">"
                                   "\n</form>\n</body>\n</html>\n"},
    {"frowny.aspx", "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy."
                    "Frowny\" %>\n<!DOCTYPE html>\n<html>\n<head><title>Outlook</title></head>\n<body>\n<div "
                    "class=\"frowny\">:-(</div>\n<div>Something went wrong</div>\n</body>\n</html>\n"},
};

/* Small but well-formed resource files. */
static void resource_bytes(const char *name, char *buf, size_t *len)
{
    const char *ext = strrchr(name, '.');
    if (ext && !strcmp(ext, ".css")) {
        *len = (size_t)snprintf(buf, 4096,
                                "/* %s */\r\nbody.signInBg { background-color: #fff; font-family: \"Segoe UI\", "
                                "\"Segoe UI Web (West European)\", Tahoma, Arial, sans-serif; }\r\n.signInImageHeader "
                                "{ height: 60px; }\r\n.signinbutton { cursor: pointer; }\r\n",
                                name);
    } else if (ext && !strcmp(ext, ".gif")) {
        static const unsigned char gif[] = {
            0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xff, 0xff, 0xff, 0, 0,    0, 0x21, 0xf9, 4,
            1,    0,    0,    0,    0,    0x2c, 0, 0, 0, 0, 1,    0, 1, 0,    0,    2,    2, 0x44, 1, 0,    0x3b};
        memcpy(buf, gif, sizeof gif);
        *len = sizeof gif;
    } else if (ext && !strcmp(ext, ".ico")) {
        static const unsigned char ico[] = {0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0x68, 4, 0, 0, 22, 0, 0, 0};
        memcpy(buf, ico, sizeof ico);
        memset(buf + sizeof ico, 0, 1128 - sizeof ico);
        *len = 1128;
    } else if (ext && !strcmp(ext, ".png")) {
        static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,    0,    0,
                                            13,   'I', 'H', 'D', 'R',  0,    0,    0,    1,    0,    0,
                                            0,    1,   8,   6,   0,    0,    0,    0x1f, 0x15, 0xc4, 0x89};
        memcpy(buf, png, sizeof png);
        *len = sizeof png;
    } else {
        /* fonts: a header-looking prefix is enough for a file that nobody executes */
        memset(buf, 0, 2048);
        memcpy(buf, ext && !strcmp(ext, ".eot") ? "\x00\x10\x00\x00LP" : "\x00\x01\x00\x00\x00\x10", 6);
        *len = 2048;
    }
}

static int write_owa_auth(const mk_cfg *c, const mk_plan *p, const char *vdir_build)
{
    char base[512], vpath[768];
    snprintf(base, sizeof base, "%s/FrontEnd/HttpProxy/owa/auth", c->install_v);
    int rc = 0;
    for (size_t i = 0; i < MK_LEN(auth_pages); i++) {
        snprintf(vpath, sizeof vpath, "%s/%s", base, auth_pages[i].name);
        rc |= put_crlf(p, vpath, auth_pages[i].text, c->install_ms);
    }
    snprintf(vpath, sizeof vpath, "%s/logon.aspx", base);
    rc |= put_crlf(p, vpath, mk_logon_aspx(vdir_build, false), c->install_ms);

    static const char *const res[] = {"favicon.ico",           "logon.css",         "owafont_ja.css",
                                      "owafont_ko.css",        "lgnbotl.gif",       "SegoeUI-SemiBold.eot",
                                      "SegoeUI-SemiLight.ttf", "olk_logo_white.png"};
    const char *dirs[] = {vdir_build, "Current"};
    char buf[4096];
    for (size_t d = 0; d < MK_LEN(dirs); d++)
        for (size_t i = 0; i < MK_LEN(res); i++) {
            size_t len;
            resource_bytes(res[i], buf, &len);
            snprintf(vpath, sizeof vpath, "%s/%s/themes/resources/%s", base, dirs[d], res[i]);
            if (!find_planted(p, vpath))
                rc |= mk_write_whole(vpath, buf, len, c->install_ms);
        }
    snprintf(vpath, sizeof vpath, "%s/FrontEnd/HttpProxy/ecp/auth/TimeoutLogoff.aspx", c->install_v);
    rc |= put_crlf(p, vpath,
                   "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" Inherits=\"Microsoft.Exchange.HttpProxy."
                   "TimeoutLogoff\" %>\n<!DOCTYPE html>\n<html>\n<head><title>Exchange Admin Center</title></head>\n"
                   "<body>\n<div>Your session has timed out.</div>\n</body>\n</html>\n",
                   c->install_ms);
    return rc;
}

/* ------------------------------------------------------------ IIS configuration */

static int write_web_config(const mk_cfg *c, const mk_plan *p)
{
    const char *rule = "";
    int64_t mtime = c->install_ms;
    if (p->eems_rewrite) {
        /* The EOMTv2/EEMS rule of logs-and-builds.md §6.2, final pattern and input. */
        rule = "        <rewrite>\n            <rules>\n                <rule name=\"PowerShell - inbound\" "
               "stopProcessing=\"true\">\n                    <match url=\".*\" />\n                    "
               "<conditions>\n                        <add input=\"{UrlDecode:{REQUEST_URI}}\" "
               "pattern=\"(?=.*autodiscover)(?=.*powershell)\" />\n                    </conditions>\n"
               "                    <action type=\"AbortRequest\" />\n                </rule>\n            </rules>\n"
               "        </rewrite>\n";
        mtime = p->eems_ms;
    }
    const char *text = mk_keepf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n"
                                "    <system.webServer>\n        <httpRedirect enabled=\"false\" />\n%s"
                                "    </system.webServer>\n</configuration>\n",
                                rule);
    int rc = put_crlf(p, "C:/inetpub/wwwroot/web.config", text, mtime);
    rc |= mk_mkdir_v("C:/inetpub/wwwroot/aspnet_client/system_web/4_0_30319");
    return rc;
}

/* Extended Protection exists from Aug22SU on (logs-and-builds.md §5.1, HC
 * $supportedVersion); builds before it cannot have it configured. */
static bool ep_capable(const mk_build *b)
{
    if (b->minor == 2)
        return b->build > 1118 || (b->build == 1118 && b->rev >= 11) || (b->build == 986 && b->rev >= 28);
    if (b->minor == 1)
        return b->build > 2507 || (b->build == 2507 && b->rev >= 11) || (b->build == 2375 && b->rev >= 30);
    return b->build > 1497 || (b->build == 1497 && b->rev >= 38);
}

static int write_app_host(const mk_cfg *c, const mk_plan *p, const mk_build *b)
{
    /* Virtual directory -> front end / back end physical folder and the
     * Extended Protection values HC expects (FE/BE, §2.3). */
    static const struct {
        const char *vdir, *fe_dir, *be_dir, *fe_ep, *be_ep;
    } v[] = {
        {"API", "FrontEnd\\HttpProxy\\rest", "ClientAccess\\rest", "Require", "Require"},
        {"Autodiscover", "FrontEnd\\HttpProxy\\autodiscover", "ClientAccess\\Autodiscover", "None", "None"},
        {"ecp", "FrontEnd\\HttpProxy\\ecp", "ClientAccess\\ecp", "Require", "Require"},
        {"EWS", "FrontEnd\\HttpProxy\\EWS", "ClientAccess\\exchweb\\EWS", "Allow", "Require"},
        {"Microsoft-Server-ActiveSync", "FrontEnd\\HttpProxy\\sync", "ClientAccess\\sync", "Allow", "Require"},
        {"OAB", "FrontEnd\\HttpProxy\\OAB", "ClientAccess\\OAB", "Allow", "Require"},
        {"owa", "FrontEnd\\HttpProxy\\owa", "ClientAccess\\Owa", "Require", "Require"},
        {"PowerShell", "FrontEnd\\HttpProxy\\PowerShell", "ClientAccess\\PowerShell-Proxy", "None", "Require"},
        {"Rpc", "FrontEnd\\HttpProxy\\rpc", "ClientAccess\\rpc", "Require", "Require"},
        {"mapi", "FrontEnd\\HttpProxy\\mapi", "ClientAccess\\mapi", "Require", "Require"},
    };
    bool ep = ep_capable(b);
    size_t cap = 65536, len = 0;
    char *x = malloc(cap);
    if (!x)
        return -1;
#define OUT(...) len += (size_t)snprintf(x + len, len < cap ? cap - len : 0, __VA_ARGS__)
    OUT("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n    <system.applicationHost>\n");
    OUT("        <applicationPools>\n            <add name=\"DefaultAppPool\" />\n"
        "            <add name=\"MSExchangeOWAAppPool\" managedRuntimeVersion=\"v4.0\" />\n"
        "            <add name=\"MSExchangeECPAppPool\" managedRuntimeVersion=\"v4.0\" />\n"
        "            <add name=\"MSExchangeOABAppPool\" managedRuntimeVersion=\"v4.0\" />\n"
        "            <add name=\"MSExchangePowerShellAppPool\" managedRuntimeVersion=\"v4.0\" />\n"
        "            <add name=\"MSExchangeServicesAppPool\" managedRuntimeVersion=\"v4.0\" />\n"
        "        </applicationPools>\n        <sites>\n");
    for (int site = 0; site < 2; site++) {
        OUT("            <site name=\"%s\" id=\"%d\" serverAutoStart=\"true\">\n",
            site ? "Exchange Back End" : "Default Web Site", site + 1);
        OUT("                <application path=\"/\" applicationPool=\"DefaultAppPool\">\n"
            "                    <virtualDirectory path=\"/\" physicalPath=\"%s\" />\n                </application>\n",
            site ? mk_keepf("%s\\FrontEnd\\HttpProxy", c->install_win) : "%SystemDrive%\\inetpub\\wwwroot");
        for (size_t i = 0; i < MK_LEN(v); i++)
            OUT("                <application path=\"/%s\" applicationPool=\"MSExchange%sAppPool\">\n"
                "                    <virtualDirectory path=\"/\" physicalPath=\"%s\\%s\" />\n"
                "                </application>\n",
                v[i].vdir,
                !strcmp(v[i].vdir, "owa")          ? "OWA"
                : !strcmp(v[i].vdir, "ecp")        ? "ECP"
                : !strcmp(v[i].vdir, "OAB")        ? "OAB"
                : !strcmp(v[i].vdir, "PowerShell") ? "PowerShell"
                                                   : "Services",
                c->install_win, site ? v[i].be_dir : v[i].fe_dir);
        OUT("                <bindings>\n                    <binding protocol=\"https\" bindingInformation=\"*:%d:\" "
            "/>\n%s                </bindings>\n            </site>\n",
            site ? 444 : 443,
            site ? "" : "                    <binding protocol=\"http\" bindingInformation=\"*:80:\" />\n");
    }
    OUT("        </sites>\n    </system.applicationHost>\n");
    for (int site = 0; site < 2; site++)
        for (size_t i = 0; i < MK_LEN(v); i++) {
            const char *tc = ep ? (site ? v[i].be_ep : v[i].fe_ep) : "None";
            OUT("    <location path=\"%s/%s\">\n        <system.webServer>\n            <security>\n"
                "                <authentication>\n                    <windowsAuthentication enabled=\"true\" "
                "useKernelMode=\"false\">\n                        <extendedProtection tokenChecking=\"%s\" />\n"
                "                    </windowsAuthentication>\n                </authentication>\n"
                "            </security>\n        </system.webServer>\n    </location>\n",
                site ? "Exchange Back End" : "Default Web Site", v[i].vdir, tc);
        }
    OUT("</configuration>\n");
#undef OUT
    if (len >= cap) {
        free(x);
        return -1;
    }
    int rc = put_crlf(p, "C:/Windows/System32/inetsrv/config/applicationHost.config", x, c->install_ms);
    free(x);
    return rc;
}

/* ------------------------------------------------------------ ExSetup.exe */

static int write_exsetup(const mk_cfg *c)
{
    /* The build on disk is the one installed last before the evidence was taken. */
    bool patched = c->patched_ms < c->to_ms;
    const mk_build *b = patched ? &c->patched_build : &c->build;
    size_t len;
    uint8_t *img = mk_pe_exsetup(b, &len);
    char vpath[512];
    snprintf(vpath, sizeof vpath, "%s/Bin/ExSetup.exe", c->install_v);
    int rc = mk_write_whole(vpath, img, len, patched ? c->patched_ms + 3 * MK_HOUR_MS : c->install_ms);
    free(img);
    return rc;
}

/* ------------------------------------------------------------ the plan's files */

static int write_planned(const mk_plan *p)
{
    int rc = 0;
    for (size_t i = 0; i < p->nfiles; i++) {
        const mk_pfile *f = &p->files[i];
        rc |= mk_write_whole(f->vpath, f->data, f->len, f->mtime);
        if (f->expect) {
            char hex[EX_SHA256_HEX];
            ex_sha256_hex(f->data, f->len, hex);
            mk_truth_add(f->expect, f->vpath, -1, -1, INT64_MIN, hex);
            mk_truth_malicious_time(f->mtime);
        }
        if (f->benign_note)
            mk_truth_benign(f->vpath, -1, f->benign_note);
    }
    return rc;
}

int mk_files_write(const mk_cfg *c, const mk_plan *p)
{
    char vdir_build[24];
    snprintf(vdir_build, sizeof vdir_build, "%d.%d.%d", c->build.major, c->build.minor, c->build.build);
    int rc = write_owa_auth(c, p, vdir_build);
    rc |= write_web_config(c, p);
    rc |= write_app_host(c, p, c->patched_ms < c->to_ms ? &c->patched_build : &c->build);
    rc |= write_exsetup(c);
    char vpath[512];
    snprintf(vpath, sizeof vpath, "%s/ClientAccess/OAB/Temp", c->install_v);
    rc |= mk_mkdir_v(vpath);
    rc |= write_planned(p);
    return rc ? -1 : 0;
}
