/* host: see host.h. */
#include "host.h"

#include <stdio.h>
#include <string.h>

static void version_member(ex_jsonw *w, const char *key, const ex_version *v)
{
    char buf[EX_VERSION_STRLEN];
    ex_version_format(v, buf, sizeof buf);
    ex_jsonw_kstr(w, key, buf);
}

static void write_build(ex_jsonw *w, const ex_assessment *a)
{
    if (!a->have_version) {
        ex_jsonw_null(w);
        return;
    }
    char lng[EX_VERSION_STRLEN];
    ex_version_format_long(&a->version, lng, sizeof lng);
    const ex_kb_build *r = a->row;
    bool exact = a->precision == EX_PRECISION_SU;
    ex_jsonw_obj(w);
    version_member(w, "version", &a->version);
    ex_jsonw_kstr(w, "version_long", lng);
    ex_jsonw_kstr(w, "precision", ex_precision_name(a->precision));
    ex_jsonw_kstr_or_null(w, "product", a->product_name);
    ex_jsonw_kstr(w, "product_code", ex_product_code(a->product));
    ex_jsonw_kstr_or_null(w, "cu", a->cu_row ? a->cu_row->cu : NULL);
    /* Only an exact match names the installed update and its date. */
    ex_jsonw_kstr_or_null(w, "update", exact ? r->update : NULL);
    ex_jsonw_kstr_or_null(w, "release_date", exact ? r->date : NULL);
    ex_jsonw_kstr_or_null(w, "kb", exact ? r->kb : NULL);
    if (a->precision == EX_PRECISION_APPROX && r)
        version_member(w, "nearest_known", &r->version);
    else
        ex_jsonw_kstr(w, "nearest_known", NULL);
    ex_jsonw_key(w, "newer_than_kb");
    ex_jsonw_bool(w, a->newer_than_kb);
    ex_jsonw_kstr_or_null(w, "note", a->build_note);
    ex_jsonw_end_obj(w);
}

/* The slot values behind a sentence, for renderers in other languages (lib/explain.h). */
static void write_args(ex_jsonw *w, const ex_explain_arg *args, size_t n)
{
    ex_jsonw_key(w, "args");
    ex_jsonw_obj(w);
    for (size_t i = 0; i < n; i++)
        if (args[i].value && *args[i].value)
            ex_jsonw_kstr(w, args[i].name, args[i].value);
    ex_jsonw_end_obj(w);
}

static void write_cve(ex_jsonw *w, const ex_cve_verdict *v)
{
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "id", v->cve->id);
    ex_jsonw_kstr_or_null(w, "family", v->cve->family);
    ex_jsonw_kstr(w, "status", ex_status_name(v->status));
    ex_jsonw_kstr(w, "basis", v->basis);
    if (ex_version_has_revision(&v->fixed_in))
        version_member(w, "fixed_in", &v->fixed_in);
    else
        ex_jsonw_kstr(w, "fixed_in", NULL);
    ex_jsonw_kstr_or_null(w, "fixed_by", v->fixed_update ? v->fixed_update : v->cve->update);
    ex_jsonw_key(w, "by_probe");
    ex_jsonw_bool(w, v->by_probe);
    if (v->setting)
        ex_jsonw_kstr(w, "setting", v->setting);
    if (v->evidence)
        ex_jsonw_kstr(w, "evidence", v->evidence);
    if (v->uncertain_data) {
        ex_jsonw_key(w, "data_uncertain");
        ex_jsonw_bool(w, true);
    }
    ex_jsonw_key(w, "rules");
    ex_jsonw_arr(w);
    for (size_t i = 0; i < v->nrules; i++)
        ex_jsonw_str(w, v->rules[i]);
    ex_jsonw_end_arr(w);
    ex_explain_arg args[8];
    write_args(w, args, ex_cve_verdict_args(v, args, 8));
    ex_jsonw_end_obj(w);
}

static void write_support(ex_jsonw *w, const ex_assessment *a)
{
    if (!a->have_version) {
        ex_jsonw_null(w);
        return;
    }
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "status", ex_support_name(a->support));
    ex_jsonw_kstr_or_null(w, "end", a->support_end);
    ex_jsonw_kstr_or_null(w, "security_updates", a->security_updates);
    ex_jsonw_end_obj(w);
}

static void write_updates(ex_jsonw *w, const ex_assessment *a)
{
    if (!a->have_version) {
        ex_jsonw_null(w);
        return;
    }
    const ex_kb_build *n = a->newest_in_cu;
    ex_jsonw_obj(w);
    if (n && ex_version_cmp(&n->version, &a->version) > 0) {
        version_member(w, "newest_in_cu", &n->version);
        ex_jsonw_kstr_or_null(w, "newest_in_cu_name", n->update);
        ex_jsonw_kstr_or_null(w, "newest_in_cu_kb", n->kb);
    }
    if (a->newest_of_product)
        version_member(w, "newest_of_product", &a->newest_of_product->version);
    ex_jsonw_key(w, "newer_updates_without_cve_data");
    ex_jsonw_int(w, (int64_t)a->newer_updates_without_cves);
    ex_jsonw_end_obj(w);
}

void ex_host_write_members(ex_jsonw *w, const ex_assessment *a)
{
    ex_jsonw_kstr(w, "schema", EX_HOST_SCHEMA);
    ex_jsonw_key(w, "build");
    write_build(w, a);
    ex_jsonw_key(w, "support");
    write_support(w, a);
    ex_jsonw_kstr(w, "verdict", ex_status_name(a->worst));
    ex_jsonw_key(w, "updates");
    write_updates(w, a);
    ex_jsonw_key(w, "cves");
    ex_jsonw_arr(w);
    for (size_t i = 0; i < a->ncves; i++)
        write_cve(w, &a->cves[i]);
    ex_jsonw_end_arr(w);
    ex_jsonw_key(w, "remediation");
    ex_jsonw_arr(w);
    for (size_t i = 0; i < a->nsteps; i++) {
        ex_jsonw_obj(w);
        ex_explain_arg args[12];
        ex_jsonw_kstr(w, "step", a->steps[i].step);
        ex_jsonw_kstr_or_null(w, "kb", a->steps[i].kb);
        ex_jsonw_kstr(w, "action", a->steps[i].action);
        write_args(w, args, ex_remedy_args(&a->steps[i], args, 12));
        ex_jsonw_end_obj(w);
    }
    ex_jsonw_end_arr(w);
    ex_jsonw_key(w, "kb");
    ex_jsonw_obj(w);
    ex_jsonw_kstr(w, "version", a->kb->version);
    ex_jsonw_kstr(w, "date", a->kb->date);
    ex_jsonw_end_obj(w);
}

/* The DOM form, for callers that add members: parsed from the writer's output,
 * so that there is one definition of the record. */
json_t *ex_host_json(const ex_assessment *a)
{
    ex_buf b = {0};
    ex_jsonw w;
    ex_jsonw_init(&w, &b);
    ex_jsonw_obj(&w);
    ex_host_write_members(&w, a);
    ex_jsonw_end_obj(&w);
    json_t *j = b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    ex_buf_free(&b);
    return j;
}

ex_severity ex_status_severity(ex_status s, const char *family)
{
    bool named = family && *family;
    switch (s) {
    case EX_STATUS_VULNERABLE: return named ? EX_SEV_CRITICAL : EX_SEV_HIGH;
    case EX_STATUS_POSSIBLY: return named ? EX_SEV_HIGH : EX_SEV_MEDIUM;
    case EX_STATUS_CONFIG:
    case EX_STATUS_MITIGATED: return EX_SEV_MEDIUM;
    default: return EX_SEV_INFO;
    }
}

static int push_cve(const ex_cve_verdict *v, const char *subject, ex_findings *out)
{
    ex_finding f;
    char title[512], id[64];
    ex_finding_init(&f);
    f.kind = EX_KIND_EXPOSURE;
    f.severity = ex_status_severity(v->status, v->cve->family);
    snprintf(id, sizeof id, "cve.%s", v->cve->id);
    snprintf(title, sizeof title, "%s%s%s%s: %s", v->cve->id, v->cve->family[0] ? " (" : "", v->cve->family,
             v->cve->family[0] ? ")" : "", ex_status_name(v->status));
    int r = ex_finding_setz(&f.id, id) | ex_finding_setz(&f.cve, v->cve->id) | ex_finding_setz(&f.title, title) |
            ex_finding_setz(&f.subject, subject) | ex_finding_setz(&f.ev.match, v->basis) |
            ex_finding_setz(&f.ev.path, v->evidence) | ex_finding_setz(&f.rule, "exaudit verdict (data/kb)");
    if (r || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

static int push_note(ex_severity sev, const char *id, const char *title, const char *detail, const char *subject,
                     ex_findings *out)
{
    ex_finding f;
    ex_finding_init(&f);
    f.kind = EX_KIND_EXPOSURE;
    f.severity = sev;
    int r = ex_finding_setz(&f.id, id) | ex_finding_setz(&f.title, title) | ex_finding_setz(&f.subject, subject) |
            ex_finding_setz(&f.ev.match, detail) | ex_finding_setz(&f.rule, "exaudit verdict (data/kb)");
    if (r || ex_findings_push(out, &f)) {
        ex_finding_free(&f);
        return -1;
    }
    return 0;
}

int ex_host_findings(const ex_assessment *a, const char *subject, ex_findings *out)
{
    char title[300];
    for (size_t i = 0; i < a->ncves; i++)
        if (a->cves[i].status != EX_STATUS_PATCHED && push_cve(&a->cves[i], subject, out))
            return -1;
    if (a->support == EX_SUPPORT_ENDED) {
        snprintf(title, sizeof title, "%s: end of support %s", a->product_name, a->support_end);
        if (push_note(EX_SEV_HIGH, "support.ended", title,
                      strcmp(a->security_updates, "esu") == 0
                          ? "security updates only for customers in Microsoft's paid Extended Security Update programme"
                          : "no security updates any more",
                      subject, out))
            return -1;
    }
    if (a->newer_than_kb && push_note(EX_SEV_INFO, "kb.older-than-server", "knowledge base older than the server",
                                      a->build_note, subject, out))
        return -1;
    return 0;
}
