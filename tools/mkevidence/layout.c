/* Triage-zip layouts, written with libarchive from the generated tree.
 *
 *   kape-zip          KAPE target output: the drive as a folder ("C/Program Files/..."), plus the
 *                     "<timestamp>_CopyLog.csv" KAPE writes beside it (SourceFile, SHA-1, times).
 *   velociraptor-zip  offline collector: "uploads/auto/C%3A/..." (auto accessor) and, for the locked
 *                     event logs, "uploads/ntfs/%5C%5C.%5CC%3A/..." (ntfs accessor), with the upload
 *                     metadata in "results/Windows.KapeFiles.Targets%2FUploads.json" (ioc-hunting.md §3.3).
 *
 * Files that are not on the drive (EvtxECmd CSV, wevtutil XML exports in EventLogs/) keep their
 * relative path at the top of the zip. Entries are sorted and carry the files' modification times;
 * TZ is UTC so the DOS times are the same everywhere. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkev.h"

typedef struct entry {
    char *rel; /* path relative to the tree root, '/' separated */
    int64_t mtime_ms;
    uint64_t size;
} entry;

typedef struct entries {
    entry *e;
    size_t n, cap;
} entries;

static int collect(const char *root, const char *rel, entries *out)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && rc == 0) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[4096], full[4096];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = collect(root, sub, out);
        } else if (S_ISREG(st.st_mode)) {
            if (out->n == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 256;
                entry *ne = realloc(out->e, nc * sizeof *ne);
                if (!ne) {
                    rc = -1;
                    break;
                }
                out->e = ne;
                out->cap = nc;
            }
            out->e[out->n].rel = strdup(sub);
            out->e[out->n].mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
            out->e[out->n].size = (uint64_t)st.st_size;
            out->n++;
        }
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

/* "C/x/y" -> the drive letter, or 0 when the path is not on a drive. */
static char drive_of(const char *rel)
{
    return rel[0] && rel[1] == '/' && ((rel[0] >= 'A' && rel[0] <= 'Z')) ? rel[0] : 0;
}

/* Velociraptor's path component encoding: ':' '%' '\' and control characters as %XX. */
static void velo_escape(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == ':' || ch == '%' || ch == '\\' || ch < 0x20)
            o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = 0;
}

static bool is_event_log(const char *rel)
{
    const char *dot = strrchr(rel, '.');
    return dot && !strcmp(dot, ".evtx");
}

static void zip_name(const mk_cfg *c, const char *rel, char *out, size_t n)
{
    char d = drive_of(rel);
    if (c->layout == MK_LAYOUT_KAPE || !d) {
        snprintf(out, n, "%s", rel);
        return;
    }
    char esc[4096];
    velo_escape(rel + 2, esc, sizeof esc);
    if (is_event_log(rel))
        snprintf(out, n, "uploads/ntfs/%%5C%%5C.%%5C%c%%3A/%s", d, esc);
    else
        snprintf(out, n, "uploads/auto/%c%%3A/%s", d, esc);
}

static int add_entry(struct archive *a, const char *name, const void *data, size_t len, int64_t mtime_ms,
                     const char *local)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, name);
    archive_entry_set_size(ae, (la_int64_t)len);
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    archive_entry_set_mtime(ae, (time_t)(mtime_ms / 1000), (long)(mtime_ms % 1000) * 1000000L);
    int rc = archive_write_header(a, ae) == ARCHIVE_OK ? 0 : -1;
    archive_entry_free(ae);
    if (rc < 0) {
        mk_warn("zip: %s", archive_error_string(a));
        return -1;
    }
    if (data) {
        if (len && archive_write_data(a, data, len) < 0)
            return -1;
        return 0;
    }
    int fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    static char buf[1 << 20];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        if (archive_write_data(a, buf, (size_t)r) < 0) {
            close(fd);
            return -1;
        }
    close(fd);
    return r < 0 ? -1 : 0;
}

static int digest_file(const char *local, const EVP_MD *md, char *hex)
{
    int fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, NULL);
    static char buf[1 << 20];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        EVP_DigestUpdate(ctx, buf, (size_t)r);
    close(fd);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(ctx, d, &dl);
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < dl; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    return 0;
}

static void iso_s(int64_t ms, char *buf)
{
    mk_time_iso_s(ms, buf);
}

static void win_path(const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%c:\\%s", rel[0], rel + 2);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '\\';
}

/* KAPE's copy log (one row per copied file). */
static char *kape_copylog(const char *root, const entries *es, int64_t when, size_t *len)
{
    size_t cap = 4096 + es->n * 700, o = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    o += (size_t)snprintf(s + o, cap - o,
                          "CopiedTimestamp,SourceFile,DestinationFile,FileSize,SourceFileSha1,"
                          "DeferredCopy,CreatedOnUtc,ModifiedOnUtc,LastAccessedOnUtc,CopyDuration\r\n");
    for (size_t i = 0; i < es->n && o + 2048 < cap; i++) {
        const entry *e = &es->e[i];
        if (!drive_of(e->rel))
            continue;
        char local[4096], sha1[EVP_MAX_MD_SIZE * 2 + 1] = "", src[2048], dst[2048], mt[25], ct[25];
        snprintf(local, sizeof local, "%s/%s", root, e->rel);
        digest_file(local, EVP_sha1(), sha1);
        win_path(e->rel, src, sizeof src);
        /* the destination keeps the drive as a folder: F:\kape\tout\C\... */
        snprintf(dst, sizeof dst, "F:\\kape\\tout\\%c%s", src[0], src + 2);
        iso_s(e->mtime_ms, mt);
        iso_s(when + (int64_t)i * 7, ct);
        o += (size_t)snprintf(s + o, cap - o, "%s,%s,%s,%llu,%s,%s,%s,%s,%s,00:00:00.0012000\r\n", ct, src, dst,
                              (unsigned long long)e->size, sha1, is_event_log(e->rel) ? "True" : "False", mt, mt, mt);
    }
    *len = o;
    return s;
}

static char *velo_results(const char *root, const entries *es, size_t *len)
{
    size_t cap = 4096 + es->n * 800, o = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    for (size_t i = 0; i < es->n && o + 2048 < cap; i++) {
        const entry *e = &es->e[i];
        if (!drive_of(e->rel))
            continue;
        char local[4096], sha[EVP_MAX_MD_SIZE * 2 + 1] = "", src[2048], esc[4096], mt[25], name[4096];
        snprintf(local, sizeof local, "%s/%s", root, e->rel);
        digest_file(local, EVP_sha256(), sha);
        win_path(e->rel, src, sizeof src);
        /* JSON-escape backslashes */
        size_t k = 0;
        for (const char *p = src; *p && k + 3 < sizeof esc; p++) {
            if (*p == '\\' || *p == '"')
                esc[k++] = '\\';
            esc[k++] = *p;
        }
        esc[k] = 0;
        iso_s(e->mtime_ms, mt);
        zip_name(&(mk_cfg){.layout = MK_LAYOUT_VELO}, e->rel, name, sizeof name);
        o += (size_t)snprintf(s + o, cap - o,
                              "{\"Created\":\"%s\",\"LastAccessed\":\"%s\",\"Modified\":\"%s\",\"ChangeTime\":\"%s\","
                              "\"Size\":%llu,\"SourceFile\":\"%s\",\"Accessor\":\"%s\",\"Destination\":\"%s\","
                              "\"Sha256\":\"%s\"}\n",
                              mt, mt, mt, mt, (unsigned long long)e->size, esc, is_event_log(e->rel) ? "ntfs" : "auto",
                              name, sha);
    }
    *len = o;
    return s;
}

int mk_layout_pack(const mk_cfg *c, const char *tree_root)
{
    entries es = {0};
    if (collect(tree_root, "", &es) < 0) {
        mk_warn("cannot read %s", tree_root);
        return -1;
    }
    if (es.n)
        qsort(es.e, es.n, sizeof *es.e, cmp_entry);
    setenv("TZ", "UTC", 1);
    tzset();
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    /* Deflate at a low level: the 5 GB benchmark trees must pack in reasonable time. */
    archive_write_set_options(a, "zip:compression=deflate");
    archive_write_set_options(a, "zip:compression-level=1");
    if (archive_write_open_filename(a, c->out) != ARCHIVE_OK) {
        mk_warn("cannot create %s: %s", c->out, archive_error_string(a));
        archive_write_free(a);
        return -1;
    }
    int rc = 0;
    int64_t when = c->to_ms + 8 * MK_HOUR_MS + 15 * 60000;
    if (c->layout == MK_LAYOUT_KAPE) {
        size_t len;
        char *log = kape_copylog(tree_root, &es, when, &len);
        mk_tm tm;
        mk_time_split(when, &tm);
        char name[128];
        snprintf(name, sizeof name, "%04d-%02d-%02dT%02d%02d%02d_CopyLog.csv", tm.year, tm.mon, tm.day, tm.hour, tm.min,
                 tm.sec);
        rc |= log ? add_entry(a, name, log, len, when + 60000, NULL) : -1;
        free(log);
    }
    for (size_t i = 0; i < es.n && rc == 0; i++) {
        char name[4096], local[4096];
        zip_name(c, es.e[i].rel, name, sizeof name);
        snprintf(local, sizeof local, "%s/%s", tree_root, es.e[i].rel);
        rc |= add_entry(a, name, NULL, (size_t)es.e[i].size, es.e[i].mtime_ms, local);
    }
    if (c->layout == MK_LAYOUT_VELO && rc == 0) {
        size_t len;
        char *res = velo_results(tree_root, &es, &len);
        rc |= res ? add_entry(a, "results/Windows.KapeFiles.Targets%2FUploads.json", res, len, when, NULL) : -1;
        free(res);
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        rc = -1;
    archive_write_free(a);
    for (size_t i = 0; i < es.n; i++)
        free(es.e[i].rel);
    free(es.e);
    return rc ? -1 : 0;
}
