/* yarascan: YARA through libyara for the files analyzer.
 *
 * Rules: exaudit's own (the .yar files of data/rules, embedded in the binary) and, with
 * `--rules FILE|DIR`, the user's. LOKI's external variables are defined the
 * way LOKI defines them (ioc-hunting.md §1.1, §7.2; Neo23x0/Loki loki.py), so
 * that signature-base's *_ext_vars.yar files compile:
 *   filename   the base name            "logon.aspx"
 *   filepath   the directory, Windows form "C:\Program Files\...\owa\auth"
 *   extension  with the dot, lower case ".aspx"
 *   filetype   from magic bytes         "EXE", "PST", ... (lib/hunt/filetype.h)
 *   owner      "" (not known offline)
 *   md5        lower-case hex of the file
 * A directory of user rules is compiled file by file first only when the
 * whole set does not compile: a broken file is skipped and reported (LOKI
 * does the same), the rest is used. Matches keep each rule's author,
 * reference and description (DRL 1.1 asks match output to keep them).
 *
 * A loaded rule set is immutable and may be scanned from several threads. */
#ifndef EXAUDIT_HUNT_YARASCAN_H
#define EXAUDIT_HUNT_YARASCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EX_YARA_TIMEOUT_DEFAULT 10    /* seconds per file (Loki-RS's choice, ioc-hunting.md §7.3) */
#define EX_YARA_MAX_FILES       20000 /* rule files read from a --rules directory */
#define EX_YARA_SOURCE_BUILTIN  "exaudit data/rules/"

typedef struct ex_yara ex_yara;

typedef struct ex_yara_load_report {
    size_t files;         /* rule files compiled */
    size_t skipped;       /* rule files that did not compile and were left out */
    size_t rules;         /* rules in the set */
    char first_skip[400]; /* "path: line N: message" of the first file left out */
} ex_yara_load_report;

/* Compile the embedded rules, plus the user's file or directory when user_path
 * is not NULL. 0 with *out set; -1 with a message in err when user_path cannot
 * be read or none of its files compiles, or the embedded rules fail. */
int ex_yara_load(const char *user_path, ex_yara **out, ex_yara_load_report *rep, char *err, size_t errlen);
void ex_yara_free(ex_yara *y);

typedef struct ex_yara_vars {
    const char *filename, *filepath, *extension, *filetype, *owner, *md5;
} ex_yara_vars;

typedef struct ex_yara_match {
    char rule[128];
    char source[512]; /* "exaudit data/rules/exchange_webshells.yar" or the user's rule file */
    bool builtin;
    char author[200];
    char reference[400];
    char description[400];
    char severity[16]; /* meta severity, "" when absent */
    char kind[32];     /* meta kind, "" when absent */
    char cve[32];      /* meta cve, "" when absent */
    int64_t score;     /* meta score (LOKI), -1 when absent */
    int64_t offset;    /* first matched string's offset, -1 for a condition without strings */
    char data[200];    /* the text line around the first match (bounded) */
    size_t datalen;
} ex_yara_match;

enum { EX_YARA_OK = 0, EX_YARA_TIMEOUT = 1, EX_YARA_ERROR = -1 };

/* Scan len bytes. Up to max matches into m, their count in *n. EX_YARA_OK,
 * EX_YARA_TIMEOUT (matches found before the timeout are kept), or EX_YARA_ERROR
 * with the reason in err. */
int ex_yara_scan(const ex_yara *y, const unsigned char *data, size_t len, const ex_yara_vars *v, int timeout_s,
                 ex_yara_match *m, size_t max, size_t *n, char *err, size_t errlen);

#endif
