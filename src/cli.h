/* cli: what the subcommand files share: exit codes, the command table entry,
 * and small option helpers. No Exchange logic lives in src/. */
#ifndef EXAUDIT_CLI_H
#define EXAUDIT_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes (documented in docs/exaudit.1 and README.md). */
enum {
    EXIT_NOTHING_FOUND = 0, /* nothing vulnerable or compromised found */
    EXIT_FOUND = 1,         /* something vulnerable, or a compromise or attempt, was found */
    EXIT_USAGE = 2,         /* bad command line */
    EXIT_RUNTIME = 3,       /* runtime error: I/O, out of memory, unreadable input */
};

typedef struct ex_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} ex_command;

int cmd_build(int argc, char **argv);
int cmd_kb(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_rescore(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* The inventory for this run (--db FILE or the XDG default); NULL after an error message. */
struct ex_store;
struct ex_store *ex_cli_store(const char *cmd, const char *db);

/* Print "exaudit <cmd>: <message>" to stderr; returns EXIT_USAGE. */
int ex_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, returning EXIT_RUNTIME. */
int ex_runtime_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The knowledge base for this run (--data DIR or the XDG default), warning on stderr about a broken bundle. */
struct ex_kb;
const struct ex_kb *ex_cli_kb(const char *data_dir);

#define EXAUDIT_VERSION "0.1.0"

#endif
