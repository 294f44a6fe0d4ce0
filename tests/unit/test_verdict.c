/* lib/verdict against the built-in knowledge base.
 *
 * Every expected status below comes from a statement outside data/kb, cited
 * next to it: Microsoft's ProxyLogon NSE description, Microsoft's EOMT script,
 * CSS-Exchange issue #387, the ProxyShell advisory summary, Metasploit's exact
 * vulnerable-build lists, HealthChecker's Extended Protection rule, Microsoft's
 * lifecycle dates. Build numbers quoted as literals are the ones those sources
 * (or Microsoft's build-number page they refer to) print. */
#include <string.h>

#include "kb.h"
#include "t.h"
#include "util.h"
#include "verdict.h"

static ex_assessment assess_at(const char *build, const char *today, const ex_observation *obs, size_t nobs,
                               const ex_config_fact *cfg, size_t ncfg)
{
    ex_facts f = {.have_version = true,
                  .today = ex_date_to_days(today),
                  .obs = obs,
                  .nobs = nobs,
                  .config = cfg,
                  .nconfig = ncfg};
    ex_assessment a;
    if (ex_version_parse_str(build, &f.version) != 0)
        t_fail(__FILE__, __LINE__, "fixture build '%s' does not parse", build);
    if (ex_assess(ex_kb_builtin(), &f, &a) != 0)
        t_fail(__FILE__, __LINE__, "ex_assess failed for %s", build);
    return a;
}

static ex_assessment assess(const char *build)
{
    return assess_at(build, "2026-11-26", NULL, 0, NULL, 0);
}

static void expect_status(const char *build, const char *cve, ex_status want, int line)
{
    ex_assessment a = assess(build);
    const ex_cve_verdict *v = ex_assessment_cve(&a, cve);
    if (!v)
        t_fail(__FILE__, line, "%s: %s not assessed", build, cve);
    else if (v->status != want)
        t_fail(__FILE__, line, "%s: %s is %s (%s), expected %s", build, cve, ex_status_name(v->status), v->basis,
               ex_status_name(want));
    ex_assessment_free(&a);
}
#define EXPECT(build, cve, st) expect_status(build, cve, st, __LINE__)

/* Microsoft's http-vuln-cve2021-26855.nse description (CSS-Exchange 1c33bb819^):
 * "Exchange 2013 Versions < 15.00.1497.012, Exchange 2016 CU18 < 15.01.2106.013,
 *  Exchange 2016 CU19 < 15.01.2176.009, Exchange 2019 CU7 < 15.02.0721.013,
 *  Exchange 2019 CU8 < 15.02.0792.010 are vulnerable". */
TEST(proxylogon_nse_statement)
{
    EXPECT("15.00.1497.010", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.00.1497.012", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.01.2106.008", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.01.2106.013", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.01.2176.004", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.01.2176.009", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.02.0721.008", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.02.0721.013", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.02.0792.005", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.02.0792.010", "CVE-2021-26855", EX_STATUS_PATCHED);
}

/* CSS-Exchange issue #387: a "false positive" on 2016 CU19 15.1.2176.2 is a true
 * positive, the build is below 15.1.2176.9 (remote-detection.md §6.2). */
TEST(css_exchange_387_true_positive)
{
    EXPECT("15.1.2176.2", "CVE-2021-26855", EX_STATUS_VULNERABLE);
    EXPECT("15.1.2176.2", "CVE-2021-27065", EX_STATUS_VULNERABLE);
}

/* EOMT.ps1: $FutureCUs = @{ E19CU9 = "15.2.858.5"; E16CU20 = "15.1.2242.4" },
 * "They have the March CU, which contains this KB": a CU released after the SU is fixed. */
TEST(later_cu_contains_the_fix)
{
    EXPECT("15.2.858.5", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.1.2242.4", "CVE-2021-26855", EX_STATUS_PATCHED);
    EXPECT("15.1.2242.4", "CVE-2021-26857", EX_STATUS_PATCHED);
}

/* The issue's own wording for a CU-only build, and GossiTheDog's CU-level rule
 * (2016: "> 2176 -> PATCHED", 2176 -> "cannot determine"). */
TEST(cu_only_is_possibly_or_certain)
{
    ex_assessment a = assess("15.1.2176");
    const ex_cve_verdict *v = ex_assessment_cve(&a, "CVE-2021-26855");
    CHECK(v && v->status == EX_STATUS_POSSIBLY);
    CHECK_CONTAINS(v ? v->basis : NULL, "CU19");
    CHECK_CONTAINS(v ? v->basis : NULL, "builds below 15.1.2176.9");
    CHECK_INT(a.precision, EX_PRECISION_CU);
    CHECK(a.worst != EX_STATUS_PATCHED);
    ex_assessment_free(&a);
    EXPECT("15.1.2242", "CVE-2021-26855", EX_STATUS_PATCHED);  /* every CU20 build has the March fix */
    EXPECT("15.1.2044", "CVE-2021-26855", EX_STATUS_POSSIBLY); /* CU17 got a Mar21SU too (HC "MarchSuSpecial") */
}

/* Microsoft's ProxyShell advisory (TechTarget summary, logs-and-builds.md §5.1):
 * CVE-2021-34473/-34523 "were patched in April", CVE-2021-31207 in May; a server is
 * vulnerable "if it is not running a CU with at least the May SU". Microsoft's build
 * page: 2016 CU19 Apr21SU = 15.1.2176.12, May21SU = 15.1.2176.14. */
TEST(proxyshell_april_and_may)
{
    EXPECT("15.1.2176.9", "CVE-2021-34473", EX_STATUS_VULNERABLE);
    EXPECT("15.1.2176.12", "CVE-2021-34473", EX_STATUS_PATCHED);
    EXPECT("15.1.2176.12", "CVE-2021-31207", EX_STATUS_VULNERABLE);
    EXPECT("15.1.2176.14", "CVE-2021-31207", EX_STATUS_PATCHED);
    /* sample 05/06: a 2019 CU9 reporting owaVer=15.2.858.2 answered the ProxyShell probe as vulnerable */
    EXPECT("15.2.858.2", "CVE-2021-34473", EX_STATUS_VULNERABLE);
}

/* Metasploit exchange_chainedserializationbinder_rce check: these exact builds
 * "Appear" vulnerable to CVE-2021-42321; 15.2.986.15 to CVE-2022-23277. */
TEST(metasploit_exact_lists)
{
    const char *v42321[] = {"15.1.2308.8", "15.1.2308.14", "15.1.2308.15", "15.1.2375.7", "15.1.2375.12",
                            "15.2.922.7",  "15.2.922.13",  "15.2.922.14",  "15.2.986.5",  "15.2.986.9"};
    for (size_t i = 0; i < sizeof v42321 / sizeof v42321[0]; i++)
        EXPECT(v42321[i], "CVE-2021-42321", EX_STATUS_VULNERABLE);
    EXPECT("15.2.986.15", "CVE-2022-23277", EX_STATUS_VULNERABLE);
}

/* HealthChecker $supportedVersion for Extended Protection (logs-and-builds.md §5.1):
 * 15.2 Build > 1118 or 1118.11+; 15.1 2507.11+. Below that EP cannot be enabled:
 * vulnerable; at or above, the status depends on configuration. */
TEST(extended_protection_is_config_dependent)
{
    EXPECT("15.2.1118.7", "CVE-2024-21410", EX_STATUS_VULNERABLE);
    EXPECT("15.2.1544.4", "CVE-2024-21410", EX_STATUS_CONFIG);
    EXPECT("15.1.2507.6", "CVE-2024-21410", EX_STATUS_VULNERABLE);
    ex_assessment a = assess("15.2.1544.4");
    const ex_cve_verdict *v = ex_assessment_cve(&a, "CVE-2024-21410");
    CHECK_CONTAINS(v ? v->basis : NULL, "Extended Protection");
    CHECK(v && v->setting);
    ex_assessment_free(&a);

    ex_config_fact on = {"Extended Protection", EX_SETTING_ON, "applicationHost.config: tokenChecking=Require"};
    ex_config_fact off = {"Extended Protection", EX_SETTING_OFF, "applicationHost.config: tokenChecking=None"};
    a = assess_at("15.2.1544.4", "2026-11-26", NULL, 0, &on, 1);
    v = ex_assessment_cve(&a, "CVE-2024-21410");
    CHECK(v && v->status == EX_STATUS_PATCHED);
    ex_assessment_free(&a);
    a = assess_at("15.2.1544.4", "2026-11-26", NULL, 0, &off, 1);
    v = ex_assessment_cve(&a, "CVE-2024-21410");
    CHECK(v && v->status == EX_STATUS_VULNERABLE);
    ex_assessment_free(&a);
}

/* CSS-Exchange docs/Security/Test-ProxyLogon.md: Exchange 2010 is affected only by
 * CVE-2021-26857 of the ProxyLogon chain. */
TEST(exchange_2010_only_26857)
{
    ex_assessment a = assess("14.3.123.4");
    CHECK(ex_assessment_cve(&a, "CVE-2021-26857") != NULL);
    CHECK(ex_assessment_cve(&a, "CVE-2021-26855") == NULL);
    CHECK(ex_assessment_cve(&a, "CVE-2021-27065") == NULL);
    CHECK_INT(a.product, EX_PRODUCT_2010);
    ex_assessment_free(&a);
}

/* Lifecycle (../shared/docs/README.md): 2010 ended 2020-10-13, 2013 2023-04-11,
 * 2016 and 2019 2025-10-14; SE (15.2.2562 and later) is supported. */
TEST(support_status_and_end_of_life)
{
    ex_assessment a = assess_at("15.2.1748.24", "2025-10-14", NULL, 0, NULL, 0);
    CHECK_INT(a.support, EX_SUPPORT_SUPPORTED); /* the last day */
    CHECK_STR(a.support_end, "2025-10-14");
    ex_assessment_free(&a);
    a = assess_at("15.2.1748.24", "2025-10-15", NULL, 0, NULL, 0);
    CHECK_INT(a.support, EX_SUPPORT_ENDED);
    ex_assessment_free(&a);
    a = assess("15.0.1497.48");
    CHECK_INT(a.support, EX_SUPPORT_ENDED);
    CHECK_STR(a.support_end, "2023-04-11");
    ex_assessment_free(&a);
    a = assess("15.2.2562.17");
    CHECK_INT(a.product, EX_PRODUCT_SE); /* HealthChecker: 15.2 and build >= 2562 is SE */
    CHECK_INT(a.support, EX_SUPPORT_SUPPORTED);
    ex_assessment_free(&a);
}

/* remote-detection.md §1.3 / §6.9: 15.1.2242.5 and 15.2.858.2 appear in no table. */
TEST(unknown_revision_is_approx)
{
    ex_assessment a = assess("15.1.2242.5");
    CHECK_INT(a.precision, EX_PRECISION_APPROX);
    CHECK(a.row != NULL);
    CHECK_CONTAINS(a.build_note, "15.1.2242.4");
    ex_assessment_free(&a);
    a = assess("15.2.858.2");
    CHECK_INT(a.precision, EX_PRECISION_APPROX);
    /* Microsoft's build page: 2019 CU9 is 15.2.858.5, so .2 lies below every known
     * build of CU9; the note must not call 858.5 "nearest lower". */
    CHECK_CONTAINS(a.build_note, "below the lowest known build of its CU");
    CHECK(strstr(a.build_note, "nearest lower") == NULL);
    ex_assessment_free(&a);
}

/* A build whose CU is in no table: Exchange 2007 (SP3 8.3.83.6, Microsoft's build
 * page for 2007) and Exchange 2010 SP2 (14.2.247.5; the data starts at 2010 SP3).
 * CSS-Exchange Test-ProxyLogon.md says Exchange 2010 is affected by CVE-2021-26857,
 * fixed only for SP3 (RU32): nothing shows such a server patched. */
TEST(unknown_cu_is_never_plain_patched)
{
    const char *builds[] = {"8.3.83.6", "14.2.247.5", "6.5.7638.1"};
    for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++) {
        ex_assessment a = assess(builds[i]);
        if (a.worst != EX_STATUS_UNKNOWN)
            t_fail(__FILE__, __LINE__, "%s: overall %s, expected unknown", builds[i], ex_status_name(a.worst));
        CHECK_INT(a.support, EX_SUPPORT_ENDED);
        ex_assessment_free(&a);
    }
}

TEST(newer_than_knowledge_base_is_never_plain_patched)
{
    ex_assessment a = assess("15.2.2562.999");
    CHECK(a.newer_than_kb);
    CHECK(a.worst != EX_STATUS_PATCHED);
    CHECK_CONTAINS(a.build_note, "newer than every build");
    ex_assessment_free(&a);
    /* logs-and-builds.md §5.2 (EBN, 2026-08-19): Aug26SU is 2019 CU14 15.2.1544.44 and CU15
     * 15.2.1748.49, so a CU14 server at .45 runs an update newer than the data. */
    a = assess("15.2.1544.45");
    CHECK(a.newer_than_kb);
    CHECK(a.worst != EX_STATUS_PATCHED && a.worst != EX_STATUS_CONFIG);
    CHECK_CONTAINS(a.build_note, "newer than every build of its CU");
    ex_assessment_free(&a);
    /* 2019 CU9's last update is Jul21SU 15.2.858.15 (reference builds table): .16 is an
     * unknown revision of an old CU, not a build newer than the data. */
    a = assess("15.2.858.16");
    CHECK(!a.newer_than_kb);
    CHECK_INT(a.precision, EX_PRECISION_APPROX);
    ex_assessment_free(&a);
}

TEST(not_exchange)
{
    ex_assessment a = assess("16.0.1.2");
    CHECK_INT(a.product, EX_PRODUCT_UNKNOWN);
    CHECK_INT(a.ncves, 0);
    CHECK_INT(a.worst, EX_STATUS_UNKNOWN);
    ex_assessment_free(&a);
}

/* The verdict policy for behavioural probes (issue: "behavioural proof beats build inference"). */
TEST(probes_override_builds)
{
    ex_observation pos = {"CVE-2021-26855", EX_PROBE_POSITIVE, "GET /owa/auth/x.js -> X-CalculatedBETarget: localhost"};
    ex_observation mit = {"CVE-2021-26855", EX_PROBE_MITIGATED, "aborted with the cookie, 200 without"};
    ex_observation neg = {"CVE-2021-26855", EX_PROBE_NEGATIVE, "GET /owa/auth/x.js -> 404, no X-CalculatedBETarget"};
    struct {
        const char *build;
        const ex_observation *o;
        ex_status want;
    } cases[] = {
        {"15.1.2176", &pos, EX_STATUS_VULNERABLE},   /* CU only, probe proves it */
        {"15.1.2176", &neg, EX_STATUS_PATCHED},      /* CU only, Microsoft's check answers */
        {"15.1.2176.2", &mit, EX_STATUS_MITIGATED},  /* EOMT rewrite in front of a vulnerable build */
        {"15.1.2176.9", &mit, EX_STATUS_PATCHED},    /* patched anyway */
        {"15.1.2176.2", &neg, EX_STATUS_POSSIBLY},   /* exact build vulnerable, probe silent: a proxy may filter */
        {"15.1.2176.9", &pos, EX_STATUS_VULNERABLE}, /* the probe wins over the build */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_assessment a = assess_at(cases[i].build, "2026-11-26", cases[i].o, 1, NULL, 0);
        const ex_cve_verdict *v = ex_assessment_cve(&a, "CVE-2021-26855");
        if (!v || v->status != cases[i].want)
            t_fail(__FILE__, __LINE__, "case %zu (%s): got %s, expected %s", i, cases[i].build,
                   v ? ex_status_name(v->status) : "none", ex_status_name(cases[i].want));
        CHECK(v && v->evidence == cases[i].o->evidence);
        ex_assessment_free(&a);
    }
}

TEST(no_build_only_probes_speak)
{
    ex_observation pos = {"CVE-2021-34473", EX_PROBE_POSITIVE, "302 errorfe OwaADUserNotFoundException"};
    ex_facts f = {.have_version = false, .today = ex_date_to_days("2026-11-26"), .obs = &pos, .nobs = 1};
    ex_assessment a;
    CHECK_INT(ex_assess(ex_kb_builtin(), &f, &a), 0);
    CHECK_INT(a.ncves, 1);
    CHECK(ex_assessment_cve(&a, "CVE-2021-34473") && a.cves[0].status == EX_STATUS_VULNERABLE);
    CHECK_INT(a.worst, EX_STATUS_VULNERABLE);
    ex_assessment_free(&a);
}

/* Remediation: Microsoft's KB numbers for the CUs (build-numbers page; §5.2):
 * Exchange 2016 CU23 is KB5011155, Exchange 2019 CU14 is KB5035606, SE RTM KB5047155. */
TEST(update_path)
{
    ex_assessment a = assess("15.1.2176.2");
    CHECK(a.nsteps >= 3);
    CHECK_STR(a.steps[0].kb, "KB5011155");
    CHECK_CONTAINS(a.steps[0].step, "CU23");
    CHECK_CONTAINS(a.steps[1].step, "newest security update for CU23");
    CHECK_CONTAINS(a.steps[a.nsteps - 1].step, "Exchange Server SE");
    ex_assessment_free(&a);
    a = assess("15.2.1258.12"); /* 2019 CU13: the next CU still serviced is CU14 */
    CHECK(a.nsteps >= 2);
    CHECK_STR(a.steps[0].kb, "KB5035606");
    CHECK_STR(a.steps[a.nsteps - 1].kb, "KB5047155");
    ex_assessment_free(&a);
}

TEST(families_named_first)
{
    ex_assessment a = assess("15.1.2176.2");
    ex_family_line lines[32];
    size_t n = ex_family_lines(&a, lines, 32);
    CHECK(n >= 6);
    CHECK_STR(lines[0].family, "ProxyLogon");
    CHECK_STR(lines[n - 1].family, "");
    CHECK_INT(lines[0].members, 4);
    CHECK_INT(lines[0].status, EX_STATUS_VULNERABLE);
    ex_assessment_free(&a);
}
