/* Minimal PE images: ExSetup.exe with a VS_VERSIONINFO resource (so that a
 * hunter can read the installed build offline, as HealthChecker reads
 * ExSetup.exe's FileVersionInfo), and the App_Web_*.dll of a compiled web
 * shell (a PE holding the strings the BSI rule looks for). Layouts follow the
 * Microsoft PE/COFF specification; nothing in them is executable code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

typedef struct bb {
    uint8_t *p;
    size_t len, cap;
} bb;

static void bb_grow(bb *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t nc = b->cap ? b->cap * 2 : 4096;
    while (nc < b->len + n)
        nc *= 2;
    uint8_t *np = realloc(b->p, nc);
    if (!np) {
        mk_warn("out of memory");
        exit(3);
    }
    memset(np + b->cap, 0, nc - b->cap);
    b->p = np;
    b->cap = nc;
}
static void bb_put(bb *b, const void *d, size_t n)
{
    bb_grow(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void bb_u16(bb *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    bb_put(b, x, 2);
}
static void bb_u32(bb *b, uint32_t v)
{
    bb_u16(b, v & 0xffff);
    bb_u16(b, v >> 16);
}
static void bb_zero(bb *b, size_t n)
{
    bb_grow(b, n);
    memset(b->p + b->len, 0, n);
    b->len += n;
}
static void bb_align(bb *b, size_t a)
{
    while (b->len % a)
        bb_zero(b, 1);
}
static void set16(bb *b, size_t at, uint32_t v)
{
    b->p[at] = (uint8_t)v;
    b->p[at + 1] = (uint8_t)(v >> 8);
}
static void set32(bb *b, size_t at, uint32_t v)
{
    set16(b, at, v & 0xffff);
    set16(b, at + 2, v >> 16);
}
static void bb_wstr(bb *b, const char *s)
{
    for (; *s; s++)
        bb_u16(b, (uint8_t)*s);
    bb_u16(b, 0);
}

/* ------------------------------------------------------------ VS_VERSIONINFO */

/* Opens a version block: wLength (patched by vb_close), wValueLength, wType, key. */
static size_t vb_open(bb *b, uint32_t value_len, uint32_t type, const char *key)
{
    bb_align(b, 4);
    size_t at = b->len;
    bb_u16(b, 0);
    bb_u16(b, value_len);
    bb_u16(b, type);
    bb_wstr(b, key);
    bb_align(b, 4);
    return at;
}
static void vb_close(bb *b, size_t at)
{
    set16(b, at, (uint32_t)(b->len - at));
}

static void vb_string(bb *b, const char *key, const char *value)
{
    size_t at = vb_open(b, (uint32_t)strlen(value) + 1, 1, key);
    bb_wstr(b, value);
    vb_close(b, at);
}

static void version_info(bb *b, const mk_build *v)
{
    char longv[32];
    mk_build_long(v, longv, sizeof longv);
    size_t root = vb_open(b, 52, 0, "VS_VERSION_INFO");
    bb_u32(b, 0xfeef04bd);                            /* dwSignature */
    bb_u32(b, 0x00010000);                            /* dwStrucVersion */
    bb_u32(b, (uint32_t)(v->major << 16 | v->minor)); /* dwFileVersionMS */
    bb_u32(b, (uint32_t)(v->build << 16 | v->rev));   /* dwFileVersionLS */
    bb_u32(b, (uint32_t)(v->major << 16 | v->minor)); /* dwProductVersionMS */
    bb_u32(b, (uint32_t)(v->build << 16 | v->rev));   /* dwProductVersionLS */
    bb_u32(b, 0x3f);                                  /* dwFileFlagsMask */
    bb_u32(b, 0);                                     /* dwFileFlags */
    bb_u32(b, 0x00040004);                            /* VOS_NT_WINDOWS32 */
    bb_u32(b, 1);                                     /* VFT_APP */
    bb_u32(b, 0);
    bb_u32(b, 0);
    bb_u32(b, 0);
    size_t sfi = vb_open(b, 0, 1, "StringFileInfo");
    size_t table = vb_open(b, 0, 1, "040904B0");
    vb_string(b, "CompanyName", "Microsoft Corporation");
    vb_string(b, "FileDescription", "Microsoft Exchange Server Setup");
    vb_string(b, "FileVersion", longv);
    vb_string(b, "InternalName", "ExSetup.exe");
    vb_string(b, "LegalCopyright", "\xa9 2020 Microsoft Corporation. All rights reserved.");
    vb_string(b, "OriginalFilename", "ExSetup.exe");
    vb_string(b, "ProductName", "Microsoft\xae Exchange");
    vb_string(b, "ProductVersion", longv);
    vb_close(b, table);
    vb_close(b, sfi);
    size_t vfi = vb_open(b, 0, 1, "VarFileInfo");
    size_t var = vb_open(b, 4, 0, "Translation");
    bb_u16(b, 0x0409);
    bb_u16(b, 0x04b0);
    vb_close(b, var);
    vb_close(b, vfi);
    vb_close(b, root);
}

/* ------------------------------------------------------------ PE skeleton */

typedef struct section {
    const char *name;
    const uint8_t *data;
    size_t len;
    uint32_t chars;
} section;

#define FILE_ALIGN 0x200u
#define SECT_ALIGN 0x1000u

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* A PE with the given sections; resource_index < 0 when there is no .rsrc. */
static uint8_t *pe_build(bool pe32plus, bool dll, uint32_t timestamp, const section *secs, int nsec, int rsrc_index,
                         size_t *len)
{
    bb b = {0};
    /* DOS header and stub. */
    bb_put(&b, "MZ", 2);
    bb_zero(&b, 0x3a);
    bb_u32(&b, 0x80); /* e_lfanew */
    static const char stub[] = "This program cannot be run in DOS mode.\r\r\n$";
    bb_put(&b, stub, sizeof stub - 1);
    bb_align(&b, 0x80); /* the stub is shorter than 0x40 bytes: this pads to e_lfanew */
    bb_put(&b, "PE\0\0", 4);
    bb_u16(&b, pe32plus ? 0x8664 : 0x014c);
    bb_u16(&b, (uint32_t)nsec);
    bb_u32(&b, timestamp);
    bb_u32(&b, 0);
    bb_u32(&b, 0);
    bb_u16(&b, pe32plus ? 240 : 224);
    bb_u16(&b, dll ? 0x2102 : 0x0022);

    size_t headers = align_up(0x80 + 4 + 20 + (pe32plus ? 240 : 224) + 40u * (size_t)nsec, FILE_ALIGN);
    uint32_t rva[8], raw[8];
    size_t rawpos = headers, image = SECT_ALIGN;
    for (int i = 0; i < nsec; i++) {
        rva[i] = (uint32_t)image;
        raw[i] = (uint32_t)rawpos;
        rawpos += align_up(secs[i].len, FILE_ALIGN);
        image += align_up(secs[i].len ? secs[i].len : 1, SECT_ALIGN);
    }
    size_t code = 0, idata = 0;
    for (int i = 0; i < nsec; i++)
        *(secs[i].chars & 0x20 ? &code : &idata) += align_up(secs[i].len, FILE_ALIGN);

    /* Optional header. */
    bb_u16(&b, pe32plus ? 0x20b : 0x10b);
    bb_put(&b, "\x0e\x00", 2); /* linker 14.0 */
    bb_u32(&b, (uint32_t)code);
    bb_u32(&b, (uint32_t)idata);
    bb_u32(&b, 0);
    bb_u32(&b, dll ? 0 : rva[0]); /* entry point */
    bb_u32(&b, rva[0]);           /* base of code */
    if (pe32plus) {
        bb_u32(&b, 0x40000000);
        bb_u32(&b, 0x1); /* image base 0x140000000 */
    } else {
        bb_u32(&b, nsec > 1 ? rva[1] : rva[0]); /* base of data */
        bb_u32(&b, 0x10000000);
    }
    bb_u32(&b, SECT_ALIGN);
    bb_u32(&b, FILE_ALIGN);
    bb_u16(&b, 6);
    bb_u16(&b, 0);
    bb_u16(&b, 0);
    bb_u16(&b, 0);
    bb_u16(&b, 6);
    bb_u16(&b, 0);
    bb_u32(&b, 0);
    bb_u32(&b, (uint32_t)image);
    bb_u32(&b, (uint32_t)headers);
    bb_u32(&b, 0);           /* checksum */
    bb_u16(&b, 3); /* IMAGE_SUBSYSTEM_WINDOWS_CUI */
    bb_u16(&b, 0x8160);
    for (int i = 0; i < 4; i++) { /* stack/heap reserve and commit */
        uint32_t v = i % 2 ? 0x1000 : 0x100000;
        bb_u32(&b, v);
        if (pe32plus)
            bb_u32(&b, 0);
    }
    bb_u32(&b, 0);  /* loader flags */
    bb_u32(&b, 16); /* data directories */
    for (int d = 0; d < 16; d++) {
        if (d == 2 && rsrc_index >= 0) {
            bb_u32(&b, rva[rsrc_index]);
            bb_u32(&b, (uint32_t)secs[rsrc_index].len);
        } else {
            bb_u32(&b, 0);
            bb_u32(&b, 0);
        }
    }
    for (int i = 0; i < nsec; i++) {
        char name[8] = {0};
        memcpy(name, secs[i].name, strlen(secs[i].name) < 8 ? strlen(secs[i].name) : 8);
        bb_put(&b, name, 8);
        bb_u32(&b, (uint32_t)secs[i].len);
        bb_u32(&b, rva[i]);
        bb_u32(&b, (uint32_t)align_up(secs[i].len, FILE_ALIGN));
        bb_u32(&b, raw[i]);
        bb_zero(&b, 12);
        bb_u32(&b, secs[i].chars);
    }
    while (b.len < headers)
        bb_zero(&b, 1);
    for (int i = 0; i < nsec; i++) {
        bb_put(&b, secs[i].data, secs[i].len);
        bb_align(&b, FILE_ALIGN);
    }
    *len = b.len;
    return b.p;
}

uint8_t *mk_pe_exsetup(const mk_build *v, size_t *len)
{
    /* .rsrc: root (type 16 = RT_VERSION) -> name 1 -> language 0x409 -> data. */
    const uint32_t rsrc_rva = 0x2000; /* second section */
    bb r = {0};
    for (int level = 0; level < 3; level++) {
        bb_zero(&r, 12);
        bb_u16(&r, 0); /* named entries */
        bb_u16(&r, 1); /* id entries */
        static const uint32_t ids[3] = {16, 1, 0x409};
        bb_u32(&r, ids[level]);
        bb_u32(&r, level < 2 ? 0x80000000u | (uint32_t)(r.len + 4) : (uint32_t)(r.len + 4));
    }
    size_t entry = r.len;
    bb_zero(&r, 16);
    bb_align(&r, 16);
    size_t vi = r.len;
    version_info(&r, v);
    set32(&r, entry, rsrc_rva + (uint32_t)vi);
    set32(&r, entry + 4, (uint32_t)(r.len - vi));

    static const uint8_t text[16] = {0x48, 0x31, 0xc0, 0xc3}; /* xor rax, rax; ret */
    section secs[2] = {{".text", text, sizeof text, 0x60000020}, {".rsrc", r.p, r.len, 0x40000040}};
    uint8_t *img = pe_build(true, false, 0x5fc9a2b1u, secs, 2, 1, len);
    free(r.p);
    return img;
}

uint8_t *mk_pe_dll(const char *const *ascii, size_t nascii, const char *const *wide, size_t nwide, size_t pad_to,
                   uint32_t timestamp, size_t *len)
{
    /* .text holds a CLR metadata-looking blob: the "BSJB" signature and
     * version, then the #Strings (ASCII) and #US (UTF-16) contents. */
    bb t = {0};
    bb_put(&t, "BSJB", 4);
    bb_u16(&t, 1);
    bb_u16(&t, 1);
    bb_u32(&t, 0);
    bb_u32(&t, 12);
    bb_put(&t, "v4.0.30319\0\0", 12);
    for (size_t i = 0; i < nascii; i++)
        bb_put(&t, ascii[i], strlen(ascii[i]) + 1);
    bb_align(&t, 4);
    for (size_t i = 0; i < nwide; i++) {
        bb_zero(&t, 1); /* #US blob length byte (approximate) */
        bb_wstr(&t, wide[i]);
    }
    size_t headers = 0x400;
    if (pad_to > headers + t.len)
        bb_zero(&t, pad_to - headers - t.len);
    section secs[1] = {{".text", t.p, t.len, 0x60000020}};
    uint8_t *img = pe_build(false, true, timestamp, secs, 1, -1, len);
    free(t.p);
    return img;
}
