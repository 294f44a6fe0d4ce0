/* scan_out: see scan_out.h. */
#include "out/scan_out.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "out/finding_json.h"
#include "out/summary.h"
#include "out/term.h"
#include "targets.h"
#include "util.h"

/* ---- JSON ------------------------------------------------------------------------------------ */

/* The core's lossy conversion (invalid UTF-8 becomes U+FFFD), never NULL. */
json_t *ex_json_text(const char *s)
{
    json_t *j = ex_json_string_lossy(s);
    return j ? j : json_null();
}

/* The line is written with the streaming writer (jsonw: the same lossy UTF-8 rule); only the host
 * record, built once per distinct set of facts, goes through jansson (host_record below). A jansson
 * tree per host cost more than the host's TLS handshake. */

static void write_tls(ex_jsonw *w, const ex_scan_host *h)
{
    const ex_cert_info *c = &h->plan->fp.cert;
    if (!h->ep->tls) {
        ex_jsonw_null(w);
        return;
    }
    ex_jsonw_obj(w);
    ex_jsonw_kstr_or_null(w, "version", h->ci->tls_version);
    ex_jsonw_kstr_or_null(w, "cipher", h->ci->cipher);
    ex_jsonw_key(w, "http");
    if (h->ci->http_version)
        ex_jsonw_int(w, h->ci->http_version);
    else
        ex_jsonw_null(w);
    ex_jsonw_kstr(w, "sni", h->ep->is_ip ? NULL : h->ep->host);
    ex_jsonw_key(w, "certificate");
    if (!c->seen) {
        ex_jsonw_null(w);
        ex_jsonw_end_obj(w);
        return;
    }
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "subject", c->subject);
    ex_jsonw_kstr_or_null(w, "subject_cn", c->subject_cn);
    ex_jsonw_key(w, "san");
    ex_jsonw_arr(w);
    for (size_t i = 0; i < c->nsans; i++)
        ex_jsonw_str(w, c->sans[i]);
    ex_jsonw_end_arr(w);
    ex_jsonw_kstr(w, "issuer", c->issuer);
    ex_jsonw_kstr_or_null(w, "not_before", c->not_before);
    ex_jsonw_kstr_or_null(w, "not_after", c->not_after);
    ex_jsonw_key(w, "expired");
    ex_jsonw_bool(w, c->not_after_unix && c->not_after_unix < h->ci->started_ms / 1000);
    ex_jsonw_key(w, "self_signed");
    ex_jsonw_bool(w, c->self_signed);
    ex_jsonw_kstr(w, "sha256", c->sha256);
    ex_jsonw_end_obj(w);
    ex_jsonw_end_obj(w);
}

static void write_ntlm(ex_jsonw *w, const ex_ntlm_info *n)
{
    if (!n->seen) {
        ex_jsonw_null(w);
        return;
    }
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "endpoint", n->endpoint);
    ex_jsonw_kstr_or_null(w, "target_name", n->target_name);
    ex_jsonw_kstr_or_null(w, "netbios_computer", n->nb_computer);
    ex_jsonw_kstr_or_null(w, "netbios_domain", n->nb_domain);
    ex_jsonw_kstr_or_null(w, "dns_computer", n->dns_computer);
    ex_jsonw_kstr_or_null(w, "dns_domain", n->dns_domain);
    ex_jsonw_kstr_or_null(w, "dns_tree", n->dns_tree);
    ex_jsonw_kstr_or_null(w, "os_version", n->os_version);
    ex_jsonw_end_obj(w);
}

static void write_probes(ex_jsonw *w, const ex_fp *fp)
{
    ex_jsonw_arr(w);
    for (int i = 0; i < EX_PROBE_COUNT; i++) {
        const ex_probe_result *p = &fp->probes[i];
        ex_jsonw_obj(w);
        ex_jsonw_kstr(w, "name", ex_probe_name((ex_probe_id)i));
        ex_jsonw_kstr(w, "cve", ex_probe_cve((ex_probe_id)i));
        ex_jsonw_kstr(w, "result", ex_probe_state_name(p->state));
        ex_jsonw_kstr_or_null(w, "evidence", p->evidence);
        if (p->state == EX_PSTATE_NOT_RUN)
            ex_jsonw_kstr(w, "why", p->why_skipped[0] ? p->why_skipped : "not reached");
        ex_jsonw_end_obj(w);
    }
    ex_jsonw_end_arr(w);
}

static void write_signals(ex_jsonw *w, const ex_fp *fp)
{
    ex_jsonw_arr(w);
    for (int s = EX_SRC_COUNT - 1; s > EX_SRC_NONE; s--) {
        const ex_build_signal *b = &fp->build[s];
        if (!b->seen)
            continue;
        char v[EX_VERSION_STRLEN];
        ex_version_format(&b->v, v, sizeof v);
        ex_jsonw_obj(w);
        ex_jsonw_kstr(w, "source", ex_build_source_name((ex_build_source)s));
        ex_jsonw_kstr(w, "value", v);
        ex_jsonw_kstr(w, "evidence", b->evidence);
        ex_jsonw_end_obj(w);
    }
    ex_jsonw_end_arr(w);
}

static void write_errors(ex_jsonw *w, const ex_plan *p)
{
    ex_jsonw_arr(w);
    for (size_t i = 0; i < p->nerrors; i++)
        ex_jsonw_str(w, p->errors[i]);
    if (p->more_errors)
        ex_jsonw_str(w, "(more errors not listed)");
    ex_jsonw_end_arr(w);
}

static void write_timings(ex_jsonw *w, const ex_scan_host *h)
{
    char when[32];
    time_t t = (time_t)(h->ci->started_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "started", when);
    ex_jsonw_key(w, "elapsed_ms");
    ex_jsonw_int(w, h->ci->elapsed_ms);
    ex_jsonw_key(w, "requests");
    ex_jsonw_int(w, h->ci->requests);
    ex_jsonw_key(w, "retries");
    ex_jsonw_int(w, h->ci->retries);
    ex_jsonw_key(w, "connections");
    ex_jsonw_int(w, h->ci->connections);
    ex_jsonw_end_obj(w);
}

static void write_head(ex_jsonw *w, const ex_scan_host *h)
{
    ex_jsonw_kstr(w, "target", h->ep->label);
    ex_jsonw_kstr_or_null(w, "ip", h->ci->ip[0] ? h->ci->ip : h->ep->is_ip ? h->ep->host : NULL);
    ex_jsonw_key(w, "port");
    ex_jsonw_int(w, h->ep->port);
    ex_jsonw_kstr(w, "exchange", ex_exchange_kind_name(h->res->kind));
    ex_jsonw_kstr_or_null(w, "exchange_evidence", h->res->reason);
}

static void write_tail(ex_jsonw *w, const ex_scan_host *h)
{
    const ex_fp *fp = &h->plan->fp;
    ex_jsonw_key(w, "signals");
    write_signals(w, fp);
    ex_jsonw_key(w, "waf");
    if (fp->waf[0]) {
        ex_jsonw_obj(w);
        ex_jsonw_kstr(w, "id", fp->waf_id);
        ex_jsonw_kstr(w, "name", fp->waf);
        ex_jsonw_kstr(w, "evidence", fp->waf_evidence);
        ex_jsonw_end_obj(w);
    } else {
        ex_jsonw_null(w);
    }
    ex_jsonw_kstr_or_null(w, "server", fp->server_header);
    ex_jsonw_kstr_or_null(w, "fe_server", fp->fe_server);
    ex_jsonw_key(w, "tls");
    write_tls(w, h);
    ex_jsonw_key(w, "ntlm");
    write_ntlm(w, &fp->ntlm);
    ex_jsonw_key(w, "probes");
    write_probes(w, fp);
    ex_jsonw_key(w, "errors");
    write_errors(w, h->plan);
    ex_jsonw_key(w, "timings");
    write_timings(w, h);
}

/* The host record of lib/host.h, with the build's source and evidence, and no
 * verdict for a host that is not an on-premises Exchange server. */
static json_t *host_record(const ex_scan_host *h)
{
    json_t *rec = ex_host_json(h->a);
    if (!rec)
        return NULL;
    if (h->res->kind != EX_KIND_ONPREM)
        json_object_set_new(rec, "verdict", json_null());
    json_t *b = json_object_get(rec, "build");
    if (json_is_object(b)) {
        json_object_set_new(b, "source", json_string(ex_build_source_name(h->res->source)));
        json_object_set_new(b, "evidence", ex_json_text(h->res->version_evidence));
    }
    return rec;
}

/* The members of an object's dump, without its braces (NULL for an empty object). */
static char *inner(json_t *o)
{
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    size_t n = t ? strlen(t) : 0;
    if (n < 2) {
        free(t);
        return NULL;
    }
    memmove(t, t + 1, n - 2);
    t[n - 2] = '\0';
    return t;
}

/* ---- the host-record text, kept per distinct set of facts ----------------------------------------- */

/* A fleet has few distinct records (builds x probe outcomes): a few hundred in 10,000 lab hosts. They are
 * kept in a chained hash table up to a byte budget; past it a new record is built for its host and not
 * kept (hostile servers can make every record distinct: memory stays bounded, only time is lost). */
#define RECORD_BUCKETS 1024
#define RECORD_BUDGET  (32u << 20)

typedef struct record_entry {
    struct record_entry *next;
    uint64_t hash;
    char *key, *text;
    size_t text_len;
} record_entry;

struct ex_record_cache {
    record_entry *bucket[RECORD_BUCKETS];
    size_t bytes;
};

ex_record_cache *ex_record_cache_new(void)
{
    return calloc(1, sizeof(ex_record_cache));
}

void ex_record_cache_free(ex_record_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < RECORD_BUCKETS; i++)
        for (record_entry *e = c->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e->text);
            free(e);
        }
    free(c);
}

/* Everything the record depends on: the facts (build, probe outcomes and their evidence; the day is fixed
 * for a scan) and what is added to the build object. */
static void record_key(const ex_scan_host *h, ex_buf *k)
{
    char v[EX_VERSION_STRLEN] = "-";
    if (h->res->have_version)
        ex_version_format(&h->res->version, v, sizeof v);
    ex_buf_printf(k, "%d|%d|%s|%d|%s", h->res->kind, h->res->have_version, v, h->res->source, h->res->version_evidence);
    for (int i = 0; i < EX_PROBE_COUNT; i++)
        ex_buf_printf(k, "|%d:%s", h->plan->fp.probes[i].state, h->plan->fp.probes[i].evidence);
}

static record_entry *record_find(ex_record_cache *c, const ex_buf *k, uint64_t hash)
{
    for (record_entry *e = c->bucket[hash % RECORD_BUCKETS]; e; e = e->next)
        if (e->hash == hash && !strcmp(e->key, k->data))
            return e;
    return NULL;
}

static void record_keep(ex_record_cache *c, ex_buf *k, uint64_t hash, char *text)
{
    size_t n = strlen(text), cost = n + k->len + sizeof(record_entry);
    record_entry *e = c->bytes + cost <= RECORD_BUDGET ? malloc(sizeof *e) : NULL;
    if (!e) {
        free(text);
        return;
    }
    *e = (record_entry){.next = c->bucket[hash % RECORD_BUCKETS], .hash = hash, .text = text, .text_len = n};
    e->key = ex_buf_steal(k);
    c->bucket[hash % RECORD_BUCKETS] = e;
    c->bytes += cost;
}

/* Append the record's members to the line; -1 when out of memory. */
static int append_record(const ex_scan_host *h, ex_record_cache *c, ex_buf *line)
{
    ex_buf k = {0};
    record_key(h, &k);
    if (!k.data)
        return -1;
    uint64_t hash = ex_hash64(k.data, k.len, 11);
    record_entry *e = c ? record_find(c, &k, hash) : NULL;
    if (e) {
        ex_buf_free(&k);
        return ex_buf_append(line, e->text, e->text_len);
    }
    json_t *rec = host_record(h);
    char *text = inner(rec);
    json_decref(rec);
    int rc = text ? ex_buf_puts(line, text) : -1;
    if (c && text && rc == 0) {
        record_keep(c, &k, hash, text);
        text = NULL;
    }
    free(text);
    ex_buf_free(&k);
    return rc;
}

char *ex_scan_json_line(const ex_scan_host *h, ex_record_cache *c)
{
    ex_buf line = {0};
    ex_jsonw w;
    ex_jsonw_init(&w, &line);
    ex_jsonw_obj(&w);
    write_head(&w, h);
    /* the record's members, spliced in as text: the writer only needs to know that a member came before */
    if (ex_buf_append(&line, ",", 1) != 0 || append_record(h, c, &line) != 0) {
        ex_buf_free(&line);
        return NULL;
    }
    write_tail(&w, h);
    ex_jsonw_end_obj(&w);
    return ex_buf_steal(&line);
}

json_t *ex_scan_json(const ex_scan_host *h)
{
    char *line = ex_scan_json_line(h, NULL);
    json_t *o = line ? json_loads(line, 0, NULL) : NULL;
    free(line);
    return o;
}

/* ---- CSV (RFC 4180; cells that a spreadsheet would run as a formula are defused) ------------- */

static void csv_cell(FILE *out, const char *s, bool last)
{
    s = s ? s : "";
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
    }
    if (quote)
        fputc('"', out);
    fputc(last ? '\n' : ',', out);
}

void ex_scan_csv_header(FILE *out)
{
    fputs("target,ip,port,exchange,version,precision,product,cu,update,verdict,vulnerable,possibly,mitigated,waf,"
          "ntlm_dns_computer,ntlm_dns_domain,os_version,tls_subject,errors\n",
          out);
}

static void cve_list(const ex_assessment *a, ex_status st, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < a->ncves && len + 20 < n; i++)
        if (a->cves[i].status == st)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", a->cves[i].cve->id);
}

void ex_scan_csv_row(FILE *out, const ex_scan_host *h)
{
    const ex_assessment *a = h->a;
    const ex_fp *fp = &h->plan->fp;
    char port[8], ver[EX_VERSION_STRLEN] = "", vul[2048], pos[2048], mit[512], errs[1024] = "";
    snprintf(port, sizeof port, "%u", h->ep->port);
    bool onprem = h->res->kind == EX_KIND_ONPREM;
    if (a->have_version)
        ex_version_format(&a->version, ver, sizeof ver);
    cve_list(a, EX_STATUS_VULNERABLE, vul, sizeof vul);
    cve_list(a, EX_STATUS_POSSIBLY, pos, sizeof pos);
    cve_list(a, EX_STATUS_MITIGATED, mit, sizeof mit);
    for (size_t i = 0, len = 0; i < h->plan->nerrors && len + 4 < sizeof errs; i++)
        len += (size_t)snprintf(errs + len, sizeof errs - len, "%s%s", i ? "; " : "", h->plan->errors[i]);
    csv_cell(out, h->ep->label, false);
    csv_cell(out, h->ci->ip, false);
    csv_cell(out, port, false);
    csv_cell(out, ex_exchange_kind_name(h->res->kind), false);
    csv_cell(out, ver, false);
    csv_cell(out, a->have_version ? ex_precision_name(a->precision) : "", false);
    csv_cell(out, a->product_name, false);
    csv_cell(out, a->cu_row ? a->cu_row->cu : "", false);
    csv_cell(out, a->precision == EX_PRECISION_SU && a->row ? a->row->update : "", false);
    csv_cell(out, onprem ? ex_status_name(a->worst) : "", false);
    csv_cell(out, vul, false);
    csv_cell(out, pos, false);
    csv_cell(out, mit, false);
    csv_cell(out, fp->waf, false);
    csv_cell(out, fp->ntlm.dns_computer, false);
    csv_cell(out, fp->ntlm.dns_domain, false);
    csv_cell(out, fp->ntlm.os_version, false);
    csv_cell(out, fp->cert.subject, false);
    csv_cell(out, errs, true);
}

/* ---- table and summary --------------------------------------------------------------------------- */

ex_status ex_scan_host_worst(const ex_scan_host *h)
{
    ex_status w = EX_STATUS_UNKNOWN;
    bool any = false;
    for (size_t i = 0; i < h->a->ncves; i++)
        if (!any || h->a->cves[i].status > w) {
            w = h->a->cves[i].status;
            any = true;
        }
    return w;
}

static void printable(char *dst, size_t n, const char *s)
{
    size_t j = 0;
    for (; s && *s && j + 1 < n; s++)
        dst[j++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    dst[j] = '\0';
}

void ex_scan_table_row(FILE *out, const ex_scan_host *h, bool color)
{
    const ex_assessment *a = h->a;
    char target[96], what[160] = "", ver[EX_VERSION_STRLEN];
    printable(target, sizeof target, h->ep->label);
    fprintf(out, "%-28s %5u  %-7s ", target, h->ep->port, ex_exchange_kind_name(h->res->kind));
    if (h->res->kind != EX_KIND_ONPREM) {
        printable(what, sizeof what, h->plan->nerrors ? h->plan->errors[0] : h->res->reason);
        fprintf(out, "%s\n", what);
        return;
    }
    if (a->have_version) {
        ex_version_format(&a->version, ver, sizeof ver);
        snprintf(what, sizeof what, "%s %s%s%s %s [%s]", a->product_name ? a->product_name : "Exchange",
                 a->cu_row ? a->cu_row->cu : "", a->precision == EX_PRECISION_SU && a->row->update[0] ? " " : "",
                 a->precision == EX_PRECISION_SU ? a->row->update : "", ver, ex_precision_name(a->precision));
    } else {
        snprintf(what, sizeof what, "Exchange, build not visible");
    }
    fprintf(out, "%-52s %s%-10s%s", what, ex_status_color(a->worst, color), ex_status_name(a->worst),
            color ? EX_C_RESET : "");
    ex_family_line lines[32];
    size_t n = ex_family_lines(a, lines, 32);
    for (size_t i = 0; i < n; i++)
        if (lines[i].family[0] && lines[i].status != EX_STATUS_PATCHED)
            fprintf(out, " %s:%s", lines[i].family, ex_status_name(lines[i].status));
    if (h->plan->fp.waf[0])
        fprintf(out, " (behind %s)", h->plan->fp.waf);
    fputc('\n', out);
}

static void summary_families(ex_scan_summary *s, const ex_assessment *a)
{
    ex_family_line lines[32];
    size_t n = ex_family_lines(a, lines, 32);
    for (size_t i = 0; i < n; i++) {
        const char *f = lines[i].family[0] ? lines[i].family : "Other CVEs";
        size_t k = 0;
        while (k < s->nfam && strcmp(s->fam[k].family, f) != 0)
            k++;
        if (k == s->nfam) {
            if (s->nfam == EX_SUMMARY_FAMILIES)
                continue;
            s->fam[s->nfam++].family = f; /* strings of the knowledge base live as long as the process */
        }
        s->fam[k].by_status[lines[i].status]++;
    }
}

void ex_scan_summary_add(ex_scan_summary *s, const ex_scan_host *h)
{
    s->hosts++;
    s->kinds[h->res->kind]++;
    s->with_errors += h->plan->nerrors > 0;
    s->wafs += h->plan->fp.waf[0] != '\0';
    if (h->res->kind != EX_KIND_ONPREM)
        return;
    s->verdicts[h->a->worst]++;
    s->precision[h->a->have_version ? h->a->precision : EX_PRECISION_NONE]++;
    s->eol += h->a->support == EX_SUPPORT_ENDED;
    summary_families(s, h->a);
}

void ex_scan_summary_print(FILE *out, const ex_scan_summary *s, double seconds, bool color)
{
    fprintf(out, "\n%sScan summary%s: %llu hosts in %.1f s (%.1f hosts/s)\n", color ? EX_C_BOLD : "",
            color ? EX_C_RESET : "", (unsigned long long)s->hosts, seconds,
            seconds > 0 ? (double)s->hosts / seconds : 0);
    fprintf(out, "  Exchange on-premises %6llu   (exact build %llu, CU only %llu, approximate %llu, no build %llu)\n",
            (unsigned long long)s->kinds[EX_KIND_ONPREM], (unsigned long long)s->precision[EX_PRECISION_SU],
            (unsigned long long)s->precision[EX_PRECISION_CU], (unsigned long long)s->precision[EX_PRECISION_APPROX],
            (unsigned long long)s->precision[EX_PRECISION_NONE]);
    fprintf(out, "  Exchange Online      %6llu\n", (unsigned long long)s->kinds[EX_KIND_ONLINE]);
    fprintf(out, "  decoys               %6llu\n", (unsigned long long)s->kinds[EX_KIND_DECOY]);
    fprintf(out, "  not Exchange         %6llu\n", (unsigned long long)s->kinds[EX_KIND_NONE]);
    fprintf(out, "  no answer (unknown)  %6llu\n", (unsigned long long)s->kinds[EX_KIND_UNKNOWN_HOST]);
    fprintf(out, "  hosts with errors    %6llu;  behind a WAF/proxy %llu;  end of support %llu\n",
            (unsigned long long)s->with_errors, (unsigned long long)s->wafs, (unsigned long long)s->eol);
    if (!s->kinds[EX_KIND_ONPREM])
        return;
    fprintf(out, "  Verdicts (on-premises hosts):");
    for (int st = EX_STATUS_VULNERABLE; st >= EX_STATUS_PATCHED; st--)
        if (s->verdicts[st])
            fprintf(out, " %s%s %llu%s", ex_status_color((ex_status)st, color), ex_status_name((ex_status)st),
                    (unsigned long long)s->verdicts[st], color ? EX_C_RESET : "");
    fprintf(out, "\n  %-24s %10s %10s %10s %10s %10s\n", "family", "vulnerable", "possibly", "mitigated", "config",
            "patched");
    for (size_t i = 0; i < s->nfam; i++)
        fprintf(out, "  %-24s %10llu %10llu %10llu %10llu %10llu\n", s->fam[i].family,
                (unsigned long long)s->fam[i].by_status[EX_STATUS_VULNERABLE],
                (unsigned long long)s->fam[i].by_status[EX_STATUS_POSSIBLY],
                (unsigned long long)s->fam[i].by_status[EX_STATUS_MITIGATED],
                (unsigned long long)s->fam[i].by_status[EX_STATUS_CONFIG],
                (unsigned long long)s->fam[i].by_status[EX_STATUS_PATCHED]);
}
