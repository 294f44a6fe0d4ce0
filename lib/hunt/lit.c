/* lit: see lit.h. */
#include "hunt/lit.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LIT_X86 1
#endif

struct ex_lit {
    uint8_t lo[3][16], hi[3][16]; /* bucket bits per nibble, for fingerprint bytes 0..2 */
    uint8_t bucket[EX_LIT_MAX];   /* bucket of each literal */
    char *lit[EX_LIT_MAX];        /* lower-cased */
    uint8_t len[EX_LIT_MAX];
    size_t n;
    uint8_t members[8][EX_LIT_MAX]; /* literals of each bucket, in literal order */
    uint8_t nmembers[8];
};

/* 0: the best the CPU has; otherwise the implementation forced by tests. */
enum { IMPL_AUTO, IMPL_SCALAR, IMPL_SSSE3, IMPL_AVX2, IMPL_AVX512 };
static int forced;

void ex_lit_force_scalar(bool on)
{
    forced = on ? IMPL_SCALAR : IMPL_AUTO;
}

static int best_impl(void)
{
#ifdef LIT_X86
    if (__builtin_cpu_supports("avx512bw"))
        return IMPL_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return IMPL_AVX2;
    if (__builtin_cpu_supports("ssse3"))
        return IMPL_SSSE3;
#endif
    return IMPL_SCALAR;
}

bool ex_lit_force(const char *impl)
{
    static const char *const names[] = {"auto", "scalar", "ssse3", "avx2", "avx512"};
    for (int i = 0; i < 5; i++)
        if (strcmp(impl, names[i]) == 0 && i <= best_impl()) {
            forced = i;
            return true;
        }
    return false;
}

static int impl(void)
{
    return forced ? forced : best_impl();
}

static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static void add_nibbles(ex_lit *l, int k, unsigned char c, uint8_t bit)
{
    l->lo[k][c & 15] |= bit;
    l->hi[k][c >> 4] |= bit;
    unsigned char up = c >= 'a' && c <= 'z' ? c & 0xDF : c;
    l->hi[k][up >> 4] |= bit; /* the other case shares the low nibble */
}

ex_lit *ex_lit_new(const char *const *lits, size_t n)
{
    if (n == 0 || n > EX_LIT_MAX)
        return NULL;
    ex_lit *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    size_t next_bucket = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lits[i]);
        if (len < EX_LIT_MIN_LEN || len > EX_LIT_MAX_LEN || !(l->lit[i] = malloc(len + 1))) {
            ex_lit_free(l);
            return NULL;
        }
        for (size_t k = 0; k <= len; k++)
            l->lit[i][k] = (char)fold((unsigned char)lits[i][k]);
        l->len[i] = (uint8_t)len;
        l->n = i + 1;
        /* literals with the same fingerprint share a bucket */
        size_t b = 8;
        for (size_t j = 0; j < i && b == 8; j++)
            if (memcmp(l->lit[j], l->lit[i], EX_LIT_MIN_LEN) == 0)
                b = l->bucket[j];
        if (b == 8)
            b = next_bucket++ % 8;
        l->bucket[i] = (uint8_t)b;
        l->members[b][l->nmembers[b]++] = (uint8_t)i;
        for (int k = 0; k < 3; k++)
            add_nibbles(l, k, (unsigned char)l->lit[i][k], (uint8_t)(1u << b));
    }
    return l;
}

void ex_lit_free(ex_lit *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->lit[i]);
    free(l);
}

static inline bool ieq(const unsigned char *d, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold(d[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* Every literal of the buckets in mask that matches at pos, in literal order. */
static int verify(const ex_lit *l, const char *d, size_t len, size_t pos, unsigned mask, ex_lit_cb cb, void *ctx)
{
    uint64_t found = 0;
    for (unsigned b = 0; b < 8; b++) {
        if (!(mask & (1u << b)))
            continue;
        for (unsigned k = 0; k < l->nmembers[b]; k++) {
            unsigned i = l->members[b][k];
            if (pos + l->len[i] <= len && ieq((const unsigned char *)d + pos, l->lit[i], l->len[i]))
                found |= 1ull << i;
        }
    }
    while (found) {
        unsigned i = (unsigned)__builtin_ctzll(found);
        found &= found - 1;
        int r = cb(ctx, i, pos);
        if (r)
            return r;
    }
    return 0;
}

static int scan_scalar(const ex_lit *l, const char *data, size_t len, size_t from, ex_lit_cb cb, void *ctx)
{
    const unsigned char *d = (const unsigned char *)data;
    for (size_t i = from; i + EX_LIT_MIN_LEN <= len; i++) {
        unsigned m = l->lo[0][d[i] & 15] & l->hi[0][d[i] >> 4];
        if (!m)
            continue;
        m &= l->lo[1][d[i + 1] & 15] & l->hi[1][d[i + 1] >> 4];
        m &= l->lo[2][d[i + 2] & 15] & l->hi[2][d[i + 2] >> 4];
        if (m) {
            int r = verify(l, data, len, i, m, cb, ctx);
            if (r)
                return r;
        }
    }
    return 0;
}

/* The candidates of one step: bits[j] set for position base + j, mb[j] its buckets. */
static int verify_step(const ex_lit *l, const char *d, size_t len, size_t base, uint64_t bits, const uint8_t *mb,
                       ex_lit_cb cb, void *ctx)
{
    while (bits) {
        unsigned j = (unsigned)__builtin_ctzll(bits);
        bits &= bits - 1;
        int r = verify(l, d, len, base + j, mb[j], cb, ctx);
        if (r)
            return r;
    }
    return 0;
}

#ifdef LIT_X86
__attribute__((target("avx2"))) static int scan_avx2(const ex_lit *l, const char *d, size_t len, ex_lit_cb cb,
                                                     void *ctx)
{
    __m256i lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)l->lo[k]));
        hi[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)l->hi[k]));
    }
    const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 34 <= len; i += 32) {
        __m256i m = _mm256_set1_epi8((char)0xff);
        for (int k = 0; k < 3; k++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(d + i + k));
            __m256i a = _mm256_shuffle_epi8(lo[k], _mm256_and_si256(v, nib));
            __m256i b = _mm256_shuffle_epi8(hi[k], _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
            m = _mm256_and_si256(m, _mm256_and_si256(a, b));
        }
        uint32_t bits = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, zero));
        if (!bits)
            continue;
        uint8_t mb[32];
        _mm256_storeu_si256((__m256i *)mb, m);
        int r = verify_step(l, d, len, i, bits, mb, cb, ctx);
        if (r)
            return r;
    }
    return scan_scalar(l, d, len, i, cb, ctx);
}

/* 64 positions per step; the candidates of a step come out of one 64-bit mask. */
__attribute__((target("avx512f,avx512bw"))) static int scan_avx512(const ex_lit *l, const char *d, size_t len,
                                                                   ex_lit_cb cb, void *ctx)
{
    __m512i lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)l->lo[k]));
        hi[k] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)l->hi[k]));
    }
    const __m512i nib = _mm512_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 66 <= len; i += 64) {
        __m512i m = _mm512_set1_epi8((char)0xff);
        for (int k = 0; k < 3; k++) {
            __m512i v = _mm512_loadu_si512((const void *)(d + i + k));
            __m512i a = _mm512_shuffle_epi8(lo[k], _mm512_and_si512(v, nib));
            __m512i b = _mm512_shuffle_epi8(hi[k], _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
            m = _mm512_and_si512(m, _mm512_and_si512(a, b));
        }
        uint64_t bits = _mm512_test_epi8_mask(m, m);
        if (!bits)
            continue;
        uint8_t mb[64];
        _mm512_storeu_si512((void *)mb, m);
        int r = verify_step(l, d, len, i, bits, mb, cb, ctx);
        if (r)
            return r;
    }
    return scan_scalar(l, d, len, i, cb, ctx);
}

__attribute__((target("ssse3"))) static int scan_ssse3(const ex_lit *l, const char *d, size_t len, ex_lit_cb cb,
                                                       void *ctx)
{
    __m128i lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = _mm_loadu_si128((const __m128i *)l->lo[k]);
        hi[k] = _mm_loadu_si128((const __m128i *)l->hi[k]);
    }
    const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 18 <= len; i += 16) {
        __m128i m = _mm_set1_epi8((char)0xff);
        for (int k = 0; k < 3; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(d + i + k));
            __m128i a = _mm_shuffle_epi8(lo[k], _mm_and_si128(v, nib));
            __m128i b = _mm_shuffle_epi8(hi[k], _mm_and_si128(_mm_srli_epi16(v, 4), nib));
            m = _mm_and_si128(m, _mm_and_si128(a, b));
        }
        uint32_t bits = (~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(m, zero))) & 0xffff;
        if (!bits)
            continue;
        uint8_t mb[16];
        _mm_storeu_si128((__m128i *)mb, m);
        int r = verify_step(l, d, len, i, bits, mb, cb, ctx);
        if (r)
            return r;
    }
    return scan_scalar(l, d, len, i, cb, ctx);
}
#endif

const char *ex_lit_impl(void)
{
    static const char *const names[] = {"auto", "scalar", "ssse3", "avx2", "avx512"};
    return names[impl()];
}

int ex_lit_scan(const ex_lit *l, const char *data, size_t len, ex_lit_cb cb, void *ctx)
{
    if (!l || !data)
        return 0;
    switch (impl()) {
#ifdef LIT_X86
    case IMPL_AVX512: return scan_avx512(l, data, len, cb, ctx);
    case IMPL_AVX2: return scan_avx2(l, data, len, cb, ctx);
    case IMPL_SSSE3: return scan_ssse3(l, data, len, cb, ctx);
#endif
    default: return scan_scalar(l, data, len, 0, cb, ctx);
    }
}

typedef struct find_ctx {
    size_t pos;
    unsigned lit;
} find_ctx;

static int find_first(void *ctx, unsigned lit, size_t pos)
{
    find_ctx *f = ctx;
    f->pos = pos;
    f->lit = lit;
    return 1;
}

const char *ex_lit_find(const ex_lit *l, const char *data, size_t len, unsigned *lit)
{
    find_ctx f = {0};
    if (ex_lit_scan(l, data, len, find_first, &f) == 0)
        return NULL;
    if (lit)
        *lit = f.lit;
    return data + f.pos;
}
