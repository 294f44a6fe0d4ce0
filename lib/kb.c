/* kb: lookups over the sorted tables, and the choice between the built-in
 * tables and an installed override bundle. See kb.h. */
#include "kb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kb_parse.h"
#include "util.h"

extern const ex_kb ex_kb_builtin_tables; /* generated: build/gen/kb_data.c */

const ex_kb *ex_kb_builtin(void)
{
    return &ex_kb_builtin_tables;
}

ex_kb *ex_kb_load_bundle(const char *text, size_t len, const char *origin, char *err, size_t errlen)
{
    return ex_kb_parse_bundle(text, len, origin, err, errlen);
}

/* ---- lookups ---------------------------------------------------------------- */

/* First build row >= v (binary search over the version-sorted table). */
static size_t lower_bound(const ex_kb *kb, const ex_version *v)
{
    size_t lo = 0, hi = kb->nbuilds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ex_version_cmp(&kb->builds[mid].version, v) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const ex_kb_build *ex_kb_find_build(const ex_kb *kb, const ex_version *v)
{
    if (!ex_version_has_revision(v))
        return NULL;
    size_t i = lower_bound(kb, v);
    if (i < kb->nbuilds && ex_version_cmp(&kb->builds[i].version, v) == 0)
        return &kb->builds[i];
    return NULL;
}

const ex_kb_build *ex_kb_cu_builds(const ex_kb *kb, const ex_version *v, size_t *count)
{
    ex_version first = *v;
    first.revision = -1; /* sorts below every revision of the CU */
    size_t i = lower_bound(kb, &first), j = i;
    while (j < kb->nbuilds && ex_version_same_cu(&kb->builds[j].version, v))
        j++;
    *count = j - i;
    return j > i ? &kb->builds[i] : NULL;
}

const ex_kb_build *ex_kb_nearest_lower(const ex_kb *kb, const ex_version *v)
{
    size_t n;
    const ex_kb_build *cu = ex_kb_cu_builds(kb, v, &n);
    const ex_kb_build *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (ex_version_cmp(&cu[i].version, v) <= 0 && (!best || ex_version_cmp(&cu[i].version, &best->version) > 0))
            best = &cu[i];
    return best;
}

const ex_kb_build *ex_kb_newest_of_product(const ex_kb *kb, ex_product p)
{
    for (size_t i = kb->nbuilds; i-- > 0;)
        if (kb->builds[i].product == p)
            return &kb->builds[i];
    return NULL;
}

const ex_kb_build *ex_kb_cu_rtm(const ex_kb *kb, const ex_kb_build *b)
{
    size_t n;
    const ex_kb_build *cu = ex_kb_cu_builds(kb, &b->version, &n);
    /* The CU row itself has no update name; fall back to the lowest revision. */
    for (size_t i = 0; i < n; i++)
        if (!cu[i].update[0])
            return &cu[i];
    return cu ? cu : b;
}

ex_product ex_kb_product_of(const ex_kb *kb, const ex_version *v)
{
    /* eol rows are sorted by first build; the last one <= v of the same major wins. */
    ex_product p = EX_PRODUCT_UNKNOWN;
    for (size_t i = 0; i < kb->neol; i++) {
        const ex_kb_eol *e = &kb->eol[i];
        if (e->first_build.major == v->major && ex_version_cmp_cu(&e->first_build, v) <= 0)
            p = (ex_product)e->product;
    }
    return p;
}

const ex_kb_eol *ex_kb_eol_of(const ex_kb *kb, ex_product p)
{
    for (size_t i = 0; i < kb->neol; i++)
        if (kb->eol[i].product == p)
            return &kb->eol[i];
    return NULL;
}

const ex_kb_cve *ex_kb_find_cve(const ex_kb *kb, const char *id)
{
    size_t lo = 0, hi = kb->ncves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(kb->cves[mid].id, id);
        if (r == 0)
            return &kb->cves[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- override bundles ------------------------------------------------------------ */

int ex_kb_data_dir(const char *data_dir, char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (data_dir && *data_dir)
        n = snprintf(out, outlen, "%s", data_dir);
    else if (xdg && *xdg)
        n = snprintf(out, outlen, "%s/exaudit", xdg);
    else if (home && *home)
        n = snprintf(out, outlen, "%s/.local/share/exaudit", home);
    else
        return -1;
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Opened bundles live until exit, like the built-in tables; keeping them
 * reachable here says so to leak checkers. */
static const ex_kb *keep(ex_kb *kb)
{
    static ex_kb *opened[16];
    static size_t nopened;
    if (nopened < EX_ARRAY_LEN(opened))
        opened[nopened++] = kb;
    return kb;
}

const ex_kb *ex_kb_open(const char *data_dir, char *warn, size_t warnlen)
{
    char dir[4096], path[4200], err[512];
    size_t len = 0;
    if (warn && warnlen)
        warn[0] = '\0';
    if (ex_kb_data_dir(data_dir, dir, sizeof dir) != 0)
        return ex_kb_builtin();
    snprintf(path, sizeof path, "%s/%s", dir, EX_KB_BUNDLE_NAME);
    char *text = ex_read_file(path, EX_KB_BUNDLE_MAX, &len, err, sizeof err);
    bool asked = data_dir && *data_dir; /* --data DIR: a typo must not pass for "the data in DIR" */
    if (!text) {
        if (warn && errno != ENOENT)
            snprintf(warn, warnlen, "ignoring knowledge-base bundle %s: %s", path, err);
        else if (warn && asked)
            snprintf(warn, warnlen, "no knowledge-base bundle in %s; using the built-in knowledge base %s", dir,
                     ex_kb_builtin()->version);
        return ex_kb_builtin();
    }
    ex_kb *kb = ex_kb_load_bundle(text, len, path, err, sizeof err);
    free(text);
    if (!kb) {
        if (warn)
            snprintf(warn, warnlen, "ignoring knowledge-base bundle %s: %s", path, err);
        return ex_kb_builtin();
    }
    if (ex_kb_version_cmp(kb->version, ex_kb_builtin()->version) < 0) {
        if (warn && asked)
            snprintf(warn, warnlen,
                     "knowledge-base bundle %s (%s) is older than the built-in %s; using the built-in one", path,
                     kb->version, ex_kb_builtin()->version);
        ex_kb_free(kb); /* the binary is newer than the installed bundle */
        return ex_kb_builtin();
    }
    return keep(kb);
}

int ex_kb_install(const char *data_dir, const char *text, size_t len, const ex_kb *current, char *msg, size_t msglen)
{
    char dir[4096], tmp[4200], path[4200], err[512];
    ex_kb *kb = ex_kb_load_bundle(text, len, "new bundle", err, sizeof err);
    if (!kb) {
        snprintf(msg, msglen, "bundle refused, nothing changed: %s", err);
        return -1;
    }
    int older = ex_kb_version_cmp(kb->version, current->version) < 0;
    if (older) {
        snprintf(msg, msglen, "bundle refused, nothing changed: data version %s is older than %s in use", kb->version,
                 current->version);
        ex_kb_free(kb);
        return -1;
    }
    snprintf(msg, msglen, "installed knowledge base %s (%s): %zu builds, %zu CVEs", kb->version, kb->date, kb->nbuilds,
             kb->ncves);
    ex_kb_free(kb);
    if (ex_kb_data_dir(data_dir, dir, sizeof dir) != 0 || ex_mkdir_p(dir, 0755) != 0) {
        snprintf(msg, msglen, "cannot create data directory: %s", strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, EX_KB_BUNDLE_NAME);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, EX_KB_BUNDLE_NAME, (long)getpid());
    if (ex_write_file_atomic(tmp, path, text, len) != 0) {
        snprintf(msg, msglen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
