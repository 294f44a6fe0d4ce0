/* fingerprint: certificate facts from DER (subject, SANs, issuer, validity),
 * parsed with OpenSSL. Names are copied bounded and with controls replaced. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fingerprint.h"
#include "util.h"

static void name_line(X509_NAME *n, char *out, size_t len)
{
    out[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *data;
    long l = BIO_get_mem_data(b, &data);
    size_t j = 0;
    for (long i = 0; i < l && j + 1 < len; i++)
        out[j++] = ((unsigned char)data[i] < 0x20 || data[i] == 0x7f) ? '?' : data[i];
    out[j] = '\0';
    BIO_free(b);
}

static void copy_asn1(const ASN1_STRING *s, char *out, size_t len)
{
    const unsigned char *d = ASN1_STRING_get0_data(s);
    int l = ASN1_STRING_length(s);
    size_t j = 0;
    for (int i = 0; i < l && j + 1 < len; i++)
        out[j++] = (d[i] < 0x20 || d[i] >= 0x7f) ? '?' : (char)d[i];
    out[j] = '\0';
}

static void iso_time(const ASN1_TIME *t, char *out, size_t len, int64_t *unix_out)
{
    struct tm tm;
    out[0] = '\0';
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (unix_out)
        *unix_out = (int64_t)timegm(&tm);
}

static void subject_cn(X509_NAME *n, char *out, size_t len)
{
    out[0] = '\0';
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    if (i >= 0)
        copy_asn1(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)), out, len);
}

static void sans(X509 *x, ex_cert_info *o)
{
    GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!g)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(g); i++) {
        const GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
        if (n->type != GEN_DNS)
            continue;
        if (o->nsans == EX_CERT_MAX_SANS) {
            o->more_sans = true;
            break;
        }
        copy_asn1(n->d.dNSName, o->sans[o->nsans++], sizeof o->sans[0]);
    }
    GENERAL_NAMES_free(g);
}

int ex_cert_from_x509(const void *x509, ex_cert_info *o)
{
    X509 *x = (X509 *)x509;
    *o = (ex_cert_info){0};
    if (!x)
        return -1;
    name_line(X509_get_subject_name(x), o->subject, sizeof o->subject);
    name_line(X509_get_issuer_name(x), o->issuer, sizeof o->issuer);
    subject_cn(X509_get_subject_name(x), o->subject_cn, sizeof o->subject_cn);
    sans(x, o);
    iso_time(X509_get0_notBefore(x), o->not_before, sizeof o->not_before, NULL);
    iso_time(X509_get0_notAfter(x), o->not_after, sizeof o->not_after, &o->not_after_unix);
    o->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdl = 0;
    if (X509_digest(x, EVP_sha256(), md, &mdl) == 1)
        for (unsigned i = 0; i < mdl && i < 32; i++)
            snprintf(o->sha256 + 2 * i, 3, "%02x", md[i]);
    o->seen = true;
    return 0;
}

int ex_cert_parse(const uint8_t *der, size_t len, ex_cert_info *o)
{
    *o = (ex_cert_info){0};
    if (!der || len == 0 || len > (1u << 20))
        return -1;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return -1;
    int r = ex_cert_from_x509(x, o);
    X509_free(x);
    return r;
}
