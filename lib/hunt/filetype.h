/* filetype: what a file is by its first bytes, not by its name (ioc-hunting.md
 * §7.1: a ProxyShell .aspx is a PST or a DER file; LOKI's `filetype` external).
 * Names are short upper-case words in LOKI's style ("EXE", "ZIP"); "UNKNOWN"
 * for anything else (text included). */
#ifndef EXAUDIT_HUNT_FILETYPE_H
#define EXAUDIT_HUNT_FILETYPE_H

#include <stdbool.h>
#include <stddef.h>

const char *ex_filetype(const unsigned char *data, size_t len);
/* Is this type a binary container that no web page starts with? */
bool ex_filetype_is_binary(const char *type);

#endif
