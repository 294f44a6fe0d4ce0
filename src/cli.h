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
/* The same for a command that needs an inventory that exists already (error and NULL otherwise). */
struct ex_store *ex_cli_store_existing(const char *cmd, const char *db);

/* `--db [FILE]` (scan, hunt). getopt_long cannot take an optional argument
 * as a separate word, and the next word may be a target or evidence: it is
 * the database only when it ends in .db, .sqlite or .sqlite3 or is an existing
 * SQLite file (ex_cli_is_db_word); `--db=FILE` always is. ex_cli_db_words
 * rewrites such a "--db" in place to "--db-file" (a required-argument option
 * the command declares next to the optional-argument "db") and says whether
 * any --db was given. Words that are other options' arguments are skipped. */
struct option;
bool ex_cli_is_db_word(const char *word);
bool ex_cli_db_words(int argc, char **argv, const struct option *longopts, const char *shortopts);
/* Call fn for every option word of argv (not for option arguments; up to "--"). */
typedef void (*ex_cli_option_fn)(void *ud, int argc, char **argv, int i);
void ex_cli_each_option(int argc, char **argv, const struct option *longopts, const char *shortopts,
                        ex_cli_option_fn fn, void *ud);

/* Print "exaudit <cmd>: <message>" to stderr; returns EXIT_USAGE. */
int ex_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, returning EXIT_RUNTIME. */
int ex_runtime_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The knowledge base for this run (--data DIR or the XDG default), warning on stderr about a broken bundle. */
struct ex_kb;
const struct ex_kb *ex_cli_kb(const char *data_dir);

#define EXAUDIT_VERSION "0.1.0"

#endif
