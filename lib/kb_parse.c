/* kb_parse: see kb_parse.h. A bundle is plain text so that a human can read
 * and diff it:
 *
 *   exaudit-kb<TAB>1
 *   [meta]      key/value rows: format, version, date, description
 *   [builds]    product cu update release_date build kb source
 *   [cves]      cve family update product cu fixed_build kind setting confidence source
 *   [eol]       product name first_build end_of_support security_updates source
 *   #sha256<TAB><hex of every byte above this line>
 *
 * Each section starts with its exact header row. Everything is validated
 * before anything is returned, so a corrupt bundle changes nothing. */
#include "kb_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

const char *const ex_kb_sections[4] = {"meta", "builds", "cves", "eol"};
const char *const ex_kb_headers[4] = {
    "key\tvalue",
    "product\tcu\tupdate\trelease_date\tbuild\tkb\tsource",
    "cve\tfamily\tupdate\tproduct\tcu\tfixed_build\tkind\tsetting\tconfidence\tsource",
    "product\tname\tfirst_build\tend_of_support\tsecurity_updates\tsource",
};
static const int section_columns[4] = {2, 7, 10, 6};

enum { SEC_NONE = -1, SEC_META = 0, SEC_BUILDS, SEC_CVES, SEC_EOL };

typedef struct kb_storage {
    char *text;
    ex_kb_build *builds;
    ex_kb_fix *fixes;
    ex_kb_cve *cves;
    ex_kb_eol *eol;
    char *origin;
} kb_storage;

typedef struct parser {
    ex_kb *kb;
    kb_storage *st;
    int line;
    char *err;
    size_t errlen;
    bool seen[4];
} parser;

static int fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *p, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->err, p->errlen, "line %d: ", p->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool valid_date(const char *s)
{
    if (!*s)
        return true;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool valid_cve_id(const char *s)
{
    if (strncmp(s, "CVE-", 4) == 0) {
        s += 4;
        for (int i = 0; i < 4; i++)
            if (!isdigit((unsigned char)*s++))
                return false;
        if (*s++ != '-' || strlen(s) < 4 || strlen(s) > 7)
            return false;
        for (; *s; s++)
            if (!isdigit((unsigned char)*s))
                return false;
        return true;
    }
    return strncmp(s, "ADV", 3) == 0 && strlen(s) == 9;
}

static int parse_full_build(parser *p, const char *s, ex_version *v)
{
    int err = ex_version_parse_str(s, v);
    if (err)
        return fail(p, "bad build '%s': %s", s, ex_version_strerror(err));
    if (!ex_version_has_revision(v))
        return fail(p, "build '%s' needs four parts", s);
    return 0;
}

static int parse_product(parser *p, const char *s, uint8_t *out)
{
    ex_product prod = ex_product_from_code(s);
    if (prod == EX_PRODUCT_UNKNOWN)
        return fail(p, "unknown product '%s'", s);
    *out = (uint8_t)prod;
    return 0;
}

/* Split a line into exactly n tab-separated fields, in place. */
static int split(parser *p, char *line, char **f, int n)
{
    int i = 0;
    f[i++] = line;
    for (char *c = line; *c; c++) {
        if (*c != '\t')
            continue;
        if (i == n)
            return fail(p, "too many columns (expected %d)", n);
        *c = '\0';
        f[i++] = c + 1;
    }
    if (i != n)
        return fail(p, "%d columns, expected %d", i, n);
    return 0;
}

static int row_meta(parser *p, char **f)
{
    if (strcmp(f[0], "version") == 0) {
        if (!*f[1] || strspn(f[1], "0123456789.") != strlen(f[1]) || f[1][0] == '.')
            return fail(p, "bad version '%s'", f[1]);
        p->kb->version = f[1];
    } else if (strcmp(f[0], "date") == 0) {
        if (!valid_date(f[1]) || !*f[1])
            return fail(p, "bad date '%s'", f[1]);
        p->kb->date = f[1];
    } else if (strcmp(f[0], "format") == 0 && strcmp(f[1], "1") != 0)
        return fail(p, "unsupported format '%s'", f[1]);
    return 0;
}

static int row_build(parser *p, char **f)
{
    ex_kb_build *b = &p->st->builds[p->kb->nbuilds];
    if (parse_product(p, f[0], &b->product) || parse_full_build(p, f[4], &b->version))
        return -1;
    if (!*f[1])
        return fail(p, "empty cu");
    if (!valid_date(f[3]))
        return fail(p, "bad release date '%s'", f[3]);
    if (!*f[6])
        return fail(p, "row without a source");
    b->cu = f[1];
    b->update = f[2];
    b->date = f[3];
    b->kb = f[5];
    b->source = f[6];
    p->kb->nbuilds++;
    return 0;
}

static int parse_enum(parser *p, const char *s, const char *const *names, int n, uint8_t *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)i;
            return 0;
        }
    return fail(p, "unexpected value '%s'", s);
}

static int row_cve(parser *p, char **f)
{
    static const char *const kinds[] = {"su", "config"};
    static const char *const confs[] = {"confirmed", "inferred", "uncertain", "external"};
    ex_kb_fix *x = &p->st->fixes[p->kb->nfixes];
    if (!valid_cve_id(f[0]))
        return fail(p, "bad CVE id '%s'", f[0]);
    if (parse_product(p, f[3], &x->product) || parse_full_build(p, f[5], &x->fixed) ||
        parse_enum(p, f[6], kinds, 2, &x->kind) || parse_enum(p, f[8], confs, 4, &x->confidence))
        return -1;
    if (x->kind == EX_FIX_CONFIG && !*f[7])
        return fail(p, "config fix without a setting");
    if (!*f[9])
        return fail(p, "row without a source");
    x->cve = f[0];
    x->family = f[1];
    x->update = f[2];
    x->cu = f[4];
    x->setting = f[7];
    x->source = f[9];
    p->kb->nfixes++;
    return 0;
}

static int row_eol(parser *p, char **f)
{
    ex_kb_eol *e = &p->st->eol[p->kb->neol];
    if (parse_product(p, f[0], &e->product))
        return -1;
    int err = ex_version_parse_str(f[2], &e->first_build);
    if (err)
        return fail(p, "bad first build '%s'", f[2]);
    if (!valid_date(f[3]))
        return fail(p, "bad end date '%s'", f[3]);
    if (strcmp(f[4], "none") && strcmp(f[4], "esu") && strcmp(f[4], "supported"))
        return fail(p, "bad security_updates '%s'", f[4]);
    if (!*f[5])
        return fail(p, "row without a source");
    e->name = f[1];
    e->end = f[3];
    e->security_updates = f[4];
    e->source = f[5];
    p->kb->neol++;
    return 0;
}

static int section_of(const char *line)
{
    for (int i = 0; i < 4; i++) {
        size_t n = strlen(ex_kb_sections[i]);
        if (line[0] == '[' && strncmp(line + 1, ex_kb_sections[i], n) == 0 && line[n + 1] == ']' && line[n + 2] == '\0')
            return i;
    }
    return SEC_NONE;
}

static int parse_line(parser *p, char *line, int *sec, bool *want_header)
{
    char *f[10];
    if (line[0] == '[') {
        *sec = section_of(line);
        if (*sec == SEC_NONE)
            return fail(p, "unknown section '%.40s'", line);
        if (p->seen[*sec])
            return fail(p, "section [%s] twice", ex_kb_sections[*sec]);
        p->seen[*sec] = true;
        *want_header = true;
        return 0;
    }
    if (*sec == SEC_NONE)
        return fail(p, "row outside a section");
    if (*want_header) {
        *want_header = false;
        if (strcmp(line, ex_kb_headers[*sec]) != 0)
            return fail(p, "section [%s] must start with its header row", ex_kb_sections[*sec]);
        return 0;
    }
    if (line[0] == '\0' || line[0] == '#')
        return 0;
    if (split(p, line, f, section_columns[*sec]))
        return -1;
    switch (*sec) {
    case SEC_META: return row_meta(p, f);
    case SEC_BUILDS: return row_build(p, f);
    case SEC_CVES: return row_cve(p, f);
    default: return row_eol(p, f);
    }
}

static int cmp_build(const void *a, const void *b)
{
    const ex_kb_build *x = a, *y = b;
    int r = ex_version_cmp(&x->version, &y->version);
    if (!r) /* alias rows: the CU itself (no update name) first */
        r = (x->update[0] != '\0') - (y->update[0] != '\0');
    return r;
}

static int cmp_fix(const void *a, const void *b)
{
    const ex_kb_fix *x = a, *y = b;
    int r = strcmp(x->cve, y->cve);
    return r ? r : ex_version_cmp(&x->fixed, &y->fixed);
}

static int cmp_eol(const void *a, const void *b)
{
    const ex_kb_eol *x = a, *y = b;
    return ex_version_cmp(&x->first_build, &y->first_build);
}

/* Group the sorted fix rows into distinct CVEs; family and kind must agree. */
static int derive_cves(parser *p)
{
    ex_kb *kb = p->kb;
    for (size_t i = 0; i < kb->nfixes; i++) {
        const ex_kb_fix *x = &kb->fixes[i];
        ex_kb_cve *c = kb->ncves ? &p->st->cves[kb->ncves - 1] : NULL;
        if (c && strcmp(c->id, x->cve) == 0) {
            if (strcmp(c->family, x->family) != 0 || c->kind != x->kind) {
                p->line = 0;
                return fail(p, "%s: rows disagree on family or kind", x->cve);
            }
            c->count++;
            continue;
        }
        p->st->cves[kb->ncves++] = (ex_kb_cve){x->cve, x->family, x->update, x->kind, (uint32_t)i, 1};
    }
    return 0;
}

static int verify_checksum(const char *text, size_t len, size_t *body_len, char *err, size_t errlen)
{
    /* The checksum line is the last line; a trailing newline is allowed. */
    size_t end = len;
    if (end && text[end - 1] == '\n')
        end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    size_t plen = strlen(EX_KB_SHA_PREFIX);
    if (end - start != plen + 64 || strncmp(text + start, EX_KB_SHA_PREFIX, plen) != 0) {
        snprintf(err, errlen, "no checksum line at the end: truncated or not a bundle");
        return -1;
    }
    char hex[EX_SHA256_HEX];
    ex_sha256_hex(text, start, hex);
    if (strncmp(hex, text + start + plen, 64) != 0) {
        snprintf(err, errlen, "checksum mismatch: the bundle is corrupt");
        return -1;
    }
    *body_len = start;
    return 0;
}

static void storage_free(kb_storage *st)
{
    if (!st)
        return;
    free(st->text);
    free(st->builds);
    free(st->fixes);
    free(st->cves);
    free(st->eol);
    free(st->origin);
    free(st);
}

static kb_storage *alloc_storage(const char *text, size_t len, const char *origin)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    kb_storage *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->text = malloc(len + 1);
    st->builds = calloc(lines, sizeof *st->builds);
    st->fixes = calloc(lines, sizeof *st->fixes);
    st->cves = calloc(lines, sizeof *st->cves);
    st->eol = calloc(lines, sizeof *st->eol);
    st->origin = strdup(origin ? origin : "bundle");
    if (!st->text || !st->builds || !st->fixes || !st->cves || !st->eol || !st->origin) {
        storage_free(st);
        return NULL;
    }
    memcpy(st->text, text, len);
    st->text[len] = '\0';
    return st;
}

static int parse_body(parser *p, char *text)
{
    int sec = SEC_NONE;
    bool want_header = false;
    char *save = NULL;
    p->line = 1;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, EX_KB_MAGIC) != 0)
        return fail(p, "not an exaudit knowledge-base bundle");
    /* strtok_r skips empty lines, which the format allows anyway. */
    while ((line = strtok_r(NULL, "\n", &save))) {
        p->line++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (parse_line(p, line, &sec, &want_header))
            return -1;
    }
    for (int i = 0; i < 4; i++)
        if (!p->seen[i])
            return fail(p, "section [%s] missing", ex_kb_sections[i]);
    if (!p->kb->version || !p->kb->date)
        return fail(p, "meta needs version and date");
    if (!p->kb->nbuilds || !p->kb->nfixes || !p->kb->neol)
        return fail(p, "empty table");
    return 0;
}

ex_kb *ex_kb_parse_bundle(const char *text, size_t len, const char *origin, char *err, size_t errlen)
{
    size_t body = 0;
    if (len > EX_KB_BUNDLE_MAX) {
        snprintf(err, errlen, "bundle larger than %u bytes", EX_KB_BUNDLE_MAX);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "bundle contains NUL bytes");
        return NULL;
    }
    if (verify_checksum(text, len, &body, err, errlen))
        return NULL;
    kb_storage *st = alloc_storage(text, body, origin);
    ex_kb *kb = calloc(1, sizeof *kb);
    if (!st || !kb) {
        snprintf(err, errlen, "out of memory");
        free(kb);
        storage_free(st);
        return NULL;
    }
    kb->owned = st;
    kb->origin = st->origin;
    kb->builds = st->builds;
    kb->fixes = st->fixes;
    kb->cves = st->cves;
    kb->eol = st->eol;
    parser p = {.kb = kb, .st = st, .err = err, .errlen = errlen};
    if (parse_body(&p, st->text) == 0) {
        qsort(st->builds, kb->nbuilds, sizeof *st->builds, cmp_build);
        qsort(st->fixes, kb->nfixes, sizeof *st->fixes, cmp_fix);
        qsort(st->eol, kb->neol, sizeof *st->eol, cmp_eol);
        if (derive_cves(&p) == 0)
            return kb;
    }
    ex_kb_free(kb);
    return NULL;
}

/* Only bundles parsed here own storage; the built-in tables are static. */
void ex_kb_free(ex_kb *kb)
{
    if (!kb || !kb->owned)
        return;
    storage_free(kb->owned);
    free(kb);
}

/* "2026.08.19" vs "2026.09.01.2": numeric, part by part; more parts is newer.
 * Versions are validated as digits and dots when a bundle is parsed. */
int ex_kb_version_cmp(const char *a, const char *b)
{
    for (;;) {
        char *ea, *eb;
        unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        bool more_a = *ea == '.', more_b = *eb == '.';
        if (!more_a || !more_b)
            return more_a - more_b;
        a = ea + 1;
        b = eb + 1;
    }
}
