/* kb: the Exchange knowledge base. Builds, CVE fixes per CU, end of life.
 *
 * The curated tables in data/ are validated and compiled into the binary at
 * build time (tools/kbgen.c), so a lookup never touches the file system. A
 * newer data bundle (the same tables in one checksummed text file) can
 * override them at run time without a rebuild: see ex_kb_open().
 *
 * All tables are sorted: builds by version, fixes by (cve, fixed build). A
 * loaded ex_kb is immutable and may be shared between threads. */
#ifndef EXAUDIT_KB_H
#define EXAUDIT_KB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "version.h"

typedef enum ex_product {
    EX_PRODUCT_UNKNOWN = 0,
    EX_PRODUCT_2003,
    EX_PRODUCT_2007,
    EX_PRODUCT_2010,
    EX_PRODUCT_2013,
    EX_PRODUCT_2016,
    EX_PRODUCT_2019,
    EX_PRODUCT_SE,
    EX_PRODUCT_COUNT
} ex_product;

/* "2016" <-> EX_PRODUCT_2016; "SE" <-> EX_PRODUCT_SE. */
const char *ex_product_code(ex_product p);
ex_product ex_product_from_code(const char *code);

typedef struct ex_kb_build {
    ex_version version;
    uint8_t product;    /* ex_product */
    const char *cu;     /* "CU19", "RTM", "SP1", 2010: "SP3 RU11" */
    const char *update; /* "Mar21SU", "Apr25HU", "" for the CU itself */
    const char *date;   /* YYYY-MM-DD, "" when unknown */
    const char *kb;     /* "KB5000871", "" when unknown */
    const char *source;
} ex_kb_build;

typedef enum ex_fix_kind {
    EX_FIX_SU = 0, /* fixed by installing a build >= fixed */
    EX_FIX_CONFIG, /* fixed only with a setting, on a build >= fixed */
} ex_fix_kind;

typedef enum ex_confidence {
    EX_CONF_CONFIRMED = 0, /* stated by the named source */
    EX_CONF_INFERRED,      /* derived from sources by a stated rule */
    EX_CONF_UNCERTAIN,     /* the source flags it; the verdict says so */
    EX_CONF_EXTERNAL,      /* from a public advisory outside the researched reference */
} ex_confidence;

typedef struct ex_kb_fix {
    const char *cve;
    const char *family;  /* "ProxyLogon", ..., "" when the CVE has no public name */
    const char *update;  /* the update that first fixed it: "Mar21SU" */
    uint8_t product;     /* ex_product of the CU */
    const char *cu;      /* "CU19" */
    ex_version fixed;    /* first fixed (or, for config, first capable) build of that CU */
    uint8_t kind;        /* ex_fix_kind */
    uint8_t confidence;  /* ex_confidence */
    const char *setting; /* config kind: the setting that must be on */
    const char *source;
} ex_kb_fix;

/* One distinct CVE: its fix rows are fixes[first .. first+count). */
typedef struct ex_kb_cve {
    const char *id;
    const char *family;
    const char *update;
    uint8_t kind;
    uint32_t first;
    uint32_t count;
} ex_kb_cve;

typedef struct ex_kb_eol {
    uint8_t product;
    const char *name;             /* "Exchange Server 2016" */
    ex_version first_build;       /* products are told apart by build: SE starts at 15.2.2562 */
    const char *end;              /* YYYY-MM-DD, "" when no end is announced */
    const char *security_updates; /* "none", "esu", "supported" */
    const char *source;
} ex_kb_eol;

typedef struct ex_kb {
    const char *version; /* data version, e.g. "2026.08.19" */
    const char *date;    /* data date, YYYY-MM-DD */
    const char *origin;  /* "built-in" or the bundle path */
    const ex_kb_build *builds;
    size_t nbuilds;
    const ex_kb_fix *fixes;
    size_t nfixes;
    const ex_kb_cve *cves;
    size_t ncves;
    const ex_kb_eol *eol;
    size_t neol;
    void *owned; /* storage of a loaded bundle; NULL for built-in */
} ex_kb;

/* The tables compiled into this binary. */
const ex_kb *ex_kb_builtin(void);

/* The knowledge base to use: a bundle installed in data_dir (or, when data_dir
 * is NULL, in $XDG_DATA_HOME/exaudit or ~/.local/share/exaudit) if it is
 * valid and not older than the built-in one; otherwise the built-in tables.
 * A broken installed bundle is reported through warn (may be NULL) and ignored;
 * so is a data_dir given explicitly that holds no bundle, or an older one.
 * The result lives until the process ends. */
const ex_kb *ex_kb_open(const char *data_dir, char *warn, size_t warnlen);

/* Parse and verify a bundle held in memory. Returns NULL and a message in err
 * on any defect: a corrupt bundle is never half-loaded. */
ex_kb *ex_kb_load_bundle(const char *text, size_t len, const char *origin, char *err, size_t errlen);
void ex_kb_free(ex_kb *kb);

/* Install a bundle file into data_dir atomically (temp file, fsync, rename).
 * Refuses a bundle that fails verification or is older than current. */
int ex_kb_install(const char *data_dir, const char *text, size_t len, const ex_kb *current, char *msg, size_t msglen);

/* Where bundles live: data_dir if given, else the XDG data directory. */
int ex_kb_data_dir(const char *data_dir, char *out, size_t outlen);
#define EX_KB_BUNDLE_NAME "kb.bundle"
/* A bundle larger than this is refused before parsing. */
#define EX_KB_BUNDLE_MAX (16u << 20)

/* --- lookups (all O(log n)) --- */

/* The product a build belongs to, decided by the eol table's first builds. */
ex_product ex_kb_product_of(const ex_kb *kb, const ex_version *v);
const ex_kb_eol *ex_kb_eol_of(const ex_kb *kb, ex_product p);

/* Exact match on all four parts (or, for a CU-only version, NULL). */
const ex_kb_build *ex_kb_find_build(const ex_kb *kb, const ex_version *v);
/* Known builds sharing v's major.minor.build, as a sorted range; count 0 when the CU is unknown. */
const ex_kb_build *ex_kb_cu_builds(const ex_kb *kb, const ex_version *v, size_t *count);
/* Nearest known build <= v in the same CU, or NULL. */
const ex_kb_build *ex_kb_nearest_lower(const ex_kb *kb, const ex_version *v);
/* The newest known build of the product. */
const ex_kb_build *ex_kb_newest_of_product(const ex_kb *kb, ex_product p);
/* The first row of the CU that contains b (its RTM); names the CU's KB. */
const ex_kb_build *ex_kb_cu_rtm(const ex_kb *kb, const ex_kb_build *b);

const ex_kb_cve *ex_kb_find_cve(const ex_kb *kb, const char *id);

#endif
