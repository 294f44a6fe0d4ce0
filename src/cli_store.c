/* cli_store: open the inventory for a subcommand. */
#include <stdio.h>

#include "cli.h"
#include "out/store.h"

struct ex_store *ex_cli_store(const char *cmd, const char *db)
{
    char err[512];
    ex_store *s = ex_store_open(db, err, sizeof err);
    if (!s)
        fprintf(stderr, "exaudit %s: cannot open the inventory: %s\n", cmd, err);
    return s;
}
