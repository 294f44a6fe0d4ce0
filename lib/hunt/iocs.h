/* iocs: the indicator tables of data/iocs/ (embedded in the binary, parsed
 * once): file hashes, web-shell file names, file paths, and the stock files
 * of owa\auth and ecp\auth that are not flagged for their location alone.
 * Every row carries its source; data/iocs/README.md describes the columns. */
#ifndef EXAUDIT_HUNT_IOCS_H
#define EXAUDIT_HUNT_IOCS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ex_ioc_hash {
    const char *hash; /* lower-case hex */
    const char *type; /* "sha256", "sha1", "md5" */
    const char *file_name, *family, *kind, *source;
} ex_ioc_hash;

typedef struct ex_ioc_name {
    const char *name;
    const char *scope; /* "exchange-web", "aspnet_client", "windows-temp" */
    const char *family, *source;
} ex_ioc_name;

typedef struct ex_ioc_path {
    const char *pattern; /* glob below a path component: "FrontEnd/HttpProxy/owa/auth/x.aspx" */
    const char *kind, *severity, *family, *source;
} ex_ioc_path;

/* 0, or -1 when the embedded tables are malformed or memory ran out (then every lookup misses). */
int ex_iocs_load(void);
/* The row for this hash (hex, any case; the type follows from the length), or NULL. */
const ex_ioc_hash *ex_ioc_hash_find(const char *hex);
/* The row for this file name (case-insensitive), or NULL. */
const ex_ioc_name *ex_ioc_name_find(const char *base);
/* The first path row whose pattern matches path below some component, or NULL. */
const ex_ioc_path *ex_ioc_path_match(const char *path);
/* Is name a stock file of folder ("owa/auth", "ecp/auth")? */
bool ex_ioc_stock(const char *folder, const char *name);
/* Row counts, for tests and the report. */
size_t ex_iocs_count(const char *table); /* "hashes", "names", "paths", "stock-files" */

#endif
