/* tls: the lab's keys and certificates, generated at start-up and never written.
 * One ECDSA P-256 CA key signs a leaf certificate per host (CN/SAN from the
 * host's persona, e.g. mail.contoso-17.example), made on first use and kept in
 * a small per-worker cache; all leaves share one ECDSA P-256 key. */
#ifndef EXAUDIT_LAB_TLS_H
#define EXAUDIT_LAB_TLS_H

#include <openssl/ssl.h>

#include "lab.h"

#define LAB_CERT_CACHE 2048

typedef struct lab_cert_cache {
    X509 *cert[LAB_CERT_CACHE];
    uint32_t index[LAB_CERT_CACHE];
} lab_cert_cache;

/* Generate the keys and build both contexts; cert_cb picks the host's certificate. */
int lab_tls_init(int (*cert_cb)(SSL *ssl, void *arg));
void lab_tls_free(void);
/* The modern context (TLS 1.2-1.3, ALPN http/1.1) or the TLS 1.0-only one (old-tls persona). */
SSL_CTX *lab_tls_ctx(bool old);
/* Install the host's certificate and the leaf key on ssl. 0 or -1. */
int lab_tls_use_host(SSL *ssl, lab_cert_cache *cache, const lab_host *h);
void lab_tls_cache_free(lab_cert_cache *cache);
/* PEM of the lab CA certificate (for clients that want to verify), static storage. */
const char *lab_tls_ca_pem(void);

#endif
