/* Event logs: Application and MSExchange Management, as .evtx (evtx.c), as
 * wevtutil XML, or as one EvtxECmd CSV (--evtx binary|xml|csv).
 *
 * Background events are plausible classic Exchange events; their IDs and
 * texts are not taken from a source and hunters must not rely on them. The
 * MSExchange Management events follow the real MSExchange CmdletLogs EID 1
 * shape of the reference samples (27 <Data> strings: cmdlet, parameters,
 * caller, SIDs, host, process, ...). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

#define QUAL_INFO    16384
#define QUAL_WARNING 32768
#define QUAL_ERROR   49152
#define KW_CLASSIC   0x80000000000000ULL

static const char *const data_empty = "";

/* The 27 strings of an MSExchange CmdletLogs event (EID 1, as in the samples). */
void mk_cmdlet_event(mk_event *e, int64_t t, const char *cmdlet, const char *params, const mk_user *u, bool via_ecp,
                     const char *activity_guid)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->channel = MK_CH_MANAGEMENT;
    e->provider = "MSExchange CmdletLogs";
    e->event_id = 1;
    e->qualifiers = QUAL_INFO;
    e->level = 4;
    e->task = 1;
    e->keywords = KW_CLASSIC;
    e->ndata = 27;
    for (int i = 0; i < 27; i++)
        e->data[i] = data_empty;
    e->data[0] = cmdlet;
    e->data[1] = params;
    e->data[2] = mk_keepf("%s/Users/%s", MK_AD_DOMAIN, u->sam);
    e->data[3] = u->sid;
    e->data[4] = u->sid;
    e->data[5] = via_ecp ? "ECP" : "Remote-ManagementShell-Unknown";
    e->data[6] = via_ecp ? "7312 w3wp#MSExchangeECPAppPool" : "5668 w3wp#MSExchangePowerShellAppPool";
    e->data[8] = mk_keepf("%u", (unsigned)(t / 1000 % 97) + 3);
    e->data[9] = mk_keepf("00:00:00.%07u", (unsigned)(t % 9000000) + 120000);
    e->data[10] = "View Entire Forest: 'False', Default Scope: '" MK_AD_DOMAIN "', Configuration Domain Controller: "
                  "'DC01." MK_AD_DOMAIN "', Preferred Global Catalog: 'DC01." MK_AD_DOMAIN
                  "', Preferred Domain Controllers: '{ DC01." MK_AD_DOMAIN " }'";
    e->data[17] = "False";
    e->data[19] = "0 objects execution has been proxied to remote server.";
    e->data[22] = "0";
    e->data[23] = mk_keepf("ActivityId: %s", activity_guid);
    e->data[24] = "ServicePlan:;IsAdmin:True;";
    e->data[26] = "en-US";
}

static void app_event(mk_event *e, int64_t t, const char *provider, uint16_t id, uint8_t level, uint16_t task,
                      int ndata, const char *const *data)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->channel = MK_CH_APPLICATION;
    e->provider = provider;
    e->event_id = id;
    e->level = level;
    e->qualifiers = level == 2 ? QUAL_ERROR : level == 3 ? QUAL_WARNING : QUAL_INFO;
    e->task = task;
    e->keywords = KW_CLASSIC;
    e->ndata = ndata;
    for (int i = 0; i < ndata; i++)
        e->data[i] = data[i];
}

/* ------------------------------------------------------------ background */

typedef struct evlist {
    mk_event *ev;
    size_t n, cap;
} evlist;

static mk_event *evlist_add(evlist *l)
{
    MK_GROW(l->ev, l->n, l->cap);
    return &l->ev[l->n++];
}

static void background(const mk_cfg *c, evlist *app, evlist *mgmt)
{
    mk_rng r;
    mk_rng_seed(&r, c->seed, 0x6576656e); /* "even" */
    char bld[24];
    mk_build_short(&c->build, bld, sizeof bld);
    for (int64_t h = c->from_ms; h < c->to_ms; h += MK_HOUR_MS) {
        mk_tm tm;
        mk_time_split(h, &tm);
        /* Topology discovery every 15 minutes (MSExchange ADAccess 2080). */
        for (int q = 0; q < 4; q++) {
            int64_t t = h + q * 900000LL + mk_rng_below(&r, 30000);
            const char *d[] = {mk_keepf("Process Microsoft.Exchange.Directory.TopologyService.exe (PID=%u). Exchange "
                                        "Active Directory Provider has discovered the following servers with the "
                                        "following characteristics: DC01.%s CDG 1 7 7 1 0 1 1 7 1",
                                        2948u, MK_AD_DOMAIN)};
            app_event(evlist_add(app), t, "MSExchange ADAccess", 2080, 4, 6, 1, d);
        }
        if (tm.hour == 2) { /* nightly online maintenance */
            const char *d[] = {"Information Store - Mailbox Database 0311695863 (12412,D,50,15.01.2176.002)",
                               "Mailbox Database 0311695863: ", "Online defragmentation has completed."};
            app_event(evlist_add(app), h + 600000 + mk_rng_below(&r, 600000), "ESE", 703, 4, 1, 3, d);
        }
        if (tm.hour % 6 == 3) {
            const char *d[] = {"MSExchangeFastSearch", "The indexing of mailbox database Mailbox Database 0311695863 "
                                                       "is up to date."};
            app_event(evlist_add(app), h + mk_rng_below(&r, 3000000), "MSExchangeFastSearch", 1009, 4, 1, 2, d);
        }
        if (tm.hour == 7 && tm.wday != 0 && tm.wday != 6) {
            const char *d[] = {"The Microsoft Exchange Unified Messaging service is running and accepting calls."};
            app_event(evlist_add(app), h + mk_rng_below(&r, 600000), "MSExchange Unified Messaging", 1000, 4, 1, 1, d);
        }
        /* Admins at work: a few cmdlets on weekdays during office hours. */
        if (tm.wday != 0 && tm.wday != 6 && tm.hour >= 7 && tm.hour <= 16 && mk_rng_below(&r, 3) == 0) {
            static const struct {
                const char *cmdlet, *pre, *post; /* parameters: pre + the user's address + post */
            } cmds[] = {
                {"Get-Mailbox", "-Identity \"", "\""},
                {"Set-Mailbox", "-Identity \"", "\" -ProhibitSendQuota \"9.5 GB (10,200,547,328 bytes)\""},
                {"Get-MailboxStatistics", "-Identity \"", "\""},
                {"Set-CASMailbox", "-Identity \"", "\" -ActiveSyncEnabled \"True\""},
                {"Add-MailboxPermission", "-Identity \"", "\" -User \"CONTOSO\\exadmin\" -AccessRights \"FullAccess\""},
                {"Get-MessageTrackingLog", "-Recipients \"", "\" -ResultSize \"Unlimited\""},
            };
            size_t k = mk_rng_below(&r, MK_LEN(cmds));
            const mk_user *target = &mk_users[3 + mk_rng_below(&r, (uint32_t)mk_nusers - 3)];
            const mk_user *admin = &mk_users[mk_rng_below(&r, 2)];
            uint8_t g[16];
            char gs[37];
            mk_rng_guid(&r, g);
            mk_guid_str(g, gs);
            mk_cmdlet_event(evlist_add(mgmt), h + mk_rng_below(&r, (uint32_t)MK_HOUR_MS), cmds[k].cmdlet,
                            mk_keepf("%s%s%s", cmds[k].pre, target->upn, cmds[k].post), admin, false, gs);
        }
    }
}

/* ------------------------------------------------------------ merging */

static int cmp_time(const void *a, const void *b)
{
    const mk_event *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Background and planned events of one channel, in time order (planned
 * events first among equals), inside [from, to). */
static void merge(const mk_cfg *c, const mk_plan *p, int channel, evlist *bg, evlist *out)
{
    if (bg->n)
        qsort(bg->ev, bg->n, sizeof *bg->ev, cmp_time);
    size_t i = 0, j = 0;
    for (;;) {
        while (j < p->nevents &&
               (p->events[j].channel != channel || p->events[j].t < c->from_ms || p->events[j].t >= c->to_ms))
            j++;
        bool have_p = j < p->nevents, have_b = i < bg->n;
        if (!have_p && !have_b)
            break;
        if (have_p && (!have_b || p->events[j].t <= bg->ev[i].t))
            *evlist_add(out) = p->events[j++];
        else
            *evlist_add(out) = bg->ev[i++];
    }
}

/* ------------------------------------------------------------ writers */

static const char *level_name(uint8_t level)
{
    return level == 1 ? "Critical" : level == 2 ? "Error" : level == 3 ? "Warning" : level == 5 ? "Verbose" : "Info";
}

static void record_truth(const mk_event *e, const char *vpath, int64_t line)
{
    if (e->expect)
        mk_truth_add(e->expect, vpath, line, (int64_t)e->record_id, e->t, NULL);
    if (e->benign_note)
        mk_truth_benign(vpath, line, e->benign_note);
}

static int write_binary(const evlist *l, int channel, int64_t *mtime)
{
    char vpath[256];
    snprintf(vpath, sizeof vpath, "C:/Windows/System32/winevt/Logs/%s.evtx", mk_channel_name[channel]);
    mk_evtx *w = mk_evtx_new();
    if (!w)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        if (mk_evtx_add(w, &l->ev[i], MK_SERVER_FQDN) < 0) {
            mk_warn("event too large for an EVTX chunk");
            mk_evtx_free(w);
            return -1;
        }
        record_truth(&l->ev[i], vpath, -1);
    }
    size_t len;
    const uint8_t *data = mk_evtx_finish(w, &len);
    int rc = data ? mk_write_whole(vpath, data, len, *mtime) : -1;
    mk_evtx_free(w);
    if (l->n)
        mk_truth_cover(vpath, l->ev[0].t, l->ev[l->n - 1].t);
    return rc;
}

/* XML text with the five entities; counts line breaks into *nl. */
static void put_xml(mk_file *f, const char *s, bool attr, uint64_t *nl)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': mk_file_puts(f, "&amp;"); break;
        case '<': mk_file_puts(f, "&lt;"); break;
        case '>': mk_file_puts(f, "&gt;"); break;
        case '\'':
            if (attr) {
                mk_file_puts(f, "&apos;");
                break;
            }
            /* fall through */
        default:
            if (*s == '\n')
                (*nl)++;
            mk_file_write(f, s, 1);
        }
    }
}

static void sys_time7(int64_t ms, char *buf)
{
    char iso[25];
    mk_time_iso_ms(ms, iso); /* ...:SS.mmmZ */
    iso[23] = 0;
    snprintf(buf, 40, "%s0000Z", iso);
}

static int write_xml(const evlist *l, int channel, int64_t mtime)
{
    char vpath[256];
    snprintf(vpath, sizeof vpath, "EventLogs/%s.xml", mk_channel_name[channel]);
    mk_file f;
    if (mk_file_open(&f, vpath) < 0)
        return -1;
    mk_file_puts(&f, "<Events>\r\n");
    f.lines = 1;
    for (size_t i = 0; i < l->n; i++) {
        const mk_event *e = &l->ev[i];
        char buf[512], st[40];
        uint64_t extra = 0;
        int64_t line = (int64_t)f.lines + 1;
        sys_time7(e->t, st);
        mk_file_puts(&f, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider "
                         "Name='");
        put_xml(&f, e->provider, true, &extra);
        snprintf(buf, sizeof buf,
                 "'/><EventID Qualifiers='%u'>%u</EventID><Level>%u</Level><Task>%u</Task><Keywords>0x%llx</Keywords>"
                 "<TimeCreated SystemTime='%s'/><EventRecordID>%llu</EventRecordID><Channel>%s</Channel>"
                 "<Computer>%s</Computer><Security/></System><EventData>",
                 e->qualifiers, e->event_id, e->level, e->task, (unsigned long long)e->keywords, st,
                 (unsigned long long)e->record_id, mk_channel_name[e->channel], MK_SERVER_FQDN);
        mk_file_puts(&f, buf);
        for (int k = 0; k < e->ndata; k++) {
            if (!e->data[k] || !e->data[k][0]) {
                mk_file_puts(&f, "<Data></Data>");
                continue;
            }
            mk_file_puts(&f, "<Data>");
            put_xml(&f, e->data[k], false, &extra);
            mk_file_puts(&f, "</Data>");
        }
        mk_file_puts(&f, "</EventData></Event>\r\n");
        f.lines += 1 + extra;
        record_truth(e, vpath, line);
    }
    mk_file_puts(&f, "</Events>\r\n");
    f.lines++;
    if (l->n)
        mk_truth_cover(vpath, l->ev[0].t, l->ev[l->n - 1].t);
    return mk_file_close(&f, mtime);
}

static const char csv_header[] =
    "RecordNumber,EventRecordId,TimeCreated,EventId,Level,Provider,Channel,ProcessId,ThreadId,Computer,UserId,"
    "MapDescription,UserName,RemoteHost,PayloadData1,PayloadData2,PayloadData3,PayloadData4,PayloadData5,"
    "PayloadData6,ExecutableInfo,HiddenRecord,SourceFile,Keywords,ExtraDataOffset,Payload\r\n";

static int write_csv_rows(mk_file *f, const evlist *l)
{
    uint64_t number = 0;
    for (size_t i = 0; i < l->n; i++) {
        const mk_event *e = &l->ev[i];
        json_t *arr = json_array();
        for (int k = 0; k < e->ndata; k++)
            json_array_append_new(arr, e->data[k] && e->data[k][0] ? json_string(e->data[k]) : json_null());
        json_t *root = json_pack("{s:{s:o}}", "EventData", "Data", arr);
        char *payload = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        if (!payload)
            return -1;
        char iso[25], src[256];
        mk_time_iso_ms(e->t, iso);
        iso[10] = ' ';
        iso[23] = 0;
        snprintf(src, sizeof src, "C:\\Windows\\System32\\winevt\\Logs\\%s.evtx", mk_channel_name[e->channel]);
        size_t need = strlen(payload) * 2 + 1024;
        char *p = mk_file_reserve(f, need);
        p += sprintf(p, "%llu,%llu,%s0000,%u,%s,", (unsigned long long)++number, (unsigned long long)e->record_id, iso,
                     e->event_id, level_name(e->level));
        p = mk_put_csv(p, e->provider);
        *p++ = ',';
        p = mk_put_csv(p, mk_channel_name[e->channel]);
        p = mk_put(p, ",0,0," MK_SERVER_FQDN ",,,,,,,,,,,,False,");
        p = mk_put_csv(p, src);
        p = mk_put(p, ",Classic,0,");
        p = mk_put_csv(p, payload);
        *p++ = '\r';
        *p++ = '\n';
        mk_file_commit(f, p);
        f->lines++;
        free(payload);
        record_truth(e, f->vpath, (int64_t)f->lines);
    }
    return 0;
}

int mk_events_write(const mk_cfg *c, mk_plan *p)
{
    evlist bg[MK_CH_COUNT] = {{0}}, all[MK_CH_COUNT] = {{0}};
    background(c, &bg[MK_CH_APPLICATION], &bg[MK_CH_MANAGEMENT]);
    /* Event logs keep history from before the web logs; record numbers go on from there. */
    static const uint64_t first_record[MK_CH_COUNT] = {48211, 1307};
    int rc = 0;
    for (int ch = 0; ch < MK_CH_COUNT; ch++) {
        merge(c, p, ch, &bg[ch], &all[ch]);
        for (size_t i = 0; i < all[ch].n; i++)
            all[ch].ev[i].record_id = first_record[ch] + i;
    }
    int64_t mtime[MK_CH_COUNT];
    for (int ch = 0; ch < MK_CH_COUNT; ch++)
        mtime[ch] = all[ch].n ? all[ch].ev[all[ch].n - 1].t : c->to_ms;

    if (c->evtx_form == MK_EVTX_BINARY) {
        for (int ch = 0; ch < MK_CH_COUNT && rc == 0; ch++)
            rc = write_binary(&all[ch], ch, &mtime[ch]);
    } else if (c->evtx_form == MK_EVTX_XML) {
        for (int ch = 0; ch < MK_CH_COUNT && rc == 0; ch++)
            rc = write_xml(&all[ch], ch, mtime[ch]);
    } else {
        /* One CSV for the whole folder, as EvtxECmd -d writes it (KAPE module folder "EventLogs"). */
        mk_tm tm;
        mk_time_split(c->to_ms, &tm);
        char vpath[256];
        snprintf(vpath, sizeof vpath, "EventLogs/%04d%02d%02d%02d%02d%02d_EvtxECmd_Output.csv", tm.year, tm.mon, tm.day,
                 8, 15, 42);
        mk_file f;
        rc = mk_file_open(&f, vpath);
        if (rc == 0) {
            mk_file_puts(&f, csv_header);
            f.lines = 1;
            for (int ch = 0; ch < MK_CH_COUNT && rc == 0; ch++) {
                rc = write_csv_rows(&f, &all[ch]);
                if (all[ch].n)
                    mk_truth_cover(vpath, all[ch].ev[0].t, all[ch].ev[all[ch].n - 1].t);
            }
            if (mk_file_close(&f, c->to_ms + 8 * MK_HOUR_MS) < 0)
                rc = -1;
        }
    }
    for (int ch = 0; ch < MK_CH_COUNT; ch++) {
        free(bg[ch].ev);
        free(all[ch].ev);
    }
    return rc;
}
