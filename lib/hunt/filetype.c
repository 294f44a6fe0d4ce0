#include "hunt/filetype.h"

#include <string.h>

/* Signatures: the formats' own specifications; PST "!BDN" and DER "30 82" as the
 * ProxyShell web shells start (ioc-hunting.md §1.4, §4), MDMP for memory dumps. */
static const struct magic {
    const char *type;
    const char *bytes;
    size_t n;
} magics[] = {
    {"EVTX", "ElfFile\0", 8},
    {"OLE", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8},
    {"7Z", "7z\xBC\xAF\x27\x1C", 6},
    {"RAR", "Rar!\x1A\x07", 6},
    {"ELF",
     "\x7F"
     "ELF",
     4},
    {"ZIP", "PK\x03\x04", 4},
    {"ZIP", "PK\x05\x06", 4},
    {"CAB", "MSCF", 4},
    {"PST", "!BDN", 4},
    {"PDF", "%PDF", 4},
    {"MDMP", "MDMP", 4},
    {"REGF", "regf", 4},
    {"PNG", "\x89PNG", 4},
    {"GIF", "GIF8", 4},
    {"JPEG", "\xFF\xD8\xFF", 3},
    {"GZIP", "\x1F\x8B", 2},
    {"EXE", "MZ", 2},
    {"DER", "\x30\x82", 2},
};

const char *ex_filetype(const unsigned char *data, size_t len)
{
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (len >= magics[i].n && memcmp(data, magics[i].bytes, magics[i].n) == 0)
            return magics[i].type;
    return "UNKNOWN";
}

bool ex_filetype_is_binary(const char *type)
{
    return strcmp(type, "UNKNOWN") != 0;
}
