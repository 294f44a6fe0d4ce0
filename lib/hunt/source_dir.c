/* source_dir: a directory tree (mounted image, SMB-mounted C$, extracted
 * collection) or a single file, read in place.
 *
 * Read-only and without touching access times: every directory and file is
 * opened with O_NOATIME where the kernel allows it. Symbolic links are never
 * followed: a link is reported (with its kind: loop, dangling, pointing out
 * of the evidence, or inside it, where its target is read as it lies), so
 * that a hostile tree can neither lead the walk out of the evidence nor
 * around in circles. Files are opened beneath the root only (openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hunt/hunt_int.h"

typedef struct dir_ctx {
    int rootfd; /* the directory, or -1 for a single file */
    bool is_file;
    char *file; /* single file: its real path */
    char *name; /* single file: its base name */
    /* directories seen, by (dev, ino): a bind mount or a hard-linked
     * directory can make a loop without any symbolic link */
    struct {
        dev_t dev;
        ino_t ino;
    } * seen;
    size_t nseen, capseen;
} dir_ctx;

static int open_noatime_at(int dirfd, const char *name, int flags)
{
    int fd = openat(dirfd, name, flags | O_NOATIME | O_CLOEXEC);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership or CAP_FOWNER */
        fd = openat(dirfd, name, flags | O_CLOEXEC);
    return fd;
}

static int dir_open(hsrc *s, char *err, size_t errlen)
{
    dir_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    struct stat st;
    const char *path = s->root_real ? s->root_real : s->input;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        free(c);
        return -1;
    }
    c->rootfd = -1;
    if (S_ISDIR(st.st_mode)) {
        c->rootfd = open_noatime_at(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
        if (c->rootfd < 0) {
            snprintf(err, errlen, "cannot open directory: %s", strerror(errno));
            free(c);
            return -1;
        }
    } else if (S_ISREG(st.st_mode)) {
        c->is_file = true;
        c->file = strdup(path);
        const char *b = strrchr(path, '/');
        c->name = strdup(b ? b + 1 : path);
        if (!c->file || !c->name) {
            free(c->file);
            free(c->name);
            free(c);
            return -1;
        }
    } else {
        snprintf(err, errlen, "not a directory, archive or regular file");
        free(c);
        return -1;
    }
    s->ctx = c;
    return 0;
}

static size_t dir_slot(const dir_ctx *c, dev_t dev, ino_t ino)
{
    uint64_t k = ((uint64_t)dev * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ino * 0xC2B2AE3D27D4EB4Full);
    return (size_t)(k ^ (k >> 29)) & (c->capseen - 1);
}

static bool seen_insert(dir_ctx *c, dev_t dev, ino_t ino)
{
    size_t i = dir_slot(c, dev, ino);
    while (c->seen[i].ino || c->seen[i].dev) {
        if (c->seen[i].dev == dev && c->seen[i].ino == ino)
            return true;
        i = (i + 1) & (c->capseen - 1);
    }
    c->seen[i].dev = dev;
    c->seen[i].ino = ino;
    c->nseen++;
    return false;
}

/* Record a directory; true when it was seen before. An open-addressing set
 * keyed by (dev, ino), kept at most half full. */
static bool seen_dir(dir_ctx *c, const struct stat *st)
{
    if (2 * (c->nseen + 1) > c->capseen) {
        size_t cap = c->capseen ? c->capseen * 2 : 256;
        dir_ctx grown = {.capseen = cap};
        grown.seen = calloc(cap, sizeof *grown.seen);
        if (!grown.seen)
            return false;
        for (size_t i = 0; i < c->capseen; i++)
            if (c->seen[i].ino || c->seen[i].dev)
                seen_insert(&grown, c->seen[i].dev, c->seen[i].ino);
        free(c->seen);
        c->seen = grown.seen;
        c->capseen = cap;
    }
    return seen_insert(c, st->st_dev, st->st_ino);
}

/* Why a symbolic link is not followed. */
static const char *link_reason(const hsrc *s, const char *rel)
{
    if (!s->root_real)
        return "symbolic link: not followed";
    size_t n = strlen(s->root_real) + strlen(rel) + 2;
    char *full = malloc(n);
    if (!full)
        return "symbolic link: not followed";
    snprintf(full, n, "%s/%s", s->root_real, rel);
    errno = 0;
    char *target = realpath(full, NULL);
    int e = errno;
    free(full);
    if (!target)
        return e == ELOOP ? "symbolic link loop: not followed" : "dangling symbolic link: not followed";
    size_t rn = strlen(s->root_real);
    bool inside = strncmp(target, s->root_real, rn) == 0 && (target[rn] == '/' || target[rn] == '\0');
    free(target);
    return inside ? "symbolic link inside the evidence: not followed (its target is read where it lies)"
                  : "symbolic link pointing outside the evidence: not followed";
}

typedef struct walk_frame {
    DIR *d;
    size_t rel_len; /* length of the directory's relative path in the shared buffer */
} walk_frame;

/* Enter the directory rel/name; returns 0 (entered or reported) or -1 (out of memory). */
static int enter_dir(ex_hunt *h, hsrc *s, walk_frame *stack, size_t *depth, int parentfd, const char *name, ex_buf *rel)
{
    dir_ctx *c = s->ctx;
    if (*depth >= EX_HUNT_MAX_DEPTH) {
        hunt_skip_source(h, s, rel->data, strlen(rel->data), "directory nesting deeper than 256 levels: not read");
        return 0;
    }
    int fd = open_noatime_at(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot open directory: %s", strerror(errno));
        hunt_skip_source(h, s, rel->data, strlen(rel->data), msg);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (seen_dir(c, &st)) {
        hunt_skip_source(h, s, rel->data, strlen(rel->data),
                         "directory loop (already visited through another path): not read again");
        close(fd);
        return 0;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    stack[(*depth)++] = (walk_frame){d, rel->len};
    return 0;
}

static int dir_list(hsrc *s, ex_hunt *h)
{
    dir_ctx *c = s->ctx;
    if (c->is_file) {
        struct stat st;
        if (stat(c->file, &st) != 0)
            return -1;
        return hunt_add_entry(h, s, c->name, strlen(c->name), (uint64_t)st.st_size, (int64_t)st.st_mtime, 0);
    }
    walk_frame *stack = calloc(EX_HUNT_MAX_DEPTH + 1, sizeof *stack);
    ex_buf rel = {0};
    if (!stack || ex_buf_puts(&rel, "") != 0) {
        free(stack);
        return -1;
    }
    size_t depth = 0;
    int rc = 0;
    struct stat rst;
    int dupfd = dup(c->rootfd);
    DIR *root = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (!root) {
        if (dupfd >= 0)
            close(dupfd);
        free(stack);
        ex_buf_free(&rel);
        return -1;
    }
    if (fstat(c->rootfd, &rst) == 0)
        seen_dir(c, &rst);
    stack[depth++] = (walk_frame){root, 0};
    while (depth && rc == 0) {
        walk_frame *top = &stack[depth - 1];
        errno = 0;
        struct dirent *de = readdir(top->d);
        if (!de) {
            closedir(top->d);
            depth--;
            continue;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rel.len = top->rel_len;
        rel.data[rel.len] = '\0';
        if ((rel.len && ex_buf_append(&rel, "/", 1) != 0) || ex_buf_puts(&rel, de->d_name) != 0) {
            rc = -1;
            break;
        }
        struct stat st;
        if (fstatat(dirfd(top->d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "cannot stat: %s", strerror(errno));
            hunt_skip_source(h, s, rel.data, strlen(rel.data), msg);
        } else if (S_ISDIR(st.st_mode)) {
            rc = enter_dir(h, s, stack, &depth, dirfd(top->d), de->d_name, &rel);
        } else if (S_ISREG(st.st_mode)) {
            rc = hunt_add_entry(h, s, rel.data, rel.len, (uint64_t)st.st_size, (int64_t)st.st_mtime, 0);
        } else if (S_ISLNK(st.st_mode)) {
            hunt_skip_source(h, s, rel.data, strlen(rel.data), link_reason(s, rel.data));
        } else {
            hunt_skip_source(h, s, rel.data, strlen(rel.data), "not a regular file (device, pipe or socket): not read");
        }
    }
    while (depth)
        closedir(stack[--depth].d);
    free(stack);
    ex_buf_free(&rel);
    return rc;
}

static ssize_t fd_read(hreader *r, void *buf, size_t n)
{
    for (;;) {
        ssize_t k = read(r->fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        return k;
    }
}

static void fd_close(hreader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

/* Open rel beneath the root without following any symbolic link on the way. */
static int open_beneath(int rootfd, const char *rel)
{
#ifdef SYS_openat2
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOATIME,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd < 0 && errno == EPERM) {
        how.flags &= ~(uint64_t)O_NOATIME;
        fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
    }
    if (fd >= 0 || (errno != ENOSYS && errno != EINVAL))
        return fd;
#endif
    return open_noatime_at(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
}

static int dir_open_entry(hsrc *s, const hentry *e, hreader *r, char *err, size_t errlen)
{
    dir_ctx *c = s->ctx;
    int fd = c->is_file ? ex_open_readonly(c->file) : open_beneath(c->rootfd, e->rel);
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "no longer a regular file: not read");
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *r = (hreader){.read = fd_read, .close = fd_close, .fd = fd};
    return 0;
}

static void dir_close(hsrc *s)
{
    dir_ctx *c = s->ctx;
    if (!c)
        return;
    if (c->rootfd >= 0)
        close(c->rootfd);
    free(c->file);
    free(c->name);
    free(c->seen);
    free(c);
    s->ctx = NULL;
}

const ex_source_ops ex_source_dir = {
    .name = "directory",
    .open = dir_open,
    .list = dir_list,
    .open_entry = dir_open_entry,
    .walk = NULL,
    .close = dir_close,
};
