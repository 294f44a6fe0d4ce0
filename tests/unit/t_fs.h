/* t_fs: scratch trees for tests that hand evidence to the hunt engine. */
#ifndef EXAUDIT_T_FS_H
#define EXAUDIT_T_FS_H

#include <stddef.h>

/* A new directory /tmp/exaudit-<tag>.XXXXXX in buf (aborts on failure). */
void t_tmpdir(char *buf, size_t n, const char *tag);
/* rm -rf dir. */
void t_rmtree(const char *dir);
/* mkdir -p path. */
void t_mkdirs(const char *path);
/* Write n bytes to root/rel, creating its folders. */
void t_put(const char *root, const char *rel, const void *data, size_t n);

#endif
