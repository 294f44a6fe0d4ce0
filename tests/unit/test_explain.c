/* lib/explain: the sentence templates behind verdicts and update steps. */
#include "explain.h"
#include "kb.h"
#include "t.h"
#include "util.h"
#include "verdict.h"

static const char *const known_slots[] = {"build",   "fix", "cu",     "setting", "status", "prior",
                                          "product", "kb",  "update", "cve",     "family", "end"};

TEST(every_template_uses_known_slots_and_codes_are_unique)
{
    size_t n;
    const ex_explain_entry *t = ex_explain_table(&n);
    CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = i + 1; k < n; k++)
            CHECK(strcmp(t[i].code, t[k].code) != 0);
        for (const char *p = strchr(t[i].tmpl, '{'); p; p = strchr(p + 1, '{')) {
            const char *e = strchr(p, '}');
            CHECK(e != NULL);
            bool ok = false;
            for (size_t s = 0; e && s < EX_ARRAY_LEN(known_slots); s++)
                ok |= strlen(known_slots[s]) == (size_t)(e - p - 1) && !strncmp(p + 1, known_slots[s], e - p - 1);
            if (!ok)
                t_fail(__FILE__, __LINE__, "template %s: unknown slot at '%.20s'", t[i].code, p);
        }
        CHECK(ex_explain_template(t[i].code) == t[i].tmpl);
    }
    CHECK(ex_explain_template("no-such-code") == NULL);
}

TEST(fill_substitutes_and_bounds)
{
    ex_explain_arg args[] = {{"build", "15.1.2176.2"}, {"fix", "15.1.2176.9 (CU19 Mar21SU)"}};
    char out[64];
    size_t need = ex_explain_fill("{build} < first fixed build {fix}", args, 2, NULL, out, sizeof out);
    CHECK_STR(out, "15.1.2176.2 < first fixed build 15.1.2176.9 (CU19 Mar21SU)");
    CHECK_INT(need, strlen(out));
    char small[8];
    need = ex_explain_fill("{build} < first fixed build {fix}", args, 2, NULL, small, sizeof small);
    CHECK_INT(strlen(small), 7); /* cut, terminated */
    CHECK(need > sizeof small);
    ex_explain_fill("missing {nothing} here {", args, 2, NULL, out, sizeof out);
    CHECK_STR(out, "missing  here {");
}

static const char *shout(const char *slot, const char *value)
{
    return strcmp(slot, "status") == 0 ? "VULNERABLE" : value;
}

TEST(value_hook_translates_slot_values)
{
    ex_explain_arg args[] = {{"status", "vulnerable"}};
    char out[80];
    ex_explain_fill(ex_explain_template("probe-positive"), args, 1, shout, out, sizeof out);
    CHECK_STR(out, "behavioural probe confirmed it (build alone: VULNERABLE)");
}

/* The stored codes and slot values reproduce the stored English sentence: a
 * report rendering them in English says exactly what the record says. */
TEST(codes_and_args_reproduce_the_basis)
{
    const char *builds[] = {"15.1.2176.2", "15.1.2176", "15.2.1544.4", "15.1.2242.4", "14.3.123.4"};
    for (size_t b = 0; b < EX_ARRAY_LEN(builds); b++) {
        ex_facts f = {.have_version = true, .today = ex_date_to_days("2026-11-26")};
        ex_assessment a;
        ex_version_parse_str(builds[b], &f.version);
        CHECK_INT(ex_assess(ex_kb_builtin(), &f, &a), 0);
        for (size_t i = 0; i < a.ncves; i++) {
            const ex_cve_verdict *v = &a.cves[i];
            ex_explain_arg args[8];
            char prior[EX_BASIS_LEN] = "", text[EX_BASIS_LEN];
            size_t n = ex_cve_verdict_args(v, args, 7);
            CHECK(v->nrules >= 1);
            for (size_t r = 0; r < v->nrules; r++) {
                args[n] = (ex_explain_arg){"prior", prior};
                ex_explain_fill(ex_explain_template(v->rules[r]), args, n + 1, NULL, text, sizeof text);
                memcpy(prior, text, sizeof prior);
            }
            if (strncmp(v->basis, prior, strlen(prior)) != 0)
                t_fail(__FILE__, __LINE__, "%s %s: '%s' vs '%s'", builds[b], v->cve->id, v->basis, prior);
        }
        for (size_t i = 0; i < a.nsteps; i++) {
            ex_explain_arg args[12];
            char text[256];
            size_t n = ex_remedy_args(&a.steps[i], args, 12);
            ex_explain_fill(ex_explain_template(a.steps[i].action), args, n, NULL, text, sizeof text);
            CHECK_STR(text, a.steps[i].step);
        }
        ex_assessment_free(&a);
    }
}
