/* Helpers shared by the inventory and report tests. */
#ifndef EXAUDIT_T_INV_H
#define EXAUDIT_T_INV_H

#include <stddef.h>

/* A path for a new database in a fresh temporary directory (aborts on failure). */
char *t_temp_db(char *buf, size_t n);

#endif
