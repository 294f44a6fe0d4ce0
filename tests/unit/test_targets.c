/* targets: input forms, streaming expansion, de-duplication, exclusion, shards, resume. */
#include <unistd.h>

#include "t.h"
#include "targets.h"

static ex_targets *make(const char *const *args, size_t n, unsigned si, unsigned sn)
{
    ex_targets_opts o = {.default_tls = true, .shard_index = si, .shard_count = sn};
    ex_targets *t = ex_targets_new(&o);
    char err[256];
    for (size_t i = 0; i < n; i++)
        if (ex_targets_add_arg(t, args[i], err, sizeof err) != 0)
            t_fail(__FILE__, __LINE__, "add %s: %s", args[i], err);
    return t;
}

/* All labels of the stream, space separated. */
static void drain(ex_targets *t, char *out, size_t n)
{
    ex_endpoint e;
    char err[256];
    size_t len = 0;
    out[0] = '\0';
    while (ex_targets_next(t, &e, err, sizeof err) == 1 && len + 64 < n)
        len += (size_t)snprintf(out + len, n - len, "%s%s:%u", len ? " " : "", e.label, e.port);
}

TEST(parse_forms)
{
    ex_target_spec s;
    char err[256];
    CHECK_INT(ex_target_parse("192.0.2.0/30", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_spec_size(&s), 4);
    CHECK_INT(ex_target_parse("192.0.2.10-20", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_spec_size(&s), 11);
    CHECK_INT(ex_target_parse("192.0.2.250-192.0.3.5", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_spec_size(&s), 12);
    CHECK_INT(ex_target_parse("[2001:db8::7]:8443", &s, err, sizeof err), 0);
    CHECK_INT(s.port, 8443);
    CHECK_INT(ex_target_parse("2001:db8::/120", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_spec_size(&s), 256);
    CHECK_INT(ex_target_parse("Mail.Contoso.example:444", &s, err, sizeof err), 0);
    CHECK_STR(s.name, "mail.contoso.example");
    CHECK_INT(s.port, 444);
    CHECK_INT(ex_target_parse("http://mail-01.contoso.example:8080/gw/", &s, err, sizeof err), 0);
    CHECK(!s.tls);
    CHECK_STR(s.path, "/gw");
    CHECK_INT(s.port, 8080);
    /* refused */
    CHECK_INT(ex_target_parse("192.0.2.300", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("192.0.2.20-10", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("2001:db8::/64", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("ftp://x.example", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("https://user:pw@x.example/", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("host:99999", &s, err, sizeof err), -1);
    CHECK_INT(ex_target_parse("bad host", &s, err, sizeof err), -1);
}

TEST(masscan_and_zmap_lines)
{
    ex_target_spec s;
    char err[256];
    /* masscan -oL format ("open tcp <port> <ip> <timestamp>") */
    CHECK_INT(ex_target_parse_line("open tcp 8443 198.51.100.7 1700000000", &s, err, sizeof err), 1);
    CHECK_INT(s.port, 8443);
    CHECK_INT(ex_target_parse_line("#masscan", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_parse_line("# end", &s, err, sizeof err), 0);
    /* masscan -oJ: one object per line inside [ ], with trailing commas */
    CHECK_INT(ex_target_parse_line("[", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_parse_line(
                  "{   \"ip\": \"198.51.100.9\",   \"timestamp\": \"1700000000\", \"ports\": [ {\"port\": "
                  "443, \"proto\": \"tcp\", \"status\": \"open\", \"reason\": \"syn-ack\", \"ttl\": 64} ] },",
                  &s, err, sizeof err),
              1);
    CHECK_INT(s.port, 443);
    CHECK_INT(ex_target_parse_line("]", &s, err, sizeof err), 0);
    /* zmap: one address per line */
    CHECK_INT(ex_target_parse_line("203.0.113.5", &s, err, sizeof err), 1);
    CHECK_INT(ex_target_parse_line("   ", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_parse_line("{\"ip\": 5}", &s, err, sizeof err), -1);
}

/* masscan 1.3.2 (Debian 12) -oJ: its binary holds the strings "[\n", "{ ", "  \"ip\": \"%s\", ", "}\n", ",\n"
 * and "]\n": the comma goes on a line of its own before every record but the first (out-json.c), and a record
 * can carry a non-open status with --show closed. */
TEST(masscan_json_lone_comma_and_closed_port)
{
    ex_target_spec s;
    char err[256];
    CHECK_INT(ex_target_parse_line("{   \"ip\": \"198.51.100.9\",   \"timestamp\": \"1700000000\", \"ports\": [ "
                                   "{\"port\": 443, \"proto\": \"tcp\", \"status\": \"open\", \"reason\": "
                                   "\"syn-ack\", \"ttl\": 64} ] }",
                                   &s, err, sizeof err),
              1);
    CHECK_INT(ex_target_parse_line(",", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_parse_line(" ,\r", &s, err, sizeof err), 0);
    CHECK_INT(ex_target_parse_line("{   \"ip\": \"198.51.100.10\",   \"timestamp\": \"1700000000\", \"ports\": [ "
                                   "{\"port\": 443, \"proto\": \"tcp\", \"status\": \"closed\", \"reason\": "
                                   "\"rst\", \"ttl\": 64} ] }",
                                   &s, err, sizeof err),
              0);
    CHECK_INT(ex_target_parse_line(",198.51.100.11", &s, err, sizeof err), -1);
}

TEST(dedup_keeps_first_occurrence_in_order)
{
    const char *args[] = {"192.0.2.1",    "192.0.2.0/30", "192.0.2.1",     "192.0.2.2-3",
                          "mail.example", "MAIL.example", "192.0.2.1:8443"};
    ex_targets *t = make(args, 7, 0, 0);
    char out[1024];
    drain(t, out, sizeof out);
    CHECK_STR(out, "192.0.2.1:443 192.0.2.0:443 192.0.2.2:443 192.0.2.3:443 mail.example:443 192.0.2.1:8443");
    CHECK_INT(ex_targets_get_stats(t).duplicates, 5);
    ex_targets_free(t);
}

TEST(exclusion_by_range_and_name)
{
    const char *args[] = {"192.0.2.0/29", "keep.example", "drop.example"};
    ex_targets *t = make(args, 3, 0, 0);
    char err[256], out[1024];
    CHECK_INT(ex_targets_exclude(t, "192.0.2.2-4,drop.example,192.0.2.6/31", err, sizeof err), 0);
    drain(t, out, sizeof out);
    CHECK_STR(out, "192.0.2.0:443 192.0.2.1:443 192.0.2.5:443 keep.example:443");
    CHECK_INT(ex_targets_get_stats(t).excluded, 6);
    ex_targets_free(t);
}

TEST(shards_partition_the_list)
{
    const char *args[] = {"10.9.0.0/28", "10.9.0.3"};
    char all[4096] = "", part[1024];
    size_t total = 0;
    for (unsigned i = 1; i <= 3; i++) {
        ex_targets *t = make(args, 2, i, 3);
        drain(t, part, sizeof part);
        ex_targets_stats st = ex_targets_get_stats(t);
        total += st.emitted;
        CHECK(st.emitted == 5 || st.emitted == 6);
        strcat(all, part);
        strcat(all, " ");
        ex_targets_free(t);
    }
    CHECK_INT(total, 16);
    for (int a = 0; a < 16; a++) { /* every address exactly once over the three shards */
        char needle[32];
        snprintf(needle, sizeof needle, "10.9.0.%d:443 ", a);
        const char *p = strstr(all, needle);
        CHECK(p != NULL);
        if (p)
            CHECK(strstr(p + 1, needle) == NULL);
    }
}

TEST(resume_skips_done_hosts)
{
    const char *args[] = {"192.0.2.0/30"};
    ex_targets *t = make(args, 1, 0, 0);
    char out[512];
    ex_targets_skip(t, "192.0.2.1", 443);
    ex_targets_skip(t, "192.0.2.3", 8443); /* another port: not skipped */
    drain(t, out, sizeof out);
    CHECK_STR(out, "192.0.2.0:443 192.0.2.2:443 192.0.2.3:443");
    ex_targets_free(t);
}

TEST(file_input_streams_and_warns)
{
    char path[] = "/tmp/exaudit-targets-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# comment\n198.51.100.1\nnot a target!\nopen tcp 443 198.51.100.2 1700000000\n"
                       "https://[2001:db8::1]:9443/\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    ex_targets_opts o = {.default_tls = true, .ports = {443, 444}, .nports = 2};
    ex_targets *t = ex_targets_new(&o);
    char err[256], out[1024];
    CHECK_INT(ex_targets_add_file(t, path, err, sizeof err), 0);
    CHECK_INT(ex_targets_estimate(t), 4);
    drain(t, out, sizeof out);
    CHECK_STR(out, "198.51.100.1:443 198.51.100.1:444 198.51.100.2:443 2001:db8::1:9443");
    CHECK_INT(ex_targets_get_stats(t).bad_lines, 1);
    ex_targets_free(t);
    unlink(path);
}

TEST(huge_range_is_lazy)
{
    const char *args[] = {"10.0.0.0/8"};
    ex_targets *t = make(args, 1, 0, 0);
    ex_endpoint e;
    char err[64];
    for (int i = 0; i < 100000; i++)
        CHECK_INT(ex_targets_next(t, &e, err, sizeof err), 1);
    CHECK_STR(e.label, "10.1.134.159");
    CHECK_INT(ex_targets_estimate(t), 16777216);
    ex_targets_free(t);
}

TEST(ipset_merges)
{
    ex_ipset s = {0};
    ex_ipset_add(&s, 10, 20);
    ex_ipset_add(&s, 30, 40);
    ex_ipset_add(&s, 21, 29);
    CHECK_INT(s.n, 1);
    CHECK(ex_ipset_contains(&s, 25));
    CHECK(!ex_ipset_contains(&s, 41));
    ex_ipset_add(&s, 50, 60);
    ex_ipset_add(&s, 0, 5);
    CHECK_INT(s.n, 3);
    CHECK(!ex_ipset_contains(&s, 7));
    ex_ipset_free(&s);
}
