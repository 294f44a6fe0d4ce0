/* report_explain: the verdict's sentences (CVE basis, update steps) in the
 * report's language. The host record keeps the canonical English sentence
 * plus the sentence's code and slot values (lib/explain.h); here the same
 * templates go through gettext, so that a German report is German all
 * through. Records without codes keep their English text. */
#include <string.h>

#include "explain.h"
#include "out/i18n.h"
#include "out/report.h"

/* Settings named in data/kb/cves.tsv, so that the catalogues carry them. */
static const char *const settings[] __attribute__((unused)) = {
    N_("Extended Protection enabled on all Exchange virtual directories"),
    N_("Serialized data signing of PowerShell payloads enabled"),
    N_("Hybrid deployments only: dedicated Exchange hybrid application configured and the shared service "
       "principal's keyCredentials reset"),
};

static const char *translate_value(const char *slot, const char *value)
{
    if (!value || !*value)
        return value;
    if (strcmp(slot, "status") == 0)
        return ex_report_status_text(value);
    if (strcmp(slot, "setting") == 0)
        return _(value);
    return value;
}

/* Render one code with the record's args and {prior}; false when the code is unknown. */
static bool render(const char *code, const json_t *jargs, const char *prior, char *out, size_t n)
{
    const char *tmpl = ex_explain_template(code);
    ex_explain_arg args[16];
    size_t nargs = 0;
    const char *k;
    json_t *v;
    if (!tmpl)
        return false;
    json_object_foreach((json_t *)jargs, k, v) if (nargs < 15 && json_is_string(v)) args[nargs++] =
        (ex_explain_arg){k, json_string_value(v)};
    args[nargs++] = (ex_explain_arg){"prior", prior};
    ex_explain_fill(_(tmpl), args, nargs, translate_value, out, n);
    return true;
}

static void localize_cve(json_t *c)
{
    char prior[1024] = "", text[1024];
    const json_t *rules = json_object_get(c, "rules"), *args = json_object_get(c, "args"), *r;
    size_t i;
    if (!json_array_size(rules))
        return;
    json_array_foreach(rules, i, r)
    {
        if (!render(json_string_value(r), args, prior, text, sizeof text))
            return; /* a code this binary does not know: keep the stored sentence */
        memcpy(prior, text, sizeof prior);
    }
    json_object_set_new(c, "basis", json_string(prior));
}

static void localize_step(json_t *s)
{
    char text[1024];
    if (render(json_string_value(json_object_get(s, "action")), json_object_get(s, "args"), "", text, sizeof text))
        json_object_set_new(s, "step", json_string(text));
}

void ex_report_localize_assessment(json_t *a)
{
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(a, "cves"), i, x) localize_cve(x);
    json_array_foreach(json_object_get(a, "remediation"), i, x) localize_step(x);
}
