/* logscan: what the log analyzers share. The chunk driver (prefilter a
 * line-aligned chunk with lit.h, count lines, hand each hit line to the
 * analyzer once), field splitting for Exchange's CSV logs and IIS W3C logs,
 * header maps, timestamps, and PowerShell's -like. Pure: bytes in, values out. */
#ifndef EXAUDIT_HUNT_LOGSCAN_H
#define EXAUDIT_HUNT_LOGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hunt/analyzer.h"
#include "hunt/lit.h"

/* --- fields --- */

typedef struct ex_field {
    const char *p; /* inside the line; for a quoted field, the text between the quotes */
    size_t n;
    bool quoted; /* may hold doubled quotes ("") to unescape */
} ex_field;

#define EX_LOG_MAX_FIELDS 128

/* Split one CSV line (no '\n') by ',' with RFC 4180 quoting: a field that
 * starts with '"' runs to the closing quote ("" is an escaped quote) and may
 * hold ',' and ';'. Returns the number of fields (at most max; the rest of a
 * longer line is ignored, *more set). */
size_t ex_csv_split(const char *line, size_t n, ex_field *out, size_t max, bool *more);
/* Split a W3C line by single spaces (IIS encodes spaces in values as '+'). */
size_t ex_w3c_split(const char *line, size_t n, ex_field *out, size_t max, bool *more);
/* A field's text with "" unescaped, NUL-terminated, cut to buflen-1. */
const char *ex_field_text(const ex_field *f, char *buf, size_t buflen);
bool ex_field_ieq(const ex_field *f, const char *s);

/* A header: the names of a "#Fields: a,b,c" (CSV) or "#Fields: a b c" (W3C)
 * line, or a bare "DateTime,RequestId,..." first line. */
typedef struct ex_header {
    char names[EX_LOG_MAX_FIELDS][40];
    size_t n;
    bool set;
} ex_header;

/* Parse the names from a header line (with or without "#Fields:"). csv picks
 * the separator. Returns 0, or -1 when the line has no field name. */
int ex_header_parse(ex_header *h, const char *line, size_t n, bool csv);
/* Column index of a name (case-insensitive), or -1. */
int ex_header_index(const ex_header *h, const char *name);

/* --- time --- */

/* "2021-03-03T06:49:42.162Z" (ISO 8601, UTC, fraction optional) -> Unix
 * seconds, or EX_TIME_UNKNOWN. */
int64_t ex_parse_iso_time(const char *s, size_t n);
/* IIS: "2021-03-05" and "03:06:27" (UTC) -> Unix seconds, or EX_TIME_UNKNOWN. */
int64_t ex_parse_w3c_time(const char *date, size_t dn, const char *time, size_t tn);

/* --- matching --- */

/* PowerShell -like: case-insensitive wildcard match over the whole string;
 * '*' any run, '?' one character. Bounded: O(len(pattern) * n). */
bool ex_like(const char *pattern, const char *s, size_t n);
/* Does s hold needle, ignoring ASCII case? For the short fields of one log
 * line (glibc's strcasestr prepares a two-way search on every call). */
bool ex_icontains(const char *s, const char *needle);
/* Count '\n' bytes. */
size_t ex_count_newlines(const char *p, size_t n);

/* --- the chunk driver --- */

/* One line that holds a literal of the analyzer's set. line has no '\n' (nor
 * a trailing '\r'); lineno is 1-based; offset is the file offset of line[0];
 * lit is the first literal found on the line. Return nonzero to stop reading
 * the file. */
typedef int (*ex_logscan_line_fn)(void *ctx, const char *line, size_t n, uint64_t lineno, uint64_t offset,
                                  unsigned lit);

typedef struct ex_logscan {
    const ex_lit *lits;
    ex_logscan_line_fn on_line;
    void *ctx;
    uint64_t lines;    /* complete lines before the current chunk */
    uint64_t line_end; /* scan state: end (in the chunk) of the line last handed over */
    /* the last line of the last chunk, kept for coverage (its start) */
    char last[64];
    size_t last_n;
    /* scratch of the current chunk */
    const char *chunk;
    size_t chunk_len;
    uint64_t chunk_off;
    size_t counted; /* bytes of the chunk whose newlines are in lines_in_chunk */
    uint64_t lines_in_chunk;
    int stop;
    int64_t first; /* time of the first dated line (ex_logscan_first_time) */
} ex_logscan;

void ex_logscan_init(ex_logscan *s, const ex_lit *lits, ex_logscan_line_fn on_line, void *ctx);
/* Feed one chunk from analyzer.h's feed(); returns nonzero when on_line asked
 * to stop. Notes the first dated line for coverage on the way. */
int ex_logscan_feed(ex_logscan *s, const char *data, size_t len, uint64_t offset);
/* Look for the first dated line (not '#') among the first lines of data
 * (ex_logscan_feed does it while s->first is unknown). */
void ex_logscan_first_time(ex_logscan *s, const char *data, size_t len);
/* End of file: report the file's span (first to last dated line) as coverage
 * of its log directory. */
void ex_logscan_cover(ex_logscan *s, ex_hunt *h, const ex_hunt_file *f);

/* analyzer.h's feed() for a state whose first member is its ex_logscan. */
int ex_logscan_feed_state(void *state, const char *data, size_t len, uint64_t offset);

/* The first line of a chunk that starts at offset 0 (headers, first timestamps):
 * the engine's first chunk is also the file's start. */
const char *ex_logscan_first_line(const char *data, size_t len, size_t *n);

/* --- findings --- */

/* An exploitation request the server refused or failed (a 500 after the
 * patch, a 401): an attempt, medium (docs/hunt.md). Answered ones are
 * successes, critical; unknown status, high. */
#define EX_SEV_REFUSED EX_SEV_MEDIUM

/* A log rule: where the check comes from. */
typedef struct ex_log_rule {
    const char *id;     /* "httpproxy.cve-2021-26855" */
    const char *cve;    /* or NULL */
    const char *name;   /* the condition, as its source writes it */
    const char *source; /* "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1 Get-Cve26855" */
    const char *ref;    /* "../shared/docs/logs-and-builds.md §1.1" */
} ex_log_rule;

/* Emit a finding on one log line of f (the line is the matched text). */
void ex_log_emit(ex_hunt *h, const ex_hunt_file *f, const ex_log_rule *r, ex_kind kind, ex_severity sev,
                 const char *title, int64_t time, uint64_t lineno, uint64_t offset, const char *line, size_t n);
/* The time at the start of a log line ("2021-03-03T06:49:42.162Z,..." or
 * "\"2021-...\"" or IIS "2021-03-05 03:06:27 ..."), or EX_TIME_UNKNOWN. */
int64_t ex_log_line_time(const char *line, size_t n);

/* Coverage: where a log file belongs ("Logging/HttpProxy/Ecp", or the
 * evidence directory outside the install) written into buf. */
void ex_log_dir(const ex_hunt_file *f, char *buf, size_t n);

#endif
