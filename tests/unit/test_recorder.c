/* recorder: the inventory key of a scanned endpoint, and the store's shapes
 * of a hunt summary. The key forms are those docs/scan.md documents for
 * targets (host, address, IPv6 literal, base URL); the hunt summary is the
 * object that ends `exaudit hunt --json` (docs/schema.md, "Hunt output"). */
#include "out/recorder.h"
#include "t.h"

static const char *key(const char *label, long port)
{
    static char buf[700];
    ex_recorder_target(label, port, buf, sizeof buf);
    return buf;
}

TEST(the_key_is_the_target_on_443_and_target_port_elsewhere)
{
    CHECK_STR(key("mail.contoso.example", 443), "mail.contoso.example");
    CHECK_STR(key("192.0.2.7", 443), "192.0.2.7");
    CHECK_STR(key("192.0.2.7", 8443), "192.0.2.7:8443");
    CHECK_STR(key("2001:db8::7", 8443), "[2001:db8::7]:8443");
    CHECK_STR(key("2001:db8::7", 443), "2001:db8::7");
    /* A base URL names its port already. */
    CHECK_STR(key("https://gw.contoso.example:8443/exchange", 8443), "https://gw.contoso.example:8443/exchange");
    CHECK_STR(key("http://192.0.2.7:80", 80), "http://192.0.2.7:80");
    /* `exaudit build --json` records have no port. */
    CHECK_STR(key("exch01.contoso.example", 0), "exch01.contoso.example");
}

TEST(hunt_summary_to_coverage_and_timeline)
{
    const char *summary =
        "{\"schema\": \"exaudit.hunt-summary/1\", \"subject\": \"ev\","
        " \"coverage\": [{\"logdir\": \"Logging/HttpProxy/Ecp\", \"first\": \"2021-02-26T03:14:45Z\","
        "   \"last\": \"2021-03-11T16:22:03Z\", \"files\": 12, \"gaps\": [], \"reaches_2021_01_01\": false}],"
        " \"facts\": [{\"key\": \"patch.installed\", \"time\": \"2021-03-10T22:30:00Z\", \"detail\": \"15.1.2176.9\","
        "   \"path\": \"C:/Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe\"},"
        "  {\"key\": \"config.extended-protection\", \"time\": null, \"detail\": \"off\", \"path\": null}]}";
    json_t *s = json_loads(summary, 0, NULL), *cov = NULL, *tl = NULL;
    CHECK(s != NULL);
    CHECK_INT(ex_recorder_hunt_shapes(s, &cov, &tl), 0);
    json_t *ecp = json_object_get(cov, "Logging/HttpProxy/Ecp");
    CHECK_STR(json_string_value(json_object_get(ecp, "first")), "2021-02-26T03:14:45Z");
    CHECK_STR(json_string_value(json_object_get(ecp, "last")), "2021-03-11T16:22:03Z");
    CHECK_INT(json_integer_value(json_object_get(ecp, "files")), 12);
    CHECK_INT(json_array_size(tl), 2);
    json_t *patch = json_array_get(tl, 0);
    CHECK_STR(json_string_value(json_object_get(patch, "key")), "patch.installed");
    CHECK_STR(json_string_value(json_object_get(patch, "time")), "2021-03-10T22:30:00Z");
    CHECK_STR(json_string_value(json_object_get(patch, "evidence")),
              "C:/Program Files/Microsoft/Exchange Server/V15/Bin/ExSetup.exe");
    CHECK(json_is_null(json_object_get(json_array_get(tl, 1), "time")));
    json_decref(cov);
    json_decref(tl);
    json_decref(s);
}

TEST(a_summary_without_coverage_or_facts_gives_null_shapes)
{
    json_t *s = json_pack("{s:[], s:[]}", "coverage", "facts"), *cov = (json_t *)1, *tl = (json_t *)1;
    CHECK_INT(ex_recorder_hunt_shapes(s, &cov, &tl), 0);
    CHECK(cov == NULL && tl == NULL);
    json_decref(s);
    /* Not a summary at all (hostile input to `exaudit record hunt`): nothing, no crash. */
    json_t *junk = json_pack("{s:i, s:s}", "coverage", 3, "facts", "x");
    CHECK_INT(ex_recorder_hunt_shapes(junk, &cov, &tl), 0);
    CHECK(cov == NULL && tl == NULL);
    json_decref(junk);
}
