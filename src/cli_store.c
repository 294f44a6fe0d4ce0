/* cli_store: open the inventory for a subcommand, and the optional FILE of
 * `--db [FILE]`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* For the commands that only read or re-evaluate what was recorded (diff, report, rescore): a missing file is a
 * mistyped --db or nothing recorded yet, never a reason to create an empty inventory and report on it. */
struct ex_store *ex_cli_store_existing(const char *cmd, const char *db)
{
    char def[4096];
    struct stat st;
    if (!db && ex_store_default_path(def, sizeof def) == 0)
        db = def;
    if (db && stat(db, &st) != 0) {
        fprintf(stderr, "exaudit %s: no inventory at %s: %s (scan or hunt with --db first)\n", cmd, db,
                strerror(errno));
        return NULL;
    }
    return ex_cli_store(cmd, db);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

/* An existing regular file that starts with SQLite's header. */
static bool is_sqlite_file(const char *path)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, head, sizeof head) == (ssize_t)sizeof head &&
               memcmp(head, magic, sizeof magic) == 0;
    close(fd);
    return yes;
}

bool ex_cli_is_db_word(const char *w)
{
    if (!w || !*w || w[0] == '-')
        return false;
    return ends_with(w, ".db") || ends_with(w, ".sqlite") || ends_with(w, ".sqlite3") || is_sqlite_file(w);
}

/* Does this option word take the next word as its argument? */
static bool takes_next(const char *w, const struct option *lo, const char *shortopts)
{
    if (w[0] != '-' || !w[1])
        return false;
    if (w[1] == '-') {
        for (const struct option *o = lo; o->name; o++)
            if (!strcmp(o->name, w + 2))
                return o->has_arg == required_argument;
        return false; /* "--name=value" or unknown */
    }
    /* A cluster of short options: one that takes an argument takes the rest of the word, or the next word. */
    for (const char *p = w + 1; *p; p++) {
        const char *d = strchr(shortopts, *p);
        if (d && *p != ':' && d[1] == ':')
            return p[1] == '\0';
    }
    return false;
}

void ex_cli_each_option(int argc, char **argv, const struct option *lo, const char *shortopts, ex_cli_option_fn fn,
                        void *ud)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return;
        if (argv[i][0] != '-')
            continue;
        fn(ud, argc, argv, i);
        if (takes_next(argv[i], lo, shortopts))
            i++;
    }
}

static void db_word(void *ud, int argc, char **argv, int i)
{
    bool *used = ud;
    if (!strcmp(argv[i], "--db") && i + 1 < argc && ex_cli_is_db_word(argv[i + 1]))
        argv[i] = "--db-file";
    *used |= !strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5) || !strcmp(argv[i], "--db-file");
}

bool ex_cli_db_words(int argc, char **argv, const struct option *lo, const char *shortopts)
{
    bool used = false;
    ex_cli_each_option(argc, argv, lo, shortopts, db_word, &used);
    return used;
}
