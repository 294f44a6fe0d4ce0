/* scan_out: the JSON line (with its shared host-record cache), CSV cells and
 * untrusted text. No network: hosts are built from recorded answers. */
#include <jansson.h>

#include "assess_cache.h"
#include "kb.h"
#include "out/scan_out.h"
#include "t.h"
#include "util.h"

typedef struct fake_host {
    ex_endpoint ep;
    ex_conn_info ci;
    ex_plan plan;
    ex_fp_result res;
    ex_observation obs[EX_PROBE_COUNT];
    ex_facts facts;
} fake_host;

/* A 2016 CU19 logon page and a positive ProxyLogon probe with the given evidence. */
static void make_host(fake_host *f, const char *ip, const char *evidence)
{
    memset(f, 0, sizeof *f);
    ex_strlcpy(f->ep.host, ip, sizeof f->ep.host);
    ex_strlcpy(f->ep.label, ip, sizeof f->ep.label);
    f->ep.is_ip = true;
    f->ep.tls = true;
    f->ep.port = 443;
    ex_strlcpy(f->ci.ip, ip, sizeof f->ci.ip);
    ex_plan_opts o = {.active = true, .max_body = 65536};
    ex_plan_init(&f->plan, &o, NULL);
    const char *body = "<!-- OwaPage = ASP.auth_logon_aspx --><link href=\"/owa/auth/15.1.2176/themes/x.css\">";
    ex_http_response r = {.endpoint = "GET /owa/auth/logon.aspx",
                          .status = 200,
                          .headers = "",
                          .body = body,
                          .body_len = strlen(body),
                          .error = ""};
    ex_fp_observe(&f->plan.fp, &r);
    f->plan.fp.probes[EX_PROBE_PROXYLOGON].state = EX_PSTATE_POSITIVE;
    ex_strlcpy(f->plan.fp.probes[EX_PROBE_PROXYLOGON].evidence, evidence, EX_FP_EVIDENCE);
    ex_fp_conclude(&f->plan.fp, &f->res);
    f->facts.today = ex_date_to_days("2026-08-20");
    ex_fp_facts(&f->plan.fp, &f->res, f->obs, &f->facts);
}

static const char *cve_field(json_t *o, const char *id, const char *field)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(o, "cves"), i,
                       c) if (!strcmp(json_string_value(json_object_get(c, "id")),
                                      id)) return json_string_value(json_object_get(c, field));
    return NULL;
}

TEST(json_line_equals_the_object_and_keeps_per_host_evidence)
{
    ex_assess_cache *ac = ex_assess_cache_new(ex_kb_builtin());
    ex_record_cache *rc = ex_record_cache_new();
    fake_host a, b;
    make_host(&a, "192.0.2.1", "GET /owa/auth/x.js -> X-CalculatedBETarget: localhost");
    make_host(&b, "192.0.2.2", "GET /owa/auth/x.js -> X-CalculatedBETarget: LOCALHOST:444");
    char *lines[3];
    fake_host *hosts[3] = {&a, &b, &a};
    for (int i = 0; i < 3; i++) {
        const ex_assessment *as = ex_assess_cached(ac, &hosts[i]->facts);
        ex_scan_host h = {
            .ep = &hosts[i]->ep, .ci = &hosts[i]->ci, .plan = &hosts[i]->plan, .res = &hosts[i]->res, .a = as};
        lines[i] = ex_scan_json_line(&h, rc);
        CHECK(lines[i] != NULL);
        json_t *obj = ex_scan_json(&h);
        json_t *parsed = json_loads(lines[i] ? lines[i] : "", 0, NULL);
        CHECK(parsed && json_equal(parsed, obj));
        CHECK_STR(cve_field(parsed, "CVE-2021-26855", "status"), "vulnerable");
        CHECK_STR(cve_field(parsed, "CVE-2021-26855", "evidence"), hosts[i]->plan.fp.probes[0].evidence);
        CHECK_STR(json_string_value(json_object_get(parsed, "target")), hosts[i]->ep.label);
        json_decref(parsed);
        json_decref(obj);
    }
    CHECK(strcmp(lines[0], lines[1]) != 0);
    CHECK_STR(lines[2], lines[0]); /* the cached record gives the same text */
    for (int i = 0; i < 3; i++)
        free(lines[i]);
    ex_record_cache_free(rc);
    ex_assess_cache_free(ac);
}

TEST(untrusted_text_becomes_valid_utf8)
{
    json_t *j = ex_json_text("EXCH\xff\xfe"
                             "01 \xc3\xa9");
    CHECK(json_is_string(j));
    CHECK_STR(json_string_value(j), "EXCH\xef\xbf\xbd\xef\xbf\xbd"
                                    "01 \xc3\xa9");
    json_decref(j);
}

TEST(csv_defuses_formulas)
{
    fake_host f;
    make_host(&f, "192.0.2.9", "x");
    ex_strlcpy(f.plan.fp.cert.subject, "=HYPERLINK(\"http://evil\")", sizeof f.plan.fp.cert.subject);
    ex_assessment a;
    CHECK_INT(ex_assess(ex_kb_builtin(), &f.facts, &a), 0);
    ex_scan_host h = {.ep = &f.ep, .ci = &f.ci, .plan = &f.plan, .res = &f.res, .a = &a};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ex_scan_csv_row(m, &h);
    fclose(m);
    CHECK_CONTAINS(buf, ",\"'=HYPERLINK(\"\"http://evil\"\")\",");
    CHECK_CONTAINS(buf, "192.0.2.9,192.0.2.9,443,onprem,15.1.2176,cu,Exchange Server 2016,CU19,,vulnerable,");
    free(buf);
    ex_assessment_free(&a);
}
