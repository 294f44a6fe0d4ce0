/* host: see host.h. */
#include "host.h"

#include <stdio.h>
#include <string.h>

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *version_json(const ex_version *v)
{
    char buf[EX_VERSION_STRLEN];
    ex_version_format(v, buf, sizeof buf);
    return json_string(buf);
}

json_t *ex_build_json(const ex_assessment *a)
{
    if (!a->have_version)
        return json_null();
    char lng[EX_VERSION_STRLEN];
    ex_version_format_long(&a->version, lng, sizeof lng);
    const ex_kb_build *r = a->row;
    bool exact = a->precision == EX_PRECISION_SU;
    json_t *b = json_object();
    json_object_set_new(b, "version", version_json(&a->version));
    json_object_set_new(b, "version_long", json_string(lng));
    json_object_set_new(b, "precision", json_string(ex_precision_name(a->precision)));
    json_object_set_new(b, "product", str_or_null(a->product_name));
    json_object_set_new(b, "product_code", json_string(ex_product_code(a->product)));
    json_object_set_new(b, "cu", str_or_null(a->cu_row ? a->cu_row->cu : NULL));
    /* Only an exact match names the installed update and its date. */
    json_object_set_new(b, "update", str_or_null(exact ? r->update : NULL));
    json_object_set_new(b, "release_date", str_or_null(exact ? r->date : NULL));
    json_object_set_new(b, "kb", str_or_null(exact ? r->kb : NULL));
    json_object_set_new(b, "nearest_known", a->precision == EX_PRECISION_APPROX && r ? version_json(&r->version)
                                                                                      : json_null());
    json_object_set_new(b, "newer_than_kb", json_boolean(a->newer_than_kb));
    json_object_set_new(b, "note", str_or_null(a->build_note));
    return b;
}

json_t *ex_cve_json(const ex_cve_verdict *v)
{
    json_t *c = json_object();
    json_object_set_new(c, "id", json_string(v->cve->id));
    json_object_set_new(c, "family", str_or_null(v->cve->family));
    json_object_set_new(c, "status", json_string(ex_status_name(v->status)));
    json_object_set_new(c, "basis", json_string(v->basis));
    json_object_set_new(c, "fixed_in", ex_version_has_revision(&v->fixed_in) ? version_json(&v->fixed_in) : json_null());
    json_object_set_new(c, "fixed_by", str_or_null(v->fixed_update ? v->fixed_update : v->cve->update));
    json_object_set_new(c, "by_probe", json_boolean(v->by_probe));
    if (v->setting)
        json_object_set_new(c, "setting", json_string(v->setting));
    if (v->evidence)
        json_object_set_new(c, "evidence", json_string(v->evidence));
    if (v->uncertain_data)
        json_object_set_new(c, "data_uncertain", json_true());
    return c;
}

static json_t *support_json(const ex_assessment *a)
{
    json_t *s = json_object();
    json_object_set_new(s, "status", json_string(ex_support_name(a->support)));
    json_object_set_new(s, "end", str_or_null(a->support_end));
    json_object_set_new(s, "security_updates", str_or_null(a->security_updates));
    return s;
}

static json_t *updates_json(const ex_assessment *a)
{
    json_t *u = json_object();
    const ex_kb_build *n = a->newest_in_cu;
    if (n && a->have_version && ex_version_cmp(&n->version, &a->version) > 0) {
        json_object_set_new(u, "newest_in_cu", version_json(&n->version));
        json_object_set_new(u, "newest_in_cu_name", str_or_null(n->update));
        json_object_set_new(u, "newest_in_cu_kb", str_or_null(n->kb));
    }
    if (a->newest_of_product)
        json_object_set_new(u, "newest_of_product", version_json(&a->newest_of_product->version));
    json_object_set_new(u, "newer_updates_without_cve_data", json_integer((json_int_t)a->newer_updates_without_cves));
    return u;
}

json_t *ex_host_json(const ex_assessment *a)
{
    json_t *h = json_object(), *cves = json_array(), *rem = json_array(), *kb = json_object();
    if (!h || !cves || !rem || !kb)
        return NULL;
    json_object_set_new(h, "schema", json_string(EX_HOST_SCHEMA));
    json_object_set_new(h, "build", ex_build_json(a));
    json_object_set_new(h, "support", a->have_version ? support_json(a) : json_null());
    json_object_set_new(h, "verdict", json_string(ex_status_name(a->worst)));
    json_object_set_new(h, "updates", a->have_version ? updates_json(a) : json_null());
    for (size_t i = 0; i < a->ncves; i++)
        json_array_append_new(cves, ex_cve_json(&a->cves[i]));
    json_object_set_new(h, "cves", cves);
    for (size_t i = 0; i < a->nsteps; i++) {
        json_t *s = json_object();
        json_object_set_new(s, "step", json_string(a->steps[i].step));
        json_object_set_new(s, "kb", str_or_null(a->steps[i].kb));
        json_array_append_new(rem, s);
    }
    json_object_set_new(h, "remediation", rem);
    json_object_set_new(kb, "version", json_string(a->kb->version));
    json_object_set_new(kb, "date", json_string(a->kb->date));
    json_object_set_new(h, "kb", kb);
    return h;
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
