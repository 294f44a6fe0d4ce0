#include "hunt/files.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/evpath.h"
#include "hunt/filetype.h"
#include "hunt/iocs.h"
#include "util.h"

/* --- where a file is ------------------------------------------------------------------------- */

/* Most specific first: the first folder found at a component boundary wins. */
static const struct place {
    const char *dir;
    ex_webloc loc;
    const char *name;
} places[] = {
    {"FrontEnd/HttpProxy/owa/auth/", EX_LOC_OWA_AUTH, "owa\\auth"},
    {"FrontEnd/HttpProxy/ecp/auth/", EX_LOC_ECP_AUTH, "ecp\\auth"},
    {"inetpub/wwwroot/aspnet_client/", EX_LOC_ASPNET_CLIENT, "aspnet_client"},
    {"inetpub/wwwroot/", EX_LOC_WWWROOT, "inetpub\\wwwroot"},
    {"FrontEnd/HttpProxy/", EX_LOC_HTTPPROXY, "FrontEnd\\HttpProxy"},
    {"ClientAccess/", EX_LOC_CLIENTACCESS, "ClientAccess"},
    {"Temporary ASP.NET Files/", EX_LOC_TEMP_ASPNET, "Temporary ASP.NET Files"},
};

/* The rest of path after dir, when dir occurs at a component boundary. */
static const char *after_dir(const char *path, const char *dir)
{
    size_t len = strlen(path), n = strlen(dir);
    for (const char *p = path; (p = ex_strcasestr_n(p, len - (size_t)(p - path), dir)); p++)
        if (p == path || p[-1] == '/')
            return p + n;
    return NULL;
}

ex_webloc ex_files_location(const char *path)
{
    for (size_t i = 0; i < EX_ARRAY_LEN(places); i++) {
        const char *rest = after_dir(path, places[i].dir);
        if (!rest)
            continue;
        if (places[i].loc == EX_LOC_OWA_AUTH && strchr(rest, '/'))
            return EX_LOC_OWA_AUTH_SUB; /* Current\ or a version folder */
        return places[i].loc;
    }
    return EX_LOC_NONE;
}

const char *ex_files_location_name(ex_webloc l)
{
    if (l == EX_LOC_OWA_AUTH_SUB)
        return "owa\\auth (Current or version folder)";
    for (size_t i = 0; i < EX_ARRAY_LEN(places); i++)
        if (places[i].loc == l)
            return places[i].name;
    return "elsewhere";
}

static const char *extension(const char *path)
{
    const char *base = ex_evpath_base(path), *dot = strrchr(base, '.');
    return dot && dot != base ? dot : "";
}

/* Pages IIS runs (NCSC-FI's list of web-shell extensions, ioc-hunting.md §6). */
static bool is_script(const char *path)
{
    static const char *const exts[] = {".aspx", ".ashx", ".asmx", ".asax", ".ascx",  ".cshtml", ".vbhtml",
                                       ".php",  ".jsp",  ".jspx", ".cfm",  ".shtml", ".asp"};
    const char *e = extension(path);
    for (size_t i = 0; i < EX_ARRAY_LEN(exts); i++)
        if (ex_strieq(e, exts[i]))
            return true;
    return false;
}

/* Worth a YARA pass where only scripts are read: pages plus XSLT style sheets (§5). */
static bool is_scannable_script(const char *path)
{
    const char *e = extension(path);
    return is_script(path) || ex_strieq(e, ".xsl") || ex_strieq(e, ".xslt");
}

/* Test-ProxyLogon: Get-ChildItem -Filter "lsass.*dmp"; paths.tsv: lsass*dmp. */
static bool is_lsass_dump(const char *path)
{
    return ex_evpath_match("lsass*dmp", ex_evpath_base(path));
}

/* Test-ProxyLogon: any .7z, .zip or .rar under %ProgramData% (exact extension). */
static bool is_programdata_archive(const char *path)
{
    const char *e = extension(path);
    return after_dir(path, "ProgramData/") && (ex_strieq(e, ".7z") || ex_strieq(e, ".zip") || ex_strieq(e, ".rar"));
}

static bool in_windows_temp(const char *path)
{
    return after_dir(path, "Windows/Temp/") != NULL;
}

bool ex_files_wanted(const char *path, bool full)
{
    if (full)
        return true;
    switch (ex_files_location(path)) {
    case EX_LOC_OWA_AUTH:
    case EX_LOC_OWA_AUTH_SUB:
    case EX_LOC_ECP_AUTH:
    case EX_LOC_ASPNET_CLIENT:
    case EX_LOC_WWWROOT: return true;
    case EX_LOC_HTTPPROXY:
    case EX_LOC_CLIENTACCESS: return is_scannable_script(path);
    case EX_LOC_TEMP_ASPNET: return ex_evpath_match("App_Web_*.dll", ex_evpath_base(path));
    case EX_LOC_NONE: break;
    }
    if (is_lsass_dump(path) || is_programdata_archive(path) || ex_ioc_path_match(path))
        return true;
    const ex_ioc_name *n = ex_ioc_name_find(ex_evpath_base(path));
    return n && strcmp(n->scope, "windows-temp") == 0 && in_windows_temp(path);
}

/* --- findings ------------------------------------------------------------------------------ */

typedef struct rule_info {
    const char *id, *title, *rule, *source, *author, *ref, *cve;
} rule_info;

static int add(ex_findings *out, const char *path, int64_t mtime, ex_severity sev, ex_kind kind, const rule_info *r,
               const char *match, size_t matchlen, int64_t offset)
{
    ex_finding f;
    ex_finding_init(&f);
    f.severity = sev;
    f.kind = kind;
    f.time = mtime;
    f.ev.offset = offset;
    if (ex_finding_setz(&f.id, r->id) || ex_finding_setz(&f.title, r->title) || ex_finding_setz(&f.rule, r->rule) ||
        ex_finding_setz(&f.rule_source, r->source) || ex_finding_setz(&f.rule_author, r->author) ||
        ex_finding_setz(&f.rule_ref, r->ref) || ex_finding_setz(&f.cve, r->cve) || ex_finding_setz(&f.ev.path, path) ||
        ex_finding_set(&f.ev.match, match, matchlen) || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

static int add_z(ex_findings *out, const char *path, int64_t mtime, ex_severity sev, ex_kind kind, const rule_info *r,
                 const char *match)
{
    return add(out, path, mtime, sev, kind, r, match, match ? strlen(match) : 0, -1);
}

static bool in_exchange_web(ex_webloc l)
{
    return l == EX_LOC_OWA_AUTH || l == EX_LOC_OWA_AUTH_SUB || l == EX_LOC_ECP_AUTH || l == EX_LOC_ASPNET_CLIENT ||
           l == EX_LOC_HTTPPROXY || l == EX_LOC_CLIENTACCESS;
}

static int check_name(const char *path, int64_t mtime, ex_webloc loc, ex_findings *out)
{
    const char *base = ex_evpath_base(path);
    const ex_ioc_name *n = ex_ioc_name_find(base);
    if (!n)
        return 0;
    bool hit = (!strcmp(n->scope, "exchange-web") && in_exchange_web(loc)) ||
               (!strcmp(n->scope, "aspnet_client") && loc == EX_LOC_ASPNET_CLIENT) ||
               (!strcmp(n->scope, "windows-temp") && in_windows_temp(path));
    if (!hit)
        return 0;
    char title[300];
    snprintf(title, sizeof title, "File named like a known web shell or tool in %s: %s (%s)",
             ex_files_location_name(loc), base, n->family);
    rule_info r = {"files.ioc.name", title, n->family, "exaudit data/iocs/names.tsv", NULL, n->source, NULL};
    return add_z(out, path, mtime, EX_SEV_HIGH, is_script(path) ? EX_KIND_WEBSHELL : EX_KIND_PERSISTENCE, &r, base);
}

static int check_ioc_path(const char *path, int64_t mtime, ex_findings *out)
{
    const ex_ioc_path *p = ex_ioc_path_match(path);
    if (!p)
        return 0;
    int sev = ex_severity_from_name(p->severity), kind = ex_kind_from_name(p->kind);
    char title[300];
    snprintf(title, sizeof title, "File at a path named in published indicators: %s (%s)", p->pattern, p->family);
    rule_info r = {"files.ioc.path", title, p->pattern, "exaudit data/iocs/paths.tsv", NULL, p->source, NULL};
    return add_z(out, path, mtime, sev < 0 ? EX_SEV_HIGH : (ex_severity)sev,
                 kind < 0 ? EX_KIND_WEBSHELL : (ex_kind)kind, &r, path);
}

/* CISA AA21-062A / Volexity: what no standard install has in these folders. */
static int check_location(const char *path, int64_t mtime, ex_webloc loc, ex_findings *out)
{
    const char *base = ex_evpath_base(path);
    const char *why = NULL;
    if (loc == EX_LOC_OWA_AUTH && is_script(path) && !ex_ioc_stock("owa/auth", base))
        why = "Script in owa\\auth that is not part of a standard install";
    else if (loc == EX_LOC_OWA_AUTH_SUB && is_script(path))
        why = "Script in owa\\auth\\Current or a version folder, where a standard install has none";
    else if (loc == EX_LOC_ECP_AUTH && !ex_ioc_stock("ecp/auth", base))
        why = "File in ecp\\auth other than TimeoutLogoff.aspx";
    else if (loc == EX_LOC_ASPNET_CLIENT && is_script(path))
        why = "Script under inetpub\\wwwroot\\aspnet_client, where a standard install has none";
    if (!why)
        return 0;
    rule_info r = {"files.location",
                   why,
                   "web-shell location without a stock file of that name",
                   "exaudit data/iocs/stock-files.tsv",
                   NULL,
                   "CISA AA21-062A via cisagov/CHIRP; Volexity (ioc-hunting.md §4, logs-and-builds.md §2.1)",
                   NULL};
    return add_z(out, path, mtime, EX_SEV_MEDIUM, EX_KIND_WEBSHELL, &r, base);
}

static int check_dump_and_archive(const char *path, int64_t mtime, ex_findings *out)
{
    const char *ref =
        "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-SuspiciousFile (logs-and-builds.md §1.5)";
    if (is_lsass_dump(path)) {
        rule_info r = {"files.lsass-dump",
                       "LSASS memory dump: credentials can be read from it (HAFNIUM dumped "
                       "lsass after exploitation)",
                       "lsass*dmp",
                       "exaudit files analyzer, after Test-ProxyLogon",
                       "Microsoft CSS-Exchange",
                       ref,
                       NULL};
        if (add_z(out, path, mtime, EX_SEV_HIGH, EX_KIND_CREDENTIAL_THEFT, &r, ex_evpath_base(path)) != 0)
            return -1;
    }
    if (is_programdata_archive(path)) {
        /* Test-ProxyLogon lists these only when an exploitation check hit: legitimate software
         * keeps archives there too (CSS-Exchange issue #311), so on its own this is info. */
        rule_info r = {"files.programdata-archive",
                       "Archive under ProgramData: HAFNIUM staged data for exfiltration this way; review it if other "
                       "findings exist",
                       "ProgramData\\**\\*.{7z,zip,rar}",
                       "exaudit files analyzer, after Test-ProxyLogon",
                       "Microsoft CSS-Exchange",
                       ref,
                       NULL};
        if (add_z(out, path, mtime, EX_SEV_INFO, EX_KIND_EXFIL_STAGING, &r, ex_evpath_base(path)) != 0)
            return -1;
    }
    return 0;
}

int ex_files_check_path(const char *path, int64_t mtime, ex_findings *out)
{
    ex_webloc loc = ex_files_location(path);
    if (check_name(path, mtime, loc, out) || check_ioc_path(path, mtime, out) ||
        check_dump_and_archive(path, mtime, out) || check_location(path, mtime, loc, out))
        return -1;
    return 0;
}

/* --- content --------------------------------------------------------------------------------- */

static void hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void digest(const char *alg, const unsigned char *data, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    out[0] = '\0';
    if (EVP_Digest(data, len, md, &n, alg[0] == 'm' ? EVP_md5() : EVP_sha1(), NULL) == 1)
        hex(md, n, out);
}

/* "C:/x/y/z.aspx" -> "C:\x\y" (LOKI's filepath: the directory, Windows form). */
static void windows_dir(const char *path, char *out, size_t n)
{
    const char *base = ex_evpath_base(path);
    size_t len = base > path ? (size_t)(base - path) - 1 : 0;
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = path[i] == '/' ? '\\' : path[i];
    out[len] = '\0';
}

static void lower_ext(const char *path, char *out, size_t n)
{
    size_t i = 0;
    for (const char *e = extension(path); *e && i + 1 < n; e++)
        out[i++] = (*e >= 'A' && *e <= 'Z') ? (char)(*e + 32) : *e;
    out[i] = '\0';
}

/* Severity of a user rule: its own `severity`, else LOKI's score (default 70;
 * LOKI alerts from 100 and warns from 60 per match sum), else medium. */
static ex_severity yara_severity(const ex_yara_match *m)
{
    int s = ex_severity_from_name(m->severity);
    if (s >= 0)
        return (ex_severity)s;
    int64_t score = m->score >= 0 ? m->score : 70;
    return score >= 80 ? EX_SEV_HIGH : score >= 60 ? EX_SEV_MEDIUM : EX_SEV_INFO;
}

static int add_yara(const ex_yara_match *m, const char *path, int64_t mtime, ex_findings *out)
{
    char id[200], title[600];
    snprintf(id, sizeof id, "files.yara.%s", m->rule);
    snprintf(title, sizeof title, "%s (YARA %s)", m->description[0] ? m->description : "YARA rule matched", m->rule);
    int k = ex_kind_from_name(m->kind);
    ex_kind kind = k >= 0                                                                  ? (ex_kind)k
                   : (is_scannable_script(path) || ex_files_location(path) != EX_LOC_NONE) ? EX_KIND_WEBSHELL
                                                                                           : EX_KIND_PERSISTENCE;
    rule_info r = {id,
                   title,
                   m->rule,
                   m->source,
                   m->author[0] ? m->author : NULL,
                   m->reference[0] ? m->reference : NULL,
                   m->cve[0] ? m->cve : NULL};
    return add(out, path, mtime, yara_severity(m), kind, &r, m->data, m->datalen, m->offset);
}

/* ioc-hunting.md §7.1: a page whose bytes are a PST, a DER request, an executable... */
static int check_type(const char *path, int64_t mtime, const char *type, ex_findings *out)
{
    if (!is_script(path) || !ex_filetype_is_binary(type))
        return 0;
    char title[300], match[64];
    snprintf(title, sizeof title, "%s file with the web-page extension %s: by its content this is no page%s", type,
             extension(path),
             !strcmp(type, "PST")   ? " (a mailbox exported as a web shell, ProxyShell)"
             : !strcmp(type, "DER") ? " (a certificate request written as a web shell, ProxyShell)"
                                    : "");
    snprintf(match, sizeof match, "magic bytes: %s", type);
    bool proxyshell = !strcmp(type, "PST") || !strcmp(type, "DER");
    rule_info r = {"files.type-mismatch",
                   title,
                   "file type by magic bytes against the extension",
                   "exaudit files analyzer",
                   NULL,
                   "ioc-hunting.md §7.1, §1.4, §4 (ProxyShell PST and DER web shells)",
                   proxyshell ? "CVE-2021-31207" : NULL};
    return add(out, path, mtime, EX_SEV_HIGH, EX_KIND_WEBSHELL, &r, match, strlen(match), 0);
}

int ex_files_check_content(const ex_yara *y, const char *path, int64_t mtime, const unsigned char *data, size_t len,
                           char md5_hex[33], char sha1_hex[41], ex_findings *out, ex_files_note *note)
{
    note->skip[0] = '\0';
    digest("md5", data, len, md5_hex);
    digest("sha1", data, len, sha1_hex);
    const char *type = ex_filetype(data, len);
    size_t yara_hits = 0;
    if (y) {
        char fname[256], fdir[1024], ext[32], err[200];
        ex_strlcpy(fname, ex_evpath_base(path), sizeof fname);
        windows_dir(path, fdir, sizeof fdir);
        lower_ext(path, ext, sizeof ext);
        ex_yara_vars v = {fname, fdir, ext, type, "", md5_hex};
        ex_yara_match m[16];
        int r =
            ex_yara_scan(y, data, len, &v, EX_YARA_TIMEOUT_DEFAULT, m, EX_ARRAY_LEN(m), &yara_hits, err, sizeof err);
        if (r == EX_YARA_TIMEOUT)
            snprintf(note->skip, sizeof note->skip,
                     "YARA stopped after %d s on this file: rules after the timeout "
                     "were not evaluated",
                     EX_YARA_TIMEOUT_DEFAULT);
        else if (r == EX_YARA_ERROR)
            snprintf(note->skip, sizeof note->skip, "YARA: %s", err);
        for (size_t i = 0; i < yara_hits; i++)
            if (add_yara(&m[i], path, mtime, out) != 0)
                return -1;
    } else {
        snprintf(note->skip, sizeof note->skip, "YARA rules unavailable: content not scanned");
    }
    return yara_hits ? 0 : check_type(path, mtime, type, out);
}

int ex_files_check_hashes(const char *path, int64_t mtime, const char *sha256, const char *md5, const char *sha1,
                          ex_findings *out)
{
    const char *digests[] = {sha256, md5, sha1};
    for (size_t i = 0; i < EX_ARRAY_LEN(digests); i++) {
        const ex_ioc_hash *h = digests[i] && *digests[i] ? ex_ioc_hash_find(digests[i]) : NULL;
        if (!h)
            continue;
        char title[300], match[120];
        snprintf(title, sizeof title, "Known malicious file: %s hash of %s%s%s", h->type, h->family,
                 h->file_name[0] ? ", published as " : "", h->file_name);
        snprintf(match, sizeof match, "%s:%s", h->type, h->hash);
        int k = ex_kind_from_name(h->kind);
        rule_info r = {"files.ioc.hash", title, h->family, "exaudit data/iocs/hashes.tsv", NULL, h->source, NULL};
        return add_z(out, path, mtime, EX_SEV_CRITICAL, k < 0 ? EX_KIND_WEBSHELL : (ex_kind)k, &r, match);
    }
    return 0;
}

void ex_files_settle(ex_findings *out)
{
    size_t loc = SIZE_MAX;
    bool stronger = false;
    for (size_t i = 0; i < out->count; i++) {
        if (!strcmp(out->items[i].id, "files.location"))
            loc = i;
        else if (out->items[i].severity > EX_SEV_MEDIUM)
            stronger = true;
    }
    if (loc == SIZE_MAX || !stronger)
        return;
    ex_finding_free(&out->items[loc]);
    memmove(&out->items[loc], &out->items[loc + 1], (out->count - loc - 1) * sizeof *out->items);
    out->count--;
}

/* --- the rule set ---------------------------------------------------------------------------- */

static pthread_mutex_t rules_mu = PTHREAD_MUTEX_INITIALIZER;
static ex_yara *rules;
static bool rules_tried;

int ex_files_configure(const char *user_rules, ex_yara_load_report *rep, char *err, size_t errlen)
{
    ex_yara *y = NULL;
    if (ex_yara_load(user_rules, &y, rep, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&rules_mu);
    ex_yara_free(rules);
    rules = y;
    rules_tried = true;
    pthread_mutex_unlock(&rules_mu);
    return 0;
}

void ex_files_release(void)
{
    pthread_mutex_lock(&rules_mu);
    ex_yara_free(rules);
    rules = NULL;
    rules_tried = false;
    pthread_mutex_unlock(&rules_mu);
}

const ex_yara *ex_files_rules(void)
{
    pthread_mutex_lock(&rules_mu);
    if (!rules && !rules_tried) {
        char err[300];
        rules_tried = true;
        if (ex_yara_load(NULL, &rules, NULL, err, sizeof err) != 0)
            rules = NULL;
    }
    const ex_yara *y = rules;
    pthread_mutex_unlock(&rules_mu);
    return y;
}
