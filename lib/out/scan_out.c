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

static json_t *text_or_null(const char *s)
{
    return s && *s ? ex_json_text(s) : json_null();
}

static json_t *tls_json(const ex_scan_host *h)
{
    const ex_cert_info *c = &h->plan->fp.cert;
    if (!h->ep->tls)
        return json_null();
    json_t *t = json_object();
    json_object_set_new(t, "version", text_or_null(h->ci->tls_version));
    json_object_set_new(t, "cipher", text_or_null(h->ci->cipher));
    json_object_set_new(t, "http", h->ci->http_version ? json_integer(h->ci->http_version) : json_null());
    json_object_set_new(t, "sni", h->ep->is_ip ? json_null() : ex_json_text(h->ep->host));
    if (!c->seen) {
        json_object_set_new(t, "certificate", json_null());
        return t;
    }
    json_t *cert = json_object(), *sans = json_array();
    json_object_set_new(cert, "subject", ex_json_text(c->subject));
    json_object_set_new(cert, "subject_cn", text_or_null(c->subject_cn));
    for (size_t i = 0; i < c->nsans; i++)
        json_array_append_new(sans, ex_json_text(c->sans[i]));
    json_object_set_new(cert, "san", sans);
    json_object_set_new(cert, "issuer", ex_json_text(c->issuer));
    json_object_set_new(cert, "not_before", text_or_null(c->not_before));
    json_object_set_new(cert, "not_after", text_or_null(c->not_after));
    json_object_set_new(cert, "expired",
                        json_boolean(c->not_after_unix && c->not_after_unix < h->ci->started_ms / 1000));
    json_object_set_new(cert, "self_signed", json_boolean(c->self_signed));
    json_object_set_new(cert, "sha256", json_string(c->sha256));
    json_object_set_new(t, "certificate", cert);
    return t;
}

static json_t *ntlm_json(const ex_ntlm_info *n)
{
    if (!n->seen)
        return json_null();
    json_t *j = json_object();
    json_object_set_new(j, "endpoint", ex_json_text(n->endpoint));
    json_object_set_new(j, "target_name", text_or_null(n->target_name));
    json_object_set_new(j, "netbios_computer", text_or_null(n->nb_computer));
    json_object_set_new(j, "netbios_domain", text_or_null(n->nb_domain));
    json_object_set_new(j, "dns_computer", text_or_null(n->dns_computer));
    json_object_set_new(j, "dns_domain", text_or_null(n->dns_domain));
    json_object_set_new(j, "dns_tree", text_or_null(n->dns_tree));
    json_object_set_new(j, "os_version", text_or_null(n->os_version));
    return j;
}

static json_t *probes_json(const ex_fp *fp)
{
    json_t *arr = json_array();
    for (int i = 0; i < EX_PROBE_COUNT; i++) {
        const ex_probe_result *p = &fp->probes[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(ex_probe_name((ex_probe_id)i)));
        json_object_set_new(o, "cve", json_string(ex_probe_cve((ex_probe_id)i)));
        json_object_set_new(o, "result", json_string(ex_probe_state_name(p->state)));
        json_object_set_new(o, "evidence", text_or_null(p->evidence));
        if (p->state == EX_PSTATE_NOT_RUN)
            json_object_set_new(o, "why", text_or_null(p->why_skipped[0] ? p->why_skipped : "not reached"));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *signals_json(const ex_fp *fp)
{
    json_t *arr = json_array();
    for (int s = EX_SRC_COUNT - 1; s > EX_SRC_NONE; s--) {
        const ex_build_signal *b = &fp->build[s];
        if (!b->seen)
            continue;
        char v[EX_VERSION_STRLEN];
        ex_version_format(&b->v, v, sizeof v);
        json_t *o = json_object();
        json_object_set_new(o, "source", json_string(ex_build_source_name((ex_build_source)s)));
        json_object_set_new(o, "value", json_string(v));
        json_object_set_new(o, "evidence", ex_json_text(b->evidence));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *errors_json(const ex_plan *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < p->nerrors; i++)
        json_array_append_new(arr, ex_json_text(p->errors[i]));
    if (p->more_errors)
        json_array_append_new(arr, json_string("(more errors not listed)"));
    return arr;
}

static json_t *timings_json(const ex_scan_host *h)
{
    char when[32];
    time_t t = (time_t)(h->ci->started_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_object();
    json_object_set_new(o, "started", json_string(when));
    json_object_set_new(o, "elapsed_ms", json_integer(h->ci->elapsed_ms));
    json_object_set_new(o, "requests", json_integer(h->ci->requests));
    json_object_set_new(o, "retries", json_integer(h->ci->retries));
    json_object_set_new(o, "connections", json_integer(h->ci->connections));
    return o;
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

static json_t *scan_head(const ex_scan_host *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "target", ex_json_text(h->ep->label));
    json_object_set_new(o, "ip", text_or_null(h->ci->ip[0] ? h->ci->ip : h->ep->is_ip ? h->ep->host : NULL));
    json_object_set_new(o, "port", json_integer(h->ep->port));
    json_object_set_new(o, "exchange", json_string(ex_exchange_kind_name(h->res->kind)));
    json_object_set_new(o, "exchange_evidence", text_or_null(h->res->reason));
    return o;
}

static json_t *scan_tail(const ex_scan_host *h)
{
    const ex_fp *fp = &h->plan->fp;
    json_t *o = json_object();
    json_object_set_new(o, "signals", signals_json(fp));
    json_t *waf = json_null();
    if (fp->waf[0])
        waf = json_pack("{s:s, s:o, s:o}", "id", fp->waf_id, "name", ex_json_text(fp->waf), "evidence",
                        ex_json_text(fp->waf_evidence));
    json_object_set_new(o, "waf", waf ? waf : json_null());
    json_object_set_new(o, "server", text_or_null(fp->server_header));
    json_object_set_new(o, "fe_server", text_or_null(fp->fe_server));
    json_object_set_new(o, "tls", tls_json(h));
    json_object_set_new(o, "ntlm", ntlm_json(&fp->ntlm));
    json_object_set_new(o, "probes", probes_json(fp));
    json_object_set_new(o, "errors", errors_json(h->plan));
    json_object_set_new(o, "timings", timings_json(h));
    return o;
}

json_t *ex_scan_json(const ex_scan_host *h)
{
    json_t *o = scan_head(h), *rec = host_record(h), *tail = scan_tail(h);
    json_object_update(o, rec);
    json_object_update(o, tail);
    json_decref(rec);
    json_decref(tail);
    return o;
}

/* ---- one JSON line, with the host record's text reused between hosts -------------------------- */

#define RECORD_SLOTS 512

struct ex_record_cache {
    struct {
        char *key, *text;
    } slot[RECORD_SLOTS];
};

ex_record_cache *ex_record_cache_new(void)
{
    return calloc(1, sizeof(ex_record_cache));
}

void ex_record_cache_free(ex_record_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < RECORD_SLOTS; i++) {
        free(c->slot[i].key);
        free(c->slot[i].text);
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

/* The members of an object's dump, without its braces ("" for an empty object). */
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

static const char *cached_record(const ex_scan_host *h, ex_record_cache *c, char **owned)
{
    ex_buf k = {0};
    record_key(h, &k);
    *owned = NULL;
    if (!k.data)
        return NULL;
    unsigned i = (unsigned)(ex_hash64(k.data, k.len, 11) % RECORD_SLOTS);
    if (c && c->slot[i].key && !strcmp(c->slot[i].key, k.data)) {
        ex_buf_free(&k);
        return c->slot[i].text;
    }
    json_t *rec = host_record(h);
    char *text = inner(rec);
    json_decref(rec);
    if (!c || !text) {
        ex_buf_free(&k);
        *owned = text;
        return text;
    }
    free(c->slot[i].key);
    free(c->slot[i].text);
    c->slot[i].key = ex_buf_steal(&k);
    c->slot[i].text = text;
    return text;
}

char *ex_scan_json_line(const ex_scan_host *h, ex_record_cache *c)
{
    json_t *head = scan_head(h), *tail = scan_tail(h);
    char *a = inner(head), *z = inner(tail), *owned;
    const char *rec = cached_record(h, c, &owned);
    ex_buf line = {0};
    if (a && rec && z)
        ex_buf_printf(&line, "{%s,%s,%s}", a, rec, z);
    free(a);
    free(z);
    free(owned);
    json_decref(head);
    json_decref(tail);
    return ex_buf_steal(&line);
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
