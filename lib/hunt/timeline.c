/* timeline: the installed build through the knowledge base (offline), the
 * dates that matter (first and last malicious activity, when the fix was
 * installed), and log coverage per log directory.
 *
 * The build: ExSetup.exe's version resource (fact "install.build", from the
 * files analyzer) is the exact build; the hive's Msi* values are the
 * fallback (EOMT reads them; an SU may leave them at the CU's build, so the
 * two can disagree, and ExSetup.exe wins). The fix install time: the fact
 * "patch.installed" (the time a fixed ExSetup.exe was written), else the
 * time the hive's Uninstall key of the fixing security update was written.
 * Whether the server was exploitable while attacks were seen follows from
 * these; docs/hunt.md states the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "hunt/hunt_int.h"

static bool is_attack_kind(ex_kind k)
{
    return k != EX_KIND_EXPOSURE;
}

/* Malicious activity for the timeline: attack findings above info, and
 * info-level ones tied to a CVE (scanner probes such as the nmap check's
 * ServerInfo~localhost are hostile too), but not the OAB virtual directory's
 * removal and recreation alone, which an administrator may do. */
static bool is_activity(const ex_finding *f)
{
    if (!is_attack_kind(f->kind) || f->time == EX_TIME_UNKNOWN)
        return false;
    if (f->severity > EX_SEV_INFO)
        return true;
    return f->cve && !(f->id && strncmp(f->id, "ecp.oab-vdir.", 13) == 0);
}

/* The Msi* values name the CU's build; a security update installed on top
 * shows under Uninstall with its KB (EOMT checks both). The newest known build
 * of that CU whose KB an installed update names is the exact build. */
static const ex_kb_build *hive_update_build(ex_hunt *h, const ex_version *cu)
{
    size_t n = 0;
    const ex_kb_build *rows = ex_kb_cu_builds(h->kb, cu, &n);
    const ex_kb_build *best = NULL;
    for (size_t i = 0; i < h->nfacts; i++) {
        const ex_hunt_fact_rec *f = &h->facts[i];
        const char *kb = f->detail && strcmp(f->key, "hive.update") == 0 ? strstr(f->detail, "KB") : NULL;
        if (!kb)
            continue;
        size_t kn = 2;
        while (kb[kn] >= '0' && kb[kn] <= '9')
            kn++;
        for (size_t k = 0; k < n; k++)
            if (rows[k].kb[0] && strlen(rows[k].kb) == kn && strncmp(rows[k].kb, kb, kn) == 0 &&
                ex_version_cmp(&rows[k].version, cu) > 0 &&
                (!best || ex_version_cmp(&rows[k].version, &best->version) > 0)) {
                best = &rows[k];
                h->hive_update_time = f->time;
            }
    }
    return best;
}

static void pick_build(ex_hunt *h, ex_facts *facts)
{
    const ex_hunt_fact_rec *fx = ex_hunt_fact_find(h, "install.build");
    ex_version v;
    if (fx && fx->detail && ex_version_parse_str(fx->detail, &v) == EX_VERSION_OK) {
        h->build = strdup(fx->detail);
        h->inst.build_how = "Bin/ExSetup.exe version resource";
        free(h->build_path);
        h->build_path = fx->path ? strdup(fx->path) : NULL;
        facts->have_version = true;
        facts->version = v;
        if (h->hive_build) {
            ex_version hv;
            /* Msi* values name the CU: only another CU is a disagreement */
            if (ex_version_parse_str(h->hive_build, &hv) == EX_VERSION_OK && !ex_version_same_cu(&hv, &v)) {
                h->inst.build_conflict = true;
                h->inst.hive_build = h->hive_build;
            }
        }
    } else if (h->hive_build && ex_version_parse_str(h->hive_build, &v) == EX_VERSION_OK) {
        const ex_kb_build *su = hive_update_build(h, &v);
        char b[EX_VERSION_STRLEN];
        if (su) {
            v = su->version;
            ex_version_format(&v, b, sizeof b);
        }
        h->build = strdup(su ? b : h->hive_build);
        h->inst.build_how = su ? "SOFTWARE hive Msi* values and the security update listed under Uninstall"
                               : "SOFTWARE hive Msi* values";
        const ex_hunt_fact_rec *hb = ex_hunt_fact_find(h, "hive.build");
        h->build_path = hb && hb->path ? strdup(hb->path) : NULL;
        facts->have_version = true;
        facts->version = v;
    }
    h->inst.build = h->build;
    h->inst.build_path = h->build_path;
    facts->version_evidence = h->build_path ? h->build_path : h->inst.build_how;
}

/* Configuration facts from analyzers: "config.extended-protection" with detail
 * "on", "off" or "partial". Partial counts as off: CVE-2024-21410 is an NTLM
 * relay, and one virtual directory without Extended Protection is enough. */
static size_t config_facts(const ex_hunt *h, ex_config_fact *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nfacts && n < max; i++) {
        const ex_hunt_fact_rec *f = &h->facts[i];
        if (strcmp(f->key, "config.extended-protection") != 0 || !f->detail)
            continue;
        ex_setting_state st = strcmp(f->detail, "on") == 0 ? EX_SETTING_ON
                              : strcmp(f->detail, "off") == 0 || strcmp(f->detail, "partial") == 0 ? EX_SETTING_OFF
                                                                                                  : EX_SETTING_UNKNOWN;
        /* a later "off" beats an "on": one unprotected vdir is enough */
        if (n && out[0].state == EX_SETTING_OFF)
            continue;
        out[0] = (ex_config_fact){.family = "Extended Protection", .state = st, .evidence = f->path};
        n = 1;
    }
    return n;
}

static void exposure_findings(ex_hunt *h)
{
    ex_findings tmp = {0};
    if (ex_host_findings(&h->assessment, h->subject, &tmp) != 0) {
        ex_findings_free(&tmp);
        return;
    }
    for (size_t i = 0; i < tmp.count; i++) {
        ex_finding *f = &tmp.items[i];
        if (h->build_path && (!f->ev.path || !f->ev.path[0] || strcmp(f->ev.path, "command line") == 0 ||
                              strcmp(f->ev.path, h->build_path) == 0))
            ex_finding_setz(&f->ev.path, h->build_path);
        ex_findings_push(&h->findings, f);
    }
    ex_findings_free(&tmp);
}

/* The CVEs the attacks were about; ProxyLogon when none is named. */
static size_t attack_cves(const ex_hunt *h, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->findings.count; i++) {
        const ex_finding *f = &h->findings.items[i];
        if (!is_attack_kind(f->kind) || f->severity == EX_SEV_INFO || !f->cve)
            continue;
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(out[k], f->cve) == 0;
        if (!dup && n < max)
            out[n++] = f->cve;
    }
    if (!n)
        out[n++] = "CVE-2021-26855";
    return n;
}

static void patch_time(ex_hunt *h)
{
    ex_hunt_timeline *t = &h->tl;
    const ex_hunt_fact_rec *p = ex_hunt_fact_find(h, "patch.installed");
    if (p && p->time != EX_TIME_UNKNOWN) {
        t->patch_installed = p->time;
        t->patch_how = "time the fixed Bin/ExSetup.exe was written";
        t->patch_path = p->path;
        return;
    }
    /* the hive: the update that gave the installed build, else the newest Exchange update */
    if (h->hive_update_time != EX_TIME_UNKNOWN) {
        const ex_hunt_fact_rec *hb = ex_hunt_fact_find(h, "hive.build");
        t->patch_installed = h->hive_update_time;
        t->patch_how = "time the hive's Uninstall key of the installed security update was written";
        t->patch_path = hb ? hb->path : NULL;
        return;
    }
    for (size_t i = 0; i < h->nfacts; i++) {
        const ex_hunt_fact_rec *f = &h->facts[i];
        if (strcmp(f->key, "hive.update") != 0 || f->time == EX_TIME_UNKNOWN)
            continue;
        if (t->patch_installed == EX_TIME_UNKNOWN || f->time > t->patch_installed) {
            t->patch_installed = f->time;
            t->patch_how = "time the hive's Uninstall key of the newest Exchange update was written";
            t->patch_path = f->path;
        }
    }
}

static int cmp_finding(const void *a, const void *b)
{
    return ex_hunt_finding_cmp(a, b);
}

static void decide(ex_hunt *h)
{
    ex_hunt_timeline *t = &h->tl;
    char a[40], b[40], c[40];
    ex_hunt_fmt_time(t->first_malicious, a, sizeof a);
    ex_hunt_fmt_time(t->last_malicious, b, sizeof b);
    ex_hunt_fmt_time(t->patch_installed, c, sizeof c);
    if (!t->attacks) {
        t->exploitable_during_attacks = "n/a";
        snprintf(t->basis, sizeof t->basis, "no dated attack finding");
        return;
    }
    if (!h->have_assessment) {
        t->exploitable_during_attacks = "unknown";
        snprintf(t->basis, sizeof t->basis, "attacks from %s to %s; the installed build was not found", a, b);
        return;
    }
    const char *cves[16];
    size_t n = attack_cves(h, cves, EX_ARRAY_LEN(cves));
    const ex_cve_verdict *worst = NULL;
    bool all_patched = true;
    for (size_t i = 0; i < n; i++) {
        const ex_cve_verdict *v = ex_assessment_cve(&h->assessment, cves[i]);
        if (!v)
            continue;
        if (v->status != EX_STATUS_PATCHED)
            all_patched = false;
        if (!worst || v->status > worst->status)
            worst = v;
    }
    if (!worst) {
        t->exploitable_during_attacks = "no";
        snprintf(t->basis, sizeof t->basis, "the CVEs of the attacks do not apply to %s", h->build);
    } else if (worst->status == EX_STATUS_VULNERABLE) {
        t->exploitable_during_attacks = "yes";
        snprintf(t->basis, sizeof t->basis, "build %s is still vulnerable to %s: %s; attacks from %s to %s", h->build,
                 worst->cve->id, worst->basis, a, b);
    } else if (all_patched && t->patch_installed != EX_TIME_UNKNOWN) {
        bool before = t->first_malicious < t->patch_installed;
        t->exploitable_during_attacks = before ? "yes" : "no";
        snprintf(t->basis, sizeof t->basis,
                 before ? "the fix (build %s) was installed %s, after the first attack %s"
                        : "the fix (build %s) was installed %s, before the first attack %s",
                 h->build, c, a);
    } else {
        t->exploitable_during_attacks = "unknown";
        if (all_patched)
            snprintf(t->basis, sizeof t->basis,
                     "build %s is fixed, but when the fix was installed is not known; attacks from %s to %s", h->build,
                     a, b);
        else
            snprintf(t->basis, sizeof t->basis, "build %s: %s is %s by build alone; attacks from %s to %s", h->build,
                     worst->cve->id, ex_status_name(worst->status), a, b);
    }
    if (t->patch_installed != EX_TIME_UNKNOWN && t->first_malicious < t->patch_installed) {
        t->exposed_from = t->first_malicious;
        t->exposed_to = t->patch_installed;
    } else if (!strcmp(t->exploitable_during_attacks, "yes")) {
        t->exposed_from = t->first_malicious;
        t->exposed_to = EX_TIME_UNKNOWN; /* still open */
    }
}

void hunt_assess(ex_hunt *h)
{
    ex_facts facts = {.today = h->o.today};
    ex_config_fact cfg[1];
    pick_build(h, &facts);
    facts.nconfig = config_facts(h, cfg, 1);
    facts.config = cfg;
    if (facts.have_version && ex_assess(h->kb, &facts, &h->assessment) == 0) {
        h->have_assessment = true;
        exposure_findings(h);
    }
    ex_hunt_timeline *t = &h->tl;
    for (size_t i = 0; i < h->findings.count; i++) {
        const ex_finding *f = &h->findings.items[i];
        if (!is_activity(f))
            continue;
        t->attacks++;
        if (t->first_malicious == EX_TIME_UNKNOWN || f->time < t->first_malicious)
            t->first_malicious = f->time;
        if (t->last_malicious == EX_TIME_UNKNOWN || f->time > t->last_malicious)
            t->last_malicious = f->time;
    }
    patch_time(h);
    decide(h);
    if (h->findings.count)
        qsort(h->findings.items, h->findings.count, sizeof *h->findings.items, cmp_finding);
}

static int cmp_iv(const void *a, const void *b)
{
    const hcover_iv *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_cov(const void *a, const void *b)
{
    return strcmp(((const ex_hunt_coverage *)a)->logdir, ((const ex_hunt_coverage *)b)->logdir);
}

void hunt_coverage_build(ex_hunt *h)
{
    h->coverage = calloc(h->ncov ? h->ncov : 1, sizeof *h->coverage);
    if (!h->coverage)
        return;
    for (size_t i = 0; i < h->ncov; i++) {
        hcover_dir *d = &h->cov[i];
        ex_hunt_coverage *c = &h->coverage[h->ncoverage];
        if (!d->n)
            continue;
        qsort(d->iv, d->n, sizeof *d->iv, cmp_iv);
        c->logdir = d->logdir;
        c->first = d->iv[0].first;
        c->files = d->n;
        int64_t reach = d->iv[0].last;
        size_t capg = 0;
        for (size_t k = 1; k < d->n; k++) {
            if (d->iv[k].first - reach > EX_HUNT_GAP_SECONDS) {
                if (c->ngaps == capg) {
                    capg = capg ? capg * 2 : 8;
                    ex_hunt_gap *g = realloc(c->gaps, capg * sizeof *g);
                    if (!g)
                        break;
                    c->gaps = g;
                }
                c->gaps[c->ngaps++] = (ex_hunt_gap){reach, d->iv[k].first};
            }
            if (d->iv[k].last > reach)
                reach = d->iv[k].last;
        }
        c->last = reach;
        c->reaches = c->first <= EX_HUNT_PROXYLOGON_FROM;
        h->ncoverage++;
    }
    qsort(h->coverage, h->ncoverage, sizeof *h->coverage, cmp_cov);
}
