/* The lab's loopback-only rule (tests/lab/addr.c), compiled in on its own: the
 * wildcard listener must refuse every connection whose local address is not
 * loopback. This cannot be exercised end to end without talking to a
 * non-loopback address, which tests never do, so the check is tested here.
 * Expected values: RFC 1122 3.2.1.3 (127.0.0.0/8 is loopback), RFC 4291 2.5.3
 * (::1) and 2.5.5.2 (IPv4-mapped ::ffff:a.b.c.d). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "t.h"

#include "../lab/addr.c"

static bool v4(const char *ip)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return lab_addr_is_loopback((struct sockaddr *)&sa, sizeof sa);
}

static bool v6(const char *ip)
{
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, ip, &sa.sin6_addr);
    return lab_addr_is_loopback((struct sockaddr *)&sa, sizeof sa);
}

TEST(ipv4_loopback_range)
{
    CHECK(v4("127.0.0.1"));
    CHECK(v4("127.1.0.0"));
    CHECK(v4("127.1.255.255"));
    CHECK(v4("127.255.255.255"));
    CHECK(v4("127.0.0.0"));
}

TEST(ipv4_outside_loopback_refused)
{
    CHECK(!v4("126.255.255.255"));
    CHECK(!v4("128.0.0.0"));
    CHECK(!v4("10.0.0.1"));
    CHECK(!v4("192.168.1.10"));
    CHECK(!v4("0.0.0.0"));
    CHECK(!v4("255.255.255.255"));
    CHECK(!v4("172.17.0.2"));
}

TEST(ipv6_loopback_and_mapped)
{
    CHECK(v6("::1"));
    CHECK(v6("::ffff:127.0.0.1"));
    CHECK(v6("::ffff:127.3.4.5"));
    CHECK(!v6("::ffff:10.0.0.1"));
    CHECK(!v6("::"));
    CHECK(!v6("fe80::1"));
    CHECK(!v6("2001:db8::1"));
    CHECK(!v6("::2"));
}

TEST(short_or_unknown_addresses_refused)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    CHECK(!lab_addr_is_loopback((struct sockaddr *)&sa, sizeof sa - 1));
    CHECK(!lab_addr_is_loopback(NULL, 0));
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK(!lab_addr_is_loopback(&un, sizeof un));
}

TEST(parse_and_format)
{
    uint32_t a = 0;
    char buf[16];
    CHECK_INT(lab_parse_ipv4("127.1.0.17", &a), 0);
    CHECK_INT(a, 0x7f010011);
    lab_format_ipv4(a + 0xff, buf, sizeof buf);
    CHECK_STR(buf, "127.1.1.16");
    CHECK(lab_parse_ipv4("127.1.0", &a) != 0);
    CHECK(lab_parse_ipv4("localhost", &a) != 0);
    CHECK(lab_parse_ipv4(NULL, &a) != 0);
}
