/* lib/version: every build-string form seen in the wild (remote-detection.md
 * §1, logs-and-builds.md §5.1), comparison and formatting. Expected values are
 * the literal numbers in those forms, not computed by the code under test. */
#include "t.h"
#include "version.h"

static void expect(const char *in, int maj, int min, int build, int rev)
{
    ex_version v;
    int err = ex_version_parse_str(in, &v);
    if (err) {
        t_fail(__FILE__, __LINE__, "'%s' did not parse: %s", in, ex_version_strerror(err));
        return;
    }
    if (v.major != maj || v.minor != min || (int)v.build != build || v.revision != rev)
        t_fail(__FILE__, __LINE__, "'%s' -> %u.%u.%u.%d, expected %d.%d.%d.%d", in, v.major, v.minor, v.build,
               v.revision, maj, min, build, rev);
}

static void reject(const char *in, int want_err)
{
    ex_version v;
    int err = ex_version_parse_str(in, &v);
    if (err != want_err)
        t_fail(__FILE__, __LINE__, "'%s' -> error %d (%s), expected %d", in, err, ex_version_strerror(err), want_err);
}

TEST(short_and_long_forms)
{
    expect("15.1.2176.9", 15, 1, 2176, 9);
    expect("15.01.2176.009", 15, 1, 2176, 9);
    expect("15.02.0858.002", 15, 2, 858, 2);
    expect("14.3.123.4", 14, 3, 123, 4);
    expect("14.03.0123.004", 14, 3, 123, 4);
}

TEST(cu_only_three_parts)
{
    expect("15.1.2176", 15, 1, 2176, -1);
    expect("15.2.858", 15, 2, 858, -1);
}

TEST(header_and_admin_display_forms)
{
    expect("Exchange/15.02.0858.002", 15, 2, 858, 2); /* X-ServerApplication, sample 06 */
    expect("exchange/15.02.0858.002", 15, 2, 858, 2);
    expect("Version 15.1 (Build 2176.9)", 15, 1, 2176, 9);
    expect("version 15.1 (build 2176.9)", 15, 1, 2176, 9);
    expect("Version 14.3 (Build 123.4)", 14, 3, 123, 4);
    expect("  Version 15.2 ( Build 1544.4 )  ", 15, 2, 1544, 4);
}

TEST(owaver_query_value)
{
    expect("owaVer=15.2.858.2", 15, 2, 858, 2);
    expect("OWAVER=15.2.858.2&be=EXCH01&fe=EXCH01", 15, 2, 858, 2);
}

TEST(whitespace_and_case_ignored)
{
    expect("  15.1.2176.9\r\n", 15, 1, 2176, 9);
    expect("\t15.2.1544.11 ", 15, 2, 1544, 11);
}

TEST(garbage_is_an_error)
{
    reject("", EX_VERSION_EMPTY);
    reject("   ", EX_VERSION_EMPTY);
    reject("15", EX_VERSION_SYNTAX);
    reject("15.1", EX_VERSION_SYNTAX);
    reject("15.1.", EX_VERSION_SYNTAX);
    reject("15.1.2176.", EX_VERSION_SYNTAX);
    reject("15.1.2176.9.1", EX_VERSION_SYNTAX);
    reject("15.1.2176.9x", EX_VERSION_SYNTAX);
    reject("a15.1.2176.9", EX_VERSION_SYNTAX);
    reject("15..2176.9", EX_VERSION_SYNTAX);
    reject("-15.1.2176.9", EX_VERSION_SYNTAX);
    reject("Version 15.1", EX_VERSION_SYNTAX);
    reject("Version 15.1 (Build 2176)", EX_VERSION_SYNTAX);
    reject("Exchange/", EX_VERSION_SYNTAX);
    reject("15.1.99999999999.9", EX_VERSION_RANGE);
    reject("150.1.2176.9", EX_VERSION_RANGE);
    reject("0.0.0.0", EX_VERSION_RANGE);
}

TEST(length_bounded_without_nul)
{
    /* The parser must honour len: "15.1.2176.9" followed by more digits in memory. */
    const char buf[] = "15.1.2176.91234";
    ex_version v;
    CHECK_INT(ex_version_parse(buf, 11, &v), EX_VERSION_OK);
    CHECK_INT(v.revision, 9);
    char big[400];
    memset(big, '1', sizeof big);
    CHECK(ex_version_parse(big, sizeof big, &v) != EX_VERSION_OK);
    CHECK(ex_version_parse(NULL, 0, &v) != EX_VERSION_OK);
}

TEST(compare)
{
    ex_version a, b, cu;
    ex_version_parse_str("15.1.2176.2", &a);
    ex_version_parse_str("15.1.2176.9", &b);
    ex_version_parse_str("15.1.2176", &cu);
    CHECK(ex_version_cmp(&a, &b) < 0);
    CHECK(ex_version_cmp(&b, &a) > 0);
    CHECK(ex_version_cmp(&a, &a) == 0);
    CHECK(ex_version_cmp_cu(&a, &b) == 0);
    CHECK(ex_version_same_cu(&cu, &b));
    CHECK(ex_version_cmp(&cu, &a) < 0); /* unknown revision sorts first */
    ex_version c;
    ex_version_parse_str("15.01.2242.004", &c);
    CHECK(ex_version_cmp(&c, &b) > 0);
}

TEST(format_short_and_long)
{
    ex_version v;
    char buf[EX_VERSION_STRLEN];
    ex_version_parse_str("Exchange/15.02.0858.002", &v);
    ex_version_format(&v, buf, sizeof buf);
    CHECK_STR(buf, "15.2.858.2");
    ex_version_format_long(&v, buf, sizeof buf);
    CHECK_STR(buf, "15.02.0858.002");
    ex_version_parse_str("15.1.2176", &v);
    ex_version_format(&v, buf, sizeof buf);
    CHECK_STR(buf, "15.1.2176");
    ex_version_format_long(&v, buf, sizeof buf);
    CHECK_STR(buf, "15.01.2176");
}
