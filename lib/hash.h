/* hash: SHA-256 (OpenSSL EVP, hardware-accelerated where the CPU allows). */
#ifndef EXAUDIT_HASH_H
#define EXAUDIT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define EX_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct ex_sha256_ctx {
    void *evp; /* EVP_MD_CTX */
} ex_sha256_ctx;

int ex_sha256_init(ex_sha256_ctx *c);
void ex_sha256_update(ex_sha256_ctx *c, const void *data, size_t len);
/* Writes lowercase hex and frees the context. */
void ex_sha256_final(ex_sha256_ctx *c, char hex[EX_SHA256_HEX]);
/* One shot. */
void ex_sha256_hex(const void *data, size_t len, char hex[EX_SHA256_HEX]);

#endif
