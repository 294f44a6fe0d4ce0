/* Web logs: HttpProxy (per protocol, hourly), IIS W3C (front end W3SVC1 and
 * back end W3SVC2, daily), ECP server (daily) and OAB generator (daily).
 *
 * Formats are those of logs-and-builds.md §3: the HttpProxy header block and
 * its 74 fields (or the Exchange 2013 layout without UrlHost/RoutingType), the
 * ECP "TimeStamp,ServerName,EventId,EventData" lines with S:KEY=value items,
 * IIS "#Fields:" directives. Lines end in CRLF as on Windows.
 *
 * One pass over time: every hour, the benign requests of that hour are drawn
 * in time order and each is written to every log that sees it (HttpProxy,
 * front end, back end, ECP), so the same request carries the same time and
 * RequestId everywhere. The plan's items are merged in at their times, and
 * their file and line numbers go to the ground truth. Memory stays constant
 * whatever --size asks for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

#define HP_ROTATE_BYTES (10u << 20) /* a new -N file past 10 MiB (Exchange rotates by size too) */
#define LINE_RESERVE    16384

/* ------------------------------------------------------------ HttpProxy */

enum hp_field {
    F_DateTime,
    F_RequestId,
    F_MajorVersion,
    F_MinorVersion,
    F_BuildVersion,
    F_RevisionVersion,
    F_ClientRequestId,
    F_Protocol,
    F_UrlHost,
    F_UrlStem,
    F_ProtocolAction,
    F_AuthenticationType,
    F_IsAuthenticated,
    F_AuthenticatedUser,
    F_Organization,
    F_AnchorMailbox,
    F_UserAgent,
    F_ClientIpAddress,
    F_ServerHostName,
    F_HttpStatus,
    F_BackEndStatus,
    F_ErrorCode,
    F_Method,
    F_ProxyAction,
    F_TargetServer,
    F_TargetServerVersion,
    F_RoutingType,
    F_RoutingHint,
    F_BackEndCookie,
    F_ServerLocatorHost,
    F_ServerLocatorLatency,
    F_RequestBytes,
    F_ResponseBytes,
    F_TargetOutstandingRequests,
    F_AuthModulePerfContext,
    F_HttpPipelineLatency,
    F_CalculateTargetBackEndLatency,
    F_GlsLatencyBreakup,
    F_TotalGlsLatency,
    F_AccountForestLatencyBreakup,
    F_TotalAccountForestLatency,
    F_ResourceForestLatencyBreakup,
    F_TotalResourceForestLatency,
    F_ADLatency,
    F_SharedCacheLatencyBreakup,
    F_TotalSharedCacheLatency,
    F_ActivityContextLifeTime,
    F_ModuleToHandlerSwitchingLatency,
    F_ClientReqStreamLatency,
    F_BackendReqInitLatency,
    F_BackendReqStreamLatency,
    F_BackendProcessingLatency,
    F_BackendRespInitLatency,
    F_BackendRespStreamLatency,
    F_ClientRespStreamLatency,
    F_KerberosAuthHeaderLatency,
    F_HandlerCompletionLatency,
    F_RequestHandlerLatency,
    F_HandlerToModuleSwitchingLatency,
    F_ProxyTime,
    F_CoreLatency,
    F_RoutingLatency,
    F_HttpProxyOverhead,
    F_TotalRequestTime,
    F_RouteRefresherLatency,
    F_UrlQuery,
    F_BackEndGenericInfo,
    F_GenericInfo,
    F_GenericErrors,
    F_EdgeTraceId,
    F_DatabaseGuid,
    F_UserADObjectGuid,
    F_PartitionEndpointLookupLatency,
    F_RoutingStatus,
    F_COUNT
};

/* The 74-field list of Exchange 2016 CU22 (DFIRPAGE sample, logs-and-builds.md §3.1), in order. */
static const char hp_fields_new[] =
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,"
    "UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,"
    "ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,"
    "TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,"
    "ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,"
    "GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,"
    "ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,"
    "TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,"
    "BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
    "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,"
    "RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,"
    "TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,"
    "DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";

/* Exchange 2013-era layout (§3.1 "older layout"): no UrlHost, no RoutingType,
 * and the list ends with UrlQuery,GenericInfo,GenericErrors. The "TargetServer,,"
 * of the transcription is taken as a copying artefact (no empty column). */
static uint8_t hp_layout_old[F_COUNT];
static size_t hp_layout_old_n;
static uint8_t hp_layout_new[F_COUNT];
static char hp_fields_old[2048];

static void hp_layouts_init(void)
{
    for (int i = 0; i < F_COUNT; i++)
        hp_layout_new[i] = (uint8_t)i;
    /* Build the old list by dropping fields from the new one. */
    char copy[sizeof hp_fields_new];
    memcpy(copy, hp_fields_new, sizeof copy);
    size_t n = 0, len = 0;
    int idx = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","), idx++) {
        if (idx == F_UrlHost || idx == F_RoutingType || idx == F_BackEndGenericInfo || idx >= F_EdgeTraceId)
            continue;
        hp_layout_old[n++] = (uint8_t)idx;
        len += (size_t)snprintf(hp_fields_old + len, sizeof hp_fields_old - len, "%s%s", len ? "," : "", tok);
    }
    hp_layout_old_n = n;
}

typedef struct logfile {
    mk_file f;
    bool open;
    int64_t period; /* hour or day start (ms) */
    int seq;        /* the -N of the file name */
    int64_t first_t, last_t;
    int layout; /* IIS: field layout in force */
} logfile;

typedef struct cover {
    int64_t first, last;
} cover;

typedef struct wl {
    const mk_cfg *c;
    mk_rng rng;
    logfile hp[MK_P_COUNT];
    logfile fe, be, ecp, oab;
    cover cov_hp[MK_P_COUNT], cov_fe, cov_be, cov_ecp, cov_oab;
    uint64_t bytes_closed;
    char build_long[2][24];
    char build_short[2][24];
} wl;

static void cover_add(cover *cv, int64_t t)
{
    if (!cv->first || t < cv->first)
        cv->first = t;
    if (t > cv->last)
        cv->last = t;
}

static int lf_close(wl *w, logfile *lf)
{
    if (!lf->open)
        return 0;
    w->bytes_closed += lf->f.bytes;
    lf->open = false;
    return mk_file_close(&lf->f, lf->last_t);
}

static inline char *put_crlf(char *p)
{
    p[0] = '\r';
    p[1] = '\n';
    return p + 2;
}

static void put_line_end(mk_file *f, char *p)
{
    p = put_crlf(p);
    mk_file_commit(f, p);
    f->lines++;
}

/* After a line is written: the file's last time, coverage, and what the truth says about the line. */
static void line_done(logfile *lf, cover *cv, int64_t t, const mk_expect *e, const char *benign)
{
    lf->last_t = t;
    cover_add(cv, t);
    if (e)
        mk_truth_add(e, lf->f.vpath, (int64_t)lf->f.lines, -1, t, NULL);
    if (benign)
        mk_truth_benign(lf->f.vpath, (int64_t)lf->f.lines, benign);
}

/* "TimeStamp,ServerName," of the ECP and OAB generator logs. */
static char *put_stamp_server(char *p, int64_t t)
{
    char iso[25];
    mk_time_iso_ms(t, iso);
    p = mk_put(p, iso);
    *p++ = ',';
    p = mk_put(p, MK_SERVER);
    *p++ = ',';
    return p;
}

static int build_idx(const wl *w, int64_t t)
{
    return t >= w->c->patched_ms ? 1 : 0;
}

static int hp_open(wl *w, int proto, int64_t t)
{
    logfile *lf = &w->hp[proto];
    int64_t hour = t - ((t % MK_HOUR_MS) + MK_HOUR_MS) % MK_HOUR_MS;
    if (lf->open && lf->period == hour && lf->f.bytes <= HP_ROTATE_BYTES)
        return 0;
    int seq = lf->period == hour ? lf->seq + 1 : 1;
    if (lf_close(w, lf) < 0)
        return -1;
    lf->seq = seq;
    mk_tm tm;
    mk_time_split(hour, &tm);
    char vpath[512], iso[25];
    snprintf(vpath, sizeof vpath, "%s/Logging/HttpProxy/%s/HttpProxy_%04d%02d%02d%02d-%d.LOG", w->c->install_v,
             mk_proto_folder[proto], tm.year, tm.mon, tm.day, tm.hour, lf->seq);
    if (mk_file_open(&lf->f, vpath) < 0)
        return -1;
    lf->open = true;
    lf->period = hour;
    lf->first_t = t;
    const mk_build *b = mk_build_at(w->c, t);
    mk_time_iso_ms(t, iso);
    char *p = mk_file_reserve(&lf->f, 4096);
    p += sprintf(p,
                 "#Software: Microsoft Exchange Server\r\n#Version: %s\r\n#Log-type: HttpProxy Logs\r\n#Date: %s\r\n"
                 "#Fields: %s\r\n",
                 w->build_long[build_idx(w, t)], iso, b->minor == 0 ? hp_fields_old : hp_fields_new);
    mk_file_commit(&lf->f, p);
    lf->f.lines += 5;
    return 0;
}

static char *put_latency(wl *w, char *p, unsigned max)
{
    return mk_put_u(p, mk_rng_below(&w->rng, max));
}

static char *hp_field(wl *w, char *p, int field, const mk_req *r, const mk_build *b)
{
    switch (field) {
    case F_DateTime: {
        char iso[25];
        mk_time_iso_ms(r->t, iso);
        return mk_put(p, iso);
    }
    case F_RequestId: return mk_put_guid(p, r->rid);
    case F_MajorVersion: return mk_put_u(p, (uint64_t)b->major);
    case F_MinorVersion: return mk_put_u(p, (uint64_t)b->minor);
    case F_BuildVersion: return mk_put_u(p, (uint64_t)b->build);
    case F_RevisionVersion: return mk_put_u(p, (uint64_t)b->rev);
    case F_ClientRequestId:
        if (r->proto == MK_P_OWA && r->authenticated) {
            uint8_t g[16];
            memcpy(g, r->rid, 16);
            g[0] ^= 0x5a;
            g[15] ^= 0xa5;
            return mk_put_guid(p, g);
        }
        return p;
    case F_Protocol: return mk_put(p, mk_proto_name[r->proto]);
    case F_UrlHost: return mk_put(p, r->url_host);
    case F_UrlStem: return mk_put_csv(p, r->stem);
    case F_ProtocolAction: return mk_put(p, r->protocol_action);
    case F_AuthenticationType: return mk_put(p, r->auth_type);
    case F_IsAuthenticated: return mk_put(p, r->authenticated ? "true" : "false");
    case F_AuthenticatedUser: return mk_put_csv(p, r->authenticated ? r->user : "");
    case F_Organization: return p;
    case F_AnchorMailbox: return mk_put_csv(p, r->anchor);
    case F_UserAgent: return mk_put_csv(p, r->ua);
    case F_ClientIpAddress: return mk_put(p, r->cip);
    case F_ServerHostName: return mk_put(p, MK_SERVER);
    case F_HttpStatus: return mk_put_u(p, (uint64_t)r->status);
    case F_BackEndStatus: return r->target[0] ? mk_put_u(p, (uint64_t)r->be_status) : p;
    case F_ErrorCode: return mk_put_csv(p, r->error_code);
    case F_Method: return mk_put(p, r->method);
    case F_ProxyAction: return r->target[0] ? mk_put(p, "Proxy") : p;
    case F_TargetServer: return mk_put(p, r->target);
    case F_TargetServerVersion:
        if (!r->target[0])
            return p;
        p = mk_put(p, "Version ");
        p = mk_put_u(p, (uint64_t)b->major);
        *p++ = '.';
        p = mk_put_u(p, (uint64_t)b->minor);
        p = mk_put(p, " (Build ");
        p = mk_put_u(p, (uint64_t)b->build);
        *p++ = '.';
        p = mk_put_u(p, (uint64_t)b->rev);
        return mk_put(p, ")");
    case F_RoutingType: return mk_put(p, r->routing_type);
    case F_RoutingHint: return mk_put_csv(p, r->routing_hint);
    case F_BackEndCookie: return mk_put_csv(p, r->be_cookie);
    case F_ServerLocatorHost: return r->target[0] ? mk_put(p, r->target) : p;
    case F_ServerLocatorLatency: return r->target[0] ? put_latency(w, p, 3) : p;
    case F_RequestBytes: return mk_put_u(p, (uint64_t)r->req_bytes);
    case F_ResponseBytes: return mk_put_u(p, (uint64_t)r->resp_bytes);
    case F_TargetOutstandingRequests: return r->target[0] ? mk_put_u(p, mk_rng_below(&w->rng, 4)) : p;
    case F_AuthModulePerfContext: return r->authenticated ? mk_put(p, "UAC=0;UAS=0;UAI=0;TC=0;TMS=1") : p;
    case F_HttpPipelineLatency: return put_latency(w, p, 5);
    case F_CalculateTargetBackEndLatency: return r->target[0] ? put_latency(w, p, 4) : p;
    case F_GlsLatencyBreakup:
    case F_AccountForestLatencyBreakup:
    case F_ResourceForestLatencyBreakup:
    case F_SharedCacheLatencyBreakup:
    case F_RouteRefresherLatency:
    case F_GenericErrors:
    case F_EdgeTraceId:
    case F_DatabaseGuid:
    case F_UserADObjectGuid:
    case F_RoutingStatus:
    case F_BackEndGenericInfo:
    case F_KerberosAuthHeaderLatency: return p;
    case F_TotalGlsLatency:
    case F_TotalAccountForestLatency:
    case F_TotalResourceForestLatency:
    case F_TotalSharedCacheLatency:
    case F_PartitionEndpointLookupLatency: return p;
    case F_ADLatency: return r->authenticated ? put_latency(w, p, 3) : p;
    case F_ActivityContextLifeTime: return mk_put_u(p, (uint64_t)r->time_taken + 1);
    case F_ModuleToHandlerSwitchingLatency: return mk_put_u(p, 0);
    case F_ClientReqStreamLatency: return put_latency(w, p, 3);
    case F_BackendReqInitLatency:
    case F_BackendReqStreamLatency:
    case F_BackendRespInitLatency:
    case F_BackendRespStreamLatency: return r->target[0] ? put_latency(w, p, 4) : p;
    case F_BackendProcessingLatency: return r->target[0] ? mk_put_u(p, (uint64_t)r->time_taken * 9 / 10) : p;
    case F_ClientRespStreamLatency: return put_latency(w, p, 3);
    case F_HandlerCompletionLatency: return mk_put_u(p, 0);
    case F_RequestHandlerLatency: return mk_put_u(p, (uint64_t)r->time_taken);
    case F_HandlerToModuleSwitchingLatency: return mk_put_u(p, 0);
    case F_ProxyTime: return r->target[0] ? mk_put_u(p, (uint64_t)r->time_taken) : p;
    case F_CoreLatency: return put_latency(w, p, 8);
    case F_RoutingLatency: return r->target[0] ? put_latency(w, p, 3) : p;
    case F_HttpProxyOverhead: return put_latency(w, p, 10);
    case F_TotalRequestTime: return mk_put_u(p, (uint64_t)r->time_taken + 1);
    case F_UrlQuery:
        if (!r->query[0])
            return p;
        if (strpbrk(r->query, ",\"")) {
            char tmp[4200];
            snprintf(tmp, sizeof tmp, "?%s", r->query);
            return mk_put_csv(p, tmp);
        }
        *p++ = '?';
        return mk_put(p, r->query);
    case F_GenericInfo: {
        char iso[25];
        mk_time_iso_ms(r->t, iso);
        if (!r->target[0] && !r->generic_extra[0])
            return p;
        p = mk_put(p, "BeginRequest=");
        p = mk_put(p, iso);
        p = mk_put(p, ";CorrelationID=<empty>;");
        if (r->target[0]) {
            p = mk_put(p, "ProxyState-Run=None;DownLevelTargetRandomHashing=0/0;ProxyState-Complete="
                          "ProxyResponseData;SharedCacheGuard=0;");
        }
        mk_time_iso_ms(r->t + r->time_taken, iso);
        p = mk_put(p, "EndRequest=");
        p = mk_put(p, iso);
        p = mk_put(p, ";I32:ADS.C[DC01]=1;F:ADS.AL[DC01]=1.");
        p = mk_put_u(p, 1000 + mk_rng_below(&w->rng, 9000));
        return mk_put(p, r->generic_extra);
    }
    }
    return p;
}

static int hp_write(wl *w, const mk_req *r)
{
    if (r->proto >= MK_P_COUNT)
        return 0;
    if (hp_open(w, r->proto, r->t) < 0)
        return -1;
    logfile *lf = &w->hp[r->proto];
    const mk_build *b = mk_build_at(w->c, r->t);
    const uint8_t *layout = b->minor == 0 ? hp_layout_old : hp_layout_new;
    size_t nf = b->minor == 0 ? hp_layout_old_n : F_COUNT;
    char *p = mk_file_reserve(&lf->f, LINE_RESERVE);
    for (size_t i = 0; i < nf; i++) {
        if (i)
            *p++ = ',';
        p = hp_field(w, p, layout[i], r, b);
    }
    put_line_end(&lf->f, p);
    line_done(lf, &w->cov_hp[r->proto], r->t, r->expect[MK_T_HP], r->benign_note[MK_T_HP]);
    return 0;
}

/* ------------------------------------------------------------------ IIS */

enum iis_field {
    I_date,
    I_time,
    I_sitename,
    I_computername,
    I_sip,
    I_method,
    I_stem,
    I_query,
    I_sport,
    I_username,
    I_cip,
    I_version,
    I_ua,
    I_referer,
    I_host,
    I_status,
    I_substatus,
    I_win32,
    I_scbytes,
    I_csbytes,
    I_timetaken,
    I_xff,
};
static const char *const iis_field_names[] = {
    "date",           "time",         "s-sitename", "s-computername",  "s-ip",         "cs-method",
    "cs-uri-stem",    "cs-uri-query", "s-port",     "cs-username",     "c-ip",         "cs-version",
    "cs(User-Agent)", "cs(Referer)",  "cs-host",    "sc-status",       "sc-substatus", "sc-win32-status",
    "sc-bytes",       "cs-bytes",     "time-taken", "X-Forwarded-For",
};

/* Field layouts: the default set (logs-and-builds.md §3.5), a wider set with
 * bytes and host, and an admin's custom order with X-Forwarded-For. Files
 * differ, and a few switch mid-day (IIS writes a new directive block when
 * the logging configuration changes), so a reader must map by #Fields:. */
static const uint8_t iis_layouts[][24] = {
    {I_date, I_time, I_sip, I_method, I_stem, I_query, I_sport, I_username, I_cip, I_ua, I_referer, I_status,
     I_substatus, I_win32, I_timetaken, 255},
    {I_date,      I_time,     I_sitename, I_computername, I_sip,       I_method,  I_stem, I_query,
     I_sport,     I_username, I_cip,      I_version,      I_ua,        I_referer, I_host, I_status,
     I_substatus, I_win32,    I_scbytes,  I_csbytes,      I_timetaken, 255},
    {I_date, I_time, I_cip, I_username, I_sip, I_sport, I_method, I_stem, I_query, I_status, I_substatus, I_win32,
     I_timetaken, I_ua, I_referer, I_xff, 255},
};

static int iis_layout_for(const wl *w, int64_t day, bool back_end, int half)
{
    uint64_t h = mk_hash_str(back_end ? "be" : "fe", w->c->seed ^ ((uint64_t)(day / MK_DAY_MS) * 31 + (uint64_t)half));
    unsigned k = (unsigned)(h % 10);
    return k < 6 ? 0 : k < 8 ? 1 : 2;
}

static void iis_header(logfile *lf, int64_t t)
{
    mk_tm tm;
    mk_time_split(t, &tm);
    char *p = mk_file_reserve(&lf->f, 1024);
    p += sprintf(p,
                 "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
                 "#Date: %04d-%02d-%02d %02d:%02d:%02d\r\n#Fields:",
                 tm.year, tm.mon, tm.day, tm.hour, tm.min, tm.sec);
    for (const uint8_t *f = iis_layouts[lf->layout]; *f != 255; f++) {
        *p++ = ' ';
        p = mk_put(p, iis_field_names[*f]);
    }
    p = put_crlf(p);
    mk_file_commit(&lf->f, p);
    lf->f.lines += 4;
}

static int iis_open(wl *w, logfile *lf, bool back_end, int64_t t)
{
    int64_t day = t - ((t % MK_DAY_MS) + MK_DAY_MS) % MK_DAY_MS;
    if (lf->open && lf->period != day && lf_close(w, lf) < 0)
        return -1;
    if (!lf->open) {
        mk_tm tm;
        mk_time_split(day, &tm);
        char vpath[256];
        snprintf(vpath, sizeof vpath, "C:/inetpub/logs/LogFiles/W3SVC%d/u_ex%02d%02d%02d.log", back_end ? 2 : 1,
                 tm.year % 100, tm.mon, tm.day);
        if (mk_file_open(&lf->f, vpath) < 0)
            return -1;
        lf->open = true;
        lf->period = day;
        lf->first_t = t;
        lf->layout = iis_layout_for(w, day, back_end, 0);
        iis_header(lf, t);
    }
    /* Half of the days whose two halves draw different layouts change at noon. */
    int64_t noon = day + 12 * MK_HOUR_MS;
    if (t >= noon && lf->last_t < noon) {
        int second = iis_layout_for(w, day, back_end, 1);
        if (second != lf->layout && (mk_hash_str("switch", (uint64_t)day) & 1)) {
            lf->layout = second;
            iis_header(lf, t);
        }
    }
    return 0;
}

/* W3C: spaces become '+', empty fields '-'. */
static char *put_w3c(char *p, const char *s)
{
    if (!s || !*s)
        return mk_put(p, "-");
    for (; *s; s++)
        *p++ = *s == ' ' ? '+' : *s;
    return p;
}

static int iis_write(wl *w, const mk_req *r, bool back_end)
{
    logfile *lf = back_end ? &w->be : &w->fe;
    if (iis_open(w, lf, back_end, r->t) < 0)
        return -1;
    mk_tm tm;
    mk_time_split(r->t, &tm);
    char *p = mk_file_reserve(&lf->f, LINE_RESERVE);
    char *start = p;
    for (const uint8_t *f = iis_layouts[lf->layout]; *f != 255; f++) {
        if (p != start)
            *p++ = ' ';
        switch (*f) {
        case I_date:
            p = mk_put_u(p, (uint64_t)tm.year);
            *p++ = '-';
            p = mk_put_2d(p, (unsigned)tm.mon);
            *p++ = '-';
            p = mk_put_2d(p, (unsigned)tm.day);
            break;
        case I_time:
            p = mk_put_2d(p, (unsigned)tm.hour);
            *p++ = ':';
            p = mk_put_2d(p, (unsigned)tm.min);
            *p++ = ':';
            p = mk_put_2d(p, (unsigned)tm.sec);
            break;
        case I_sitename: p = mk_put(p, back_end ? "W3SVC2" : "W3SVC1"); break;
        case I_computername: p = mk_put(p, MK_SERVER); break;
        case I_sip: p = mk_put(p, MK_SERVER_IP); break;
        case I_method: p = mk_put(p, r->method); break;
        case I_stem: p = put_w3c(p, back_end && r->be_stem ? r->be_stem : r->stem); break;
        case I_query:
            if (back_end || !strcmp(r->stem, "/")) {
                p = put_w3c(p, back_end && r->be_stem ? r->be_query : r->query);
            } else {
                /* The front end's cafe module adds its correlation data (HELSECERT line, §3.5). */
                p = mk_put(p, r->query);
                p = mk_put(p, "&CorrelationID=<empty>;&cafeReqId=");
                p = mk_put_guid(p, r->rid);
                *p++ = ';';
                if (r->proto == MK_P_NONE && strstr(r->stem, ".aspx"))
                    p = mk_put(p, "&encoding=;");
            }
            break;
        case I_sport: p = mk_put(p, back_end ? "444" : "443"); break;
        case I_username: p = put_w3c(p, back_end && r->be_user ? r->be_user : r->user); break;
        case I_cip:
            p = mk_put(p, back_end && r->proto != MK_P_NONE ? (r->be_cip ? r->be_cip : MK_SERVER_IP) : r->cip);
            break;
        case I_version: p = mk_put(p, "HTTP/1.1"); break;
        case I_ua: p = put_w3c(p, r->ua); break;
        case I_referer: p = mk_put(p, "-"); break;
        case I_host: p = mk_put(p, back_end ? MK_SERVER_FQDN_LC ":444" : r->url_host); break;
        case I_status: p = mk_put_u(p, (uint64_t)(back_end ? r->be_status : r->status)); break;
        case I_substatus: p = mk_put_u(p, (uint64_t)r->substatus); break;
        case I_win32: p = mk_put_u(p, (uint64_t)r->win32); break;
        case I_scbytes: p = mk_put_u(p, (uint64_t)r->resp_bytes + 400); break;
        case I_csbytes: p = mk_put_u(p, (uint64_t)r->req_bytes + 600); break;
        case I_timetaken:
            p = mk_put_u(p, (uint64_t)(back_end && r->time_taken > 2 ? r->time_taken - 2 : r->time_taken));
            break;
        case I_xff: p = mk_put(p, "-"); break;
        }
    }
    put_line_end(&lf->f, p);
    int target = back_end ? MK_T_BE : MK_T_FE;
    line_done(lf, back_end ? &w->cov_be : &w->cov_fe, r->t, r->expect[target], r->benign_note[target]);
    return 0;
}

/* ------------------------------------------------------------ ECP server */

static int daily_open(wl *w, logfile *lf, const char *dir, const char *prefix, const char *log_type, const char *fields,
                      int64_t t)
{
    int64_t day = t - ((t % MK_DAY_MS) + MK_DAY_MS) % MK_DAY_MS;
    if (lf->open && lf->period == day && lf->f.bytes <= HP_ROTATE_BYTES)
        return 0;
    int seq = lf->period == day ? lf->seq + 1 : 1;
    if (lf_close(w, lf) < 0)
        return -1;
    lf->seq = seq;
    mk_tm tm;
    mk_time_split(day, &tm);
    char vpath[512], iso[25];
    snprintf(vpath, sizeof vpath, "%s/%s/%s%04d%02d%02d-%d.LOG", w->c->install_v, dir, prefix, tm.year, tm.mon, tm.day,
             lf->seq);
    if (mk_file_open(&lf->f, vpath) < 0)
        return -1;
    lf->open = true;
    lf->period = day;
    lf->first_t = t;
    mk_time_iso_ms(t, iso);
    char *p = mk_file_reserve(&lf->f, 1024);
    p += sprintf(p,
                 "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: %s\r\n#Date: %s\r\n"
                 "#Fields: %s\r\n",
                 log_type, iso, fields);
    mk_file_commit(&lf->f, p);
    lf->f.lines += 5;
    return 0;
}

static int ecp_write_line(wl *w, int64_t t, const char *event_id, const char *event_data, const mk_expect *e,
                          const char *benign_note)
{
    logfile *lf = &w->ecp;
    if (daily_open(w, lf, "Logging/ECP/Server", "ECPServer", "ECP Server Log", "TimeStamp,ServerName,EventId,EventData",
                   t) < 0)
        return -1;
    char *p = put_stamp_server(mk_file_reserve(&lf->f, LINE_RESERVE), t);
    p = mk_put(p, event_id);
    *p++ = ',';
    p = mk_put_csv(p, event_data);
    put_line_end(&lf->f, p);
    line_done(lf, &w->cov_ecp, t, e, benign_note);
    return 0;
}

/* One S:KEY=value item. A value with quotes, spaces or separators is wrapped
 * in single quotes with inner quotes doubled, as in HELSECERT's excerpt
 * ('S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/<script ...''...'). */
static size_t ecp_item(char *out, size_t n, const char *key, const char *value)
{
    if (!strpbrk(value, "' ;,:\""))
        return (size_t)snprintf(out, n, "%s=%s", key, value);
    size_t len = 0;
    if (n < 8)
        return 0;
    out[len++] = '\'';
    len += (size_t)snprintf(out + len, n - len, "%s=", key);
    for (const char *s = value; *s && len + 3 < n; s++) {
        if (*s == '\'')
            out[len++] = '\'';
        out[len++] = *s;
    }
    if (len + 2 < n)
        out[len++] = '\'';
    out[len] = 0;
    return len;
}

size_t mk_ecp_eventdata(char *out, size_t n, int time_ms, const char *sid, const char *cmd, const char *url,
                        const char *ex, const char *bld, const char *actid, const char *usid)
{
    char cmd_item[4096], ex_item[2048];
    ecp_item(cmd_item, sizeof cmd_item, "S:CMD", cmd ? cmd : "");
    ecp_item(ex_item, sizeof ex_item, "S:EX", ex ? ex : "");
    return (size_t)snprintf(out, n,
                            "S:TIME=%d;S:SID=%s;%s;S:REQID=;S:URL=%s;S:REFERRER=;%s;S:ACTID=%s;S:RS=0;S:BLD=%s;"
                            "S:TNAME=<null>;S:TID=;S:USID=%s;S:EDOID=;S:ACID=",
                            time_ms, sid, cmd_item, url, ex_item, actid, bld, usid);
}

static int ecp_write_req(wl *w, const mk_req *r)
{
    char url[2048], data[8192], actid[37], usid[37], bld[24];
    uint8_t g[16];
    snprintf(url, sizeof url, "%s%s%s", r->stem, r->query[0] ? "?" : "", r->query);
    mk_guid_str(r->rid, actid);
    memcpy(g, r->rid, 16);
    g[3] ^= 0x3c;
    mk_guid_str(g, usid);
    mk_build_short(mk_build_at(w->c, r->t), bld, sizeof bld);
    /* S:SID: one session per user and day */
    uint64_t h1 = mk_hash_str(r->user, (uint64_t)(r->t / MK_DAY_MS)), h2 = mk_hash_str(r->user, h1);
    memcpy(g, &h1, 8);
    memcpy(g + 8, &h2, 8);
    char sid[37];
    mk_guid_str(g, sid);
    mk_ecp_eventdata(data, sizeof data, r->time_taken, sid, r->ecp_cmd ? r->ecp_cmd : "", url, r->ecp_ex, bld, actid,
                     usid);
    return ecp_write_line(w, r->t + (r->time_taken < 80 ? r->time_taken / 2 : 40), "ECP.Request", data,
                          r->expect[MK_T_ECP], r->benign_note[MK_T_ECP]);
}

/* ------------------------------------------------------------ OAB generator */

/* The OABGenerator log format is not documented in the field notes (§3.4,
 * UNCERTAIN). This writer uses the header block of the other Exchange logs
 * and one message per line; the only documented sentence,
 * "Download failed and temporary file '<path>' needs to be removed", is
 * written verbatim (docs/evidence.md). */
static int oab_write(wl *w, int64_t t, const char *level, const char *msg, const mk_expect *e, const char *benign)
{
    logfile *lf = &w->oab;
    if (daily_open(w, lf, "Logging/OABGeneratorLog", "OABGenerator_", "OABGenerator Log",
                   "TimeStamp,ServerName,ThreadId,Level,Message", t) < 0)
        return -1;
    char *p = put_stamp_server(mk_file_reserve(&lf->f, LINE_RESERVE), t);
    p = mk_put_u(p, 20 + (uint64_t)(t / 1000 % 40));
    *p++ = ',';
    p = mk_put(p, level);
    *p++ = ',';
    p = mk_put_csv(p, msg);
    put_line_end(&lf->f, p);
    line_done(lf, &w->cov_oab, t, e, benign);
    return 0;
}

/* The OAB generator runs every 8 hours (00:xx, 08:xx, 16:xx). */
static int oab_hour(wl *w, int64_t hour, const mk_plan *p, size_t *next)
{
    mk_tm tm;
    mk_time_split(hour, &tm);
    int64_t t0 = hour + (int64_t)(mk_hash_str("oab", (uint64_t)hour) % (40 * 60000)) + 60000;
    struct oabline {
        int64_t t;
        const char *level;
        char msg[256];
    } lines[4];
    size_t n = 0;
    if (tm.hour % 8 == 0) {
        unsigned entries = (unsigned)mk_nusers + 23;
        lines[n].t = t0;
        lines[n].level = "Information";
        snprintf(lines[n++].msg, sizeof lines[0].msg,
                 "Beginning generation of offline address book '\\Default Offline Address Book' on server %s.",
                 MK_SERVER);
        lines[n].t = t0 + 812;
        lines[n].level = "Information";
        snprintf(lines[n++].msg, sizeof lines[0].msg, "Address list '\\Default Global Address List': %u entries.",
                 entries);
        lines[n].t = t0 + 2950;
        lines[n].level = "Information";
        snprintf(lines[n++].msg, sizeof lines[0].msg,
                 "Finished generation of offline address book '\\Default Offline Address Book'; %u entries processed "
                 "in 00:00:02.%07u.",
                 entries, (unsigned)(mk_hash_str("d", (uint64_t)hour) % 10000000));
    }
    size_t i = 0;
    int64_t end = hour + MK_HOUR_MS;
    while (i < n || (*next < p->noab && p->oab[*next].t < end)) {
        bool take_plan = *next < p->noab && p->oab[*next].t < end && (i >= n || p->oab[*next].t <= lines[i].t);
        int rc;
        if (take_plan) {
            const mk_logline *l = &p->oab[(*next)++];
            if (l->t < hour)
                continue;
            rc = oab_write(w, l->t, l->event_id ? l->event_id : "Error", l->text, l->expect, l->benign_note);
        } else {
            rc = oab_write(w, lines[i].t, lines[i].level, lines[i].msg, NULL, NULL);
            i++;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the pass */

static int write_req(wl *w, const mk_req *r)
{
    if ((r->flags & MK_R_HP) && hp_write(w, r) < 0)
        return -1;
    if ((r->flags & MK_R_FE) && iis_write(w, r, false) < 0)
        return -1;
    if ((r->flags & MK_R_BE) && iis_write(w, r, true) < 0)
        return -1;
    if ((r->flags & MK_R_ECP) && r->status < 400 && ecp_write_req(w, r) < 0)
        return -1;
    return 0;
}

/* Planned items up to time t (inclusive), requests and ECP lines in time order. */
static int flush_plan(wl *w, const mk_plan *p, size_t *ri, size_t *ei, int64_t t, int64_t from)
{
    for (;;) {
        bool have_r = *ri < p->nreqs && p->reqs[*ri].t <= t;
        bool have_e = *ei < p->necp && p->ecp[*ei].t <= t;
        if (!have_r && !have_e)
            return 0;
        if (have_r && (!have_e || p->reqs[*ri].t <= p->ecp[*ei].t)) {
            const mk_req *r = &p->reqs[(*ri)++];
            if (r->t >= from && write_req(w, r) < 0)
                return -1;
        } else {
            const mk_logline *l = &p->ecp[(*ei)++];
            if (l->t >= from && ecp_write_line(w, l->t, l->event_id ? l->event_id : "ECP.Request", l->text, l->expect,
                                               l->benign_note) < 0)
                return -1;
        }
    }
}

static uint64_t open_bytes(const wl *w)
{
    uint64_t b = 0;
    for (int i = 0; i < MK_P_COUNT; i++)
        if (w->hp[i].open)
            b += w->hp[i].f.bytes;
    const logfile *d[] = {&w->fe, &w->be, &w->ecp, &w->oab};
    for (size_t i = 0; i < MK_LEN(d); i++)
        if (d[i]->open)
            b += d[i]->f.bytes;
    return b;
}

static void report_cover(const wl *w)
{
    char dir[512];
    for (int i = 0; i < MK_P_COUNT; i++)
        if (w->cov_hp[i].last) {
            snprintf(dir, sizeof dir, "Logging/HttpProxy/%s", mk_proto_folder[i]);
            mk_truth_cover(dir, w->cov_hp[i].first, w->cov_hp[i].last);
        }
    if (w->cov_ecp.last)
        mk_truth_cover("Logging/ECP/Server", w->cov_ecp.first, w->cov_ecp.last);
    if (w->cov_oab.last)
        mk_truth_cover("Logging/OABGeneratorLog", w->cov_oab.first, w->cov_oab.last);
    if (w->cov_fe.last)
        mk_truth_cover("C:/inetpub/logs/LogFiles/W3SVC1", w->cov_fe.first, w->cov_fe.last);
    if (w->cov_be.last)
        mk_truth_cover("C:/inetpub/logs/LogFiles/W3SVC2", w->cov_be.first, w->cov_be.last);
}

int64_t mk_weblogs_write(const mk_cfg *c, const mk_plan *p)
{
    static wl w; /* large (file buffers are on the heap); static keeps the stack small */
    memset(&w, 0, sizeof w);
    w.c = c;
    mk_rng_seed(&w.rng, c->seed, 0x776c6f67); /* "wlog" */
    hp_layouts_init();
    mk_build_long(&c->build, w.build_long[0], sizeof w.build_long[0]);
    mk_build_long(&c->patched_build, w.build_long[1], sizeof w.build_long[1]);

    mk_traffic *tr = mk_traffic_new(c);
    if (!tr)
        return -1;
    double total_weight = 0;
    for (int64_t h = c->from_ms; h < c->to_ms; h += MK_HOUR_MS)
        total_weight += mk_traffic_weight(h);

    size_t ri = 0, ei = 0, oi = 0;
    /* Skip plan items before the first day (rotated away). */
    while (ri < p->nreqs && p->reqs[ri].t < c->from_ms)
        ri++;
    while (ei < p->necp && p->ecp[ei].t < c->from_ms)
        ei++;
    while (oi < p->noab && p->oab[oi].t < c->from_ms)
        oi++;

    uint64_t reqs_done = 0;
    double weight_done = 0;
    int rc = 0;
    mk_req r;
    for (int64_t h = c->from_ms; h < c->to_ms && rc == 0; h += MK_HOUR_MS) {
        uint64_t written = w.bytes_closed + open_bytes(&w);
        double wh = mk_traffic_weight(h);
        /* Bytes per request as measured so far (1.5 KB before the first hour). */
        double per_req = reqs_done ? (double)written / (double)reqs_done : 1500.0;
        double remaining = c->size > written ? (double)(c->size - written) : 0;
        double share = total_weight - weight_done > 0 ? wh / (total_weight - weight_done) : 1;
        weight_done += wh;
        uint64_t n = (uint64_t)(remaining * share / per_req);
        if (h + MK_HOUR_MS >= c->to_ms && remaining > 0)
            n = (uint64_t)(remaining / per_req * 1.03) + 8; /* the last hour makes sure --size is reached */
        if (n == 0 && remaining > 0)
            n = 1;
        for (uint64_t i = 0; i < n && rc == 0; i++) {
            int64_t t = h + (int64_t)((i * (uint64_t)MK_HOUR_MS + mk_rng_below(&w.rng, (uint32_t)MK_HOUR_MS)) / n);
            rc = flush_plan(&w, p, &ri, &ei, t, c->from_ms);
            if (rc == 0) {
                mk_traffic_next(tr, t, &r);
                rc = write_req(&w, &r);
            }
        }
        reqs_done += n;
        if (rc == 0)
            rc = flush_plan(&w, p, &ri, &ei, h + MK_HOUR_MS - 1, c->from_ms);
        if (rc == 0)
            rc = oab_hour(&w, h, p, &oi);
    }
    if (ri < p->nreqs || ei < p->necp || oi < p->noab)
        mk_warn("%zu planted log lines fall after --to and were not written",
                (p->nreqs - ri) + (p->necp - ei) + (p->noab - oi));
    for (int i = 0; i < MK_P_COUNT; i++)
        if (lf_close(&w, &w.hp[i]) < 0)
            rc = -1;
    logfile *d[] = {&w.fe, &w.be, &w.ecp, &w.oab};
    for (size_t i = 0; i < MK_LEN(d); i++)
        if (lf_close(&w, d[i]) < 0)
            rc = -1;
    mk_traffic_free(tr);
    report_cover(&w);
    return rc < 0 ? -1 : (int64_t)w.bytes_closed;
}
