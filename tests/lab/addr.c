/* The loopback-only rule: the lab listens on the wildcard address so that every
 * 127.0.0.0/8 destination reaches one socket, and refuses every accepted
 * connection whose local (destination) address is not loopback. Kept free of
 * other lab state so that tests/unit/test_lab_addr.c compiles it on its own. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lab.h"

static bool v4_is_loopback(uint32_t host_order)
{
    return (host_order >> 24) == 127;
}

bool lab_addr_is_loopback(const struct sockaddr *sa, size_t len)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return v4_is_loopback(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            uint32_t v4;
            memcpy(&v4, &in6->sin6_addr.s6_addr[12], 4);
            return v4_is_loopback(ntohl(v4));
        }
    }
    return false;
}

int lab_parse_ipv4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *out = ntohl(a.s_addr);
    return 0;
}

void lab_format_ipv4(uint32_t addr, char *buf, size_t n)
{
    snprintf(buf, n, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}
