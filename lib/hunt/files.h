/* files: the files analyzer's record logic: where web shells live, what is
 * checked in each file, and the findings (../shared/docs/ioc-hunting.md §2,
 * §4, §7.1; logs-and-builds.md §1.5, §2.1).
 *
 * Read by default (by path, cheaply): the web-shell locations of CISA
 * AA21-062A, Volexity and Microsoft's MSERT guidance (owa\auth with its
 * Current and version folders, ecp\auth, inetpub\wwwroot with aspnet_client,
 * scripts under FrontEnd\HttpProxy and ClientAccess, App_Web_*.dll in
 * Temporary ASP.NET Files), lsass dumps, archives under ProgramData, and the
 * paths of data/iocs/paths.tsv. With --full: every file.
 *
 * Checked: YARA (lib/hunt/yarascan.h), hashes, names and paths from
 * data/iocs/, the type by magic bytes against the extension, lsass dumps,
 * archives under ProgramData, and scripts in the Exchange web-shell folders
 * that are not part of a standard install (allow-list data/iocs/stock-files.tsv:
 * a branded logon.aspx is stock by name and only its content is judged). */
#ifndef EXAUDIT_HUNT_FILES_H
#define EXAUDIT_HUNT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "hunt/yarascan.h"

typedef enum ex_webloc {
    EX_LOC_NONE = 0,
    EX_LOC_OWA_AUTH,      /* FrontEnd/HttpProxy/owa/auth/<file> */
    EX_LOC_OWA_AUTH_SUB,  /* owa/auth/Current/..., owa/auth/<version>/... */
    EX_LOC_ECP_AUTH,      /* FrontEnd/HttpProxy/ecp/auth/... */
    EX_LOC_ASPNET_CLIENT, /* inetpub/wwwroot/aspnet_client/... */
    EX_LOC_WWWROOT,       /* inetpub/wwwroot/... (elsewhere) */
    EX_LOC_HTTPPROXY,     /* FrontEnd/HttpProxy/... (elsewhere) */
    EX_LOC_CLIENTACCESS,  /* ClientAccess/... */
    EX_LOC_TEMP_ASPNET,   /* Temporary ASP.NET Files/... */
} ex_webloc;

ex_webloc ex_files_location(const char *path);
const char *ex_files_location_name(ex_webloc l); /* "owa\\auth", ... */

/* Does the files analyzer read this file? */
bool ex_files_wanted(const char *path, bool full);

/* Counters of what was not (fully) checked in one file. */
typedef struct ex_files_note {
    char skip[300]; /* "" or the reason to report through ex_hunt_skip() */
} ex_files_note;

/* The findings from the path alone (IOC names and paths, lsass dumps,
 * archives under ProgramData, unexpected files in web-shell folders). */
int ex_files_check_path(const char *path, int64_t mtime, ex_findings *out);
/* The findings from the content: YARA with LOKI's externals, and the type by
 * magic bytes against the extension. md5_hex (33 bytes) receives the MD5 and
 * sha1_hex (41 bytes) the SHA-1, for the hash IOCs. y may be NULL (no YARA). */
int ex_files_check_content(const ex_yara *y, const char *path, int64_t mtime, const unsigned char *data, size_t len,
                           char md5_hex[33], char sha1_hex[41], ex_findings *out, ex_files_note *note);
/* Hash IOCs for any of the given hex digests (NULL or "" skipped). */
int ex_files_check_hashes(const char *path, int64_t mtime, const char *sha256, const char *md5, const char *sha1,
                          ex_findings *out);
/* Drop the location-only finding when a stronger one names the same file. */
void ex_files_settle(ex_findings *out);

/* The rule set the analyzer uses: the embedded rules plus user_rules (NULL:
 * embedded only). Call before the hunt; replaces the previous set. 0, or -1
 * with a message (a --rules path that cannot be read or compiled). */
int ex_files_configure(const char *user_rules, ex_yara_load_report *rep, char *err, size_t errlen);
/* The configured set, or the embedded rules loaded on first use; NULL when
 * they cannot be compiled (every file is then reported as not scanned). */
const ex_yara *ex_files_rules(void);
/* Free the rule set (at the end of the program). */
void ex_files_release(void);

#endif
