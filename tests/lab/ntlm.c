/* NTLM challenge (V7, remote-detection.md §1 and §3.1): a client sends
 * `Authorization: NTLM|Negotiate <base64 type 1>` to /rpc/, /ews/, /autodiscover/,
 * /oab/, /mapi/; Exchange (IIS Windows authentication) answers 401 with a type 2
 * message whose AV pairs name the NetBIOS and DNS domain and computer and whose
 * Version field is the Windows build (e.g. 10.0.17763 on Server 2019). Tools that
 * read it: nmap http-ntlm-info, Metasploit request_fqdn, owa_info, mgeeky, ExRay.
 * Layout per [MS-NLMP] 2.2.1.2 (CHALLENGE_MESSAGE), 2.2.2.1 (AV_PAIR), 2.2.2.10 (VERSION). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "handlers.h"

enum {
    AV_EOL = 0,
    AV_NB_COMPUTER = 1,
    AV_NB_DOMAIN = 2,
    AV_DNS_COMPUTER = 3,
    AV_DNS_DOMAIN = 4,
    AV_DNS_TREE = 5,
    AV_TIMESTAMP = 7,
};

/* NEGOTIATE_UNICODE | REQUEST_TARGET | SIGN | NTLM | ALWAYS_SIGN | TARGET_TYPE_DOMAIN |
 * EXTENDED_SESSIONSECURITY | TARGET_INFO | VERSION | 128 | KEY_EXCH | 56: what Windows servers send. */
#define CHALLENGE_FLAGS 0xE2898215u

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 255);
    p[1] = (unsigned char)((v >> 8) & 255);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 255);
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 255);
}

/* Append an ASCII string as UTF-16LE; returns bytes written or -1. */
static int utf16(unsigned char *out, size_t room, const char *s)
{
    size_t n = strlen(s);
    if (n * 2 > room)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (unsigned char)s[i];
        out[2 * i + 1] = 0;
    }
    return (int)(n * 2);
}

static int av_str(unsigned char *out, size_t room, unsigned id, const char *s)
{
    if (room < 4)
        return -1;
    int n = utf16(out + 4, room - 4, s);
    if (n < 0)
        return -1;
    put16(out, id);
    put16(out + 2, (unsigned)n);
    return n + 4;
}

int lab_ntlm_type2(const lab_host *h, const unsigned char challenge[8], uint64_t filetime, unsigned char *out, size_t n)
{
    const size_t hdr = 56;
    if (n < hdr + 64)
        return -1;
    memset(out, 0, hdr);
    memcpy(out, "NTLMSSP\0", 8);
    put32(out + 8, 2);
    int tn = utf16(out + hdr, n - hdr, h->netbios_domain);
    if (tn < 0)
        return -1;
    size_t off = hdr + (size_t)tn;
    size_t info = off;
    struct {
        unsigned id;
        const char *s;
    } pairs[] = {
        {AV_NB_DOMAIN, h->netbios_domain}, {AV_NB_COMPUTER, h->computer}, {AV_DNS_DOMAIN, h->dns_domain},
        {AV_DNS_COMPUTER, h->fqdn},        {AV_DNS_TREE, h->dns_domain},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int k = av_str(out + off, n - off, pairs[i].id, pairs[i].s);
        if (k < 0)
            return -1;
        off += (size_t)k;
    }
    if (n - off < 12 + 4)
        return -1;
    put16(out + off, AV_TIMESTAMP);
    put16(out + off + 2, 8);
    put64(out + off + 4, filetime);
    off += 12;
    put16(out + off, AV_EOL);
    put16(out + off + 2, 0);
    off += 4;
    /* TargetNameFields */
    put16(out + 12, (unsigned)tn);
    put16(out + 14, (unsigned)tn);
    put32(out + 16, (uint32_t)hdr);
    put32(out + 20, CHALLENGE_FLAGS);
    memcpy(out + 24, challenge, 8);
    /* TargetInfoFields */
    put16(out + 40, (unsigned)(off - info));
    put16(out + 42, (unsigned)(off - info));
    put32(out + 44, (uint32_t)info);
    /* VERSION: ProductMajorVersion, ProductMinorVersion, ProductBuild, Reserved[3], NTLMRevisionCurrent */
    out[48] = h->os->major;
    out[49] = h->os->minor;
    put16(out + 50, h->os->build);
    out[55] = 0x0F;
    return (int)off;
}

int lab_ntlm_decode(const char *authorization, unsigned char *out, size_t n)
{
    const char *p = authorization;
    if (strncasecmp(p, "NTLM ", 5) == 0)
        p += 5;
    else if (strncasecmp(p, "Negotiate ", 10) == 0)
        p += 10;
    else
        return -1;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len && p[len - 1] == ' ')
        len--;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > n)
        return -1;
    int k = EVP_DecodeBlock(out, (const unsigned char *)p, (int)len);
    if (k < 0)
        return -1;
    for (size_t i = len; i > 0 && p[i - 1] == '='; i--)
        k--;
    return k;
}

int lab_ntlm_answer(const lab_host *h, const char *authorization, char *value, size_t n)
{
    unsigned char msg[2048];
    int len = lab_ntlm_decode(authorization, msg, sizeof msg);
    if (len < 16 || memcmp(msg, "NTLMSSP\0", 8) != 0 || msg[8] != 1 || msg[9] || msg[10] || msg[11])
        return 0; /* not a type 1 (a type 3, Kerberos, garbage): plain 401 */
    unsigned char challenge[8], type2[1024];
    if (RAND_bytes(challenge, sizeof challenge) != 1)
        return 0;
    /* FILETIME: 100 ns ticks since 1601-01-01. */
    uint64_t filetime = ((uint64_t)time(NULL) + 11644473600ull) * 10000000ull;
    int t2 = lab_ntlm_type2(h, challenge, filetime, type2, sizeof type2);
    if (t2 < 0)
        return 0;
    const char *scheme = strncasecmp(authorization, "Negotiate", 9) == 0 ? "Negotiate" : "NTLM";
    size_t need = strlen(scheme) + 1 + 4 * (((size_t)t2 + 2) / 3) + 1;
    if (need > n)
        return 0;
    int w = snprintf(value, n, "%s ", scheme);
    EVP_EncodeBlock((unsigned char *)value + w, type2, t2);
    return 1;
}
