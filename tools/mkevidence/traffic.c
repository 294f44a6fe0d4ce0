/* Benign traffic of an on-premises Exchange server: OWA, EWS, ActiveSync,
 * Autodiscover, MAPI/HTTP, RPC over HTTP, OAB downloads, the admins' ECP
 * and remote PowerShell, load-balancer and Managed Availability probes, and
 * the internet's scanners (zgrab fetching the ECP export tool, as in the
 * DFIRPAGE sample of logs-and-builds.md §3.1).
 *
 * None of it matches an attack pattern of the field notes: no ServerInfo~
 * anchor, no autodiscover.json with '@' or without Protocol=, no one-letter
 * scripts under /ecp or /owa/auth, no script in a virtual directory URL.
 * The generators are a zmap-style table: a weight and a function each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

struct mk_traffic {
    const mk_cfg *cfg;
    mk_rng rng;
    char stem[512];
    char query[1024];
    char anchor[192];
    char be_cookie[192];
    char extra[256];
    char ua[256];
    char cmd[512];
    char oab_guid[37];
    char db_guid[4][37];
    char vdir_build[24];     /* "15.1.2176" */
    uint8_t gen_table[1024]; /* generator index per slot, by weight */
    uint32_t gen_slots;
};

/* ------------------------------------------------------------ user agents */

static const char *const ua_outlook[] = {
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5122; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14326; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5319; Pro)",
};
static const char *const ua_browser[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.82 "
    "Safari/537.36 Edg/89.0.774.50",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/14.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
};
static const struct {
    const char *type, *ua;
} devices[] = {
    {"iPhone", "Apple-iPhone13C2/1804.40"},
    {"iPhone", "Apple-iPhone12C1/1806.80"},
    {"iPad", "Apple-iPad8C1/1805.114"},
    {"Android", "Android-Mail/2021.02.07.355784931.Release"},
    {"SAMSUNGSMG991B", "SAMSUNG-SM-G991B/101.100000"},
    {"Android", "Android/10-EAS-2.0"},
};
static const char *const ua_mac_outlook = "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.1 (Build 20D74))";
static const char *const ua_ews_api = "ExchangeServicesClient/15.00.0913.015";
static const char *const ua_bits = "Microsoft BITS/7.8";
static const char *const ua_winrm = "Microsoft WinRM Client";
static const char *const ua_msrpc = "MSRPC";
static const char *const ua_amprobe = "AMProbe/Local/ClientAccess";
static const char *const ua_be_probe = "Exchange BackEnd Probes";

static const char *const ua_scanners[] = {
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times per day to "
    "identify customers&#39; presences on the Internet. If you would like to be excluded from our scans, please "
    "contact us at scaninfo@paloaltonetworks.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 "
    "Safari/537.36",
};

/* ------------------------------------------------------------ helpers */

static mk_user *pick_user(mk_traffic *t)
{
    /* A few heavy users, a long tail: square the uniform draw. */
    uint64_t x = mk_rng_below(&t->rng, 1u << 16);
    size_t i = (size_t)((x * x * mk_nusers) >> 32);
    return &mk_users[i < mk_nusers ? i : mk_nusers - 1];
}

/* Where the user is: mostly the LAN, sometimes at home or on the road. */
static const char *user_ip(mk_traffic *t, const mk_user *u)
{
    uint32_t x = mk_rng_below(&t->rng, 100);
    return x < 70 ? u->lan_ip : x < 85 ? u->ext_ip : u->mobile_ip;
}

static void random_token(mk_traffic *t, char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = set[mk_rng_below(&t->rng, 64)];
    out[n - 1] = 0;
}

static void set_proxied(mk_traffic *t, mk_req *r, int proto, int status)
{
    r->proto = (uint8_t)proto;
    r->flags = MK_R_HP | MK_R_FE | MK_R_BE;
    r->status = r->be_status = status;
    r->target = MK_SERVER_FQDN_LC;
    snprintf(t->be_cookie, sizeof t->be_cookie, "Server~%s~%u~", MK_SERVER_FQDN_LC,
             1942061000u + mk_rng_below(&t->rng, 900));
    r->be_cookie = "";
}

static void anchor_smtp(mk_traffic *t, mk_req *r, const mk_user *u)
{
    snprintf(t->anchor, sizeof t->anchor, "Smtp~%s", u->upn);
    r->anchor = t->anchor;
    r->routing_type = "Smtp";
}

static void anchor_mbx(mk_traffic *t, mk_req *r, const mk_user *u)
{
    char g[37];
    mk_guid_str(u->mbx_guid, g);
    snprintf(t->anchor, sizeof t->anchor, "MailboxGuidWithDomain~%s@%s", g, MK_DOMAIN);
    r->anchor = t->anchor;
    r->routing_type = "MailboxGuidWithDomain";
}

static void authed(mk_req *r, const mk_user *u, const char *auth)
{
    r->authenticated = true;
    r->user = u->dom_user;
    r->auth_type = auth;
}

/* The common start of an authenticated, proxied request of a user. */
static mk_user *user_request(mk_traffic *t, mk_req *r, int proto, const char *auth, const char *routing_hint)
{
    mk_user *u = pick_user(t);
    set_proxied(t, r, proto, 200);
    authed(r, u, auth);
    anchor_smtp(t, r, u);
    r->routing_hint = routing_hint;
    return u;
}

/* ------------------------------------------------------------ generators */

static const char *const owa_actions[] = {
    "GetItem",
    "FindItem",
    "FindConversation",
    "GetConversationItems",
    "GetFolderMruConfiguration",
    "SubscribeToNotification",
    "GetOwaUserConfiguration",
    "UpdateItem",
    "CreateItem",
    "GetAttachment",
    "GetCalendarView",
    "GetPeopleFilters",
};

static void gen_owa(mk_traffic *t, mk_req *r)
{
    mk_user *u = pick_user(t);
    r->cip = user_ip(t, u);
    r->ua = ua_browser[u->outlook % MK_LEN(ua_browser)];
    uint32_t k = mk_rng_below(&t->rng, 100);
    if (k < 5) { /* the logon redirect */
        r->proto = MK_P_OWA;
        r->flags = MK_R_HP | MK_R_FE;
        r->method = "GET";
        r->stem = "/owa/";
        r->status = 302;
        r->auth_type = "FBA";
        r->time_taken = 2 + (int)mk_rng_below(&t->rng, 10);
        return;
    }
    set_proxied(t, r, MK_P_OWA, 200);
    authed(r, u, "FBA");
    anchor_smtp(t, r, u);
    r->routing_hint = "X-BackEndCookie-Cookie";
    if (k < 60) {
        const char *a = owa_actions[mk_rng_below(&t->rng, MK_LEN(owa_actions))];
        r->method = "POST";
        r->stem = "/owa/service.svc";
        snprintf(t->query, sizeof t->query, "action=%s&EP=1&ID=-%u&AC=1", a, 10 + mk_rng_below(&t->rng, 90));
        r->query = t->query;
        r->protocol_action = a;
        r->time_taken = 15 + (int)mk_rng_below(&t->rng, 300);
    } else if (k < 85) {
        char canary[40];
        random_token(t, canary, sizeof canary);
        r->method = "POST";
        r->stem = "/owa/ev.owa2";
        snprintf(t->query, sizeof t->query,
                 "ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid=%u&X-OWA-CANARY=%s",
                 mk_rng_below(&t->rng, 1u << 30), canary);
        r->query = t->query;
        r->protocol_action = "PendingRequest";
        r->time_taken = 30000 + (int)mk_rng_below(&t->rng, 870000);
    } else if (k < 95) {
        r->method = "GET";
        r->stem = "/owa/";
        r->time_taken = 40 + (int)mk_rng_below(&t->rng, 400);
    } else {
        r->method = "GET";
        snprintf(t->stem, sizeof t->stem, "/owa/prem/%s/resources/images/0/sprite1.mouse.png", t->vdir_build);
        r->stem = t->stem;
        r->time_taken = 1 + (int)mk_rng_below(&t->rng, 20);
    }
}

static void gen_owa_static(mk_traffic *t, mk_req *r)
{
    /* The logon page and its resources: served by the front end itself, so
     * they appear in IIS W3SVC1 only. */
    static const char *const res[] = {"favicon.ico",         "logon.css",          "owafont_ja.css",
                                      "lgnbotl.gif",         "olk_logo_white.png", "SegoeUI-SemiLight.ttf",
                                      "SegoeUI-Regular.woff"};
    mk_user *u = pick_user(t);
    r->proto = MK_P_NONE;
    r->flags = MK_R_FE;
    r->cip = user_ip(t, u);
    r->ua = ua_browser[u->outlook % MK_LEN(ua_browser)];
    r->method = "GET";
    r->status = 200;
    uint32_t k = mk_rng_below(&t->rng, 10);
    if (k < 3) {
        r->stem = "/owa/auth/logon.aspx";
        snprintf(t->query, sizeof t->query, "replaceCurrent=1&url=https%%3a%%2f%%2f%s%%2fowa%%2f", MK_PUBLIC_HOST);
        r->query = t->query;
        r->time_taken = 15 + (int)mk_rng_below(&t->rng, 80);
    } else if (k < 5) {
        r->method = "POST";
        r->stem = "/owa/auth.owa";
        r->status = 302;
        r->user = u->dom_user;
        r->time_taken = 30 + (int)mk_rng_below(&t->rng, 200);
    } else {
        const char *base = mk_rng_below(&t->rng, 3) ? t->vdir_build : "Current";
        snprintf(t->stem, sizeof t->stem, "/owa/auth/%s/themes/resources/%s", base,
                 res[mk_rng_below(&t->rng, MK_LEN(res))]);
        r->stem = t->stem;
        r->status = mk_rng_below(&t->rng, 4) ? 200 : 304;
        r->time_taken = (int)mk_rng_below(&t->rng, 8);
    }
}

static const char *const ews_actions[] = {
    "GetFolder",           "FindItem",           "GetItem",   "SyncFolderItems",
    "GetUserAvailability", "GetStreamingEvents", "Subscribe", "GetUserOofSettings"};

static void gen_ews(mk_traffic *t, mk_req *r)
{
    mk_user *u =
        user_request(t, r, MK_P_EWS, mk_rng_below(&t->rng, 2) ? "Negotiate" : "NTLM", "X-AnchorMailbox-Header");
    r->cip = user_ip(t, u);
    uint32_t k = mk_rng_below(&t->rng, 10);
    r->ua = k < 6 ? ua_outlook[u->outlook % MK_LEN(ua_outlook)] : k < 8 ? ua_mac_outlook : ua_ews_api;
    r->method = "POST";
    r->stem = "/EWS/Exchange.asmx";
    r->protocol_action = ews_actions[mk_rng_below(&t->rng, MK_LEN(ews_actions))];
    r->time_taken = 20 + (int)mk_rng_below(&t->rng, 600);
}

static const char *const eas_cmds[] = {
    "Sync", "Sync", "Ping", "Ping", "Ping", "FolderSync", "ItemOperations", "GetItemEstimate", "SendMail", "Search"};

static void gen_eas(mk_traffic *t, mk_req *r)
{
    mk_user *u = user_request(t, r, MK_P_EAS, "Basic", "X-AnchorMailbox-Header");
    size_t d = u->device % MK_LEN(devices);
    r->ua = devices[d].ua;
    r->cip = mk_rng_below(&t->rng, 3) ? u->mobile_ip : u->lan_ip;
    r->stem = "/Microsoft-Server-ActiveSync/default.eas";
    if (mk_rng_chance(&t->rng, 30)) {
        r->method = "OPTIONS";
        r->time_taken = 5 + (int)mk_rng_below(&t->rng, 30);
        return;
    }
    const char *cmd = eas_cmds[mk_rng_below(&t->rng, MK_LEN(eas_cmds))];
    r->method = "POST";
    snprintf(t->query, sizeof t->query, "Cmd=%s&User=%s&DeviceId=%s&DeviceType=%s", cmd, u->sam, u->device_id,
             devices[d].type);
    r->query = t->query;
    r->protocol_action = cmd;
    r->time_taken =
        !strcmp(cmd, "Ping") ? 470000 + (int)mk_rng_below(&t->rng, 60000) : 40 + (int)mk_rng_below(&t->rng, 900);
}

static void gen_autodiscover(mk_traffic *t, mk_req *r)
{
    mk_user *u = pick_user(t);
    set_proxied(t, r, MK_P_AUTODISCOVER, 200);
    r->cip = user_ip(t, u);
    r->url_host = mk_rng_below(&t->rng, 2) ? "autodiscover." MK_DOMAIN : MK_PUBLIC_HOST;
    uint32_t k = mk_rng_below(&t->rng, 10);
    if (k < 6) {
        authed(r, u, "Negotiate");
        anchor_smtp(t, r, u);
        r->method = "POST";
        r->stem = "/Autodiscover/Autodiscover.xml";
        r->ua = ua_outlook[u->outlook % MK_LEN(ua_outlook)];
        r->time_taken = 30 + (int)mk_rng_below(&t->rng, 200);
    } else if (k < 8) {
        /* Outlook's JSON autodiscover: the address is in the path, and the
         * query names the protocol (what Sentinel's rule separates from ProxyShell). */
        snprintf(t->stem, sizeof t->stem, "/autodiscover/autodiscover.json/v1.0/%s", u->upn);
        r->stem = t->stem;
        r->query = "Protocol=AutodiscoverV1";
        r->method = "GET";
        r->ua = ua_outlook[u->outlook % MK_LEN(ua_outlook)];
        anchor_smtp(t, r, u);
        r->auth_type = "";
        r->time_taken = 5 + (int)mk_rng_below(&t->rng, 40);
    } else {
        snprintf(t->query, sizeof t->query, "Email=%s%%40%s&Protocol=ActiveSync&RedirectCount=1", u->sam, MK_DOMAIN);
        r->query = t->query;
        r->stem = "/autodiscover/autodiscover.json";
        r->method = "GET";
        r->ua = devices[u->device % MK_LEN(devices)].ua;
        anchor_smtp(t, r, u);
        r->time_taken = 5 + (int)mk_rng_below(&t->rng, 40);
    }
}

static const char *const emsmdb_actions[] = {"Connect", "Execute",          "Execute",
                                             "Execute", "NotificationWait", "Disconnect"};
static const char *const nspi_actions[] = {"Bind", "QueryRows", "GetMatches", "ResolveNames", "Unbind"};

static void gen_mapi(mk_traffic *t, mk_req *r)
{
    mk_user *u = user_request(t, r, MK_P_MAPI, "Negotiate", "MailboxId-Url");
    anchor_mbx(t, r, u);
    r->cip = mk_rng_below(&t->rng, 5) ? u->lan_ip : u->ext_ip;
    r->ua = ua_outlook[u->outlook % MK_LEN(ua_outlook)];
    r->method = "POST";
    char g[37];
    mk_guid_str(u->mbx_guid, g);
    snprintf(t->query, sizeof t->query, "MailboxId=%s@%s", g, MK_DOMAIN);
    r->query = t->query;
    if (mk_rng_below(&t->rng, 5)) {
        r->stem = "/mapi/emsmdb/";
        r->protocol_action = emsmdb_actions[mk_rng_below(&t->rng, MK_LEN(emsmdb_actions))];
    } else {
        r->stem = "/mapi/nspi/";
        r->protocol_action = nspi_actions[mk_rng_below(&t->rng, MK_LEN(nspi_actions))];
    }
    r->time_taken = !strcmp(r->protocol_action, "NotificationWait") ? 200000 + (int)mk_rng_below(&t->rng, 100000)
                                                                    : 10 + (int)mk_rng_below(&t->rng, 400);
}

static void gen_rpc(mk_traffic *t, mk_req *r)
{
    mk_user *u = user_request(t, r, MK_P_RPCHTTP, "NTLM", "RpcHttpServer-Url");
    r->cip = u->ext_ip;
    r->ua = ua_msrpc;
    r->method = mk_rng_below(&t->rng, 2) ? "RPC_IN_DATA" : "RPC_OUT_DATA";
    r->stem = "/rpc/rpcproxy.dll";
    snprintf(t->query, sizeof t->query, "%s:6001", MK_SERVER_FQDN_LC);
    r->query = t->query;
    r->time_taken = 60000 + (int)mk_rng_below(&t->rng, 840000);
}

static void gen_oab(mk_traffic *t, mk_req *r)
{
    mk_user *u = pick_user(t);
    set_proxied(t, r, MK_P_OAB, mk_rng_below(&t->rng, 3) ? 200 : 304);
    authed(r, u, "Negotiate");
    r->anchor = "";
    r->cip = u->lan_ip;
    r->ua = ua_bits;
    r->method = "GET";
    if (mk_rng_below(&t->rng, 3))
        snprintf(t->stem, sizeof t->stem, "/OAB/%s/oab.xml", t->oab_guid);
    else
        snprintf(t->stem, sizeof t->stem, "/OAB/%s/%s-data-%u.lzx", t->oab_guid, t->oab_guid,
                 1 + mk_rng_below(&t->rng, 40));
    r->stem = t->stem;
    r->time_taken = 5 + (int)mk_rng_below(&t->rng, 150);
}

/* ECP for users (options pages) and admins (the EAC). Benign cmdlets never carry script. */
static void gen_ecp(mk_traffic *t, mk_req *r)
{
    static const struct {
        const char *stem, *schema, *cmd;
        bool admin;
    } pages[] = {
        {"/ecp/DDI/DDIService.svc/GetList", "Mailboxes", "Get-Recipient", true},
        {"/ecp/DDI/DDIService.svc/GetList", "MessageTrace", "Get-MessageTrackingReport", true},
        {"/ecp/DDI/DDIService.svc/GetObject", "MailboxPropertiesView", "Get-Mailbox", true},
        {"/ecp/DDI/DDIService.svc/GetList", "DistributionGroup", "Get-DistributionGroup", true},
        {"/ecp/RulesEditor/InboxRules.svc/GetList", NULL, "Get-InboxRule", false},
        {"/ecp/PersonalSettings/Accounts.svc/GetObject", NULL, "Get-Mailbox", false},
        {"/ecp/Organize/DeliveryReports.svc/GetList", NULL, "Search-MessageTrackingReport", false},
        /* Set-* cmdlets with parameters (the ECP log joins them with dots), never with script in them. */
        {"/ecp/DDI/DDIService.svc/SetObject", "MailboxPropertiesView",
         "Set-Mailbox.Identity='%s'.IssueWarningQuota='9 GB (9,663,676,416 bytes)'", true},
        {"/ecp/DDI/DDIService.svc/SetObject", "MailboxFeatureInfo", "Set-CASMailbox.Identity='%s'.OWAEnabled=$true",
         true},
        {"/ecp/Organize/AutomaticReplies.svc/SetObject", NULL,
         "Set-MailboxAutoReplyConfiguration.Identity='%s'.AutoReplyState='Scheduled'", false},
        {"/ecp/PersonalSettings/RegionalSettings.svc/SetObject", NULL,
         "Set-MailboxRegionalConfiguration.Identity='%s'.Language='de-DE'.TimeZone='W. Europe Standard Time'", false},
    };
    mk_user *u = pick_user(t);
    size_t i = mk_rng_below(&t->rng, MK_LEN(pages));
    if (pages[i].admin)
        u = &mk_users[mk_rng_below(&t->rng, 3)];
    set_proxied(t, r, MK_P_ECP, 200);
    r->flags |= MK_R_ECP;
    authed(r, u, "FBA");
    anchor_smtp(t, r, u);
    r->routing_hint = "X-BackEndCookie-Cookie";
    r->cip = u->admin ? u->lan_ip : user_ip(t, u);
    r->ua = ua_browser[u->outlook % MK_LEN(ua_browser)];
    char canary[66];
    random_token(t, canary, sizeof canary);
    if (mk_rng_below(&t->rng, 6) == 0) {
        r->method = "GET";
        r->stem = "/ecp/";
        r->ecp_cmd = "";
    } else {
        r->method = "POST";
        r->stem = pages[i].stem;
        if (pages[i].schema)
            snprintf(t->query, sizeof t->query, "msExchEcpCanary=%s.&schema=%s", canary, pages[i].schema);
        else
            snprintf(t->query, sizeof t->query, "msExchEcpCanary=%s.", canary);
        r->query = t->query;
        const char *mark = strstr(pages[i].cmd, "%s");
        if (mark) { /* the target mailbox by GUID, as the EAC passes it */
            char g[37];
            mk_guid_str(pick_user(t)->mbx_guid, g);
            snprintf(t->cmd, sizeof t->cmd, "%.*s%s%s", (int)(mark - pages[i].cmd), pages[i].cmd, g, mark + 2);
            r->ecp_cmd = t->cmd;
        } else {
            r->ecp_cmd = pages[i].cmd;
        }
    }
    r->time_taken = 30 + (int)mk_rng_below(&t->rng, 900);
}

/* Published calendars: anonymous, from anywhere (the OwaCalendar protocol folder). */
static void gen_owacal(mk_traffic *t, mk_req *r)
{
    mk_user *u = pick_user(t);
    set_proxied(t, r, MK_P_OWACAL, mk_rng_below(&t->rng, 4) ? 200 : 304);
    char g[37];
    mk_guid_str(u->mbx_guid, g);
    snprintf(t->stem, sizeof t->stem, "/owa/calendar/%s@%s/%.8s%s/calendar.ics", g, MK_DOMAIN, g + 24, g + 9);
    r->stem = t->stem;
    r->method = "GET";
    r->anchor = t->anchor;
    snprintf(t->anchor, sizeof t->anchor, "MailboxGuidWithDomain~%s@%s", g, MK_DOMAIN);
    r->routing_type = "MailboxGuidWithDomain";
    r->routing_hint = "Url";
    r->auth_type = "Anonymous";
    r->cip = mk_rng_below(&t->rng, 2) ? u->ext_ip : u->mobile_ip;
    r->ua = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)";
    r->time_taken = 20 + (int)mk_rng_below(&t->rng, 200);
}

static void gen_powershell(mk_traffic *t, mk_req *r)
{
    mk_user *u = &mk_users[mk_rng_below(&t->rng, 3)];
    set_proxied(t, r, MK_P_POWERSHELL, 200);
    authed(r, u, "Kerberos");
    r->anchor = "";
    r->cip = u->lan_ip;
    r->ua = ua_winrm;
    r->method = "POST";
    r->stem = "/powershell";
    char b[24];
    mk_build_short(mk_build_at(t->cfg, r->t), b, sizeof b);
    snprintf(t->query, sizeof t->query,
             "serializationLevel=Full;ExchClientVer=%s;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1."
             "14393.4350",
             b);
    r->query = t->query;
    r->time_taken = 50 + (int)mk_rng_below(&t->rng, 3000);
}

static void gen_health(mk_traffic *t, mk_req *r)
{
    static const struct {
        int proto;
        const char *stem;
    } hc[] = {
        {MK_P_OWA, "/owa/HealthCheck.htm"},
        {MK_P_EWS, "/EWS/HealthCheck.htm"},
        {MK_P_EAS, "/Microsoft-Server-ActiveSync/HealthCheck.htm"},
        {MK_P_MAPI, "/mapi/HealthCheck.htm"},
        {MK_P_ECP, "/ecp/HealthCheck.htm"},
        {MK_P_OAB, "/OAB/HealthCheck.htm"},
        {MK_P_AUTODISCOVER, "/Autodiscover/HealthCheck.htm"},
        {MK_P_RPCHTTP, "/rpc/HealthCheck.htm"},
    };
    size_t i = mk_rng_below(&t->rng, MK_LEN(hc));
    r->proto = (uint8_t)hc[i].proto;
    r->flags = MK_R_HP | MK_R_FE;
    r->status = 200;
    r->method = "GET";
    r->stem = hc[i].stem;
    r->anchor = "";
    r->time_taken = (int)mk_rng_below(&t->rng, 4);
    if (mk_rng_below(&t->rng, 2)) {
        r->cip = "10.10.1.5"; /* the load balancer's monitor */
        r->ua = "";
    } else {
        r->cip = MK_SERVER_IP;
        r->ua = ua_amprobe;
    }
}

static void gen_be_probe(mk_traffic *t, mk_req *r)
{
    /* Managed Availability's back-end probes go straight to port 444. */
    r->proto = MK_P_NONE;
    r->flags = MK_R_BE;
    r->method = "POST";
    r->stem = "/powershell";
    r->status = r->be_status = 200;
    r->ua = ua_be_probe;
    r->cip = MK_SERVER_IP;
    r->user = "NT AUTHORITY\\SYSTEM";
    r->time_taken = 200 + (int)mk_rng_below(&t->rng, 2000);
}

static void gen_scanner(mk_traffic *t, mk_req *r)
{
    uint32_t k = mk_rng_below(&t->rng, 10);
    snprintf(t->extra, sizeof t->extra, "192.0.2.%u", 1 + mk_rng_below(&t->rng, 254));
    r->cip = t->extra;
    r->method = "GET";
    r->time_taken = 1 + (int)mk_rng_below(&t->rng, 30);
    if (k < 5) {
        /* zgrab fetching the ECP export tool manifest (a version probe). */
        set_proxied(t, r, MK_P_ECP, 200);
        r->ua = ua_scanners[0];
        r->stem = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";
        r->auth_type = "FBA";
        r->anchor = "ServerVersion~Version 15.0 (Build 0.0)";
        r->routing_type = "ServerVersion";
        return;
    }
    r->proto = MK_P_NONE;
    r->flags = MK_R_FE;
    r->ua = ua_scanners[1 + mk_rng_below(&t->rng, MK_LEN(ua_scanners) - 1)];
    r->status = 200;
    if (k < 8) {
        r->stem = "/owa/auth/logon.aspx";
    } else {
        r->stem = "/";
        r->status = 302;
    }
}

typedef struct generator {
    const char *name;
    unsigned weight; /* relative share of requests (the weights sum to at most 1024) */
    void (*fn)(mk_traffic *t, mk_req *r);
} generator;

static const generator generators[] = {
    {"mapi", 250, gen_mapi},
    {"owa", 180, gen_owa},
    {"owa-static", 60, gen_owa_static},
    {"eas", 170, gen_eas},
    {"ews", 140, gen_ews},
    {"autodiscover", 80, gen_autodiscover},
    {"rpc", 25, gen_rpc},
    {"oab", 25, gen_oab},
    {"ecp", 20, gen_ecp},
    {"owacal", 5, gen_owacal},
    {"powershell", 5, gen_powershell},
    {"health", 35, gen_health},
    {"be-probe", 5, gen_be_probe},
    {"scanner", 5, gen_scanner},
};

mk_traffic *mk_traffic_new(const mk_cfg *c)
{
    mk_traffic *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = c;
    mk_rng_seed(&t->rng, c->seed, 0x74726166); /* "traf" */
    uint8_t g[16];
    mk_rng_guid(&t->rng, g);
    mk_guid_str(g, t->oab_guid);
    for (int i = 0; i < 4; i++) {
        mk_rng_guid(&t->rng, g);
        mk_guid_str(g, t->db_guid[i]);
    }
    snprintf(t->vdir_build, sizeof t->vdir_build, "%d.%d.%d", c->build.major, c->build.minor, c->build.build);
    size_t slot = 0;
    for (size_t i = 0; i < MK_LEN(generators); i++)
        for (unsigned k = 0; k < generators[i].weight && slot < sizeof t->gen_table; k++)
            t->gen_table[slot++] = (uint8_t)i;
    t->gen_slots = (uint32_t)slot;
    return t;
}

void mk_traffic_free(mk_traffic *t)
{
    free(t);
}

void mk_traffic_next(mk_traffic *t, int64_t time_ms, mk_req *r)
{
    memset(r, 0, sizeof *r);
    r->t = time_ms;
    r->query = r->user = r->ua = r->anchor = r->protocol_action = r->routing_type = r->routing_hint = "";
    r->be_cookie = r->target = r->error_code = r->generic_extra = r->auth_type = "";
    r->url_host = MK_PUBLIC_HOST;
    uint64_t x = mk_rng_next(&t->rng);
    memcpy(r->rid, &x, 8);
    x = mk_rng_next(&t->rng);
    memcpy(r->rid + 8, &x, 8);
    r->rid[6] = (uint8_t)((r->rid[6] & 0x0f) | 0x40);
    r->rid[8] = (uint8_t)((r->rid[8] & 0x3f) | 0x80);
    const generator *g = &generators[t->gen_table[mk_rng_below(&t->rng, t->gen_slots)]];
    g->fn(t, r);
    if (r->target[0] && !r->be_cookie[0]) {
        /* BackEndCookie values never hold a '/' on benign traffic: the SCS
         * variant of the ProxyLogon check matches "Server~", a slash, "~". */
        char *p = t->be_cookie + strlen(t->be_cookie);
        size_t room = sizeof t->be_cookie - (size_t)(p - t->be_cookie);
        char iso[25];
        mk_time_iso_s(time_ms + MK_HOUR_MS, iso);
        iso[19] = 0; /* drop the Z */
        snprintf(p, room, "%s", iso);
        r->be_cookie = t->be_cookie;
    }
    r->req_bytes = 300 + (int)mk_rng_below(&t->rng, 3000);
    r->resp_bytes = 200 + (int)mk_rng_below(&t->rng, 30000);
}

double mk_traffic_weight(int64_t hour_ms)
{
    /* Office hours in Central Europe (UTC+1): busy 07-17 UTC, quiet at night,
     * weekends at a fifth. Mobile devices keep a floor all night. */
    static const double by_hour[24] = {0.10, 0.08, 0.07, 0.07, 0.08, 0.15, 0.35, 0.80, 1.00, 1.00, 0.95, 0.90,
                                       0.85, 0.95, 1.00, 0.95, 0.85, 0.60, 0.40, 0.30, 0.25, 0.20, 0.15, 0.12};
    mk_tm tm;
    mk_time_split(hour_ms, &tm);
    double w = by_hour[tm.hour];
    if (tm.wday == 0 || tm.wday == 6)
        w *= 0.2;
    return w + 0.02;
}
