/* truth: which CVE each emulated server really has, and what an honest scanner
 * must report about it. This is the lab's own table, written from advisory
 * statements and Microsoft's release builds; it never reads data/kb or links
 * lib/kb: the lab is the independent oracle the scanner is measured against.
 *
 * Decision for a build B of a product line (15.0 = 2013, 15.1 = 2016, 15.2 = 2019 and SE):
 *   1. the CU of B received the fixing update: B is fixed iff B >= that CU's first fixed build;
 *   2. otherwise B is fixed iff B >= the first build of the first CU released after the update
 *      (a later CU contains the fix: EOMT.ps1 `$FutureCUs = @{ E19CU9 = "15.2.858.5"; E16CU20 =
 *      "15.1.2242.4" }` "They have the March CU, which contains this KB", logs-and-builds.md §5.1/§6.1);
 *   3. otherwise B is vulnerable (its CU never received a fix).
 * Exchange 2010 (14.x) is not an affected product of these advisories: the CSS-Exchange FAQ says
 * 2010 is affected only by CVE-2021-26857 (logs-and-builds.md §1.2), and the 2021/2022 advisories
 * list 2013/2016/2019 only. */
#include <string.h>

#include "lab.h"

const char *const lab_cves[LAB_NCVES] = {
    "CVE-2021-26855", /* ProxyLogon */
    "CVE-2021-34473", /* ProxyShell */
    "CVE-2021-33766", /* ProxyToken */
    "CVE-2022-41040", /* ProxyNotShell */
    "CVE-2022-41080", /* OWASSRF */
};

typedef struct fix_row {
    const char *cve;
    const char *fixed; /* first fixed build of that CU */
    const char *source;
} fix_row;

/* Sources, abbreviated in the rows below. */
#define NSE       "Microsoft NSE statement (CSS-Exchange Security/src/http-vuln-cve2021-26855.nse, 1c33bb819^)"
#define KB5000871 "Mar21SU KB5000871 release build (2021-03-02), Get-ExchangeBuildNumber CSV + MS build page"
#define KB5001779                                                                                                      \
    "Apr21SU KB5001779 release build (2021-04-13); ProxyShell 'patched in April' per Microsoft's advisory summary"
#define KB5004778                                                                                                      \
    "Jul21SU KB5004778/KB5004779/KB5004780 release build (2021-07-13); MSRC CVE-2021-33766 fixed by the July 2021 SU"
#define KB5019758                                                                                                      \
    "Nov22SU KB5019758 release build (2022-11-08); HealthChecker suNameDictionary Nov22SU = CVE-2022-41040, -41080"

static const fix_row fixes[] = {
    /* ProxyLogon: "Exchange 2013 Versions < 15.00.1497.012, Exchange 2016 CU18 < 15.01.2106.013,
     * Exchange 2016 CU19 < 15.01.2176.009, Exchange 2019 CU7 < 15.02.0721.013, Exchange 2019 CU8
     * < 15.02.0792.010 are vulnerable" (NSE); the older CUs got Mar21SU builds a week later (KB5000871). */
    {"CVE-2021-26855", "15.0.1497.12", NSE},
    {"CVE-2021-26855", "15.1.2106.13", NSE},
    {"CVE-2021-26855", "15.1.2176.9", NSE},
    {"CVE-2021-26855", "15.2.721.13", NSE},
    {"CVE-2021-26855", "15.2.792.10", NSE},
    {"CVE-2021-26855", "15.0.847.64", KB5000871},
    {"CVE-2021-26855", "15.0.1395.12", KB5000871},
    {"CVE-2021-26855", "15.0.1473.6", KB5000871},
    {"CVE-2021-26855", "15.1.1415.10", KB5000871 " (HealthChecker lists 15.1.1415.8)"},
    {"CVE-2021-26855", "15.1.1466.16", KB5000871 " (HealthChecker lists 15.1.1466.13)"},
    {"CVE-2021-26855", "15.1.1531.12", KB5000871},
    {"CVE-2021-26855", "15.1.1591.18", KB5000871},
    {"CVE-2021-26855", "15.1.1713.10", KB5000871},
    {"CVE-2021-26855", "15.1.1779.8", KB5000871},
    {"CVE-2021-26855", "15.1.1847.12", KB5000871},
    {"CVE-2021-26855", "15.1.1913.12", KB5000871},
    {"CVE-2021-26855", "15.1.1979.8", KB5000871},
    {"CVE-2021-26855", "15.1.2044.13", KB5000871},
    {"CVE-2021-26855", "15.2.221.18", KB5000871},
    {"CVE-2021-26855", "15.2.330.11", KB5000871},
    {"CVE-2021-26855", "15.2.397.11", KB5000871},
    {"CVE-2021-26855", "15.2.464.15", KB5000871},
    {"CVE-2021-26855", "15.2.529.13", KB5000871},
    {"CVE-2021-26855", "15.2.595.8", KB5000871},
    {"CVE-2021-26855", "15.2.659.12", KB5000871},
    /* ProxyShell */
    {"CVE-2021-34473", "15.0.1497.15", KB5001779},
    {"CVE-2021-34473", "15.1.2176.12", KB5001779},
    {"CVE-2021-34473", "15.1.2242.8", KB5001779},
    {"CVE-2021-34473", "15.2.792.13", KB5001779},
    {"CVE-2021-34473", "15.2.858.10", KB5001779},
    /* ProxyToken */
    {"CVE-2021-33766", "15.0.1497.23", KB5004778},
    {"CVE-2021-33766", "15.1.2242.12", KB5004778},
    {"CVE-2021-33766", "15.1.2308.14", KB5004778},
    {"CVE-2021-33766", "15.2.858.15", KB5004778},
    {"CVE-2021-33766", "15.2.922.13", KB5004778},
    /* ProxyNotShell and OWASSRF: the same update */
    {"CVE-2022-41040", "15.0.1497.44", KB5019758},
    {"CVE-2022-41040", "15.1.2375.37", KB5019758},
    {"CVE-2022-41040", "15.1.2507.16", KB5019758},
    {"CVE-2022-41040", "15.2.986.36", KB5019758},
    {"CVE-2022-41040", "15.2.1118.20", KB5019758},
    {"CVE-2022-41080", "15.0.1497.44", KB5019758},
    {"CVE-2022-41080", "15.1.2375.37", KB5019758},
    {"CVE-2022-41080", "15.1.2507.16", KB5019758},
    {"CVE-2022-41080", "15.2.986.36", KB5019758},
    {"CVE-2022-41080", "15.2.1118.20", KB5019758},
};

/* The first CU released after the update, per line: every build from it on contains the fix.
 * Release dates from the Get-ExchangeBuildNumber CSV (builds.c). 2013 CU23 and 2016 CU23 were the
 * last CUs of their lines, so those lines have no row for the later updates. */
static const fix_row later_cus[] = {
    {"CVE-2021-26855", "15.1.2242.4", "2016 CU20 (2021-03-16): EOMT.ps1 $FutureCUs E16CU20"},
    {"CVE-2021-26855", "15.2.858.5", "2019 CU9 (2021-03-16): EOMT.ps1 $FutureCUs E19CU9"},
    {"CVE-2021-34473", "15.1.2308.8", "2016 CU21 (2021-06-29), first CU after Apr21SU"},
    {"CVE-2021-34473", "15.2.922.7", "2019 CU10 (2021-06-29), first CU after Apr21SU"},
    {"CVE-2021-33766", "15.1.2375.7", "2016 CU22 (2021-09-28), first CU after Jul21SU"},
    {"CVE-2021-33766", "15.2.986.5", "2019 CU11 (2021-09-28), first CU after Jul21SU"},
    {"CVE-2022-41040", "15.2.1258.12", "2019 CU13 (2023-05-03), first CU after Nov22SU"},
    {"CVE-2022-41080", "15.2.1258.12", "2019 CU13 (2023-05-03), first CU after Nov22SU"},
};

static ex_version parse(const char *s)
{
    ex_version v = {0, 0, 0, -1};
    ex_version_parse_str(s, &v);
    return v;
}

static bool same_line(const ex_version *a, const ex_version *b)
{
    return a->major == b->major && a->minor == b->minor;
}

static const fix_row *own_cu_fix(const char *cve, const ex_version *v)
{
    for (size_t i = 0; i < EX_ARRAY_LEN(fixes); i++) {
        ex_version f = parse(fixes[i].fixed);
        if (strcmp(fixes[i].cve, cve) == 0 && ex_version_same_cu(&f, v))
            return &fixes[i];
    }
    return NULL;
}

lab_status lab_build_truth(const char *cve, const ex_version *v)
{
    if (v->major < 15)
        return LAB_S_NOT_APPLICABLE;
    const fix_row *own = own_cu_fix(cve, v);
    if (own) {
        ex_version f = parse(own->fixed);
        return ex_version_cmp(v, &f) >= 0 ? LAB_S_PATCHED : LAB_S_VULNERABLE;
    }
    for (size_t i = 0; i < EX_ARRAY_LEN(later_cus); i++) {
        ex_version f = parse(later_cus[i].fixed);
        if (strcmp(later_cus[i].cve, cve) == 0 && same_line(&f, v) && ex_version_cmp(v, &f) >= 0)
            return LAB_S_PATCHED;
    }
    return LAB_S_VULNERABLE;
}

bool lab_cu_mixed(const char *cve, const ex_version *cu_rtm)
{
    const fix_row *own = own_cu_fix(cve, cu_rtm);
    if (!own)
        return false;
    ex_version f = parse(own->fixed);
    return ex_version_cmp(cu_rtm, &f) < 0;
}

const char *lab_status_name(lab_status s)
{
    switch (s) {
    case LAB_S_NOT_APPLICABLE: return "not-applicable";
    case LAB_S_VULNERABLE: return "vulnerable";
    case LAB_S_PATCHED: return "patched";
    case LAB_S_MITIGATED: return "mitigated";
    case LAB_S_POSSIBLY: return "possibly";
    default: return NULL;
    }
}

/* ---- what an honest scanner sees ----------------------------------------------------------- */

typedef enum probe { PROBE_NONE, PROBE_POSITIVE, PROBE_NEGATIVE, PROBE_MITIGATED } probe;

/* What the trigger of each probe meets on this persona (exchange.c implements the answers):
 *   CVE-2021-26855  ProxyLogon x.js + cookies (remote-detection.md §2.1): X-CalculatedBETarget
 *                   localhost when vulnerable; EOMT aborts the connection (§2.1, logs §6.1);
 *   CVE-2021-34473  ProxyShell autodiscover.json SSRF (§2.2): errorfe 302 / MAPI 200 when vulnerable;
 *   CVE-2022-41040  the ProxyNotShell URL only shows the EOMTv2 abort (§2.4, logs §6.2); its
 *                   unauthenticated answers are the same for fixed and unfixed builds.
 * F5 ASM answers attack patterns with its own page: no probe decides anything behind it. Hidden
 * personas do not publish /owa: the ProxyLogon probe decides nothing there either. */
static probe trigger_answer(const lab_persona *p, const char *cve, lab_status build_truth)
{
    if (p->flags & LAB_F_WAF_F5)
        return PROBE_NONE;
    if (strcmp(cve, "CVE-2021-26855") == 0) {
        /* The probe lives under /owa/auth/: where OWA is not published it meets a 404 whatever the
         * build, which decides nothing. */
        if (p->flags & LAB_F_HIDDEN)
            return PROBE_NONE;
        if (p->flags & LAB_F_EOMT)
            return PROBE_MITIGATED;
        return build_truth == LAB_S_VULNERABLE ? PROBE_POSITIVE : PROBE_NEGATIVE;
    }
    if (strcmp(cve, "CVE-2021-34473") == 0)
        return build_truth == LAB_S_VULNERABLE ? PROBE_POSITIVE : PROBE_NEGATIVE;
    if (strcmp(cve, "CVE-2022-41040") == 0 && (p->flags & LAB_F_EOMTV2))
        return PROBE_MITIGATED;
    return PROBE_NONE;
}

/* Only a clean answer from Exchange is a negative result (lib/verdict.h EX_PROBE_NEGATIVE). Two
 * answers of fixed servers are not clean: the 401 some hosts give the ProxyShell probe ("I get a
 * 401 on every Exchange 2016", GossiTheDog #11; "whether 401 means not vulnerable was never
 * settled", remote-detection.md §6.4), and whatever a status-rewriting gateway turns the answer
 * into (200 with an empty body or "{}", §6.6 "a trap for status-only checks"). */
static bool answer_is_clean(const lab_persona *p, unsigned quirks, const char *cve)
{
    if (p->flags & LAB_F_WAF_GW)
        return false;
    return !((quirks & LAB_Q_PS_401) && strcmp(cve, "CVE-2021-34473") == 0);
}

static probe probe_outcome(const lab_persona *p, unsigned quirks, const char *cve, lab_status build_truth)
{
    probe pr = trigger_answer(p, cve, build_truth);
    if (pr == PROBE_NEGATIVE && !answer_is_clean(p, quirks, cve))
        return PROBE_NONE;
    return pr;
}

static bool mitigation_covers(const lab_persona *p, const char *cve)
{
    /* EOMT covers the ProxyLogon SSRF; EOMTv2 the ProxyNotShell autodiscover path. OWASSRF
     * (CVE-2022-41080) reaches PowerShell through /owa/mastermail and is not covered. */
    return ((p->flags & LAB_F_EOMT) && strcmp(cve, "CVE-2021-26855") == 0) ||
           ((p->flags & LAB_F_EOMTV2) && strcmp(cve, "CVE-2022-41040") == 0);
}

static lab_view view_of(const char *precision, const ex_version *build)
{
    lab_view v = {precision, *build};
    if (strcmp(precision, "cu") == 0)
        v.build.revision = -1;
    return v;
}

/* What the server shows (lab_precision), plus what the probes show: the positive ProxyShell answer
 * carries the component build in owaVer= (V5, sample 05) or on the MAPI page (V6), a build of the CU
 * and nothing finer (remote-detection.md §1 V5, §6.9 "component builds missing from the MS
 * table"). That tells something only where no build was visible: on hidden personas. */
lab_view lab_visible(const lab_persona *p, unsigned quirks, bool active)
{
    const char *prec = lab_precision(p);
    if (!prec)
        return view_of("none", &p->version);
    if (strcmp(prec, "none") == 0 && active &&
        probe_outcome(p, quirks, "CVE-2021-34473", lab_build_truth("CVE-2021-34473", &p->version)) == PROBE_POSITIVE)
        return view_of("cu", &p->component);
    return view_of(prec, strcmp(prec, "cu") == 0 ? &p->cu_rtm : &p->version);
}

/* What the visible build alone lets a scanner say (ABSENT = nothing). */
static lab_status visible_status(const lab_persona *p, const lab_view *v, const char *cve, lab_status build_truth)
{
    if (strcmp(v->precision, "none") == 0)
        return LAB_S_ABSENT;
    if (strcmp(v->precision, "cu") == 0 && lab_cu_mixed(cve, &p->cu_rtm))
        return LAB_S_POSSIBLY;
    return build_truth;
}

/* The verdict policy of lib/verdict.h, restated: a positive probe wins; an abort is
 * "mitigated" unless the build already shows the fix; a clean answer settles what the build
 * could not (an exact vulnerable build that does not trigger becomes "possibly"). */
static lab_status with_probe(lab_status build, probe pr, const lab_view *v)
{
    switch (pr) {
    case PROBE_POSITIVE: return LAB_S_VULNERABLE;
    case PROBE_MITIGATED: return build == LAB_S_PATCHED ? LAB_S_PATCHED : LAB_S_MITIGATED;
    case PROBE_NEGATIVE:
        if (build == LAB_S_VULNERABLE && strcmp(v->precision, "su") == 0)
            return LAB_S_POSSIBLY;
        return LAB_S_PATCHED;
    default: return build;
    }
}

size_t lab_truth_eval(const lab_persona *p, unsigned quirks, lab_cve_truth out[LAB_NCVES])
{
    if (p->kind != LAB_K_EXCHANGE)
        return 0;
    lab_view active = lab_visible(p, quirks, true), passive = lab_visible(p, quirks, false);
    for (size_t i = 0; i < LAB_NCVES; i++) {
        const char *cve = lab_cves[i];
        lab_status bt = lab_build_truth(cve, &p->version);
        lab_cve_truth *t = &out[i];
        t->cve = cve;
        if (bt == LAB_S_NOT_APPLICABLE) {
            t->truth = bt;
            t->expect = t->expect_passive = LAB_S_ABSENT;
            continue;
        }
        t->truth = (bt == LAB_S_VULNERABLE && mitigation_covers(p, cve)) ? LAB_S_MITIGATED : bt;
        t->expect_passive = visible_status(p, &passive, cve, bt);
        t->expect = with_probe(visible_status(p, &active, cve, bt), probe_outcome(p, quirks, cve, bt), &active);
    }
    return LAB_NCVES;
}
