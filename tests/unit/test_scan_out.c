/* scan_out: the JSON line (with its shared host-record cache), CSV cells and
 * untrusted text. No network: hosts are built from recorded answers. */
#include <jansson.h>

#include "assess_cache.h"
#include "host.h"
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

static char *line_of(ex_assess_cache *ac, ex_record_cache *rc, fake_host *f, const ex_assessment **as)
{
    *as = ex_assess_cached(ac, &f->facts);
    ex_scan_host h = {.ep = &f->ep, .ci = &f->ci, .plan = &f->plan, .res = &f->res, .a = *as};
    return *as ? ex_scan_json_line(&h, rc) : NULL;
}

/* The members of a scan line, in the order of docs/schema.md "Scan fields". */
static const char *const schema_order[] = {
    "target",  "ip",     "port",        "exchange", "exchange_evidence", "schema", "build",  "support",   "verdict",
    "updates", "cves",   "remediation", "kb",       "signals",           "waf",    "server", "fe_server", "tls",
    "ntlm",    "probes", "errors",      "timings"};

TEST(json_line_follows_the_schema_and_keeps_per_host_evidence)
{
    ex_assess_cache *ac = ex_assess_cache_new(ex_kb_builtin());
    ex_record_cache *rc = ex_record_cache_new();
    fake_host a, b;
    make_host(&a, "192.0.2.1", "GET /owa/auth/x.js -> X-CalculatedBETarget: localhost");
    make_host(&b, "192.0.2.2", "GET /owa/auth/x.js -> X-CalculatedBETarget: LOCALHOST:444");
    char *lines[3];
    fake_host *hosts[3] = {&a, &b, &a};
    for (int i = 0; i < 3; i++) {
        const ex_assessment *as;
        lines[i] = line_of(ac, rc, hosts[i], &as);
        CHECK(lines[i] != NULL);
        json_t *parsed = json_loads(lines[i] ? lines[i] : "", 0, NULL);
        CHECK(parsed != NULL);
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach(parsed, key, v)
        {
            CHECK(k < EX_ARRAY_LEN(schema_order) && !strcmp(key, schema_order[k]));
            k++;
        }
        CHECK_INT((int)k, (int)EX_ARRAY_LEN(schema_order));
        /* the host record of lib/host.h sits in the middle; the scan adds the build's source and evidence */
        json_t *rec = ex_host_json(as), *build = json_object_get(rec, "build");
        json_object_set_new(build, "source", json_string("owa-path"));
        json_object_set_new(build, "evidence", json_string(hosts[i]->res.version_evidence));
        json_object_foreach(rec, key, v) CHECK(json_equal(v, json_object_get(parsed, key)));
        json_decref(rec);
        CHECK_STR(cve_field(parsed, "CVE-2021-26855", "status"), "vulnerable");
        CHECK_STR(cve_field(parsed, "CVE-2021-26855", "evidence"), hosts[i]->plan.fp.probes[0].evidence);
        CHECK_STR(json_string_value(json_object_get(parsed, "target")), hosts[i]->ep.label);
        CHECK_STR(json_string_value(json_object_get(parsed, "ip")), hosts[i]->ep.label);
        CHECK(json_is_null(json_object_get(json_object_get(parsed, "tls"), "certificate")));
        CHECK(json_is_null(json_object_get(json_object_get(parsed, "tls"), "sni"))); /* an address has no SNI */
        CHECK(json_is_null(json_object_get(parsed, "waf")));
        json_decref(parsed);
    }
    CHECK(strcmp(lines[0], lines[1]) != 0);
    CHECK_STR(lines[2], lines[0]); /* the cached record gives the same text */
    for (int i = 0; i < 3; i++)
        free(lines[i]);
    ex_record_cache_free(rc);
    ex_assess_cache_free(ac);
}

/* Regression: the record cache was 512 direct-mapped slots; the ~400 distinct records of a 10,000-host lab
 * fleet kept evicting each other, so most hosts rebuilt theirs. Every one of many distinct records must
 * come back right, first from a build and then from the cache. */
TEST(json_line_record_cache_holds_many_distinct_records)
{
    ex_assess_cache *ac = ex_assess_cache_new(ex_kb_builtin());
    ex_record_cache *rc = ex_record_cache_new();
    enum { N = 700 };
    static fake_host f;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            char ip[32], ev[96];
            snprintf(ip, sizeof ip, "198.51.100.%d", i % 250);
            snprintf(ev, sizeof ev, "GET /owa/auth/x.js -> X-CalculatedBETarget: backend-%d.contoso.local", i);
            make_host(&f, ip, ev);
            const ex_assessment *as;
            char *line = line_of(ac, rc, &f, &as);
            json_t *parsed = line ? json_loads(line, 0, NULL) : NULL;
            CHECK(parsed != NULL);
            CHECK_STR(cve_field(parsed, "CVE-2021-26855", "evidence"), ev);
            CHECK_STR(json_string_value(json_object_get(parsed, "target")), ip);
            json_decref(parsed);
            free(line);
        }
    ex_record_cache_free(rc);
    ex_assess_cache_free(ac);
}

/* Hostile bytes in what a server sends (an error text, a certificate name) stay valid JSON: invalid UTF-8
 * becomes U+FFFD and control characters are escaped. */
TEST(json_line_is_valid_json_for_hostile_text)
{
    ex_assess_cache *ac = ex_assess_cache_new(ex_kb_builtin());
    fake_host f;
    make_host(&f, "192.0.2.3", "x");
    f.plan.fp.cert.seen = true;
    ex_strlcpy(f.plan.fp.cert.subject, "CN=mail\xff\xfe\"\n\x01.example", sizeof f.plan.fp.cert.subject);
    ex_strlcpy(f.plan.errors[0], "GET /owa/: protocol-error: \xc3(\\)", EX_PLAN_ERROR_LEN);
    f.plan.nerrors = 1;
    const ex_assessment *as;
    char *line = line_of(ac, NULL, &f, &as);
    CHECK(line && !strchr(line, '\n'));
    json_t *parsed = line ? json_loads(line, 0, NULL) : NULL;
    CHECK(parsed != NULL);
    json_t *cert = json_object_get(json_object_get(parsed, "tls"), "certificate");
    CHECK_STR(json_string_value(json_object_get(cert, "subject")), "CN=mail\xef\xbf\xbd\xef\xbf\xbd\"\n\x01.example");
    CHECK_STR(json_string_value(json_array_get(json_object_get(parsed, "errors"), 0)),
              "GET /owa/: protocol-error: \xef\xbf\xbd(\\)");
    json_decref(parsed);
    free(line);
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
