/* Structures (Microsoft PE/COFF specification; VS_VERSIONINFO, StringFileInfo,
 * String and VS_FIXEDFILEINFO in the Win32 version-information reference):
 *   DOS header: "MZ", e_lfanew (uint32 at 0x3C) -> "PE\0\0", COFF header (20
 *   bytes: section count at +2, optional-header size at +16), optional header
 *   (magic 0x10B PE32 / 0x20B PE32+; data directories from offset 96 / 112,
 *   their count just before), section table (40 bytes per section).
 *   Resource tree: directory (16 bytes, named and id entry counts at 12 and
 *   14) followed by 8-byte entries (name or id, offset; the high bit of the
 *   offset marks a subdirectory); leaves are data entries (RVA, size).
 *   Version block: wLength, wValueLength, wType, a NUL-terminated UTF-16 key,
 *   padding to 32 bits, the value, padding, then child blocks. */
#include "hunt/pever.h"

#include <stdio.h>
#include <string.h>

#define RT_VERSION      16
#define MAX_SECTIONS    96 /* the loader's own limit */
#define MAX_DIR_ENTRIES 4096
#define MAX_BLOCK_DEPTH 4
#define MAX_CHILDREN    256
#define FIXED_SIGNATURE 0xFEEF04BDu

typedef struct pe {
    const unsigned char *d;
    size_t len;
    size_t sections; /* offset of the section table */
    unsigned nsec;
} pe;

static bool rd16(const unsigned char *d, size_t len, size_t off, uint16_t *v)
{
    if (off > len || len - off < 2)
        return false;
    *v = (uint16_t)(d[off] | d[off + 1] << 8);
    return true;
}

static bool rd32(const unsigned char *d, size_t len, size_t off, uint32_t *v)
{
    if (off > len || len - off < 4)
        return false;
    *v = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 | (uint32_t)d[off + 3] << 24;
    return true;
}

/* The file offset of rva, and how many bytes of the section follow it there. */
static bool rva_to_off(const pe *p, uint32_t rva, size_t *off, size_t *avail)
{
    for (unsigned i = 0; i < p->nsec; i++) {
        size_t s = p->sections + (size_t)i * 40;
        uint32_t vsize, va, rawsize, rawptr;
        if (!rd32(p->d, p->len, s + 8, &vsize) || !rd32(p->d, p->len, s + 12, &va) ||
            !rd32(p->d, p->len, s + 16, &rawsize) || !rd32(p->d, p->len, s + 20, &rawptr))
            return false;
        uint32_t span = vsize > rawsize ? vsize : rawsize;
        if (rva < va || rva - va >= span)
            continue;
        uint32_t delta = rva - va;
        if (delta >= rawsize || rawptr > p->len || p->len - rawptr <= delta)
            return false; /* in the section, but not backed by file bytes */
        *off = (size_t)rawptr + delta;
        size_t raw_end = (size_t)rawptr + rawsize < p->len ? (size_t)rawptr + rawsize : p->len;
        *avail = raw_end - *off;
        return true;
    }
    return false;
}

static int headers(pe *p, uint32_t *res_rva, char *err, size_t errlen)
{
    uint32_t lfanew, sig;
    uint16_t nsec, optsize, magic;
    if (p->len < 64 || p->d[0] != 'M' || p->d[1] != 'Z' || !rd32(p->d, p->len, 0x3C, &lfanew)) {
        snprintf(err, errlen, "not a PE file (no MZ header)");
        return -1;
    }
    if (!rd32(p->d, p->len, lfanew, &sig) || sig != 0x00004550u || !rd16(p->d, p->len, (size_t)lfanew + 6, &nsec) ||
        !rd16(p->d, p->len, (size_t)lfanew + 20, &optsize) || !rd16(p->d, p->len, (size_t)lfanew + 24, &magic)) {
        snprintf(err, errlen, "not a PE file (no PE signature at the e_lfanew offset)");
        return -1;
    }
    size_t opt = (size_t)lfanew + 24;
    size_t dirs = magic == 0x20B ? 112 : magic == 0x10B ? 96 : 0;
    uint32_t ndirs = 0;
    if (!dirs || !rd32(p->d, p->len, opt + dirs - 4, &ndirs) || ndirs <= 2 || dirs + 3 * 8 > optsize ||
        !rd32(p->d, p->len, opt + dirs + 2 * 8, res_rva) || *res_rva == 0) {
        snprintf(err, errlen, "no resource directory");
        return -1;
    }
    if (nsec == 0 || nsec > MAX_SECTIONS) {
        snprintf(err, errlen, "implausible section count %u", nsec);
        return -1;
    }
    p->sections = opt + optsize;
    p->nsec = nsec;
    return 0;
}

/* In the resource directory at rel (from the tree's base), the target of the
 * entry with this id (want_id >= 0) or of the first entry. *is_dir tells a
 * subdirectory from a data entry. */
static bool dir_entry(const unsigned char *r, size_t rlen, uint32_t rel, int want_id, uint32_t *target, bool *is_dir)
{
    uint16_t nnamed, nid;
    if (!rd16(r, rlen, (size_t)rel + 12, &nnamed) || !rd16(r, rlen, (size_t)rel + 14, &nid))
        return false;
    unsigned n = (unsigned)nnamed + nid;
    if (n > MAX_DIR_ENTRIES)
        n = MAX_DIR_ENTRIES;
    for (unsigned i = 0; i < n; i++) {
        uint32_t name, off;
        size_t e = (size_t)rel + 16 + (size_t)i * 8;
        if (!rd32(r, rlen, e, &name) || !rd32(r, rlen, e + 4, &off))
            return false;
        if (want_id >= 0 && ((name & 0x80000000u) || name != (uint32_t)want_id))
            continue;
        *is_dir = (off & 0x80000000u) != 0;
        *target = off & 0x7FFFFFFFu;
        return true;
    }
    return false;
}

/* Find the RT_VERSION data: type 16 -> first name -> first language. */
static int find_version_data(const pe *p, uint32_t res_rva, const unsigned char **vd, size_t *vlen, char *err,
                             size_t errlen)
{
    size_t roff, ravail;
    if (!rva_to_off(p, res_rva, &roff, &ravail)) {
        snprintf(err, errlen, "resource directory outside the file");
        return -1;
    }
    const unsigned char *r = p->d + roff;
    uint32_t at = 0;
    bool is_dir = true;
    for (int level = 0; level < 3 && is_dir; level++) {
        if (!dir_entry(r, ravail, at, level == 0 ? RT_VERSION : -1, &at, &is_dir)) {
            snprintf(err, errlen, level == 0 ? "no version resource" : "broken version resource directory");
            return -1;
        }
    }
    uint32_t data_rva, data_size;
    size_t doff, davail;
    if (is_dir || !rd32(r, ravail, at, &data_rva) || !rd32(r, ravail, (size_t)at + 4, &data_size) ||
        !rva_to_off(p, data_rva, &doff, &davail)) {
        snprintf(err, errlen, "version resource data outside the file");
        return -1;
    }
    *vd = p->d + doff;
    *vlen = data_size < davail ? data_size : davail;
    return 0;
}

static size_t align4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

/* UTF-16LE at d[off..end) up to a NUL, as ASCII ('?' for anything else). Returns
 * the offset after the NUL (or end). */
static size_t utf16_ascii(const unsigned char *d, size_t off, size_t end, char *out, size_t outlen)
{
    size_t n = 0, next = end;
    for (; off + 1 < end; off += 2) {
        uint16_t c = (uint16_t)(d[off] | d[off + 1] << 8);
        if (c == 0) {
            next = off + 2;
            break;
        }
        if (n + 1 < outlen)
            out[n++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    if (outlen)
        out[n] = '\0';
    return next;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    size_t lead = strspn(s, " ");
    memmove(s, s + lead, n - lead + 1);
}

static void read_fixed(const unsigned char *d, size_t len, size_t off, ex_pe_version *out)
{
    uint32_t sig, fms, fls, pms, pls;
    if (!rd32(d, len, off, &sig) || sig != FIXED_SIGNATURE || !rd32(d, len, off + 8, &fms) ||
        !rd32(d, len, off + 12, &fls) || !rd32(d, len, off + 16, &pms) || !rd32(d, len, off + 20, &pls))
        return;
    out->have_fixed = true;
    out->file[0] = (uint16_t)(fms >> 16), out->file[1] = (uint16_t)fms;
    out->file[2] = (uint16_t)(fls >> 16), out->file[3] = (uint16_t)fls;
    out->product[0] = (uint16_t)(pms >> 16), out->product[1] = (uint16_t)pms;
    out->product[2] = (uint16_t)(pls >> 16), out->product[3] = (uint16_t)pls;
}

/* One block at d[off..]; depth 0 is VS_VERSIONINFO, 1 StringFileInfo, 2 a string table, 3 a String. */
static void walk_block(const unsigned char *d, size_t len, size_t off, int depth, ex_pe_version *out, bool *table_done)
{
    uint16_t blen, vlen, type;
    if (depth >= MAX_BLOCK_DEPTH || !rd16(d, len, off, &blen) || !rd16(d, len, off + 2, &vlen) ||
        !rd16(d, len, off + 4, &type) || blen < 6 || blen > len - off)
        return;
    size_t end = off + blen;
    char key[64];
    size_t value = align4(utf16_ascii(d, off + 6, end, key, sizeof key));
    size_t vbytes = type == 1 ? (size_t)vlen * 2 : vlen;
    if (value > end || vbytes > end - value)
        vbytes = value > end ? 0 : end - value;
    if (depth == 0 && strcmp(key, "VS_VERSION_INFO") == 0 && vbytes >= 52)
        read_fixed(d, value + vbytes, value, out);
    if (depth == 3) {
        char *dst = strcmp(key, "FileVersion") == 0      ? out->file_str
                    : strcmp(key, "ProductVersion") == 0 ? out->product_str
                                                         : NULL;
        if (dst && value < end) {
            utf16_ascii(d, value, value + vbytes, dst, sizeof out->file_str);
            trim(dst);
        }
        return;
    }
    if ((depth == 1 && strcmp(key, "StringFileInfo") != 0) || (depth == 2 && *table_done))
        return; /* VarFileInfo holds no version text; the first string table is enough */
    size_t child = align4(value + vbytes);
    for (int i = 0; i < MAX_CHILDREN && child + 6 <= end; i++) {
        uint16_t clen;
        if (!rd16(d, end, child, &clen) || clen < 6)
            break;
        walk_block(d, end, child, depth + 1, out, table_done);
        child = align4(child + clen);
    }
    if (depth == 2)
        *table_done = true;
}

int ex_pe_version_read(const unsigned char *data, size_t len, ex_pe_version *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    pe p = {.d = data, .len = len};
    uint32_t res_rva;
    const unsigned char *vd;
    size_t vlen;
    if (headers(&p, &res_rva, err, errlen) != 0 || find_version_data(&p, res_rva, &vd, &vlen, err, errlen) != 0)
        return -1;
    bool table_done = false;
    walk_block(vd, vlen, 0, 0, out, &table_done);
    if (!out->have_fixed && !out->file_str[0] && !out->product_str[0]) {
        snprintf(err, errlen, "version resource without a file version");
        return -1;
    }
    return 0;
}
