/* lib/hunt/pever and exsetup: the version resource of ExSetup.exe. The
 * fixtures come from tests/fixtures/pe/mkpe.py, written independently of the
 * parser from the PE/COFF and VS_VERSIONINFO layouts; the expected builds are
 * the ones mkpe.py puts in, from ../shared/reference/exchange-builds.tsv
 * (2016 CU19 Mar21SU = 15.1.2176.9, 2019 CU9 = 15.2.858.5). */
#include "t.h"

#include "hunt/exsetup.h"
#include "hunt/pever.h"
#include "util.h"

static unsigned char *fixture(const char *name, size_t *len)
{
    char err[200];
    unsigned char *d = (unsigned char *)ex_read_file(t_fixture(name), 1 << 20, len, err, sizeof err);
    if (!d)
        t_fail(__FILE__, __LINE__, "%s: %s", name, err);
    return d;
}

TEST(pe32_exsetup_2016_cu19_mar21su)
{
    size_t len;
    unsigned char *d = fixture("pe/ExSetup-2016-CU19-Mar21SU.exe", &len);
    if (!d)
        return;
    ex_pe_version v;
    char err[200] = "";
    CHECK_INT(ex_pe_version_read(d, len, &v, err, sizeof err), 0);
    CHECK(v.have_fixed);
    CHECK_INT(v.file[0], 15);
    CHECK_INT(v.file[1], 1);
    CHECK_INT(v.file[2], 2176);
    CHECK_INT(v.file[3], 9);
    CHECK_STR(v.file_str, "15.01.2176.009");
    CHECK_STR(v.product_str, "15.01.2176.009");
    char build[32], note[120];
    CHECK_INT(ex_exsetup_build(d, len, build, sizeof build, note, sizeof note, err, sizeof err), 0);
    CHECK_STR(build, "15.1.2176.9");
    CHECK_STR(note, "");
    free(d);
}

TEST(pe32plus_and_neutral_string_table)
{
    size_t len;
    unsigned char *d = fixture("pe/ExSetup-2019-CU9-pe32plus.exe", &len);
    if (!d)
        return;
    char build[32], note[120], err[200];
    CHECK_INT(ex_exsetup_build(d, len, build, sizeof build, note, sizeof note, err, sizeof err), 0);
    CHECK_STR(build, "15.2.858.5");
    ex_pe_version v;
    CHECK_INT(ex_pe_version_read(d, len, &v, err, sizeof err), 0);
    CHECK_STR(v.file_str, "15.02.0858.005");
    CHECK_STR(v.product_str, ""); /* mkpe.py wrote no ProductVersion string here */
    free(d);
}

TEST(fixed_block_only)
{
    size_t len;
    unsigned char *d = fixture("pe/ExSetup-fixed-only.exe", &len);
    if (!d)
        return;
    char build[32], err[200];
    CHECK_INT(ex_exsetup_build(d, len, build, sizeof build, NULL, 0, err, sizeof err), 0);
    CHECK_STR(build, "15.1.2176.2");
    free(d);
}

/* The text says one build, the numeric block another: the block wins, with a note. */
TEST(text_disagrees_with_numbers)
{
    size_t len;
    unsigned char *d = fixture("pe/ExSetup-2016-CU19-Mar21SU.exe", &len);
    if (!d)
        return;
    /* "15.01.2176.009" is UTF-16LE in the file: change its last digit to 8. */
    static const char needle[] = "1\0005\000.\0000\0001\000.\0002\0001\0007\0006\000.\0000\0000\0009";
    for (size_t i = 0; i + sizeof needle - 1 <= len; i++)
        if (!memcmp(d + i, needle, sizeof needle - 1)) {
            d[i + sizeof needle - 2] = '8';
            break;
        }
    char build[32], note[120], err[200];
    CHECK_INT(ex_exsetup_build(d, len, build, sizeof build, note, sizeof note, err, sizeof err), 0);
    CHECK_STR(build, "15.1.2176.9");
    CHECK_CONTAINS(note, "15.01.2176.008");
    free(d);
}

TEST(not_pe_or_no_version)
{
    ex_pe_version v;
    char err[200];
    CHECK_INT(ex_pe_version_read((const unsigned char *)"hello", 5, &v, err, sizeof err), -1);
    CHECK_CONTAINS(err, "not a PE");
    unsigned char mz[256] = {'M', 'Z'};
    mz[0x3C] = 0x80; /* e_lfanew -> zeros: no PE signature */
    CHECK_INT(ex_pe_version_read(mz, sizeof mz, &v, err, sizeof err), -1);
    CHECK_CONTAINS(err, "PE signature");
    /* e_lfanew far outside the file */
    mz[0x3C] = 0xFF, mz[0x3D] = 0xFF, mz[0x3E] = 0xFF, mz[0x3F] = 0x7F;
    CHECK_INT(ex_pe_version_read(mz, sizeof mz, &v, err, sizeof err), -1);
}

/* Every prefix of a real fixture and every single-byte corruption of its
 * headers and resource tree: a clear error or a result, never a read outside
 * the bytes given (the sanitizer build checks that). */
TEST(truncations_and_corruptions)
{
    size_t len;
    unsigned char *d = fixture("pe/ExSetup-2016-CU19-Mar21SU.exe", &len);
    if (!d)
        return;
    char err[200];
    ex_pe_version v;
    size_t ok = 0;
    for (size_t n = 0; n <= len; n++) {
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, d, n);
        if (ex_pe_version_read(cut, n, &v, err, sizeof err) == 0) {
            ok++;
            CHECK(v.have_fixed || v.file_str[0]);
        } else {
            CHECK(err[0] != '\0');
        }
        free(cut);
    }
    CHECK(ok > 0); /* the whole file reads */
    for (size_t i = 0; i < len; i++) {
        unsigned char keep = d[i];
        d[i] ^= 0xFF;
        (void)ex_pe_version_read(d, len, &v, err, sizeof err);
        d[i] = keep;
    }
    free(d);
}
