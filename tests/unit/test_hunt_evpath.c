/* lib/hunt/evpath: the encodings triage tools write (ioc-hunting.md §3.3,
 * §3.4, §7.4: Velociraptor's uploads/auto/C%3A and uploads/ntfs/%5C%5C.%5CC%3A,
 * KAPE's C/ folder), traversal, the glob and the input prefix. Expected paths
 * are the Windows paths those encodings stand for. */
#include <stdlib.h>

#include "hunt/evpath.h"
#include "t.h"

static void expect_path(const char *in, const char *prefix, const char *want)
{
    int problem = -1;
    char *p = ex_evpath_normalise(in, strlen(in), prefix, &problem);
    if (!p || strcmp(p, want) != 0)
        t_fail(__FILE__, __LINE__, "'%s' -> '%s' (problem %d), expected '%s'", in, p ? p : "(null)", problem, want);
    free(p);
}

static void expect_problem(const char *in, int want)
{
    int problem = -1;
    char *p = ex_evpath_normalise(in, strlen(in), NULL, &problem);
    if (p || problem != want)
        t_fail(__FILE__, __LINE__, "'%s' -> '%s' problem %d, expected problem %d", in, p ? p : "(null)", problem, want);
    free(p);
}

TEST(velociraptor_and_kape_encodings)
{
    expect_path("uploads/auto/C%3A/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/x.LOG", NULL,
                "C:/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/x.LOG");
    expect_path("uploads/ntfs/%5C%5C.%5CC%3A/Windows/System32/config/SOFTWARE", NULL,
                "C:/Windows/System32/config/SOFTWARE");
    expect_path("uploads/auto/C%3A/Program%20Files/x", NULL, "C:/Program Files/x");
    expect_path("C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log", NULL,
                "C:/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log");
    expect_path("tout\\C\\Windows\\Temp\\lsass.dmp", NULL, "C:/Windows/Temp/lsass.dmp");
    expect_path("C$/inetpub/wwwroot/aspnet_client/x.aspx", NULL, "C:/inetpub/wwwroot/aspnet_client/x.aspx");
    expect_path("d:/Exchange/V15/Bin/ExSetup.exe", NULL, "D:/Exchange/V15/Bin/ExSetup.exe");
    /* case is kept; only the drive letter is upper-cased */
    expect_path("c/PROGRAM FILES/x", NULL, "C:/PROGRAM FILES/x");
}

TEST(no_drive_takes_the_prefix)
{
    expect_path("Ecp/HttpProxy_1.LOG", "Logging/HttpProxy", "Logging/HttpProxy/Ecp/HttpProxy_1.LOG");
    expect_path("EventLogs/Application.xml", "", "EventLogs/Application.xml");
    /* a single-letter name at the end is a file, not a drive; nor is one that no Windows folder follows */
    expect_path("logs/C", NULL, "logs/C");
    expect_path("a/b/c.log", NULL, "a/b/c.log");
    expect_path("x/Logging/HttpProxy/Ecp/a.LOG", NULL, "x/Logging/HttpProxy/Ecp/a.LOG");
    expect_path("D/Exchange/V15/Logging/x.LOG", NULL, "D:/Exchange/V15/Logging/x.LOG");
}

TEST(decoding_never_makes_separators_or_traversal)
{
    expect_path("uploads/auto/C%3A/a%2Fb%5Cc%00d", NULL, "C:/a%2Fb%5Cc%00d");
    expect_path("uploads/auto/C%3A/%2E%2E/x", NULL, "C:/%2E%2E/x");
    expect_path("uploads/auto/C%3A/%2e/x", NULL, "C:/%2e/x");
    /* a KAPE tree is not percent-decoded: a literal % in a name stays */
    expect_path("C/Users/100%25/x", NULL, "C:/Users/100%25/x");
}

TEST(traversal_and_absolute_entries_refused)
{
    expect_problem("../../etc/passwd", EX_EVPATH_TRAVERSAL);
    expect_problem("uploads/auto/C%3A/../../../x", EX_EVPATH_TRAVERSAL);
    expect_problem("a\\..\\..\\b", EX_EVPATH_TRAVERSAL);
    expect_problem("/etc/passwd", EX_EVPATH_TRAVERSAL);
    expect_problem("\\\\server\\share\\x", EX_EVPATH_TRAVERSAL);
    expect_problem("///", EX_EVPATH_TRAVERSAL); /* absolute */
    expect_problem("./.", EX_EVPATH_EMPTY);
    expect_path("./a/./b", NULL, "a/b");
}

TEST(glob_case_insensitive_with_stars)
{
    CHECK(ex_evpath_match("**Logging/HttpProxy/**", "C:/Program Files/x/Logging/httpproxy/Ecp/a.LOG"));
    CHECK(ex_evpath_match("*.log", "HttpProxy_2021030306-1.LOG"));
    CHECK(!ex_evpath_match("*.log", "a/b.log")); /* one star does not cross '/' */
    CHECK(ex_evpath_match("**/owa/auth/*.aspx", "C:/x/FrontEnd/HttpProxy/owa/auth/logon.aspx"));
    CHECK(!ex_evpath_match("**/owa/auth/*.aspx", "C:/x/owa/auth/Current/x.aspx"));
    CHECK(ex_evpath_match("**/owa/auth/**.aspx", "C:/x/owa/auth/Current/x.aspx"));
    CHECK(ex_evpath_match("u_ex??????.log", "u_ex210303.log"));
    CHECK(!ex_evpath_match("u_ex??????.log", "u_ex2103031.log"));
    CHECK_STR(ex_evpath_under("C:/Program Files/Microsoft/x/y", "c:/program files/microsoft"), "x/y");
    CHECK(ex_evpath_under("C:/Program Files2/x", "C:/Program Files") == NULL);
}

static void expect_prefix(const char *dir, const char *want)
{
    char *p = ex_evpath_input_prefix(dir);
    if (!p || strcmp(p, want) != 0)
        t_fail(__FILE__, __LINE__, "prefix of '%s' -> '%s', expected '%s'", dir, p ? p : "(null)", want);
    free(p);
}

TEST(input_prefix_keeps_windows_context)
{
    expect_prefix("/mnt/c", "c");
    expect_prefix("/cases/x/Logging/HttpProxy", "Logging/HttpProxy");
    expect_prefix("/img/C/Program Files/Microsoft", "C/Program Files/Microsoft");
    expect_prefix("/cases/EXCH01", "");
    expect_prefix("/srv/evidence/inetpub/logs", "inetpub/logs");
    expect_prefix("/", "");
}
