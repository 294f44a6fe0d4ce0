/* pever: the version resource (VS_VERSIONINFO) of a Windows PE file, read by
 * hand and defensively: every offset is checked against the bytes given,
 * every count against a small limit, and the resource tree is walked only
 * three levels deep (type, name, language), as the PE format defines it.
 *
 * Used for Bin\ExSetup.exe, whose file version is the installed Exchange
 * build (the version HealthChecker reports; logs-and-builds.md §5.1). */
#ifndef EXAUDIT_HUNT_PEVER_H
#define EXAUDIT_HUNT_PEVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ex_pe_version {
    bool have_fixed;      /* VS_FIXEDFILEINFO with its signature was found */
    uint16_t file[4];     /* FileVersion: major, minor, build, revision */
    uint16_t product[4];  /* ProductVersion */
    char file_str[64];    /* StringFileInfo "FileVersion" of the first string table, "" when absent */
    char product_str[64]; /* StringFileInfo "ProductVersion" */
} ex_pe_version;

/* 0 and *out filled, or -1 with the reason in err (not a PE file, no version
 * resource, a structure pointing outside the file). */
int ex_pe_version_read(const unsigned char *data, size_t len, ex_pe_version *out, char *err, size_t errlen);

#endif
