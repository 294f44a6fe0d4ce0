/* The lab's NTLM challenge (tests/lab/ntlm.c). Expected layout: [MS-NLMP]
 * 2.2.1.2 CHALLENGE_MESSAGE, 2.2.2.1 AV_PAIR, 2.2.2.10 VERSION. The type 1
 * messages are the literal ones peers send (remote-detection.md §3): nmap
 * http-ntlm-info and owa_info. Windows Server 2019 is build 10.0.17763. */
#include <openssl/evp.h>

#include "t.h"

#include "../lab/ntlm.c"

static const lab_os server2019 = {"Windows Server 2019", 10, 0, 17763, "10.0"};

static lab_host host(void)
{
    lab_host h = {0};
    h.os = &server2019;
    strcpy(h.netbios_domain, "CONTOSO17");
    strcpy(h.computer, "EXCH01");
    strcpy(h.dns_domain, "contoso-17.local");
    strcpy(h.fqdn, "exch01.contoso-17.local");
    return h;
}

static unsigned u16(const unsigned char *p)
{
    return p[0] | (unsigned)p[1] << 8;
}
static uint32_t u32(const unsigned char *p)
{
    return u16(p) | (uint32_t)u16(p + 2) << 16;
}

/* Find AV pair id in the target info and return it as ASCII (UTF-16LE low bytes). */
static const char *av(const unsigned char *msg, int len, unsigned id, char *buf, size_t n)
{
    unsigned off = u32(msg + 44), tlen = u16(msg + 40);
    if ((int)(off + tlen) > len)
        return NULL;
    for (unsigned p = off; p + 4 <= off + tlen;) {
        unsigned aid = u16(msg + p), alen = u16(msg + p + 2);
        if (aid == 0)
            break;
        if (aid == id) {
            size_t k = 0;
            for (unsigned i = 0; i + 1 < alen && k + 1 < n; i += 2)
                buf[k++] = (char)msg[p + 4 + i];
            buf[k] = '\0';
            return buf;
        }
        p += 4 + alen;
    }
    return NULL;
}

TEST(type2_layout)
{
    lab_host h = host();
    unsigned char msg[1024], ch[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int n = lab_ntlm_type2(&h, ch, 0x01d7000000000000ull, msg, sizeof msg);
    CHECK(n > 56);
    CHECK(memcmp(msg, "NTLMSSP\0", 8) == 0);
    CHECK_INT(u32(msg + 8), 2);
    CHECK_INT(u16(msg + 12), 2 * strlen("CONTOSO17")); /* TargetName: NetBIOS domain, UTF-16LE */
    CHECK_INT(u32(msg + 16), 56);
    CHECK(memcmp(msg + 24, ch, 8) == 0);
    CHECK(u32(msg + 20) & 0x00800000u); /* NTLMSSP_NEGOTIATE_TARGET_INFO */
    CHECK(u32(msg + 20) & 0x02000000u); /* NTLMSSP_NEGOTIATE_VERSION */
    CHECK_INT(msg[48], 10);
    CHECK_INT(msg[49], 0);
    CHECK_INT(u16(msg + 50), 17763);
    CHECK_INT(msg[55], 0x0F); /* NTLMSSP_REVISION_W2K3 */
    char buf[128];
    CHECK_STR(av(msg, n, 2, buf, sizeof buf), "CONTOSO17");
    CHECK_STR(av(msg, n, 1, buf, sizeof buf), "EXCH01");
    CHECK_STR(av(msg, n, 4, buf, sizeof buf), "contoso-17.local");
    CHECK_STR(av(msg, n, 3, buf, sizeof buf), "exch01.contoso-17.local");
    CHECK_STR(av(msg, n, 5, buf, sizeof buf), "contoso-17.local");
    CHECK(av(msg, n, 7, buf, sizeof buf) != NULL); /* MsvAvTimestamp */
    CHECK_INT(u32(msg + 44) + u16(msg + 40), n);   /* the target info ends the message */
}

TEST(answers_the_type1_messages_peers_send)
{
    lab_host h = host();
    char value[2048];
    /* nmap http-ntlm-info */
    CHECK_INT(lab_ntlm_answer(&h, "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==", value, sizeof value),
              1);
    CHECK(strncmp(value, "NTLM TlRMTVNTUAACAAAA", 21) == 0);
    /* owa_info: Negotiate gets its answer under Negotiate */
    CHECK_INT(
        lab_ntlm_answer(&h, "Negotiate TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKALpHAAAADw==", value, sizeof value),
        1);
    CHECK(strncmp(value, "Negotiate TlRMTVNTUAACAAAA", 26) == 0);
    unsigned char raw[1024];
    int n = lab_ntlm_decode(value, raw, sizeof raw);
    CHECK(n > 56);
    CHECK_INT(u16(raw + 50), 17763);
}

TEST(no_challenge_for_anything_else)
{
    lab_host h = host();
    char value[2048];
    /* a type 3 (authenticate) message: "NTLMSSP\0" + 3 */
    CHECK_INT(lab_ntlm_answer(&h, "NTLM TlRMTVNTUAADAAAAAAAAAAAAAAA=", value, sizeof value), 0);
    CHECK_INT(lab_ntlm_answer(&h, "Basic dXNlcjpwYXNz", value, sizeof value), 0);
    CHECK_INT(lab_ntlm_answer(&h, "NTLM !!!notbase64!!!", value, sizeof value), 0);
    CHECK_INT(lab_ntlm_answer(&h, "NTLM ", value, sizeof value), 0);
    CHECK_INT(lab_ntlm_answer(&h, "", value, sizeof value), 0);
    CHECK_INT(lab_ntlm_answer(&h, "Negotiate YIIHVgYGKwYBBQUCoIIHSjCCB0agMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAg==", value,
                              sizeof value),
              0); /* Kerberos SPNEGO, not NTLMSSP */
    /* too small a buffer for the answer: no header rather than a cut one */
    CHECK_INT(lab_ntlm_answer(&h, "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==", value, 40), 0);
}
