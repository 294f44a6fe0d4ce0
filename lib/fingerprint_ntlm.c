/* fingerprint: the NTLM type-2 (CHALLENGE_MESSAGE) parser, MS-NLMP 2.2.1.2.
 * What nmap's http-ntlm-info prints (RD §3.1): target name, NetBIOS and DNS
 * names of the computer, domain and tree, and the Windows build from the
 * Version field. Every offset and length is checked against the message. */
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "util.h"

#define NTLM_MAX                  4096
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UTF-16LE -> UTF-8, bounded; unpaired surrogates and controls become '?'. */
static void utf16_to_utf8(const uint8_t *s, size_t len, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i + 1 < len && j + 4 < n; i += 2) {
        uint32_t c = le16(s + i);
        if (c >= 0xd800 && c <= 0xdbff && i + 3 < len) {
            uint32_t lo = le16(s + i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            } else {
                c = '?';
            }
        } else if ((c >= 0xd800 && c <= 0xdfff) || c < 0x20 || c == 0x7f) {
            c = '?';
        }
        unsigned char u[4];
        size_t k = ex_utf8_put(c, u);
        memcpy(out + j, u, k);
        j += k;
    }
    out[j] = '\0';
}

/* A security buffer (len, maxlen, offset) that must lie inside the message. */
static const uint8_t *field(const uint8_t *msg, size_t len, size_t at, size_t *flen)
{
    if (at + 8 > len)
        return NULL;
    size_t l = le16(msg + at), off = le32(msg + at + 4);
    if (off > len || l > len - off)
        return NULL;
    *flen = l;
    return msg + off;
}

static void av_pairs(const uint8_t *p, size_t len, ex_ntlm_info *o)
{
    for (size_t i = 0; i + 4 <= len;) {
        uint16_t id = le16(p + i), l = le16(p + i + 2);
        if (id == 0 || i + 4 + l > len)
            return; /* MsvAvEOL, or a pair running past the buffer */
        const uint8_t *v = p + i + 4;
        switch (id) {
        case 1: utf16_to_utf8(v, l, o->nb_computer, sizeof o->nb_computer); break;
        case 2: utf16_to_utf8(v, l, o->nb_domain, sizeof o->nb_domain); break;
        case 3: utf16_to_utf8(v, l, o->dns_computer, sizeof o->dns_computer); break;
        case 4: utf16_to_utf8(v, l, o->dns_domain, sizeof o->dns_domain); break;
        case 5: utf16_to_utf8(v, l, o->dns_tree, sizeof o->dns_tree); break;
        default: break;
        }
        i += 4 + (size_t)l;
    }
}

int ex_ntlm_parse(const uint8_t *msg, size_t len, ex_ntlm_info *o)
{
    char endpoint[sizeof o->endpoint];
    ex_strlcpy(endpoint, o->endpoint, sizeof endpoint);
    *o = (ex_ntlm_info){0};
    ex_strlcpy(o->endpoint, endpoint, sizeof o->endpoint);
    if (len < 32 || memcmp(msg, "NTLMSSP\0", 8) != 0 || le32(msg + 8) != 2)
        return -1;
    uint32_t flags = le32(msg + 20);
    size_t fl;
    const uint8_t *f = field(msg, len, 12, &fl);
    if (f)
        utf16_to_utf8(f, fl, o->target_name, sizeof o->target_name);
    if (len >= 48 && (f = field(msg, len, 40, &fl)))
        av_pairs(f, fl, o);
    if ((flags & NTLMSSP_NEGOTIATE_VERSION) && len >= 56)
        snprintf(o->os_version, sizeof o->os_version, "%u.%u.%u", msg[48], msg[49], le16(msg + 50));
    o->seen = true;
    return 0;
}

int ex_ntlm_parse_header(const char *value, ex_ntlm_info *o)
{
    const char *p = value;
    if (strncasecmp(p, "NTLM ", 5) == 0)
        p += 5;
    else if (strncasecmp(p, "Negotiate ", 10) == 0)
        p += 10;
    else
        return -1;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, " ,\r\n");
    uint8_t msg[NTLM_MAX];
    long l = ex_base64_decode(p, n, msg, sizeof msg);
    return l < 0 ? -1 : ex_ntlm_parse(msg, (size_t)l, o);
}
