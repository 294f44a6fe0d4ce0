/* store_hosts: the fleet (hosts, customers, tags) and the CSV import. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int64_t upsert_host(ex_store *s, const ex_host_entry *h)
{
    static const char *sql = "INSERT INTO hosts(target, name, customer, added) VALUES(?1, ?2, coalesce(?3, ''), ?4) "
                             "ON CONFLICT(target) DO UPDATE SET name=coalesce(?2, name), "
                             "customer=coalesce(?3, customer)";
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return -1;
    store_bind_text(st, 1, h->target);
    store_bind_text(st, 2, h->name);
    store_bind_text(st, 3, h->customer);
    sqlite3_bind_int64(st, 4, store_now());
    if (store_step_done(st) != 0)
        return -1;
    return store_host_id(s, h->target, false);
}

static bool name_ok(const char *s, bool required)
{
    if (!s)
        return !required;
    size_t n = strlen(s);
    if ((required && n == 0) || n > EX_STORE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

bool store_name_ok(const char *s)
{
    return name_ok(s, true);
}

int64_t ex_store_add_host(ex_store *s, const ex_host_entry *h)
{
    if (!name_ok(h->target, true) || !name_ok(h->name, false) || !name_ok(h->customer, false)) {
        snprintf(s->err, sizeof s->err, "a target, name or customer is empty, too long or has control characters");
        return -1;
    }
    if (store_begin(s) != 0)
        return -1;
    int64_t id = upsert_host(s, h);
    return store_commit(s, id > 0 ? 0 : -1) == 0 ? id : -1;
}

static int tag_host(ex_store *s, int64_t host, const char *tag, bool remove)
{
    static const char *add = "INSERT OR IGNORE INTO host_tags(host_id, tag) VALUES(?1, ?2)";
    static const char *del = "DELETE FROM host_tags WHERE host_id=?1 AND tag=?2";
    sqlite3_stmt *st = store_stmt(s, remove ? del : add);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, host);
    store_bind_text(st, 2, tag);
    return store_step_done(st);
}

int ex_store_tag(ex_store *s, const char *target, const char *tag, bool remove)
{
    if (!name_ok(tag, true)) {
        snprintf(s->err, sizeof s->err, "invalid tag");
        return -1;
    }
    if (store_begin(s) != 0)
        return -1;
    int64_t id = store_host_id(s, target, false);
    int rc = id > 0 ? tag_host(s, id, tag, remove) : id;
    if (store_commit(s, rc < 0 ? -1 : 0) != 0)
        return -1;
    return id == 0 ? 1 : 0;
}

int ex_store_remove_host(ex_store *s, const char *target)
{
    static const char *tags = "DELETE FROM host_tags WHERE host_id=?1";
    static const char *host = "DELETE FROM hosts WHERE id=?1";
    if (store_begin(s) != 0)
        return -1;
    int64_t id = store_host_id(s, target, false);
    int rc = id < 0 ? -1 : 0;
    const char *sqls[] = {tags, host};
    for (size_t i = 0; id > 0 && rc == 0 && i < 2; i++) {
        sqlite3_stmt *st = store_stmt(s, sqls[i]);
        if (!st)
            rc = -1;
        else {
            sqlite3_bind_int64(st, 1, id);
            rc = store_step_done(st);
        }
    }
    if (store_commit(s, rc) != 0)
        return -1;
    return id == 0 ? 1 : 0;
}

/* --- CSV (RFC 4180: quoted fields, "" escapes, CRLF or LF) --- */

#define CSV_FIELDS_MAX 16
#define CSV_FIELD_MAX  4096
#define CSV_ROWS_MAX   1000000

typedef struct csv_row {
    char *field[CSV_FIELDS_MAX];
    size_t n;
} csv_row;

static void csv_row_free(csv_row *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->field[i]);
    r->n = 0;
}

/* The field separator: ',' (RFC 4180), or ';' when the header row has no ','
 * but a ';' (what Excel writes in German and other locales whose decimal mark
 * is a comma). */
static char csv_separator(const char *t, size_t len)
{
    size_t eol = 0;
    while (eol < len && t[eol] != '\n' && t[eol] != '\r')
        eol++;
    return memchr(t, ',', eol) == NULL && memchr(t, ';', eol) != NULL ? ';' : ',';
}

/* Parse one record at *pos; returns 1 for a row, 0 at the end, -1 on error. */
static int csv_next(const char *t, size_t len, size_t *pos, char sep, csv_row *row, char *err, size_t errlen)
{
    size_t p = *pos;
    if (p >= len)
        return 0;
    char buf[CSV_FIELD_MAX + 1];
    for (;;) {
        size_t k = 0;
        bool quoted = p < len && t[p] == '"';
        p += quoted;
        while (p < len) {
            char c = t[p];
            if (quoted && c == '"') {
                if (p + 1 < len && t[p + 1] == '"')
                    c = '"', p++;
                else {
                    quoted = false, p++;
                    continue;
                }
            } else if (!quoted && (c == sep || c == '\n' || c == '\r'))
                break;
            if (k >= CSV_FIELD_MAX || c == '\0') {
                snprintf(err, errlen, "field too long or holds a NUL byte");
                return -1;
            }
            buf[k++] = c, p++;
        }
        if (quoted) {
            snprintf(err, errlen, "unterminated quoted field");
            return -1;
        }
        if (row->n >= CSV_FIELDS_MAX) {
            snprintf(err, errlen, "more than %d columns", CSV_FIELDS_MAX);
            return -1;
        }
        if (!(row->field[row->n] = strndup(buf, k)))
            return -1;
        row->n++;
        if (p < len && t[p] == sep) {
            p++;
            continue;
        }
        p += p < len && t[p] == '\r';
        p += p < len && t[p] == '\n';
        *pos = p;
        return 1;
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

typedef struct csv_columns {
    int target, customer, name, tags;
} csv_columns;

static int csv_header(csv_row *h, csv_columns *c, char *err, size_t errlen)
{
    *c = (csv_columns){-1, -1, -1, -1};
    for (size_t i = 0; i < h->n; i++) {
        char *f = trim(h->field[i]);
        for (char *q = f; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (!strcmp(f, "target") || !strcmp(f, "host") || !strcmp(f, "address"))
            c->target = (int)i;
        else if (!strcmp(f, "customer"))
            c->customer = (int)i;
        else if (!strcmp(f, "name"))
            c->name = (int)i;
        else if (!strcmp(f, "tags") || !strcmp(f, "tag"))
            c->tags = (int)i;
    }
    if (c->target < 0) {
        snprintf(err, errlen, "the header row names no 'target' column");
        return -1;
    }
    return 0;
}

static char *col(csv_row *r, int i)
{
    return i >= 0 && (size_t)i < r->n ? trim(r->field[i]) : NULL;
}

static int import_row(ex_store *s, csv_row *r, const csv_columns *c, char *err, size_t errlen)
{
    char *customer = col(r, c->customer), *name = col(r, c->name), *tags = col(r, c->tags);
    ex_host_entry h = {col(r, c->target), name && *name ? name : NULL, customer};
    if (!name_ok(h.target, true) || !name_ok(h.name, false) || !name_ok(h.customer, false)) {
        snprintf(err, errlen, "empty or invalid target, name or customer");
        return -1;
    }
    int64_t id = upsert_host(s, &h);
    if (id <= 0)
        return -1;
    for (char *save = NULL, *t = tags ? strtok_r(tags, "; ", &save) : NULL; t; t = strtok_r(NULL, "; ", &save))
        if (!name_ok(t, true) || tag_host(s, id, t, false) != 0) {
            snprintf(err, errlen, "invalid tag");
            return -1;
        }
    return 0;
}

static bool blank_row(csv_row *r)
{
    return r->n == 1 && *trim(r->field[0]) == '\0';
}

long ex_store_import_csv(ex_store *s, const char *text, size_t len, char *err, size_t errlen)
{
    size_t pos = 0;
    long rows = 0, line = 1;
    csv_row r = {0};
    csv_columns c;
    err[0] = '\0';
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) /* a BOM, as spreadsheet programs write */
        pos = 3;
    char sep = csv_separator(text + pos, len - pos);
    if (csv_next(text, len, &pos, sep, &r, err, errlen) != 1 || csv_header(&r, &c, err, errlen) != 0) {
        if (!err[0])
            snprintf(err, errlen, "no header row");
        csv_row_free(&r);
        return -1;
    }
    csv_row_free(&r);
    if (store_begin(s) != 0)
        return -1;
    int rc = 0, k;
    while (rc == 0 && (k = csv_next(text, len, &pos, sep, &r, err, errlen)) != 0) {
        line++;
        if (k < 0 || rows >= CSV_ROWS_MAX)
            rc = -1;
        else if (!blank_row(&r))
            rc = import_row(s, &r, &c, err, errlen), rows += rc == 0;
        csv_row_free(&r);
    }
    if (rc != 0) {
        char keep[200];
        snprintf(keep, sizeof keep, "%s", err[0] ? err : sqlite3_errmsg(s->db));
        snprintf(err, errlen, "line %ld: %s; nothing imported", line, keep);
    }
    return store_commit(s, rc) == 0 ? rows : -1;
}
