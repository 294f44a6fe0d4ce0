/* tls: keys, per-host certificates and the TLS contexts (see tls.h). */
/* The leaf key is an EC_KEY-backed ("legacy") EVP_PKEY on purpose, see new_leaf_key(). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca_cert;
static SSL_CTX *ctx_modern, *ctx_old;
static char ca_pem[4096];

static EVP_PKEY *new_p256(void)
{
    return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* Leaf extensions that are the same for every host, built once: parsing extension strings per
 * host cost more than signing the certificate. */
static X509_EXTENSION *leaf_bc, *leaf_eku;

/* subjectAltName from a comma-separated list of DNS names. */
static X509_EXTENSION *san_ext(const char *names)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    char buf[400];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && gens; tok = strtok_r(NULL, ",", &save)) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
        if (!gn || !ia5 || !ASN1_STRING_set(ia5, tok, -1)) {
            GENERAL_NAME_free(gn);
            ASN1_IA5STRING_free(ia5);
            break;
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
        sk_GENERAL_NAME_push(gens, gn);
    }
    X509_EXTENSION *ext = gens ? X509V3_EXT_i2d(NID_subject_alt_name, 0, gens) : NULL;
    GENERAL_NAMES_free(gens);
    return ext;
}

/* A certificate per host means X509_set_pubkey per host. With a provider key OpenSSL 3.0 runs its encoder
 * lookup to encode it, and the certificate then needs a DER round trip (a decoder lookup) before SSL_use_*
 * can match it with the private key: together most of the lab's CPU. An EC_KEY-backed key takes the
 * ASN.1 method path instead: a cheap point encoding, and the certificate keeps the decoded key. */
static EVP_PKEY *new_leaf_key(void)
{
    EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EVP_PKEY *k = EVP_PKEY_new();
    if (!ec || !k || !EC_KEY_generate_key(ec) || !EVP_PKEY_assign_EC_KEY(k, ec)) {
        EC_KEY_free(ec);
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

static X509 *make_cert(const char *cn, const char *org, const char *san, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer,
                       uint64_t serial, bool ca)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
    X509_NAME *name = X509_get_subject_name(x);
    if (org)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (!X509_set_pubkey(x, pub)) {
        X509_free(x);
        return NULL;
    }
    int rc = 0;
    if (ca) {
        rc |= add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        rc |= add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        X509_EXTENSION *alt = san_ext(san);
        rc |= !alt || !X509_add_ext(x, leaf_bc, -1) || !X509_add_ext(x, leaf_eku, -1) || !X509_add_ext(x, alt, -1);
        X509_EXTENSION_free(alt);
    }
    if (rc || !X509_sign(x, signer, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* ALPN: HTTP/1.1 only, as an Exchange front end negotiates for these clients. A client that
 * offers no http/1.1 gets no ALPN answer rather than a failed handshake. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    for (unsigned i = 0; i + 1 <= inlen;) {
        unsigned len = in[i];
        if (i + 1 + len > inlen)
            break;
        if (len == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)len;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *new_ctx(int (*cert_cb)(SSL *, void *), int min, int max)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_max_proto_version(ctx, max);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx,
                     SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"exaudit-lab", 11);
    return ctx;
}

int lab_tls_init(int (*cert_cb)(SSL *ssl, void *arg))
{
    ca_key = new_p256();
    leaf_key = new_leaf_key();
    if (!ca_key || !leaf_key)
        return -1;
    leaf_bc = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "CA:FALSE");
    leaf_eku = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "serverAuth");
    if (!leaf_bc || !leaf_eku)
        return -1;
    ca_cert = make_cert("exaudit-lab CA", "exaudit lab", NULL, ca_key, NULL, ca_key, 1, true);
    if (!ca_cert)
        return -1;
    BIO *b = BIO_new(BIO_s_mem());
    if (b && PEM_write_bio_X509(b, ca_cert)) {
        int n = BIO_read(b, ca_pem, sizeof ca_pem - 1);
        ca_pem[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
    ctx_modern = new_ctx(cert_cb, TLS1_2_VERSION, TLS1_3_VERSION);
    /* The old-tls persona: a real TLS 1.0-only endpoint. OpenSSL 3 allows TLS 1.0 (SHA-1 signatures)
     * only at security level 0; a default client refuses it, as peers' users reported (RD §6.5). */
    ctx_old = new_ctx(cert_cb, TLS1_VERSION, TLS1_VERSION);
    if (!ctx_modern || !ctx_old)
        return -1;
    SSL_CTX_set_security_level(ctx_old, 0);
    if (!SSL_CTX_set_cipher_list(ctx_old, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"))
        return -1;
    return 0;
}

void lab_tls_free(void)
{
    SSL_CTX_free(ctx_modern);
    SSL_CTX_free(ctx_old);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
    X509_EXTENSION_free(leaf_bc);
    X509_EXTENSION_free(leaf_eku);
    leaf_bc = leaf_eku = NULL;
    ctx_modern = ctx_old = NULL;
    ca_cert = NULL;
    ca_key = leaf_key = NULL;
}

SSL_CTX *lab_tls_ctx(bool old)
{
    return old ? ctx_old : ctx_modern;
}
const char *lab_tls_ca_pem(void)
{
    return ca_pem;
}

/* Names per persona: the host's mail name; Exchange Online presents Microsoft's names. */
static X509 *host_cert(const lab_host *h)
{
    char san[400];
    const char *cn = lab_cert_cn(h);
    if (h->persona->kind == LAB_K_EXO) {
        snprintf(san, sizeof san, "outlook.com,*.outlook.com,outlook.office365.com,*.office365.com");
    } else {
        snprintf(san, sizeof san, "%s,autodiscover.%s.example", h->tls_name, h->org);
    }
    return make_cert(cn, h->persona->kind == LAB_K_EXO ? "Microsoft Corporation" : NULL, san, leaf_key, ca_cert, ca_key,
                     ((uint64_t)h->index << 16) | 0x1a5u, false);
}

int lab_tls_use_host(SSL *ssl, lab_cert_cache *cache, const lab_host *h)
{
    size_t slot = h->index % LAB_CERT_CACHE;
    if (!cache->cert[slot] || cache->index[slot] != h->index) {
        X509 *x = host_cert(h);
        if (!x)
            return -1;
        X509_free(cache->cert[slot]);
        cache->cert[slot] = x;
        cache->index[slot] = h->index;
    }
    if (SSL_use_certificate(ssl, cache->cert[slot]) != 1 || SSL_use_PrivateKey(ssl, leaf_key) != 1)
        return -1;
    return 0;
}

void lab_tls_cache_free(lab_cert_cache *cache)
{
    for (size_t i = 0; i < LAB_CERT_CACHE; i++) {
        X509_free(cache->cert[i]);
        cache->cert[i] = NULL;
    }
}
