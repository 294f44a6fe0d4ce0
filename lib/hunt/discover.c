/* discover: where the Exchange install lies in the evidence, and what the
 * SOFTWARE hive says about it.
 *
 * In this order (../shared/docs/logs-and-builds.md §1.0, ioc-hunting.md §7.4):
 *   1. --exchange-root;
 *   2. the SOFTWARE hive's HKLM\SOFTWARE\Microsoft\ExchangeServer\v15\Setup
 *      MsiInstallPath (Test-ProxyLogon's source), read with libregf from an
 *      in-memory copy (the hive is never opened by path: libregf would touch
 *      its access time);
 *   3. the default paths: "...\Exchange Server\V15" or "\V14" under Program
 *      Files, and elsewhere (HvS saw C:\Microsoft\Exchange Server\V15);
 *   4. the Logging layout: the folder that holds Logging\HttpProxy,
 *      Logging\ECP, Logging\OABGeneratorLog, Bin\ExSetup.exe or
 *      FrontEnd\HttpProxy.
 * The hive also gives the build (MsiProductMajor/Minor, MsiBuildMajor/Minor,
 * as EOMT reads them) and the security updates listed under Uninstall, with
 * the time their key was written. */
#include <libregf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hunt/evpath.h"
#include "hunt/hunt_int.h"

char *hunt_windows_to_evidence(const char *win)
{
    int problem;
    size_t n = strlen(win);
    char *p = ex_evpath_normalise(win, n, NULL, &problem);
    if (!p && problem == EX_EVPATH_TRAVERSAL && n && (win[0] == '/' || win[0] == '\\')) {
        /* "/x/y" given for a tree without drive: take it relative */
        while (*win == '/' || *win == '\\')
            win++;
        p = ex_evpath_normalise(win, strlen(win), NULL, &problem);
    }
    if (p && n >= 2 && win[1] == ':' && strlen(p) == 2) /* "C:" alone */
        p[2] = '\0';
    return p;
}

/* The evidence's own spelling of the first n bytes of path. */
static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

char *hunt_resolve_dir(ex_hunt *h, const char *dir)
{
    size_t dn = strlen(dir);
    while (dn && dir[dn - 1] == '/')
        dn--;
    for (size_t i = 0; i < h->nent; i++) {
        const char *p = h->ent[i].path;
        if (strncasecmp(p, dir, dn) == 0 && p[dn] == '/')
            return dup_n(p, dn);
    }
    /* the same folder without its drive, anywhere at a component boundary */
    const char *tail = dir;
    if (dn >= 3 && dir[1] == ':' && dir[2] == '/')
        tail = dir + 3;
    size_t tn = dn - (size_t)(tail - dir);
    if (!tn)
        return NULL;
    for (size_t i = 0; i < h->nent; i++) {
        const char *p = h->ent[i].path;
        size_t pn = strlen(p);
        for (const char *q = p; q && (size_t)(q - p) + tn < pn;) {
            const char *m = ex_strcasestr_n(q, pn - (size_t)(q - p), tail);
            if (!m)
                break;
            /* need: start of path or after '/', and followed by '/' */
            if (m[tn] == '/' && (m == p || m[-1] == '/'))
                return dup_n(p, (size_t)(m - p) + tn);
            q = m + 1;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* the SOFTWARE hive                                                          */

typedef struct hive_info {
    char install_path[1024];
    int have_build;
    unsigned major, minor, bmajor, bminor;
} hive_info;

static int64_t filetime_to_unix(uint64_t ft)
{
    if (ft == 0)
        return EX_TIME_UNKNOWN;
    return (int64_t)(ft / 10000000ull) - 11644473600ll;
}

static bool value_string(libregf_key_t *key, const char *name, char *out, size_t outlen)
{
    libregf_value_t *v = NULL;
    bool ok = false;
    if (libregf_key_get_value_by_utf8_name(key, (const uint8_t *)name, strlen(name), &v, NULL) == 1) {
        ok = libregf_value_get_value_utf8_string(v, (uint8_t *)out, outlen, NULL) == 1;
        libregf_value_free(&v, NULL);
    }
    return ok;
}

static bool value_u32(libregf_key_t *key, const char *name, unsigned *out)
{
    libregf_value_t *v = NULL;
    uint32_t x = 0;
    bool ok = false;
    if (libregf_key_get_value_by_utf8_name(key, (const uint8_t *)name, strlen(name), &v, NULL) == 1) {
        ok = libregf_value_get_value_32bit(v, &x, NULL) == 1;
        libregf_value_free(&v, NULL);
    }
    *out = x;
    return ok;
}

static void read_setup(ex_hunt *h, libregf_key_t *root, const char *evpath, hive_info *hi)
{
    static const char *const keys[] = {"Microsoft\\ExchangeServer\\v15\\Setup",
                                       "Microsoft\\ExchangeServer\\v14\\Setup"};
    for (size_t k = 0; k < EX_ARRAY_LEN(keys); k++) {
        libregf_key_t *setup = NULL;
        if (libregf_key_get_sub_key_by_utf8_path(root, (const uint8_t *)keys[k], strlen(keys[k]), &setup, NULL) != 1)
            continue;
        if (value_string(setup, "MsiInstallPath", hi->install_path, sizeof hi->install_path))
            ex_hunt_fact(h, "hive.install-path", EX_TIME_UNKNOWN, hi->install_path, evpath);
        hi->have_build =
            value_u32(setup, "MsiProductMajor", &hi->major) && value_u32(setup, "MsiProductMinor", &hi->minor) &&
            value_u32(setup, "MsiBuildMajor", &hi->bmajor) && value_u32(setup, "MsiBuildMinor", &hi->bminor);
        libregf_key_free(&setup, NULL);
        if (hi->install_path[0] || hi->have_build)
            return;
    }
}

/* Security updates for Exchange under Uninstall: EOMT's second test for the
 * March 2021 fix ("Security Update for Exchange Server*", KB >= 5000871). */
static void read_updates(ex_hunt *h, libregf_key_t *root, const char *evpath)
{
    static const char path[] = "Microsoft\\Windows\\CurrentVersion\\Uninstall";
    libregf_key_t *un = NULL;
    int n = 0;
    if (libregf_key_get_sub_key_by_utf8_path(root, (const uint8_t *)path, strlen(path), &un, NULL) != 1)
        return;
    if (libregf_key_get_number_of_sub_keys(un, &n, NULL) != 1)
        n = 0;
    for (int i = 0; i < n && i < 100000; i++) {
        libregf_key_t *k = NULL;
        char name[512];
        if (libregf_key_get_sub_key(un, i, &k, NULL) != 1)
            continue;
        if (value_string(k, "DisplayName", name, sizeof name) &&
            ex_strcasestr_n(name, strlen(name), "Update for Exchange Server")) {
            uint64_t ft = 0;
            libregf_key_get_last_written_time(k, &ft, NULL);
            ex_hunt_fact(h, "hive.update", filetime_to_unix(ft), name, evpath);
        }
        libregf_key_free(&k, NULL);
    }
    libregf_key_free(&un, NULL);
}

static void read_hive(ex_hunt *h, const hentry *e, hive_info *hi)
{
    char err[200] = "";
    int fd = hunt_entry_memfd(h, e, EX_HUNT_HIVE_MAX, err, sizeof err);
    if (fd < 0) {
        hunt_skip_path(h, e->path, err[0] ? err : "SOFTWARE hive not read");
        return;
    }
    char local[64];
    snprintf(local, sizeof local, "/proc/self/fd/%d", fd);
    libregf_file_t *file = NULL;
    libregf_key_t *root = NULL;
    if (libregf_file_initialize(&file, NULL) != 1 || libregf_file_open(file, local, LIBREGF_OPEN_READ, NULL) != 1 ||
        libregf_file_get_root_key(file, &root, NULL) != 1) {
        hunt_skip_path(h, e->path, "SOFTWARE hive damaged: libregf cannot read it");
    } else {
        read_setup(h, root, e->path, hi);
        read_updates(h, root, e->path);
    }
    if (root)
        libregf_key_free(&root, NULL);
    if (file) {
        libregf_file_close(file, NULL);
        libregf_file_free(&file, NULL);
    }
    close(fd);
}

static const hentry *find_hive(const ex_hunt *h)
{
    const hentry *best = NULL;
    for (size_t i = 0; i < h->nent; i++) {
        const char *p = h->ent[i].path;
        if (!ex_evpath_match("**Windows/System32/config/SOFTWARE", p))
            continue;
        /* the live hive, not a RegBack copy */
        if (!best || (ex_evpath_match("**config/RegBack/**", best->path) && !ex_evpath_match("**config/RegBack/**", p)))
            best = &h->ent[i];
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* default paths and the Logging layout                                       */

typedef struct vote {
    char *root;
    size_t n;
} vote;

static void add_vote(vote *v, size_t *nv, size_t max, const char *p, size_t n)
{
    for (size_t i = 0; i < *nv; i++)
        if (strlen(v[i].root) == n && strncasecmp(v[i].root, p, n) == 0) {
            v[i].n++;
            return;
        }
    if (*nv < max && (v[*nv].root = dup_n(p, n))) {
        v[*nv].n = 1;
        (*nv)++;
    }
}

/* Markers whose position gives the install root: the part of the path before them. */
static const char *const layout_markers[] = {"Logging/HttpProxy/", "Logging/ECP/", "Logging/OABGeneratorLog/",
                                             "Bin/ExSetup.exe", "FrontEnd/HttpProxy/"};
static const char *const default_markers[] = {"Exchange Server/V15/", "Exchange Server/V14/"};

static char *vote_root(ex_hunt *h, const char *const *markers, size_t nm, bool keep_marker)
{
    vote v[16] = {0};
    size_t nv = 0;
    for (size_t i = 0; i < h->nent; i++) {
        const char *p = h->ent[i].path;
        size_t pn = strlen(p);
        for (size_t k = 0; k < nm; k++) {
            size_t mn = strlen(markers[k]);
            const char *m = ex_strcasestr_n(p, pn, markers[k]);
            while (m && !(m == p || m[-1] == '/'))
                m = ex_strcasestr_n(m + 1, pn - (size_t)(m + 1 - p), markers[k]);
            if (!m)
                continue;
            size_t end = (size_t)(m - p) + (keep_marker ? mn - 1 : 0);
            if (!keep_marker && end)
                end--; /* drop the '/' before the marker */
            add_vote(v, &nv, EX_ARRAY_LEN(v), p, end);
            break;
        }
    }
    size_t best = 0;
    for (size_t i = 1; i < nv; i++)
        if (v[i].n > v[best].n)
            best = i;
    char *root = nv ? v[best].root : NULL;
    for (size_t i = 0; i < nv; i++)
        if (i != best)
            free(v[i].root);
    return root;
}

static void set_root(ex_hunt *h, char *root, const char *how)
{
    free(h->root);
    h->root = root;
    h->inst.root = root;
    h->inst.root_how = how;
}

/* --exchange-root given as the local path of a folder inside a directory
 * input (/mnt/c/Program Files/...): its evidence path, spelt as the entries'
 * (the input's prefix, then the folder below the input), or NULL. */
static char *local_root_to_evidence(const ex_hunt *h, const char *given)
{
    char *real = realpath(given, NULL);
    char *ev = NULL;
    for (size_t i = 0; real && i < h->nsrc && !ev; i++) {
        const hsrc *s = &h->src[i];
        size_t tn = s->root_real ? strlen(s->root_real) : 0;
        if (!tn || strncmp(real, s->root_real, tn) != 0 || real[tn] != '/')
            continue;
        ex_buf j = {.max = 1 << 16};
        int problem, r = 0;
        if (s->prefix && s->prefix[0])
            r = ex_buf_puts(&j, s->prefix) | ex_buf_puts(&j, "/");
        if ((r | ex_buf_puts(&j, real + tn + 1)) == 0)
            ev = ex_evpath_normalise(j.data, j.len, NULL, &problem);
        ex_buf_free(&j);
    }
    free(real);
    return ev;
}

void hunt_discover(ex_hunt *h)
{
    hive_info hi = {0};
    const hentry *hive = find_hive(h);
    if (hive)
        read_hive(h, hive, &hi);
    if (hi.have_build) {
        char b[64];
        snprintf(b, sizeof b, "%u.%u.%u.%u", hi.major, hi.minor, hi.bmajor, hi.bminor);
        h->hive_build = strdup(b);
        ex_hunt_fact(h, "hive.build", EX_TIME_UNKNOWN, b, hive->path);
    }
    if (h->o.exchange_root) {
        char *ev = hunt_windows_to_evidence(h->o.exchange_root);
        char *found = ev ? hunt_resolve_dir(h, ev) : NULL;
        if (!found) {
            char *local = local_root_to_evidence(h, h->o.exchange_root);
            found = local ? hunt_resolve_dir(h, local) : NULL;
            free(local);
        }
        if (found) {
            free(ev);
            ev = found;
        }
        set_root(h, ev, found ? "--exchange-root" : "--exchange-root; no file of the evidence lies under it");
        return;
    }
    if (hi.install_path[0]) {
        char *ev = hunt_windows_to_evidence(hi.install_path);
        char *found = ev ? hunt_resolve_dir(h, ev) : NULL;
        free(ev);
        if (found) {
            set_root(h, found, "SOFTWARE hive MsiInstallPath");
            return;
        }
    }
    char *root = vote_root(h, default_markers, EX_ARRAY_LEN(default_markers), true);
    if (root) {
        set_root(h, root, "default path");
        return;
    }
    root = vote_root(h, layout_markers, EX_ARRAY_LEN(layout_markers), false);
    if (root)
        set_root(h, root, "Logging layout");
}
