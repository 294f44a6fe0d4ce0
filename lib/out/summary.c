/* summary: see summary.h. */
#include "summary.h"

#include <string.h>

#include "term.h"

const char *ex_status_color(ex_status s, bool color)
{
    if (!color)
        return "";
    switch (s) {
    case EX_STATUS_VULNERABLE: return EX_C_RED;
    case EX_STATUS_POSSIBLY:
    case EX_STATUS_CONFIG: return EX_C_YELLOW;
    case EX_STATUS_PATCHED: return EX_C_GREEN;
    case EX_STATUS_MITIGATED: return EX_C_CYAN;
    default: return EX_C_GREY;
    }
}

static void print_build(FILE *out, const ex_assessment *a)
{
    const ex_kb_build *r = a->row;
    if (!a->have_version || a->product == EX_PRODUCT_UNKNOWN) {
        fprintf(out, "  Product:  not a known Exchange version\n");
        return;
    }
    fprintf(out, "  Product:  %s", a->product_name ? a->product_name : ex_product_code(a->product));
    if (a->cu_row)
        fprintf(out, " %s", a->cu_row->cu);
    if (a->precision == EX_PRECISION_SU && r->update[0])
        fprintf(out, " %s", r->update);
    fprintf(out, "  [%s]\n",
            a->precision == EX_PRECISION_SU   ? "exact build"
            : a->precision == EX_PRECISION_CU ? "CU only"
                                              : "approximate");
    if (a->precision == EX_PRECISION_SU)
        fprintf(out, "  Released: %s%s%s%s\n", r->date[0] ? r->date : "date unknown", r->kb[0] ? " (" : "", r->kb,
                r->kb[0] ? ")" : "");
    if (a->build_note[0])
        fprintf(out, "  Note:     %s\n", a->build_note);
}

static void print_support(FILE *out, const ex_assessment *a, bool color)
{
    if (a->support == EX_SUPPORT_UNKNOWN)
        return;
    if (a->support == EX_SUPPORT_ENDED)
        fprintf(out, "  Support:  %sENDED %s%s%s\n", color ? EX_C_RED : "", a->support_end,
                strcmp(a->security_updates, "esu") == 0 ? " (security updates for paid ESU customers only)"
                                                        : " (no security updates)",
                color ? EX_C_RESET : "");
    else
        fprintf(out, "  Support:  supported%s%s\n", a->support_end[0] ? " until " : "", a->support_end);
}

static void print_families(FILE *out, const ex_assessment *a, bool color)
{
    ex_family_line lines[64];
    size_t n = ex_family_lines(a, lines, 64);
    for (size_t i = 0; i < n; i++) {
        const ex_family_line *l = &lines[i];
        fprintf(out, "  %-24s %s%-10s%s ", l->family[0] ? l->family : "Other CVEs", ex_status_color(l->status, color),
                ex_status_name(l->status), color ? EX_C_RESET : "");
        if (l->members > 1)
            fprintf(out, "%zu of %zu CVEs not known to be patched; ", l->affected, l->members);
        fprintf(out, "%s: %s\n", l->example->cve->id, l->example->basis);
    }
}

static void print_cves(FILE *out, const ex_assessment *a, bool color)
{
    for (size_t i = 0; i < a->ncves; i++) {
        const ex_cve_verdict *v = &a->cves[i];
        fprintf(out, "  %-15s %-22s %s%-10s%s %s\n", v->cve->id, v->cve->family, ex_status_color(v->status, color),
                ex_status_name(v->status), color ? EX_C_RESET : "", v->basis);
    }
}

void ex_print_assessment(FILE *out, const char *input, const ex_assessment *a, const ex_summary_opts *o)
{
    fprintf(out, "%s%s%s\n", o->color ? EX_C_BOLD : "", input, o->color ? EX_C_RESET : "");
    print_build(out, a);
    print_support(out, a, o->color);
    fprintf(out, "  Verdict:  %s%s%s", ex_status_color(a->worst, o->color), ex_status_name(a->worst),
            o->color ? EX_C_RESET : "");
    if (a->newer_updates_without_cves)
        fprintf(out, " (%zu newer update%s for this CU; the CVEs they fix are not in the knowledge base)",
                a->newer_updates_without_cves, a->newer_updates_without_cves > 1 ? "s" : "");
    fputc('\n', out);
    if (a->ncves) {
        fprintf(out, "  CVEs:\n");
        (o->verbose ? print_cves : print_families)(out, a, o->color);
    }
    if (a->nsteps) {
        fprintf(out, "  Update path:\n");
        for (size_t i = 0; i < a->nsteps; i++)
            fprintf(out, "    %zu. %s\n", i + 1, a->steps[i].step);
    }
}
