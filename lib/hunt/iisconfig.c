#include "hunt/iisconfig.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH     64
#define MAX_LOC_STACK 16

typedef struct parse_state {
    XML_Parser p;
    ex_iiscfg *cfg;
    int depth;
    const char *names[MAX_DEPTH]; /* element names on the way down (expat keeps them alive) */
    char *site, *app;
    char *loc[MAX_LOC_STACK]; /* enclosing <location path> values */
    int loc_depth[MAX_LOC_STACK];
    int nloc;
    bool oom;
} parse_state;

static const char *attr(const char **atts, const char *name)
{
    for (size_t i = 0; atts[i] && atts[i + 1]; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static void replace(char **dst, const char *v, parse_state *s)
{
    free(*dst);
    *dst = v ? strdup(v) : NULL;
    if (v && !*dst)
        s->oom = true;
}

/* "/owa" + "/" -> "/owa"; "/" + "/aspnet_client" -> "/aspnet_client". */
static char *join_url(const char *app, const char *vdir)
{
    if (!app || !*app)
        app = "/";
    if (!vdir || !*vdir)
        vdir = "/";
    size_t a = strlen(app);
    while (a > 1 && app[a - 1] == '/')
        a--;
    if (strcmp(vdir, "/") == 0)
        return strndup(app, a);
    char *out = malloc(a + strlen(vdir) + 2);
    if (out)
        sprintf(out, "%.*s%s%s", (int)(a == 1 ? 0 : a), app, vdir[0] == '/' ? "" : "/", vdir);
    return out;
}

/* Room for one more element of a list grown 64 at a time; false when out of memory. */
static bool grow(void **list, size_t n, size_t size, parse_state *s)
{
    if (n % 64 != 0)
        return true;
    void *p = realloc(*list, (n + 64) * size);
    if (!p) {
        s->oom = true;
        return false;
    }
    *list = p;
    return true;
}

static void add_vdir(parse_state *s, const char **atts)
{
    ex_iiscfg *c = s->cfg;
    if (c->nvdirs >= EX_IISCFG_MAX_VDIRS) {
        c->cut = true;
        return;
    }
    if (!grow((void **)&c->vdirs, c->nvdirs, sizeof *c->vdirs, s))
        return;
    const char *pp = attr(atts, "physicalPath");
    ex_iis_vdir *v = &c->vdirs[c->nvdirs];
    v->site = strdup(s->site ? s->site : "");
    v->url = join_url(s->app, attr(atts, "path"));
    v->physical_path = strdup(pp ? pp : "");
    v->line = (int64_t)XML_GetCurrentLineNumber(s->p);
    if (!v->site || !v->url || !v->physical_path) {
        free(v->site), free(v->url), free(v->physical_path);
        s->oom = true;
        return;
    }
    c->nvdirs++;
}

static ex_ep_token parse_token(const char *v)
{
    return v && ex_strieq(v, "Require") ? EX_EP_REQUIRE : v && ex_strieq(v, "Allow") ? EX_EP_ALLOW : EX_EP_NONE;
}

static void add_token(parse_state *s, const char **atts)
{
    ex_iiscfg *c = s->cfg;
    if (c->nlocs >= EX_IISCFG_MAX_LOCATIONS) {
        c->cut = true;
        return;
    }
    if (!grow((void **)&c->locs, c->nlocs, sizeof *c->locs, s))
        return;
    ex_iis_location *l = &c->locs[c->nlocs];
    l->path = strdup(s->nloc ? s->loc[s->nloc - 1] : "");
    l->token = parse_token(attr(atts, "tokenChecking"));
    l->line = (int64_t)XML_GetCurrentLineNumber(s->p);
    if (!l->path) {
        s->oom = true;
        return;
    }
    c->nlocs++;
}

static bool parent_is(const parse_state *s, const char *name)
{
    return s->depth >= 2 && strcmp(s->names[s->depth - 2], name) == 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    parse_state *s = ud;
    if (s->depth >= MAX_DEPTH) {
        XML_StopParser(s->p, XML_FALSE);
        return;
    }
    s->names[s->depth++] = name;
    if (strcmp(name, "site") == 0 && parent_is(s, "sites")) {
        replace(&s->site, attr(atts, "name"), s);
        replace(&s->app, NULL, s);
    } else if (strcmp(name, "application") == 0 && parent_is(s, "site")) {
        replace(&s->app, attr(atts, "path"), s);
    } else if (strcmp(name, "virtualDirectory") == 0 && parent_is(s, "application")) {
        add_vdir(s, atts);
    } else if (strcmp(name, "location") == 0 && s->nloc < MAX_LOC_STACK) {
        const char *p = attr(atts, "path");
        if ((s->loc[s->nloc] = strdup(p ? p : "")))
            s->loc_depth[s->nloc++] = s->depth;
        else
            s->oom = true;
    } else if (strcmp(name, "extendedProtection") == 0 && parent_is(s, "windowsAuthentication")) {
        add_token(s, atts);
    }
    if (s->oom)
        XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    parse_state *s = ud;
    if (s->nloc && s->loc_depth[s->nloc - 1] == s->depth)
        free(s->loc[--s->nloc]);
    if (strcmp(name, "site") == 0)
        replace(&s->site, NULL, s);
    else if (strcmp(name, "application") == 0)
        replace(&s->app, NULL, s);
    if (s->depth > 0)
        s->depth--;
}

int ex_iiscfg_parse(const char *data, size_t len, ex_iiscfg *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    parse_state s = {.cfg = cfg};
    if (!(s.p = XML_ParserCreate(NULL))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    /* No DTD and no external entities in a config file: refuse both rather than expand them. */
    XML_SetParamEntityParsing(s.p, XML_PARAM_ENTITY_PARSING_NEVER);
    int rc = 0;
    if (len > (size_t)INT32_MAX || XML_Parse(s.p, data, (int)len, XML_TRUE) != XML_STATUS_OK || s.oom) {
        snprintf(err, errlen, s.oom ? "out of memory" : "not well-formed XML at line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(s.p), XML_ErrorString(XML_GetErrorCode(s.p)));
        rc = -1;
    }
    while (s.nloc)
        free(s.loc[--s.nloc]);
    free(s.site);
    free(s.app);
    XML_ParserFree(s.p);
    return rc;
}

void ex_iiscfg_free(ex_iiscfg *cfg)
{
    for (size_t i = 0; i < cfg->nvdirs; i++) {
        free(cfg->vdirs[i].site);
        free(cfg->vdirs[i].url);
        free(cfg->vdirs[i].physical_path);
    }
    for (size_t i = 0; i < cfg->nlocs; i++)
        free(cfg->locs[i].path);
    free(cfg->vdirs);
    free(cfg->locs);
    memset(cfg, 0, sizeof *cfg);
}

/* --- Extended Protection ------------------------------------------------------------------ */

/* Does location path l cover target ("Default Web Site" covers "Default Web Site/owa")? */
static size_t covers(const char *l, const char *target)
{
    size_t n = strlen(l);
    while (n && l[n - 1] == '/')
        n--;
    if (n == 0)
        return 0; /* outside any location: covers everything, weakest */
    if (strncasecmp(l, target, n) != 0 || (target[n] != '\0' && target[n] != '/'))
        return SIZE_MAX;
    return n;
}

ex_ep_token ex_iiscfg_token(const ex_iiscfg *cfg, const char *target)
{
    ex_ep_token t = EX_EP_NONE;
    size_t best = 0;
    bool found = false;
    for (size_t i = 0; i < cfg->nlocs; i++) {
        size_t n = covers(cfg->locs[i].path, target);
        if (n == SIZE_MAX || (found && n < best))
            continue;
        best = n; /* later entries for the same path win, as in IIS */
        t = cfg->locs[i].token;
        found = true;
    }
    return t;
}

/* HealthChecker's expected tokenChecking per virtual directory (logs-and-builds.md
 * §2.3, from Get-ExtendedProtectionConfigurationResult.ps1). */
#define FE "Default Web Site"
#define BE "Exchange Back End"
static const struct ep_expect {
    const char *site, *vdir;
    ex_ep_token want;
} ep_expect[] = {
    {FE, "API", EX_EP_REQUIRE},
    {FE, "Autodiscover", EX_EP_NONE},
    {FE, "ECP", EX_EP_REQUIRE},
    {FE, "EWS", EX_EP_ALLOW},
    {FE, "Microsoft-Server-ActiveSync", EX_EP_ALLOW},
    {FE, "Microsoft-Server-ActiveSync/Proxy", EX_EP_ALLOW},
    {FE, "OAB", EX_EP_ALLOW},
    {FE, "Powershell", EX_EP_NONE},
    {FE, "OWA", EX_EP_REQUIRE},
    {FE, "RPC", EX_EP_REQUIRE},
    {FE, "MAPI", EX_EP_REQUIRE},
    {BE, "API", EX_EP_REQUIRE},
    {BE, "Autodiscover", EX_EP_NONE},
    {BE, "ECP", EX_EP_REQUIRE},
    {BE, "EWS", EX_EP_REQUIRE},
    {BE, "Microsoft-Server-ActiveSync", EX_EP_REQUIRE},
    {BE, "Microsoft-Server-ActiveSync/Proxy", EX_EP_REQUIRE},
    {BE, "OAB", EX_EP_REQUIRE},
    {BE, "Powershell", EX_EP_REQUIRE},
    {BE, "OWA", EX_EP_REQUIRE},
    {BE, "RPC", EX_EP_REQUIRE},
    {BE, "PushNotifications", EX_EP_REQUIRE},
    {BE, "RPCWithCert", EX_EP_REQUIRE},
    {BE, "MAPI/emsmdb", EX_EP_REQUIRE},
    {BE, "MAPI/nspi", EX_EP_REQUIRE},
};

static const char *token_name(ex_ep_token t)
{
    return t == EX_EP_REQUIRE ? "Require" : t == EX_EP_ALLOW ? "Allow" : "None";
}

/* Is site/vdir in this configuration (as a virtual directory or a location)? */
static bool present(const ex_iiscfg *cfg, const char *site, const char *vdir, const char *site_vdir)
{
    for (size_t i = 0; i < cfg->nvdirs; i++)
        if (ex_strieq(cfg->vdirs[i].site, site) && cfg->vdirs[i].url[0] == '/' &&
            ex_strieq(cfg->vdirs[i].url + 1, vdir))
            return true;
    for (size_t i = 0; i < cfg->nlocs; i++)
        if (ex_strieq(cfg->locs[i].path, site_vdir))
            return true;
    return false;
}

const char *ex_iiscfg_ep_state(const ex_iiscfg *cfg, char *detail, size_t n)
{
    size_t considered = 0, ok = 0, with_ep = 0, used = 0;
    if (n)
        detail[0] = '\0';
    for (size_t i = 0; i < EX_ARRAY_LEN(ep_expect); i++) {
        const struct ep_expect *e = &ep_expect[i];
        char target[160];
        snprintf(target, sizeof target, "%s/%s", e->site, e->vdir);
        if (e->want == EX_EP_NONE || !present(cfg, e->site, e->vdir, target))
            continue;
        ex_ep_token have = ex_iiscfg_token(cfg, target);
        considered++;
        with_ep += have != EX_EP_NONE;
        if (have >= e->want) {
            ok++;
            continue;
        }
        if (used < n) {
            int w = snprintf(detail + used, n - used, "%s%s %s (expected %s)", used ? "; " : "", target,
                             token_name(have), token_name(e->want));
            used = w < 0 ? n : used + (size_t)w;
        }
    }
    if (!considered)
        return NULL;
    return ok == considered ? "on" : with_ep == 0 ? "off" : "partial";
}

/* --- findings ------------------------------------------------------------------------------ */

/* physicalPath with the environment variables IIS configs use, in C:\ form. */
static void expand_path(const char *in, char *out, size_t n)
{
    static const struct {
        const char *var, *value;
    } vars[] = {{"%SystemDrive%", "C:"},
                {"%ProgramData%", "C:\\ProgramData"},
                {"%ALLUSERSPROFILE%", "C:\\ProgramData"},
                {"%PUBLIC%", "C:\\Users\\Public"},
                {"%SystemRoot%", "C:\\Windows"},
                {"%windir%", "C:\\Windows"}};
    size_t o = 0;
    if (!strncmp(in, "\\\\?\\", 4))
        in += 4;
    while (*in && o + 1 < n) {
        bool done = false;
        for (size_t i = 0; i < EX_ARRAY_LEN(vars) && !done; i++) {
            size_t l = strlen(vars[i].var);
            if (strncasecmp(in, vars[i].var, l) == 0) {
                o += (size_t)snprintf(out + o, n - o, "%s", vars[i].value);
                if (o >= n)
                    o = n - 1;
                in += l;
                done = true;
            }
        }
        if (!done)
            out[o++] = *in == '/' ? '\\' : *in, in++;
    }
    out[o] = '\0';
}

/* Resolve "." and ".." components in place ("D:\ProgramData\..\web" -> "D:\web"), as Windows
 * does before IIS opens the folder; ".." never climbs above the drive. */
static void resolve_dots(char *p)
{
    size_t start = (p[0] && p[1] == ':' && p[2] == '\\') ? 3 : 0, o = start;
    for (size_t i = start; p[i];) {
        size_t j = i;
        while (p[j] && p[j] != '\\')
            j++;
        size_t n = j - i;
        if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
            while (o > start && p[o - 1] == '\\')
                o--;
            while (o > start && p[o - 1] != '\\')
                o--;
        } else if (!(n == 1 && p[i] == '.') && n) {
            memmove(p + o, p + i, n);
            o += n;
            if (p[j])
                p[o++] = '\\';
        }
        i = p[j] ? j + 1 : j;
    }
    p[o] = '\0';
}

/* The part after "X:\ProgramData\" or "X:\Users\" (and which of the two), or NULL. */
static const char *user_writable_rest(const char *p, const char **which)
{
    if (!(((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z') && p[1] == ':' && p[2] == '\\'))
        return NULL;
    p += 3;
    if (ex_istarts_with(p, "ProgramData\\") || ex_strieq(p, "ProgramData")) {
        *which = "ProgramData";
        return p[11] ? p + 12 : p + 11;
    }
    if (ex_istarts_with(p, "Users\\") || ex_strieq(p, "Users")) {
        *which = "Users";
        return p[5] ? p + 6 : p + 5;
    }
    return NULL;
}

/* The folder names ProxyShell intrusions used (ioc-hunting.md §1.4, §4). */
static bool proxyshell_folder(const char *which, const char *rest)
{
    static const char *const names[] = {"COM", "WHO", "ZING", "ZOO", "XYZ", "AUX", "CON"};
    if (!strcmp(which, "Users")) {
        if (!ex_istarts_with(rest, "All Users\\"))
            return false;
        rest += 10;
    }
    for (size_t i = 0; i < EX_ARRAY_LEN(names); i++) {
        size_t l = strlen(names[i]);
        if (strncasecmp(rest, names[i], l) != 0)
            continue;
        const char *t = rest + l;
        if (*t >= '0' && *t <= '9') /* COM1 .. COM9 */
            t++;
        if (*t == '\0' || *t == '\\')
            return true;
    }
    return false;
}

static int vdir_finding(const ex_iis_vdir *v, const char *path, int64_t mtime, ex_findings *out)
{
    char pp[1024];
    const char *which = NULL;
    expand_path(v->physical_path, pp, sizeof pp);
    resolve_dots(pp);
    const char *rest = user_writable_rest(pp, &which);
    if (!rest)
        return 0;
    bool known = proxyshell_folder(which, rest);
    char title[600], match[1200];
    snprintf(title, sizeof title, "IIS virtual directory %s%s serves files from %s%s", v->site, v->url, which,
             known ? ": a folder name of ProxyShell intrusions" : ", outside any web or Exchange folder");
    snprintf(match, sizeof match, "site \"%s\" path \"%s\" physicalPath=\"%s\"", v->site, v->url, v->physical_path);
    ex_finding f;
    ex_finding_init(&f);
    f.severity = known ? EX_SEV_CRITICAL : EX_SEV_HIGH;
    f.kind = EX_KIND_PERSISTENCE;
    f.time = mtime;
    f.ev.line = v->line;
    if (ex_finding_setz(&f.id, "iisconfig.vdir-user-writable") || ex_finding_setz(&f.title, title) ||
        ex_finding_setz(&f.rule, known ? "virtual directory into a ProxyShell folder"
                                       : "virtual directory into ProgramData or Users") ||
        ex_finding_setz(&f.rule_source, "exaudit IIS configuration check") ||
        ex_finding_setz(&f.rule_ref, "ioc-hunting.md §1.4, §4 (signature-base APT_IIS_Config_ProxyShell_Artifacts, "
                                     "SUSP_IIS_Config_VirtualDir; HvS, Huntress)") ||
        ex_finding_setz(&f.ev.path, path) || ex_finding_setz(&f.ev.match, match) || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

static int ep_finding(const ex_iiscfg *cfg, const char *path, int64_t mtime, ex_findings *out)
{
    char detail[800], title[200];
    const char *state = ex_iiscfg_ep_state(cfg, detail, sizeof detail);
    if (!state)
        return 0;
    snprintf(title, sizeof title, "Extended Protection is %s on the Exchange virtual directories%s", state,
             strcmp(state, "on") ? " (feeds the CVE-2024-21410 status)" : "");
    ex_finding f;
    ex_finding_init(&f);
    f.severity = EX_SEV_INFO;
    f.kind = EX_KIND_EXPOSURE;
    f.time = mtime;
    if (ex_finding_setz(&f.id, "iisconfig.extended-protection") || ex_finding_setz(&f.title, title) ||
        ex_finding_setz(&f.rule, "extendedProtection tokenChecking per virtual directory") ||
        ex_finding_setz(&f.rule_source, "exaudit IIS configuration check, after HealthChecker") ||
        ex_finding_setz(&f.rule_author, "Microsoft CSS-Exchange") ||
        ex_finding_setz(&f.rule_ref,
                        "Shared/IISFunctions/ExtendedProtection/Get-ExtendedProtectionConfigurationResult.ps1 "
                        "(logs-and-builds.md §2.3)") ||
        ex_finding_setz(&f.ev.path, path) || ex_finding_setz(&f.ev.match, detail[0] ? detail : state) ||
        ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

int ex_iiscfg_findings(const ex_iiscfg *cfg, const char *path, int64_t mtime, ex_findings *out)
{
    for (size_t i = 0; i < cfg->nvdirs; i++)
        if (vdir_finding(&cfg->vdirs[i], path, mtime, out) != 0)
            return -1;
    return ep_finding(cfg, path, mtime, out);
}
