#include "hunt/evpath.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_COMPONENTS 512

typedef struct comp {
    const char *p;
    size_t n;
} comp;

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool ieq_n(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    return an == bn && strncasecmp(a, b, bn) == 0;
}

/* Folders found at the top of a Windows drive: a one-letter folder is taken
 * for a drive (KAPE writes "C/Windows/...") only when one of these follows,
 * so that an ordinary "a/b" stays a path. */
static bool drive_top(const comp *c)
{
    static const char *const names[] = {
        "Program Files", "Program Files (x86)", "ProgramData", "Windows",  "inetpub",         "Users",
        "PerfLogs",      "$Recycle.Bin",        "Microsoft",   "Exchange", "Exchange Server", "ExchangeSetupLogs",
        "root"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ieq_n(c->p, c->n, names[i]))
            return true;
    return false;
}

/* The drive letter a component names, or 0. *encoded is set for the
 * Velociraptor forms, whose other components are then percent-decoded. next
 * is the following component (NULL at the end). */
static char drive_of(const comp *c, const comp *next, bool *encoded)
{
    const char *p = c->p;
    size_t n = c->n;
    if (n == 1 && is_letter(p[0]) && next && drive_top(next))
        return p[0];
    if (n == 2 && is_letter(p[0]) && (p[1] == ':' || p[1] == '$'))
        return p[0];
    if (n == 4 && is_letter(p[0]) && ieq_n(p + 1, 3, "%3A")) {
        *encoded = true;
        return p[0];
    }
    /* uploads/ntfs/%5C%5C.%5CC%3A: the NTFS accessor's device path \\.\C: */
    if (n == 14 && ieq_n(p, 10, "%5C%5C.%5C") && is_letter(p[10]) && ieq_n(p + 11, 3, "%3A")) {
        *encoded = true;
        return p[10];
    }
    return 0;
}

/* Append component c, percent-decoded when asked; %2F, %5C and %00 stay
 * encoded so that a decoded name never gains a separator or a NUL, and a
 * component that would decode to "." or ".." stays encoded too. */
static int append_comp(ex_buf *b, const comp *c, bool decode)
{
    if (!decode)
        return ex_buf_append(b, c->p, c->n);
    size_t start = b->len;
    for (size_t i = 0; i < c->n; i++) {
        int hi, lo;
        if (c->p[i] == '%' && i + 2 < c->n && (hi = hexval(c->p[i + 1])) >= 0 && (lo = hexval(c->p[i + 2])) >= 0) {
            unsigned char v = (unsigned char)(hi * 16 + lo);
            if (v != '/' && v != '\\' && v != 0) {
                if (ex_buf_append(b, &v, 1))
                    return -1;
                i += 2;
                continue;
            }
        }
        if (ex_buf_append(b, c->p + i, 1))
            return -1;
    }
    size_t n = b->len - start;
    if ((n == 1 || n == 2) && memcmp(b->data + start, "..", n) == 0) {
        b->len = start;
        b->data[start] = '\0';
        return ex_buf_append(b, c->p, c->n);
    }
    return 0;
}

static size_t split(const char *rel, size_t len, comp *out, size_t max, int *problem)
{
    size_t n = 0, i = 0;
    if (len && (rel[0] == '/' || rel[0] == '\\')) {
        *problem = EX_EVPATH_TRAVERSAL;
        return 0;
    }
    while (i < len) {
        size_t j = i;
        while (j < len && rel[j] != '/' && rel[j] != '\\')
            j++;
        size_t cn = j - i;
        if (cn == 2 && rel[i] == '.' && rel[i + 1] == '.') {
            *problem = EX_EVPATH_TRAVERSAL;
            return 0;
        }
        if (cn && !(cn == 1 && rel[i] == '.')) {
            if (n == max) {
                *problem = EX_EVPATH_TOO_LONG;
                return 0;
            }
            out[n++] = (comp){rel + i, cn};
        }
        i = j + 1;
    }
    if (!n)
        *problem = EX_EVPATH_EMPTY;
    return n;
}

char *ex_evpath_normalise(const char *rel, size_t len, const char *prefix, int *problem)
{
    static const size_t max = MAX_COMPONENTS;
    int dummy;
    if (!problem)
        problem = &dummy;
    *problem = EX_EVPATH_OK;
    if (len > EX_EVPATH_MAX) {
        *problem = EX_EVPATH_TOO_LONG;
        return NULL;
    }
    comp *c = malloc(max * sizeof *c);
    if (!c)
        return NULL;
    size_t n = split(rel, len, c, max, problem);
    if (!n) {
        free(c);
        return NULL;
    }
    bool encoded = false;
    size_t start = 0;
    char drive = 0;
    for (size_t i = 0; i + 1 < n && !drive; i++)
        if ((drive = drive_of(&c[i], &c[i + 1], &encoded)))
            start = i + 1;
    ex_buf b = {.max = EX_EVPATH_MAX * 2};
    int r = 0;
    if (drive) {
        char d[3] = {(char)toupper((unsigned char)drive), ':', '/'};
        r |= ex_buf_append(&b, d, 3);
    } else if (prefix && *prefix) {
        r |= ex_buf_puts(&b, prefix);
        if (b.len && b.data[b.len - 1] != '/')
            r |= ex_buf_append(&b, "/", 1);
    }
    for (size_t i = start; i < n && !r; i++) {
        if (i > start)
            r |= ex_buf_append(&b, "/", 1);
        r |= append_comp(&b, &c[i], encoded);
    }
    free(c);
    if (r) {
        ex_buf_free(&b);
        return NULL;
    }
    return ex_buf_steal(&b);
}

/* Folder names that only a Windows/Exchange tree has at that place. */
static bool windows_marker(const comp *c)
{
    static const char *const names[] = {
        "Program Files", "Program Files (x86)", "ProgramData", "Exchange Server", "V15", "V14", "Logging", "inetpub",
        "Windows"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ieq_n(c->p, c->n, names[i]))
            return true;
    return false;
}

char *ex_evpath_input_prefix(const char *realdir)
{
    comp *c = malloc(MAX_COMPONENTS * sizeof *c);
    if (!c)
        return NULL;
    size_t n = 0, len = strlen(realdir);
    for (size_t i = 0; i < len && n < MAX_COMPONENTS;) {
        size_t j = i;
        while (j < len && realdir[j] != '/')
            j++;
        if (j > i)
            c[n++] = (comp){realdir + i, j - i};
        i = j + 1;
    }
    bool enc = false;
    size_t start = n;
    for (size_t i = 0; i < n && start == n; i++)
        if (windows_marker(&c[i]))
            start = i && drive_of(&c[i - 1], &c[i], &enc) ? i - 1 : i;
    /* the input itself is a drive folder ("/mnt/c", "C$"): what it holds decides for a bare letter */
    if (start == n && n && (drive_of(&c[n - 1], NULL, &enc) || (c[n - 1].n == 1 && is_letter(c[n - 1].p[0]))))
        start = n - 1;
    ex_buf b = {0};
    int r = ex_buf_puts(&b, "");
    for (size_t i = start; i < n && !r; i++) {
        if (i > start)
            r |= ex_buf_append(&b, "/", 1);
        r |= ex_buf_append(&b, c[i].p, c[i].n);
    }
    free(c);
    if (r) {
        ex_buf_free(&b);
        return NULL;
    }
    return ex_buf_steal(&b);
}

const char *ex_evpath_problem_name(int problem)
{
    switch (problem) {
    case EX_EVPATH_TRAVERSAL: return "path traversal entry (\"..\" or absolute path): not read";
    case EX_EVPATH_EMPTY: return "empty entry name";
    case EX_EVPATH_TOO_LONG: return "entry name too long";
    default: return "ok";
    }
}

/* Iterative glob with two backtrack points: the last '*' (which may not
 * swallow a '/') and the last '**'. Every step advances the path or moves a
 * backtrack point forward, so the cost is O(len(glob) * len(path)) at worst. */
bool ex_evpath_match(const char *g, const char *s)
{
    const char *sg = NULL, *ss = NULL; /* after the last '*' */
    const char *dg = NULL, *ds = NULL; /* after the last '**' */
    while (*s) {
        if (g[0] == '*' && g[1] == '*') {
            g += 2;
            dg = g;
            ds = s;
            sg = NULL;
            continue;
        }
        if (*g == '*') {
            g++;
            sg = g;
            ss = s;
            continue;
        }
        if (*g && (*g == '?' || tolower((unsigned char)*g) == tolower((unsigned char)*s))) {
            g++;
            s++;
            continue;
        }
        if (sg && *ss != '/') {
            g = sg;
            s = ++ss;
            continue;
        }
        if (dg) {
            sg = NULL;
            g = dg;
            s = ++ds;
            continue;
        }
        return false;
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

const char *ex_evpath_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n && dir[n - 1] == '/')
        n--;
    if (n == 0)
        return path;
    if (strncasecmp(path, dir, n) != 0 || path[n] != '/')
        return NULL;
    return path + n + 1;
}

const char *ex_evpath_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
