/* verdict: see verdict.h for the rules. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const status_names[] = {"patched", "mitigated", "unknown", "config", "possibly", "vulnerable"};

const char *ex_status_name(ex_status s)
{
    return (unsigned)s < 6 ? status_names[s] : "unknown";
}

int ex_status_from_name(const char *name)
{
    for (int i = 0; i < 6; i++)
        if (name && strcmp(name, status_names[i]) == 0)
            return i;
    return -1;
}

const char *ex_precision_name(ex_precision p)
{
    static const char *const n[] = {"none", "su", "cu", "approx"};
    return (unsigned)p < 4 ? n[p] : "none";
}

const char *ex_support_name(ex_support s)
{
    static const char *const n[] = {"unknown", "supported", "ended"};
    return (unsigned)s < 3 ? n[s] : "unknown";
}

/* ---- build identification ------------------------------------------------------- */

/* Products are compared within a line that shares major.minor: 15.2 holds
 * both Exchange 2019 and SE, whose builds continue 2019's numbering. */
static bool same_line(const ex_version *a, const ex_version *b)
{
    return a->major == b->major && a->minor == b->minor;
}

static void describe_build(const ex_kb *kb, ex_assessment *a, size_t cu_rows, bool newer_in_cu_only)
{
    char vs[EX_VERSION_STRLEN], rs[EX_VERSION_STRLEN];
    ex_version_format(&a->version, vs, sizeof vs);
    if (a->newer_than_kb)
        snprintf(a->build_note, sizeof a->build_note,
                 "%s is newer than every build %sin the knowledge base (data %s): its updates and their CVEs are "
                 "unknown to this version of the data; run 'exaudit kb update'",
                 vs, newer_in_cu_only ? "of its CU " : "", kb->date);
    else if (a->precision == EX_PRECISION_APPROX && a->row) {
        /* Below every known build of its CU, the row that names it is the CU's first: not "lower". */
        bool below_cu = ex_version_cmp(&a->row->version, &a->version) > 0;
        ex_version_format(&a->row->version, rs, sizeof rs);
        snprintf(a->build_note, sizeof a->build_note, "%s is not in Microsoft's build tables; %s %s (%s%s%s)", vs,
                 below_cu ? "it is below the lowest known build of its CU," : "nearest lower known build is", rs,
                 a->row->cu, a->row->update[0] ? " " : "", a->row->update);
    } else if (a->precision == EX_PRECISION_APPROX || (a->precision == EX_PRECISION_CU && !cu_rows))
        snprintf(a->build_note, sizeof a->build_note, "%s is not a build of any known CU", vs);
    else if (a->precision == EX_PRECISION_CU)
        snprintf(a->build_note, sizeof a->build_note,
                 "only the CU is known (%s): the installed security update cannot be seen", vs);
}

static void identify_build(const ex_kb *kb, ex_assessment *a)
{
    const ex_version *v = &a->version;
    size_t n = 0;
    const ex_kb_build *cu = ex_kb_cu_builds(kb, v, &n);
    a->product = ex_kb_product_of(kb, v);
    const ex_kb_build *top = ex_kb_newest_of_product(kb, a->product);
    a->row = ex_kb_find_build(kb, v);
    a->precision = a->row ? EX_PRECISION_SU : ex_version_has_revision(v) ? EX_PRECISION_APPROX : EX_PRECISION_CU;
    if (!a->row && ex_version_has_revision(v))
        a->row = ex_kb_nearest_lower(kb, v);
    if (!a->row && n)
        a->row = cu; /* CU known: its own row names it */
    a->cu_row = a->row ? ex_kb_cu_rtm(kb, a->row) : NULL;
    a->newest_in_cu = n ? &cu[n - 1] : NULL;
    a->newer_than_kb = top && (ex_version_has_revision(v) ? ex_version_cmp(v, &top->version) > 0
                                                          : ex_version_cmp_cu(v, &top->version) > 0);
    /* Several CUs get each update (2019 CU14 and CU15): a revision above the newest known
     * update of a CU that got the product's newest one is a later update than the data. */
    bool newer_in_cu_only = !a->newer_than_kb && top && a->newest_in_cu && ex_version_has_revision(v) &&
                            a->newest_in_cu->update[0] && strcmp(a->newest_in_cu->update, top->update) == 0 &&
                            ex_version_cmp(v, &a->newest_in_cu->version) > 0;
    a->newer_than_kb |= newer_in_cu_only;
    describe_build(kb, a, n, newer_in_cu_only);
}

static void assess_support(const ex_kb *kb, int64_t today, ex_assessment *a)
{
    const ex_kb_eol *e = ex_kb_eol_of(kb, a->product);
    if (!e)
        return;
    a->product_name = e->name;
    a->support_end = e->end;
    a->security_updates = e->security_updates;
    int64_t end = ex_date_to_days(e->end);
    a->support = (end >= 0 && end < today) ? EX_SUPPORT_ENDED : EX_SUPPORT_SUPPORTED;
}

/* ---- per-CVE status from the build -------------------------------------------------- */

typedef struct fix_scan {
    const ex_kb_fix *own;    /* row for the build's CU */
    const ex_kb_fix *newest; /* highest fixed build of the line */
    const ex_kb_fix *next;   /* lowest row of a CU above the build's */
    bool uncertain;
} fix_scan;

static bool scan_fixes(const ex_kb *kb, const ex_kb_cve *c, const ex_version *v, fix_scan *s)
{
    *s = (fix_scan){0};
    for (uint32_t i = 0; i < c->count; i++) {
        const ex_kb_fix *f = &kb->fixes[c->first + i];
        if (!same_line(&f->fixed, v))
            continue;
        if (!s->newest || ex_version_cmp(&f->fixed, &s->newest->fixed) > 0)
            s->newest = f;
        if (ex_version_same_cu(&f->fixed, v))
            s->own = f;
        else if (ex_version_cmp_cu(&f->fixed, v) > 0 && (!s->next || ex_version_cmp(&f->fixed, &s->next->fixed) < 0))
            s->next = f;
        s->uncertain |= f->confidence == EX_CONF_UNCERTAIN || f->confidence == EX_CONF_EXTERNAL;
    }
    return s->newest != NULL;
}

static void fmt_fix(const ex_kb_fix *f, char *buf, size_t n)
{
    char fs[EX_VERSION_STRLEN];
    ex_version_format(&f->fixed, fs, sizeof fs);
    /* 2010 rollups name the CU after the update ("SP3 RU32"): print it once. */
    size_t cl = strlen(f->cu), ul = strlen(f->update);
    bool dup = ul <= cl && strcmp(f->cu + cl - ul, f->update) == 0;
    snprintf(buf, n, "%s (%s%s%s)", fs, f->cu, ul && !dup ? " " : "", dup ? "" : f->update);
}

/* The lowest build the server can be running: itself, or for a CU-only
 * version the CU's first known build. */
static ex_version floor_of(const ex_assessment *a)
{
    ex_version v = a->version;
    if (!ex_version_has_revision(&v))
        v.revision = (a->cu_row && ex_version_same_cu(&a->cu_row->version, &v)) ? a->cu_row->version.revision : 0;
    return v;
}

/* Why a build has its status: decided first (cheap), described only when shown. */
typedef enum build_rule {
    RULE_ABOVE_NEWEST,  /* at or above the newest fixed build of the line */
    RULE_OWN_CU_FIXED,  /* its CU's first fixed build, reached */
    RULE_OWN_CU_MAYBE,  /* CU only, and the CU has vulnerable and fixed builds */
    RULE_OWN_CU_BELOW,  /* below its CU's first fixed build */
    RULE_UNKNOWN_CU,    /* a CU the tables do not know */
    RULE_NO_FIX_FOR_CU, /* the CU never received the fix */
} build_rule;

static ex_status decide(const ex_assessment *a, const fix_scan *s, build_rule *rule)
{
    ex_version lo = floor_of(a);
    size_t cu_known = 0;
    if (ex_version_cmp(&lo, &s->newest->fixed) >= 0)
        return *rule = RULE_ABOVE_NEWEST, EX_STATUS_PATCHED;
    if (s->own) {
        if (ex_version_cmp(&lo, &s->own->fixed) >= 0)
            return *rule = RULE_OWN_CU_FIXED, EX_STATUS_PATCHED;
        if (!ex_version_has_revision(&a->version))
            return *rule = RULE_OWN_CU_MAYBE, EX_STATUS_POSSIBLY;
        return *rule = RULE_OWN_CU_BELOW, EX_STATUS_VULNERABLE;
    }
    ex_kb_cu_builds(a->kb, &a->version, &cu_known);
    if (!cu_known)
        return *rule = RULE_UNKNOWN_CU, EX_STATUS_UNKNOWN;
    return *rule = RULE_NO_FIX_FOR_CU, EX_STATUS_VULNERABLE;
}

size_t ex_cve_verdict_args(const ex_cve_verdict *v, ex_explain_arg *args, size_t max)
{
    const ex_explain_arg all[] = {{"build", v->arg_build},
                                  {"fix", v->arg_fix},
                                  {"cu", v->arg_cu},
                                  {"setting", v->setting ? v->setting : ""},
                                  {"status", ex_status_name(v->build_status)}};
    size_t n = sizeof all / sizeof all[0] < max ? sizeof all / sizeof all[0] : max;
    memcpy(args, all, n * sizeof *args);
    return n;
}

/* Write v->basis with the sentence code, the current basis becoming {prior}. */
static void say(ex_cve_verdict *v, const char *code)
{
    ex_explain_arg args[8];
    char prior[EX_BASIS_LEN];
    ex_strlcpy(prior, v->basis, sizeof prior);
    size_t n = ex_cve_verdict_args(v, args, 7);
    args[n++] = (ex_explain_arg){"prior", prior};
    ex_explain_fill(ex_explain_template(code), args, n, NULL, v->basis, sizeof v->basis);
    if (v->nrules < EX_MAX_RULES)
        v->rules[v->nrules++] = code;
}

static void describe(const ex_assessment *a, const fix_scan *s, build_rule rule, ex_cve_verdict *out)
{
    static const char *const codes[] = {
        [RULE_ABOVE_NEWEST] = "above-newest", [RULE_OWN_CU_FIXED] = "own-cu-fixed",
        [RULE_OWN_CU_MAYBE] = "own-cu-maybe", [RULE_OWN_CU_BELOW] = "own-cu-below",
        [RULE_UNKNOWN_CU] = "unknown-cu",     [RULE_NO_FIX_FOR_CU] = "no-fix-for-cu",
    };
    bool own = rule == RULE_OWN_CU_FIXED || rule == RULE_OWN_CU_MAYBE || rule == RULE_OWN_CU_BELOW;
    const ex_kb_fix *f = own ? s->own : rule == RULE_NO_FIX_FOR_CU && s->next ? s->next : s->newest;
    ex_version_format(&a->version, out->arg_build, sizeof out->arg_build);
    fmt_fix(f, out->arg_fix, sizeof out->arg_fix);
    ex_strlcpy(out->arg_cu, own ? f->cu : a->cu_row ? a->cu_row->cu : out->arg_build, sizeof out->arg_cu);
    if (rule != RULE_ABOVE_NEWEST && rule != RULE_UNKNOWN_CU) {
        out->fixed_in = f->fixed;
        out->fixed_update = f->update;
    }
    say(out, codes[rule]);
}

static ex_status build_status(const ex_assessment *a, const fix_scan *s, ex_cve_verdict *out)
{
    build_rule rule;
    ex_status st = decide(a, s, &rule);
    describe(a, s, rule, out);
    return st;
}

static const ex_config_fact *config_fact(const ex_facts *f, const char *family)
{
    for (size_t i = 0; i < f->nconfig; i++)
        if (f->config[i].family && strcmp(f->config[i].family, family) == 0)
            return &f->config[i];
    return NULL;
}

/* A config-kind CVE: the build only decides whether the setting can help. */
static ex_status apply_config(const ex_facts *f, const fix_scan *s, ex_status st, ex_cve_verdict *out)
{
    out->setting = s->newest->setting;
    if (st != EX_STATUS_PATCHED)
        return st;
    const ex_config_fact *cf = config_fact(f, s->newest->family);
    if (cf && cf->state != EX_SETTING_UNKNOWN) {
        out->evidence = cf->evidence;
        say(out, cf->state == EX_SETTING_ON ? "config-on" : "config-off");
        return cf->state == EX_SETTING_ON ? EX_STATUS_PATCHED : EX_STATUS_VULNERABLE;
    }
    say(out, "config-unknown");
    return EX_STATUS_CONFIG;
}

/* ---- behavioural observations ------------------------------------------------------------ */

static const ex_observation *observation(const ex_facts *f, const char *cve)
{
    for (size_t i = 0; i < f->nobs; i++)
        if (f->obs[i].cve && strcmp(f->obs[i].cve, cve) == 0 && f->obs[i].outcome != EX_PROBE_NONE)
            return &f->obs[i];
    return NULL;
}

static void apply_probe(const ex_assessment *a, const ex_observation *o, ex_cve_verdict *v)
{
    v->evidence = o->evidence;
    v->by_probe = true;
    switch (o->outcome) {
    case EX_PROBE_POSITIVE:
        v->status = EX_STATUS_VULNERABLE;
        say(v, v->build_status == EX_STATUS_PATCHED ? "probe-positive-against" : "probe-positive");
        break;
    case EX_PROBE_MITIGATED:
        v->status = v->build_status == EX_STATUS_PATCHED ? EX_STATUS_PATCHED : EX_STATUS_MITIGATED;
        say(v, "probe-mitigated");
        break;
    case EX_PROBE_NEGATIVE:
        if (v->build_status == EX_STATUS_VULNERABLE && a->precision == EX_PRECISION_SU) {
            v->status = EX_STATUS_POSSIBLY;
            say(v, "probe-negative-conflict");
        } else if (v->build_status == EX_STATUS_PATCHED) {
            v->by_probe = false; /* the probe agrees; the build is the stronger basis */
        } else {
            v->status = EX_STATUS_PATCHED;
            say(v, "probe-negative");
        }
        break;
    default: break;
    }
}

static void assess_cve(const ex_assessment *a, const ex_facts *f, const ex_kb_cve *c, const fix_scan *s,
                       ex_cve_verdict *v)
{
    *v = (ex_cve_verdict){.cve = c, .fixed_in = {0, 0, 0, -1}, .uncertain_data = s->uncertain};
    ex_status st = build_status(a, s, v);
    v->build_status = st; /* config sentences quote the build-alone status */
    if (c->kind == EX_FIX_CONFIG)
        st = apply_config(f, s, st, v);
    v->status = v->build_status = st;
    const ex_observation *o = observation(f, c->id);
    if (o)
        apply_probe(a, o, v);
    if (s->uncertain) { /* also in the record as data_uncertain; the sentence says it for plain-text readers */
        size_t n = strlen(v->basis);
        snprintf(v->basis + n, sizeof v->basis - n, " [fix data flagged uncertain or external in data/kb]");
    }
}

/* No build at all (scan could not see one): only probes can say anything. */
static void assess_cve_without_build(const ex_facts *f, const ex_kb_cve *c, ex_cve_verdict *v)
{
    *v = (ex_cve_verdict){
        .cve = c, .status = EX_STATUS_UNKNOWN, .build_status = EX_STATUS_UNKNOWN, .fixed_in = {0, 0, 0, -1}};
    say(v, "no-build");
    const ex_observation *o = observation(f, c->id);
    if (o)
        apply_probe(&(ex_assessment){0}, o, v);
}

static int assess_cves(const ex_kb *kb, const ex_facts *f, ex_assessment *a)
{
    a->cves = calloc(kb->ncves ? kb->ncves : 1, sizeof *a->cves);
    if (!a->cves)
        return -1;
    for (size_t i = 0; i < kb->ncves; i++) {
        fix_scan s;
        const ex_kb_cve *c = &kb->cves[i];
        if (!a->have_version) {
            if (observation(f, c->id))
                assess_cve_without_build(f, c, &a->cves[a->ncves++]);
            continue;
        }
        if (scan_fixes(kb, c, &a->version, &s))
            assess_cve(a, f, c, &s, &a->cves[a->ncves++]);
    }
    return 0;
}

/* ---- newer updates and overall status ---------------------------------------------------------- */

static bool update_has_cves(const ex_kb *kb, const ex_kb_build *b)
{
    for (size_t i = 0; i < kb->nfixes; i++)
        if (ex_version_cmp(&kb->fixes[i].fixed, &b->version) == 0)
            return true;
    return false;
}

/* SUs carry security fixes by definition; hotfix updates (HU) only sometimes,
 * and when they do the data lists the CVE (Apr25HU). */
static bool is_security_update(const ex_kb_build *b)
{
    return strstr(b->update, "SU") != NULL;
}

static void count_newer_updates(const ex_kb *kb, ex_assessment *a)
{
    size_t n = 0;
    const ex_kb_build *cu = ex_kb_cu_builds(kb, &a->version, &n);
    ex_version lo = floor_of(a);
    for (size_t i = 0; i < n; i++)
        if (ex_version_cmp(&cu[i].version, &lo) > 0 && is_security_update(&cu[i]) && !update_has_cves(kb, &cu[i]))
            a->newer_updates_without_cves++;
}

static void overall(ex_assessment *a)
{
    /* A build of a CU the tables do not know (2007, 2010 SP2) is not "patched" just because no CVE row speaks. */
    bool cu_known = a->newest_in_cu || a->newer_than_kb;
    ex_status w =
        (a->have_version && a->product != EX_PRODUCT_UNKNOWN && cu_known) ? EX_STATUS_PATCHED : EX_STATUS_UNKNOWN;
    for (size_t i = 0; i < a->ncves; i++)
        if (a->cves[i].status > w)
            w = a->cves[i].status;
    /* Newer updates whose CVEs the data does not list: not proven patched. */
    if (w < EX_STATUS_POSSIBLY && a->have_version && (a->newer_updates_without_cves || a->newer_than_kb))
        w = EX_STATUS_POSSIBLY;
    a->worst = w;
}

/* ---- remediation ------------------------------------------------------------------------------ */

size_t ex_remedy_args(const ex_remedy *r, ex_explain_arg *args, size_t max)
{
    const ex_explain_arg all[] = {{"product", r->product}, {"cu", r->cu},   {"update", r->update},
                                  {"setting", r->setting}, {"cve", r->cve}, {"family", r->family},
                                  {"end", r->end},         {"kb", r->kb},   {"build", r->build}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n < max; i++)
        if (all[i].value && *all[i].value)
            args[n++] = all[i];
    return n;
}

/* Add a step: r holds the code's slot values; the English sentence is made here. */
static void add_step(ex_assessment *a, const char *action, const char *kb, ex_remedy r)
{
    if (a->nsteps >= EX_MAX_REMEDIES)
        return;
    ex_explain_arg args[12];
    r.action = action;
    ex_strlcpy(r.kb, kb ? kb : "", sizeof r.kb);
    size_t n = ex_remedy_args(&r, args, 12);
    ex_explain_fill(ex_explain_template(action), args, n, NULL, r.step, sizeof r.step);
    a->steps[a->nsteps++] = r;
}

/* Would the newest build of this CU be free of every known build-fixable CVE? */
static bool cu_top_is_clean(const ex_kb *kb, const ex_kb_build *top)
{
    /* decide() needs only the version: a full build has no CU floor to look up. */
    ex_assessment t = {.kb = kb, .have_version = true, .version = top->version};
    for (size_t i = 0; i < kb->ncves; i++) {
        fix_scan s;
        build_rule rule;
        if (!scan_fixes(kb, &kb->cves[i], &top->version, &s))
            continue;
        if (decide(&t, &s, &rule) != EX_STATUS_PATCHED)
            return false;
    }
    return true;
}

/* The lowest CU at or above the current one whose newest update fixes everything. */
static const ex_kb_build *target_cu_top(const ex_kb *kb, const ex_assessment *a)
{
    const ex_kb_build *best = NULL;
    for (size_t i = 0; i < kb->nbuilds; i++) {
        const ex_kb_build *b = &kb->builds[i];
        bool last_of_cu = i + 1 == kb->nbuilds || !ex_version_same_cu(&b->version, &kb->builds[i + 1].version);
        if (!last_of_cu || b->product != a->product || ex_version_cmp_cu(&b->version, &a->version) < 0)
            continue;
        if (cu_top_is_clean(kb, b))
            return b;
        best = b; /* nothing clean: fall back to the newest CU */
    }
    return best;
}

static void remedy_updates(const ex_kb *kb, ex_assessment *a)
{
    const ex_kb_build *top = target_cu_top(kb, a);
    if (!top || a->newer_than_kb)
        return;
    const ex_kb_build *rtm = ex_kb_cu_rtm(kb, top);
    bool same_cu = ex_version_same_cu(&top->version, &a->version);
    bool at_top = ex_version_has_revision(&a->version) && ex_version_cmp(&a->version, &top->version) >= 0;
    if (!same_cu)
        add_step(a, "install-cu", rtm->kb[0] ? rtm->kb : "no KB listed",
                 (ex_remedy){.product = a->product_name, .cu = rtm->cu});
    if (at_top || !top->update[0])
        return;
    bool ensure = same_cu && !ex_version_has_revision(&a->version);
    bool esu = a->security_updates && strcmp(a->security_updates, "esu") == 0 && a->support == EX_SUPPORT_ENDED;
    ex_remedy r = {.cu = top->cu, .update = top->update};
    ex_version_format(&top->version, r.build, sizeof r.build);
    add_step(a, ensure ? (esu ? "ensure-su-esu" : "ensure-su") : (esu ? "install-su-esu" : "install-su"), top->kb, r);
}

static void remedy_config(ex_assessment *a)
{
    const char *done[4] = {0};
    size_t ndone = 0;
    for (size_t i = 0; i < a->ncves; i++) {
        const ex_cve_verdict *v = &a->cves[i];
        if (v->status != EX_STATUS_CONFIG || !v->setting)
            continue;
        bool seen = false;
        for (size_t k = 0; k < ndone; k++)
            seen |= strcmp(done[k], v->setting) == 0;
        if (seen || ndone == 4)
            continue;
        done[ndone++] = v->setting;
        add_step(a, "turn-on", NULL,
                 (ex_remedy){.setting = v->setting,
                             .cve = v->cve->id,
                             .family = v->cve->family[0] ? v->cve->family : "config"});
    }
}

static void remedy_end_of_life(const ex_kb *kb, ex_assessment *a)
{
    const ex_kb_build *se = ex_kb_newest_of_product(kb, EX_PRODUCT_SE);
    const ex_kb_build *se_rtm = se ? ex_kb_cu_rtm(kb, se) : NULL;
    const char *se_kb = se_rtm ? se_rtm->kb : "";
    if (a->support != EX_SUPPORT_ENDED)
        return;
    const char *code = a->product == EX_PRODUCT_2019   ? "eol-2019"
                       : a->product == EX_PRODUCT_2016 ? "eol-2016"
                                                       : "eol-other";
    add_step(a, code, se_kb, (ex_remedy){.end = a->support_end});
}

static void remediation(const ex_kb *kb, ex_assessment *a)
{
    if (!a->have_version || a->product == EX_PRODUCT_UNKNOWN)
        return;
    if (a->newer_than_kb)
        add_step(a, "update-kb", NULL, (ex_remedy){0});
    remedy_updates(kb, a);
    remedy_config(a);
    remedy_end_of_life(kb, a);
}

/* ---- entry points ------------------------------------------------------------------------------- */

int ex_assess(const ex_kb *kb, const ex_facts *f, ex_assessment *a)
{
    *a = (ex_assessment){.kb = kb, .have_version = f->have_version, .version = f->version};
    if (a->have_version) {
        identify_build(kb, a);
        assess_support(kb, f->today, a);
        a->newest_of_product = ex_kb_newest_of_product(kb, a->product);
        count_newer_updates(kb, a);
    }
    if (assess_cves(kb, f, a) != 0)
        return -1;
    overall(a);
    remediation(kb, a);
    return 0;
}

void ex_assessment_free(ex_assessment *a)
{
    free(a->cves);
    a->cves = NULL;
    a->ncves = 0;
}

const ex_cve_verdict *ex_assessment_cve(const ex_assessment *a, const char *cve)
{
    for (size_t i = 0; i < a->ncves; i++)
        if (strcmp(a->cves[i].cve->id, cve) == 0)
            return &a->cves[i];
    return NULL;
}

static void add_to_family(ex_family_line *lines, size_t *n, size_t max, const ex_cve_verdict *v)
{
    size_t k = 0;
    while (k < *n && strcmp(lines[k].family, v->cve->family) != 0)
        k++;
    if (k == *n) {
        if (*n == max)
            return;
        lines[(*n)++] = (ex_family_line){.family = v->cve->family, .status = v->status, .example = v};
    }
    ex_family_line *l = &lines[k];
    l->members++;
    l->affected += v->status != EX_STATUS_PATCHED;
    if (v->status > l->status) {
        l->status = v->status;
        l->example = v;
    }
}

/* Named families in CVE order (roughly chronological), the unnamed CVEs last. */
size_t ex_family_lines(const ex_assessment *a, ex_family_line *lines, size_t max)
{
    size_t n = 0;
    for (int unnamed = 0; unnamed < 2; unnamed++)
        for (size_t i = 0; i < a->ncves; i++)
            if ((a->cves[i].cve->family[0] == '\0') == unnamed)
                add_to_family(lines, &n, max, &a->cves[i]);
    return n;
}
