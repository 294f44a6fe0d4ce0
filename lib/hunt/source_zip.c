/* source_zip: a triage archive (KAPE or Velociraptor zip, or any format
 * libarchive reads), read in place: entries are streamed out of the archive
 * and never extracted to disk.
 *
 * Hostile archives are expected. An entry name with ".." or an absolute path
 * is reported and not read (evpath.c). An entry that expands past
 * EX_HUNT_ZIP_RATIO times the size of the whole archive (and past
 * EX_HUNT_ZIP_FLOOR) is a decompression bomb: it is cut and reported, and the
 * rest of the archive is still read, up to a total expansion budget of
 * EX_HUNT_ZIP_BUDGET such entries. Links inside the archive are not followed. Encrypted entries
 * are reported as unreadable. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hunt/hunt_int.h"

#define ARCHIVE_BLOCK (64u << 10)

typedef struct zip_ctx {
    int fd;
    uint64_t total_out; /* bytes expanded so far in the walk */
    bool budget_reported;
} zip_ctx;

typedef struct zip_reader {
    struct archive *a;
    bool own; /* close a with the reader */
    const hsrc *s;
    zip_ctx *c;
    uint64_t out; /* bytes of this entry so far */
    char msg[200];
} zip_reader;

static uint64_t entry_limit(const hsrc *s)
{
    uint64_t by_ratio = (uint64_t)(s->input_size > 0 ? s->input_size : 1) * EX_HUNT_ZIP_RATIO;
    return by_ratio > EX_HUNT_ZIP_FLOOR ? by_ratio : EX_HUNT_ZIP_FLOOR;
}

/* libarchive reads through these callbacks with a private offset (pread), so
 * that several handles on the same archive never disturb each other. */
typedef struct zip_io {
    int fd;
    int64_t off, size;
    char buf[ARCHIVE_BLOCK];
} zip_io;

static la_ssize_t io_read(struct archive *a, void *data, const void **out)
{
    zip_io *io = data;
    for (;;) {
        ssize_t n = pread(io->fd, io->buf, sizeof io->buf, io->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            archive_set_error(a, errno, "read error: %s", strerror(errno));
            return -1;
        }
        io->off += n;
        *out = io->buf;
        return n;
    }
}

static la_int64_t io_seek(struct archive *a, void *data, la_int64_t offset, int whence)
{
    zip_io *io = data;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? io->off : io->size;
    int64_t to = base + offset;
    if (to < 0 || to > io->size) {
        archive_set_error(a, EINVAL, "seek outside the archive");
        return ARCHIVE_FATAL;
    }
    io->off = to;
    return to;
}

static la_int64_t io_skip(struct archive *a, void *data, la_int64_t request)
{
    zip_io *io = data;
    (void)a;
    int64_t left = io->size - io->off;
    int64_t n = request < left ? request : left;
    if (n < 0)
        n = 0;
    io->off += n;
    return n;
}

static int io_close(struct archive *a, void *data)
{
    (void)a;
    free(data);
    return ARCHIVE_OK;
}

static struct archive *open_archive(const hsrc *s, char *err, size_t errlen)
{
    zip_ctx *c = s->ctx;
    zip_io *io = calloc(1, sizeof *io);
    struct archive *a = io ? archive_read_new() : NULL;
    if (!a) {
        free(io);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    io->fd = c->fd;
    io->size = s->input_size;
    archive_read_support_format_zip_seekable(a);
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    archive_read_set_read_callback(a, io_read);
    archive_read_set_seek_callback(a, io_seek);
    archive_read_set_skip_callback(a, io_skip);
    archive_read_set_close_callback(a, io_close);
    archive_read_set_callback_data(a, io);
    if (archive_read_open1(a) != ARCHIVE_OK) {
        snprintf(err, errlen, "not a readable archive: %s", archive_error_string(a));
        archive_read_free(a); /* calls io_close */
        return NULL;
    }
    return a;
}

static int zip_open(hsrc *s, char *err, size_t errlen)
{
    zip_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->fd = ex_open_readonly(s->input);
    if (c->fd < 0) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        free(c);
        return -1;
    }
    s->ctx = c;
    struct archive *a = open_archive(s, err, errlen);
    if (!a) {
        close(c->fd);
        free(c);
        s->ctx = NULL;
        return -1;
    }
    archive_read_free(a);
    return 0;
}

/* The entry's name as stored: the locale form when it converts, else the
 * UTF-8 form, else a placeholder (names in broken encodings are kept as
 * bytes; writers make them valid UTF-8). */
static const char *entry_name(struct archive_entry *ae, uint32_t ordinal, char *tmp, size_t tmplen)
{
    const char *n = archive_entry_pathname(ae);
    if (!n || !*n)
        n = archive_entry_pathname_utf8(ae);
    if (!n || !*n) {
        snprintf(tmp, tmplen, "(unnamed entry %u)", ordinal);
        n = tmp;
    }
    return n;
}

static int zip_list(hsrc *s, ex_hunt *h)
{
    char err[300];
    struct archive *a = open_archive(s, err, sizeof err);
    if (!a) {
        hunt_skip_path(h, s->input, err);
        return 0;
    }
    struct archive_entry *ae;
    uint32_t ordinal = 0;
    int rc = 0, r;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        char tmp[64];
        const char *name = entry_name(ae, ordinal, tmp, sizeof tmp);
        mode_t type = archive_entry_filetype(ae);
        if (archive_entry_hardlink(ae) || type == AE_IFLNK)
            hunt_skip_source(h, s, name, strlen(name), "link entry in the archive: not followed");
        else if (type == AE_IFREG)
            rc = hunt_add_entry(
                h, s, name, strlen(name), archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0,
                archive_entry_mtime_is_set(ae) ? (int64_t)archive_entry_mtime(ae) : EX_TIME_UNKNOWN, ordinal);
        else if (type != AE_IFDIR)
            hunt_skip_source(h, s, name, strlen(name), "not a regular file entry: not read");
        ordinal++;
        if (rc)
            break;
    }
    if (r != ARCHIVE_EOF && rc == 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "archive damaged after %u entries: %s", ordinal, archive_error_string(a));
        hunt_skip_path(h, s->input, msg);
    }
    archive_read_free(a);
    return rc;
}

static ssize_t zip_read(hreader *r, void *buf, size_t n)
{
    zip_reader *z = r->ctx;
    uint64_t limit = entry_limit(z->s);
    if (z->out >= limit || z->c->total_out >= EX_HUNT_ZIP_BUDGET * limit) {
        snprintf(z->msg, sizeof z->msg,
                 "decompression bomb: expands past %llu MiB (%dx the archive): rest of the entry not read",
                 (unsigned long long)(limit >> 20), EX_HUNT_ZIP_RATIO);
        r->error = z->msg;
        errno = EFBIG;
        return -1;
    }
    if (n > limit - z->out)
        n = (size_t)(limit - z->out);
    la_ssize_t k = archive_read_data(z->a, buf, n);
    if (k < 0) {
        snprintf(z->msg, sizeof z->msg, "%s", archive_error_string(z->a) ? archive_error_string(z->a) : "damaged");
        r->error = z->msg;
        errno = EIO;
        return -1;
    }
    z->out += (uint64_t)k;
    z->c->total_out += (uint64_t)k;
    return k;
}

static void zip_reader_close(hreader *r)
{
    zip_reader *z = r->ctx;
    if (z && z->own)
        archive_read_free(z->a);
    free(z);
    r->ctx = NULL;
}

static int make_reader(const hsrc *s, struct archive *a, bool own, hreader *r)
{
    zip_reader *z = calloc(1, sizeof *z);
    if (!z)
        return -1;
    z->a = a;
    z->own = own;
    z->s = s;
    z->c = s->ctx;
    *r = (hreader){.read = zip_read, .close = zip_reader_close, .fd = -1, .ctx = z};
    return 0;
}

static bool encrypted(struct archive_entry *ae)
{
    return archive_entry_is_encrypted(ae) != 0;
}

/* The source's entries, in listing (ordinal) order. */
static hentry *next_entry_for(ex_hunt *h, const hsrc *s, size_t *cursor, uint32_t ordinal)
{
    while (*cursor < h->nent) {
        hentry *e = &h->ent[*cursor];
        if (e->src < s->index || (e->src == s->index && e->id < ordinal)) {
            (*cursor)++;
            continue;
        }
        return e->src == s->index && e->id == ordinal ? e : NULL;
    }
    return NULL;
}

static int zip_walk(hsrc *s, ex_hunt *h)
{
    zip_ctx *c = s->ctx;
    char err[300];
    struct archive *a = open_archive(s, err, sizeof err);
    if (!a)
        return -1;
    c->total_out = 0;
    struct archive_entry *ae;
    uint32_t ordinal = 0;
    size_t cursor = 0;
    int r;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        hentry *e = next_entry_for(h, s, &cursor, ordinal++);
        if (!e || !e->want || archive_entry_filetype(ae) != AE_IFREG)
            continue;
        if (c->total_out >= EX_HUNT_ZIP_BUDGET * entry_limit(s)) {
            if (!c->budget_reported)
                hunt_skip_path(h, s->input,
                               "archive expansion budget spent (decompression bomb?): "
                               "remaining entries not read");
            c->budget_reported = true;
            atomic_fetch_add(&h->files_done, 1);
            continue;
        }
        if (encrypted(ae)) {
            hunt_skip_path(h, e->path, "encrypted archive entry: not read");
            atomic_fetch_add(&h->files_done, 1);
            continue;
        }
        hreader rd;
        if (make_reader(s, a, false, &rd) != 0)
            break;
        hunt_process_entry(h, e, &rd);
        rd.close(&rd);
    }
    int rc = r == ARCHIVE_EOF ? 0 : -1;
    if (rc) {
        char msg[300];
        snprintf(msg, sizeof msg, "archive damaged after %u entries: %s", ordinal, archive_error_string(a));
        hunt_skip_path(h, s->input, msg);
        rc = 0;
    }
    archive_read_free(a);
    return rc;
}

/* Random access, for the few entries read outside the walk (the SOFTWARE hive). */
static int zip_open_entry(hsrc *s, const hentry *e, hreader *r, char *err, size_t errlen)
{
    err[0] = '\0';
    struct archive *a = open_archive(s, err, errlen);
    if (!a)
        return -1;
    struct archive_entry *ae;
    uint32_t ordinal = 0;
    int rr;
    while ((rr = archive_read_next_header(a, &ae)) == ARCHIVE_OK || rr == ARCHIVE_WARN) {
        if (ordinal++ != e->id)
            continue;
        if (encrypted(ae)) {
            snprintf(err, errlen, "encrypted archive entry: not read");
            break;
        }
        if (make_reader(s, a, true, r) != 0)
            break;
        return 0;
    }
    if (!err[0] || rr != ARCHIVE_OK)
        snprintf(err, errlen, "entry not found again in the archive");
    archive_read_free(a);
    return -1;
}

static void zip_close(hsrc *s)
{
    zip_ctx *c = s->ctx;
    if (!c)
        return;
    close(c->fd);
    free(c);
    s->ctx = NULL;
}

const ex_source_ops ex_source_archive = {
    .name = "archive",
    .open = zip_open,
    .list = zip_list,
    .open_entry = zip_open_entry,
    .walk = zip_walk,
    .close = zip_close,
};
