#include "hash.h"

#include <openssl/evp.h>

int ex_sha256_init(ex_sha256_ctx *c)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    c->evp = ctx;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        c->evp = NULL;
        return -1;
    }
    return 0;
}

void ex_sha256_update(ex_sha256_ctx *c, const void *data, size_t len)
{
    if (c->evp && len)
        EVP_DigestUpdate(c->evp, data, len);
}

void ex_sha256_final(ex_sha256_ctx *c, char hex[EX_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int n = 0;
    hex[0] = '\0';
    if (!c->evp)
        return;
    if (EVP_DigestFinal_ex(c->evp, md, &n) == 1 && n == 32) {
        for (int i = 0; i < 32; i++) {
            hex[2 * i] = digits[md[i] >> 4];
            hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[64] = '\0';
    }
    EVP_MD_CTX_free(c->evp);
    c->evp = NULL;
}

void ex_sha256_hex(const void *data, size_t len, char hex[EX_SHA256_HEX])
{
    ex_sha256_ctx c;
    hex[0] = '\0';
    if (ex_sha256_init(&c) != 0)
        return;
    ex_sha256_update(&c, data, len);
    ex_sha256_final(&c, hex);
}
