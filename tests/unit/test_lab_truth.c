/* The lab's truth table (tests/lab/truth.c) against the advisory statements it
 * is built from, and the manifest's expect rules (docs/lab.md) on named
 * personas. Expected values are taken from the text of the sources, quoted
 * here, never from the table under test:
 *   - Microsoft's NSE statement (logs-and-builds.md §4);
 *   - the KB release builds of Mar21SU, Apr21SU, Jul21SU, Nov22SU (§5.2 and the
 *     Microsoft build list);
 *   - EOMT.ps1 "$FutureCUs = @{ E19CU9 = "15.2.858.5"; E16CU20 = "15.1.2242.4" }";
 *   - the CSS-Exchange FAQ: Exchange 2010 is affected only by CVE-2021-26857. */
#include "t.h"

#include "../lab/builds.c"
#include "../lab/fleet.c"
#include "../lab/truth.c"

static lab_status truth(const char *cve, const char *build)
{
    ex_version v;
    if (ex_version_parse_str(build, &v) != 0)
        return LAB_S_ABSENT;
    return lab_build_truth(cve, &v);
}

/* "Exchange 2013 Versions < 15.00.1497.012, Exchange 2016 CU18 < 15.01.2106.013, Exchange 2016 CU19
 * < 15.01.2176.009, Exchange 2019 CU7 < 15.02.0721.013, Exchange 2019 CU8 < 15.02.0792.010 are
 * vulnerable to a SSRF via the X-AnonResource-Backend and X-BEResource cookies." */
static const char statement[] = "Exchange 2013 Versions < 15.00.1497.012, Exchange 2016 CU18 < 15.01.2106.013, "
                                "Exchange 2016 CU19 < 15.01.2176.009, Exchange 2019 CU7 < 15.02.0721.013, "
                                "Exchange 2019 CU8 < 15.02.0792.010";

TEST(proxylogon_follows_the_nse_statement)
{
    int seen = 0;
    for (const char *p = strstr(statement, "< "); p; p = strstr(p + 2, "< ")) {
        char fixed[32];
        size_t n = strcspn(p + 2, ",");
        CHECK(n < sizeof fixed);
        memcpy(fixed, p + 2, n);
        fixed[n] = '\0';
        ex_version v;
        CHECK_INT(ex_version_parse_str(fixed, &v), 0);
        char s[32];
        ex_version_format(&v, s, sizeof s);
        if (truth("CVE-2021-26855", s) != LAB_S_PATCHED)
            t_fail(__FILE__, __LINE__, "%s should be the first fixed build", s);
        v.revision -= 1;
        ex_version_format(&v, s, sizeof s);
        if (truth("CVE-2021-26855", s) != LAB_S_VULNERABLE)
            t_fail(__FILE__, __LINE__, "%s is below the statement's threshold", s);
        seen++;
    }
    CHECK_INT(seen, 5);
    /* 2013 CU23 release and its Dec20SU are "< 15.00.1497.012". */
    CHECK_INT(truth("CVE-2021-26855", "15.0.1497.2"), LAB_S_VULNERABLE);
    CHECK_INT(truth("CVE-2021-26855", "15.0.1497.10"), LAB_S_VULNERABLE);
}

TEST(proxylogon_later_cus_contain_the_fix)
{
    /* EOMT.ps1 $FutureCUs: "They have the March CU, which contains this KB". */
    CHECK_INT(truth("CVE-2021-26855", "15.2.858.5"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-26855", "15.1.2242.4"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-26855", "15.2.2562.17"), LAB_S_PATCHED); /* SE RTM */
    /* Older CUs got KB5000871 builds of their own: 2019 CU4 Mar21SU 15.2.529.13. */
    CHECK_INT(truth("CVE-2021-26855", "15.2.529.13"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-26855", "15.2.529.11"), LAB_S_VULNERABLE);
}

TEST(proxyshell_fixed_by_april_2021_builds)
{
    /* KB5001779 (Apr21SU): 2016 CU19 15.1.2176.12, CU20 15.1.2242.8, 2019 CU8 15.2.792.13,
     * CU9 15.2.858.10, 2013 CU23 15.0.1497.15. Mar21SU alone does not fix ProxyShell. */
    CHECK_INT(truth("CVE-2021-34473", "15.1.2176.12"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-34473", "15.1.2176.9"), LAB_S_VULNERABLE);
    CHECK_INT(truth("CVE-2021-34473", "15.2.858.10"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-34473", "15.2.858.5"), LAB_S_VULNERABLE);
    CHECK_INT(truth("CVE-2021-34473", "15.0.1497.15"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-34473", "15.0.1497.12"), LAB_S_VULNERABLE);
    /* 2016 CU18 never received Apr21SU: every build stays vulnerable. */
    CHECK_INT(truth("CVE-2021-34473", "15.1.2106.13"), LAB_S_VULNERABLE);
    /* CU21 (2021-06-29) came after April 2021. */
    CHECK_INT(truth("CVE-2021-34473", "15.1.2308.8"), LAB_S_PATCHED);
}

TEST(proxytoken_fixed_by_july_2021_builds)
{
    /* Jul21SU KB5004779/KB5004780: 2016 CU20 15.1.2242.12, CU21 15.1.2308.14, 2019 CU10 15.2.922.13. */
    CHECK_INT(truth("CVE-2021-33766", "15.1.2242.12"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-33766", "15.1.2242.10"), LAB_S_VULNERABLE);
    CHECK_INT(truth("CVE-2021-33766", "15.1.2308.8"), LAB_S_VULNERABLE);
    CHECK_INT(truth("CVE-2021-33766", "15.2.922.13"), LAB_S_PATCHED);
    CHECK_INT(truth("CVE-2021-33766", "15.2.986.5"), LAB_S_PATCHED); /* CU11, September 2021 */
}

TEST(proxynotshell_and_owassrf_fixed_by_nov_2022_builds)
{
    /* Nov22SU KB5019758: 2016 CU23 15.1.2507.16, 2019 CU12 15.2.1118.20, 2013 CU23 15.0.1497.44. */
    const char *cves[] = {"CVE-2022-41040", "CVE-2022-41080"};
    for (int i = 0; i < 2; i++) {
        CHECK_INT(truth(cves[i], "15.1.2507.16"), LAB_S_PATCHED);
        CHECK_INT(truth(cves[i], "15.1.2507.13"), LAB_S_VULNERABLE);
        CHECK_INT(truth(cves[i], "15.2.1118.20"), LAB_S_PATCHED);
        CHECK_INT(truth(cves[i], "15.2.1118.15"), LAB_S_VULNERABLE);
        CHECK_INT(truth(cves[i], "15.0.1497.44"), LAB_S_PATCHED);
        CHECK_INT(truth(cves[i], "15.0.1497.42"), LAB_S_VULNERABLE);
        CHECK_INT(truth(cves[i], "15.2.2562.17"), LAB_S_PATCHED);
    }
}

TEST(exchange_2010_is_not_an_affected_product)
{
    for (int i = 0; i < LAB_NCVES; i++)
        CHECK_INT(truth(lab_cves[i], "14.3.496.0"), LAB_S_NOT_APPLICABLE);
}

/* ---- expect rules (docs/lab.md), worked by hand per persona ------------------------------------ */

static const lab_cve_truth *cve_of(lab_cve_truth *t, const char *cve)
{
    for (int i = 0; i < LAB_NCVES; i++)
        if (strcmp(t[i].cve, cve) == 0)
            return &t[i];
    return NULL;
}

/* Check one CVE of persona p on a host with these quirks; `label` names the case in failures. */
static void expect_eval(const lab_persona *p, const char *label, unsigned quirks, const char *cve, lab_status tr,
                        lab_status ex, lab_status passive)
{
    lab_cve_truth t[LAB_NCVES];
    CHECK_INT(lab_truth_eval(p, quirks, t), LAB_NCVES);
    const lab_cve_truth *c = cve_of(t, cve);
    if (!c || c->truth != tr || c->expect != ex || c->expect_passive != passive)
        t_fail(__FILE__, __LINE__, "%s (quirks %#x) %s: truth %s expect %s passive %s; wanted %s %s %s", label, quirks,
               cve, c ? lab_status_name(c->truth) : "?", c ? lab_status_name(c->expect) : "?",
               c ? lab_status_name(c->expect_passive) : "?", lab_status_name(tr), lab_status_name(ex),
               lab_status_name(passive));
}

static const lab_persona *persona_named(const char *name)
{
    const lab_persona *p = lab_persona_by_name(name);
    if (!p)
        t_fail(__FILE__, __LINE__, "no persona %s", name);
    return p;
}

static void expect_host(const char *name, unsigned quirks, const char *cve, lab_status tr, lab_status ex,
                        lab_status passive)
{
    const lab_persona *p = persona_named(name);
    if (p)
        expect_eval(p, name, quirks, cve, tr, ex, passive);
}

static void expect_persona(const char *name, const char *cve, lab_status tr, lab_status ex, lab_status passive)
{
    expect_host(name, 0, cve, tr, ex, passive);
}

/* The build a scanner sees on a host of persona p: "precision build" ("none" alone when none). */
static void expect_view(const lab_persona *p, unsigned quirks, bool active, const char *want)
{
    lab_view v = lab_visible(p, quirks, active);
    char got[64], b[EX_VERSION_STRLEN];
    ex_version_format(&v.build, b, sizeof b);
    snprintf(got, sizeof got, "%s%s%s", v.precision, strcmp(v.precision, "none") == 0 ? "" : " ",
             strcmp(v.precision, "none") == 0 ? "" : b);
    if (strcmp(got, want) != 0)
        t_fail(__FILE__, __LINE__, "%s (%s): sees \"%s\", wanted \"%s\"", p->name, active ? "active" : "passive", got,
               want);
}

#define ABSENT    LAB_S_ABSENT
#define VULN      LAB_S_VULNERABLE
#define PATCHED   LAB_S_PATCHED
#define MITIGATED LAB_S_MITIGATED
#define POSSIBLY  LAB_S_POSSIBLY

TEST(expect_rules_on_named_personas)
{
    CHECK_INT(lab_personas_init(), 0);
    /* The contract's example: 2016 CU19 Feb21SU 15.1.2176.4, CU only. CU19 has builds on both sides
     * of every 2021 fix, so passive scans say "possibly"; the ProxyLogon and ProxyShell probes see
     * the truth. */
    expect_persona("e2016-cu19-feb21su-cuonly", "CVE-2021-26855", VULN, VULN, POSSIBLY);
    expect_persona("e2016-cu19-feb21su-cuonly", "CVE-2021-34473", VULN, VULN, POSSIBLY);
    /* ProxyToken: CU19 never got Jul21SU, so every CU19 build is vulnerable: no "possibly". */
    expect_persona("e2016-cu19-feb21su-cuonly", "CVE-2021-33766", VULN, VULN, VULN);
    /* Exact build visible: the truth. */
    expect_persona("e2016-cu19-feb21su", "CVE-2021-26855", VULN, VULN, VULN);
    /* EOMT on a vulnerable build: the probe is aborted. */
    expect_persona("e2016-cu19-eomt", "CVE-2021-26855", MITIGATED, MITIGATED, VULN);
    /* EOMT left in place after Mar21SU, exact build: the build shows the fix. */
    expect_persona("e2019-cu8-mar21su-eomt", "CVE-2021-26855", PATCHED, PATCHED, PATCHED);
    /* ... CU only: the abort cannot be told from a mitigated vulnerable build. */
    expect_persona("e2016-cu19-mar21su-eomt-cuonly", "CVE-2021-26855", PATCHED, MITIGATED, POSSIBLY);
    /* EOMTv2 covers ProxyNotShell only, not OWASSRF. */
    expect_persona("e2019-cu12-aug22su-eomtv2", "CVE-2022-41040", MITIGATED, MITIGATED, VULN);
    expect_persona("e2019-cu12-aug22su-eomtv2", "CVE-2022-41080", VULN, VULN, VULN);
    expect_persona("e2016-cu23-nov22su-eomtv2-cuonly", "CVE-2022-41040", PATCHED, MITIGATED, POSSIBLY);
    /* No build visible, patched for ProxyShell: only the clean 400 of the ProxyShell probe says
     * anything (Autodiscover is published); the ProxyLogon probe meets OWA's 404. Hidden hosts that
     * are vulnerable to ProxyShell: see hidden_hosts_show_the_cu_through_owaver. */
    expect_persona("e2016-cu23-hidden", "CVE-2021-34473", PATCHED, PATCHED, ABSENT);
    expect_persona("e2016-cu23-hidden", "CVE-2021-26855", PATCHED, ABSENT, ABSENT);
    /* F5 ASM swallows the probes: the exact build decides. */
    expect_persona("e2019-cu8-f5", "CVE-2021-26855", VULN, VULN, VULN);
    /* 2010: not in the advisories, absent from the output. */
    expect_persona("e2010-sp3-ru30", "CVE-2021-26855", LAB_S_NOT_APPLICABLE, ABSENT, ABSENT);
}

/* Rule 1 (docs/lab.md): some patched servers answer the ProxyShell probe with 401 (GossiTheDog #11,
 * remote-detection.md §6.4: "whether 401 means not vulnerable was never settled"). A 401 decides
 * nothing, so the build alone speaks. Hand-worked from the KB5001779 builds: CU19 released at
 * 15.1.2176.2, fixed at 15.1.2176.12, so a CU19 host shown by its CU only is "possibly"; 2016 CU21
 * (15.1.2308.8, 2021-06-29) came after April 2021, so every CU21 build is patched. */
TEST(proxyshell_401_decides_nothing)
{
    CHECK_INT(lab_personas_init(), 0);
    const char *ps = "CVE-2021-34473";
    /* CU only: the answer the build gives, not "patched". Without the quirk the clean 400 decides. */
    expect_host("e2016-cu19-apr21su-cuonly", LAB_Q_PS_401, ps, PATCHED, POSSIBLY, POSSIBLY);
    expect_host("e2016-cu19-apr21su-cuonly", 0, ps, PATCHED, PATCHED, POSSIBLY);
    /* The ProxyLogon probe of the same host still answers cleanly (404 without the header). */
    expect_host("e2016-cu19-apr21su-cuonly", LAB_Q_PS_401, "CVE-2021-26855", PATCHED, PATCHED, POSSIBLY);
    /* A CU whose every build is fixed: the CU alone says patched. */
    expect_host("e2016-cu21-cuonly", LAB_Q_PS_401, ps, PATCHED, PATCHED, PATCHED);
    /* Exact build: it shows the fix whatever the probe meets. */
    expect_host("e2016-cu19-apr21su", LAB_Q_PS_401, ps, PATCHED, PATCHED, PATCHED);
    /* No build visible (OWA not published): nothing at all. */
    expect_host("e2016-cu23-hidden", LAB_Q_PS_401, ps, PATCHED, ABSENT, ABSENT);
    expect_host("e2019-cu12-hidden", LAB_Q_PS_401, ps, PATCHED, ABSENT, ABSENT);
    /* The quirk is an answer of patched servers: a vulnerable one still redirects to errorfe. */
    expect_host("e2016-cu19-feb21su-cuonly", LAB_Q_PS_401, ps, VULN, VULN, POSSIBLY);
    /* The same rule for a gateway that turns the 400 into "200 {}" (RD §6.6), on a CU-only host
     * (no such persona in the catalogue: the exact build of the gateway personas decides anyway). */
    const lab_persona *base = persona_named("e2016-cu19-apr21su-cuonly");
    if (base) {
        lab_persona gw = *base;
        gw.flags |= LAB_F_WAF_GW;
        expect_eval(&gw, "CU19 Apr21SU, CU only, behind a gateway", 0, ps, PATCHED, POSSIBLY, POSSIBLY);
        expect_eval(&gw, "CU19 Apr21SU, CU only, behind a gateway", 0, "CVE-2021-26855", PATCHED, POSSIBLY, POSSIBLY);
    }
}

/* Rule 2 (docs/lab.md): on hosts that do not publish OWA, the ProxyLogon trigger (/owa/auth/x.js)
 * meets a 404, and a positive ProxyShell probe answers with the errorfe redirect whose owaVer= is
 * a component build (remote-detection.md §1 V5, sample 05: 15.2.858.2 on 2019 CU9), i.e. the CU.
 * So with probes the CU is visible and every CVE the probes leave open gets its CU-only status;
 * without probes nothing is visible. Hand-worked per CU from the fix builds:
 *   2013 CU23 (15.0.1497.2): ProxyLogon fixed at .12, ProxyToken at .23, Nov22SU at .44: CU23 has
 *     builds on both sides of each, so "possibly";
 *   2016 CU19 (15.1.2176.2): ProxyLogon fixed at .9 (both sides: "possibly"); CU19 got neither
 *     Jul21SU nor Nov22SU and was followed by CU22 / no 2016 CU after Nov22SU, so every CU19 build
 *     is vulnerable to ProxyToken, ProxyNotShell, OWASSRF;
 *   2019 CU9 (15.2.858.5): the first CU after Mar21SU (EOMT.ps1 $FutureCUs E19CU9), so every CU9
 *     build is fixed for ProxyLogon; Apr21SU for CU9 is 15.2.858.10, so CU9 RTM is vulnerable to
 *     ProxyShell. */
TEST(hidden_hosts_show_the_cu_through_owaver)
{
    CHECK_INT(lab_personas_init(), 0);
    const lab_persona *e13 = persona_named("e2013-cu23-hidden"), *e16 = persona_named("e2016-cu19-hidden");
    const lab_persona *e19 = persona_named("e2019-cu9-hidden"), *patched = persona_named("e2019-cu12-hidden");
    if (!e13 || !e16 || !e19 || !patched)
        return;
    expect_view(e13, 0, true, "cu 15.0.1497");
    expect_view(e13, 0, false, "none");
    expect_view(e16, LAB_Q_PS_401, true, "cu 15.1.2176"); /* the 401 quirk is for patched servers only */
    /* owaVer=15.2.858.2 (sample 05), not the CU release 15.2.858.5: still CU9. */
    expect_view(e19, 0, true, "cu 15.2.858");
    /* Patched for ProxyShell: no redirect, no owaVer, nothing visible. */
    expect_view(patched, 0, true, "none");

    expect_persona("e2013-cu23-hidden", "CVE-2021-26855", VULN, POSSIBLY, ABSENT);
    expect_persona("e2013-cu23-hidden", "CVE-2021-34473", VULN, VULN, ABSENT);
    expect_persona("e2013-cu23-hidden", "CVE-2021-33766", VULN, POSSIBLY, ABSENT);
    expect_persona("e2013-cu23-hidden", "CVE-2022-41040", VULN, POSSIBLY, ABSENT);
    expect_persona("e2013-cu23-hidden", "CVE-2022-41080", VULN, POSSIBLY, ABSENT);

    expect_persona("e2016-cu19-hidden", "CVE-2021-26855", VULN, POSSIBLY, ABSENT);
    expect_persona("e2016-cu19-hidden", "CVE-2021-34473", VULN, VULN, ABSENT);
    expect_persona("e2016-cu19-hidden", "CVE-2021-33766", VULN, VULN, ABSENT);
    expect_persona("e2016-cu19-hidden", "CVE-2022-41040", VULN, VULN, ABSENT);
    expect_persona("e2016-cu19-hidden", "CVE-2022-41080", VULN, VULN, ABSENT);

    expect_persona("e2019-cu9-hidden", "CVE-2021-26855", PATCHED, PATCHED, ABSENT);
    expect_persona("e2019-cu9-hidden", "CVE-2021-34473", VULN, VULN, ABSENT);

    /* No owaVer on a patched host: only the ProxyShell probe's clean 400 speaks. 2019 CU12 is fixed
     * for ProxyShell (CU10 came after Apr21SU) and below Nov22SU (15.2.1118.20). */
    expect_persona("e2019-cu12-hidden", "CVE-2021-34473", PATCHED, PATCHED, ABSENT);
    expect_persona("e2019-cu12-hidden", "CVE-2022-41040", VULN, ABSENT, ABSENT);
}

TEST(non_exchange_personas_have_no_cves)
{
    const char *names[] = {"exo", "havoc-decoy", "tmg", "iis", "nginx", "tarpit", "old-tls", "huge-body"};
    lab_cve_truth t[LAB_NCVES];
    CHECK_INT(lab_personas_init(), 0);
    for (size_t i = 0; i < EX_ARRAY_LEN(names); i++) {
        const lab_persona *p = lab_persona_by_name(names[i]);
        CHECK(p != NULL);
        if (p)
            CHECK_INT(lab_truth_eval(p, 0, t), 0);
    }
}
