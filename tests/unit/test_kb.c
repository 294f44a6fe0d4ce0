/* lib/kb: lookups over the compiled tables, and override bundles (parse,
 * verification, atomic install, refusal of older or corrupt bundles). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "kb.h"
#include "kb_parse.h"
#include "t.h"
#include "util.h"

static char *bundle_text(size_t *len)
{
    char path[4096], err[256];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/%s/kb.bundle", t_srcdir(), build && *build ? build : "build");
    char *t = ex_read_file(path, EX_KB_BUNDLE_MAX, len, err, sizeof err);
    if (!t)
        t_fail(__FILE__, __LINE__, "%s: %s", path, err);
    return t;
}

/* Replace the meta version line and re-sign, to make a "newer" or "older" bundle. */
static char *resign_with_version(const char *text, size_t len, const char *version, size_t *outlen)
{
    ex_buf b = {0};
    const char *v = strstr(text, "\nversion\t");
    const char *eol = v ? strchr(v + 1, '\n') : NULL;
    const char *sha = strstr(text, "\n" EX_KB_SHA_PREFIX);
    if (!v || !eol || !sha)
        return NULL;
    ex_buf_append(&b, text, (size_t)(v - text));
    ex_buf_printf(&b, "\nversion\t%s", version);
    ex_buf_append(&b, eol, (size_t)(sha + 1 - eol));
    char hex[EX_SHA256_HEX];
    ex_sha256_hex(b.data, b.len, hex);
    ex_buf_printf(&b, "%s%s\n", EX_KB_SHA_PREFIX, hex);
    (void)len;
    *outlen = b.len;
    return ex_buf_steal(&b);
}

TEST(builtin_tables_are_sane)
{
    const ex_kb *kb = ex_kb_builtin();
    CHECK(kb->nbuilds > 300);
    CHECK(kb->ncves > 100);
    CHECK_STR(kb->origin, "built-in");
    for (size_t i = 1; i < kb->nbuilds; i++)
        CHECK(ex_version_cmp(&kb->builds[i - 1].version, &kb->builds[i].version) <= 0);
    for (size_t i = 0; i < kb->nbuilds; i++)
        CHECK(kb->builds[i].source[0] != '\0');
    for (size_t i = 0; i < kb->nfixes; i++)
        CHECK(kb->fixes[i].source[0] != '\0');
}

/* Microsoft's build-numbers page: 15.1.2176.9 is Exchange 2016 CU19 Mar21SU, KB5000871, 2021-03-02. */
TEST(find_exact_build)
{
    const ex_kb *kb = ex_kb_builtin();
    ex_version v;
    ex_version_parse_str("15.01.2176.009", &v);
    const ex_kb_build *b = ex_kb_find_build(kb, &v);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_STR(b->cu, "CU19");
    CHECK_STR(b->update, "Mar21SU");
    CHECK_STR(b->kb, "KB5000871");
    CHECK_STR(b->date, "2021-03-02");
    CHECK_INT(b->product, EX_PRODUCT_2016);
    CHECK_STR(ex_kb_cu_rtm(kb, b)->cu, "CU19");
    CHECK(ex_kb_cu_rtm(kb, b)->update[0] == '\0');
}

TEST(cu_range_and_nearest_lower)
{
    const ex_kb *kb = ex_kb_builtin();
    ex_version v;
    size_t n;
    ex_version_parse_str("15.1.2176", &v);
    const ex_kb_build *cu = ex_kb_cu_builds(kb, &v, &n);
    CHECK(cu && n >= 5);
    for (size_t i = 0; cu && i < n; i++)
        CHECK(ex_version_same_cu(&cu[i].version, &v));
    CHECK(ex_kb_find_build(kb, &v) == NULL); /* a CU-only version never matches exactly */
    ex_version_parse_str("15.1.2176.10", &v);
    const ex_kb_build *lo = ex_kb_nearest_lower(kb, &v);
    CHECK(lo && lo->version.revision == 9);
    ex_version_parse_str("15.1.9999.1", &v);
    CHECK(ex_kb_nearest_lower(kb, &v) == NULL);
}

TEST(product_of_build)
{
    const ex_kb *kb = ex_kb_builtin();
    struct {
        const char *b;
        ex_product p;
    } cases[] = {
        {"14.3.123.4", EX_PRODUCT_2010},   {"15.0.1497.2", EX_PRODUCT_2013}, {"15.1.2507.6", EX_PRODUCT_2016},
        {"15.2.1748.10", EX_PRODUCT_2019}, {"15.2.2562.17", EX_PRODUCT_SE},  {"8.3.83.6", EX_PRODUCT_2007},
        {"6.5.7638.1", EX_PRODUCT_2003},   {"16.0.1.1", EX_PRODUCT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ex_version v;
        ex_version_parse_str(cases[i].b, &v);
        if (ex_kb_product_of(kb, &v) != cases[i].p)
            t_fail(__FILE__, __LINE__, "%s -> %s", cases[i].b, ex_product_code(ex_kb_product_of(kb, &v)));
    }
}

TEST(bundle_round_trip_equals_builtin)
{
    size_t len;
    char err[256], *text = bundle_text(&len);
    if (!text)
        return;
    ex_kb *kb = ex_kb_load_bundle(text, len, "test", err, sizeof err);
    CHECK(kb != NULL);
    if (kb) {
        const ex_kb *bi = ex_kb_builtin();
        CHECK_INT(kb->nbuilds, bi->nbuilds);
        CHECK_INT(kb->ncves, bi->ncves);
        CHECK_INT(kb->nfixes, bi->nfixes);
        CHECK_STR(kb->version, bi->version);
        ex_kb_free(kb);
    }
    free(text);
}

TEST(corrupt_bundles_are_refused)
{
    size_t len;
    char err[256], *text = bundle_text(&len);
    if (!text)
        return;
    /* one flipped byte in the body: checksum mismatch */
    char *bad = malloc(len);
    memcpy(bad, text, len);
    bad[len / 2] ^= 0x01;
    CHECK(ex_kb_load_bundle(bad, len, "t", err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "checksum");
    /* truncated: no checksum line */
    CHECK(ex_kb_load_bundle(text, len / 3, "t", err, sizeof err) == NULL);
    /* a valid checksum over a broken table: bad build in a row */
    size_t l2;
    char *resigned = resign_with_version(text, len, "2026.08.19", &l2);
    char *row = resigned ? strstr(resigned, "\t15.1.2176.9\t") : NULL;
    CHECK(row != NULL);
    if (row) {
        memcpy(row + 1, "15.1.X176.9", 11);
        char hex[EX_SHA256_HEX];
        char *sha = strstr(resigned, "\n" EX_KB_SHA_PREFIX) + 1;
        ex_sha256_hex(resigned, (size_t)(sha - resigned), hex);
        memcpy(sha + strlen(EX_KB_SHA_PREFIX), hex, 64);
        CHECK(ex_kb_load_bundle(resigned, l2, "t", err, sizeof err) == NULL);
        CHECK_CONTAINS(err, "bad build");
    }
    CHECK(ex_kb_load_bundle("", 0, "t", err, sizeof err) == NULL);
    CHECK(ex_kb_load_bundle("exaudit-kb\t1\n", 13, "t", err, sizeof err) == NULL);
    free(resigned);
    free(bad);
    free(text);
}

TEST(install_is_atomic_and_refuses_older)
{
    char dir[] = "/tmp/exaudit-kbtest.XXXXXX", msg[512], path[4200];
    if (!mkdtemp(dir)) {
        t_fail(__FILE__, __LINE__, "mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/%s", dir, EX_KB_BUNDLE_NAME);
    size_t len, nl, ol;
    char *text = bundle_text(&len);
    char *newer = text ? resign_with_version(text, len, "2099.01.01", &nl) : NULL;
    char *older = text ? resign_with_version(text, len, "2020.01.01", &ol) : NULL;
    CHECK(newer && older);
    if (newer && older) {
        const ex_kb *bi = ex_kb_builtin();
        CHECK(ex_kb_install(dir, older, ol, bi, msg, sizeof msg) != 0);
        CHECK_CONTAINS(msg, "older");
        CHECK(access(path, F_OK) != 0);
        CHECK_INT(ex_kb_install(dir, newer, nl, bi, msg, sizeof msg), 0);
        const ex_kb *kb = ex_kb_open(dir, msg, sizeof msg);
        CHECK_STR(kb->version, "2099.01.01");
        /* a corrupt bundle changes nothing: the installed one stays */
        newer[nl / 2] ^= 1;
        CHECK(ex_kb_install(dir, newer, nl, kb, msg, sizeof msg) != 0);
        const ex_kb *again = ex_kb_open(dir, msg, sizeof msg);
        CHECK_STR(again->version, "2099.01.01");
        /* an installed bundle older than the binary is ignored in favour of the built-in tables */
        CHECK_INT(ex_write_file_atomic("/tmp/exaudit-kbtest.tmp", path, older, ol), 0);
        CHECK_STR(ex_kb_open(dir, msg, sizeof msg)->origin, "built-in");
        /* a damaged installed bundle is reported and ignored */
        CHECK_INT(ex_write_file_atomic("/tmp/exaudit-kbtest.tmp", path, "garbage", 7), 0);
        CHECK_STR(ex_kb_open(dir, msg, sizeof msg)->origin, "built-in");
        CHECK_CONTAINS(msg, "ignoring");
    }
    unlink(path);
    rmdir(dir);
    free(text);
    free(newer);
    free(older);
}

TEST(data_version_compare)
{
    CHECK(ex_kb_version_cmp("2026.08.19", "2026.08.19") == 0);
    CHECK(ex_kb_version_cmp("2026.08.19", "2026.09.01") < 0);
    CHECK(ex_kb_version_cmp("2026.10.1", "2026.9.30") > 0);
    CHECK(ex_kb_version_cmp("2026.08.19.1", "2026.08.19") > 0);
}
