#include "hunt/yarascan.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#include "embedded.h"
#include "util.h"

#define NS_BUILTIN     "exaudit:"
#define NS_USER        "user:"
#define MAX_RULE_DEPTH 16

struct ex_yara {
    YR_RULES *rules;
};

static const char *const external_names[] = {"filename", "filepath", "extension", "filetype", "owner", "md5"};

/* --- compiling ---------------------------------------------------------------------------- */

typedef struct compile_err {
    int errors;
    char first[300];
} compile_err;

static void on_compile_msg(int level, const char *file, int line, const YR_RULE *rule, const char *msg, void *ud)
{
    compile_err *ce = ud;
    if (level != YARA_ERROR_LEVEL_ERROR)
        return; /* warnings (slow rules) do not keep a rule out */
    if (ce->errors++ == 0)
        snprintf(ce->first, sizeof ce->first, "line %d: %s", line, msg);
}

/* A compiler with LOKI's six externals defined (dummy values, as LOKI does at compile time). */
static YR_COMPILER *new_compiler(compile_err *ce)
{
    YR_COMPILER *c = NULL;
    if (yr_compiler_create(&c) != ERROR_SUCCESS)
        return NULL;
    yr_compiler_set_callback(c, on_compile_msg, ce);
    for (size_t i = 0; i < EX_ARRAY_LEN(external_names); i++)
        if (yr_compiler_define_string_variable(c, external_names[i], "") != ERROR_SUCCESS) {
            yr_compiler_destroy(c);
            return NULL;
        }
    return c;
}

static int add_builtin(YR_COMPILER *c, compile_err *ce, char *err, size_t errlen)
{
    for (size_t i = 0; i < ex_embedded_count; i++) {
        const ex_embedded_file *f = &ex_embedded_files[i];
        if (strncmp(f->name, "rules/", 6) != 0)
            continue;
        char ns[300];
        snprintf(ns, sizeof ns, NS_BUILTIN "%s", f->name + 6);
        if (yr_compiler_add_string(c, f->data, ns) != 0) {
            snprintf(err, errlen, "built-in rules data/%s: %s", f->name, ce->first);
            return -1;
        }
    }
    return 0;
}

static bool is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && ex_strieq(name + n - 4, ".yar")) || (n > 5 && ex_strieq(name + n - 5, ".yara"));
}

typedef struct pathlist {
    char **p;
    size_t n, cap;
} pathlist;

static int pathlist_add(pathlist *l, const char *path)
{
    if (l->n >= EX_YARA_MAX_FILES)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->p, cap * sizeof *p);
        if (!p)
            return -1;
        l->p = p;
        l->cap = cap;
    }
    if (!(l->p[l->n] = strdup(path)))
        return -1;
    l->n++;
    return 0;
}

static void pathlist_free(pathlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->p[i]);
    free(l->p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.yar / *.yara below dir (LOKI reads the whole tree). */
static int collect(const char *dir, int depth, pathlist *out)
{
    if (depth > MAX_RULE_DEPTH)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path || stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = collect(path, depth + 1, out) < 0 && errno == ENOMEM ? -1 : 0;
        else if (S_ISREG(st.st_mode) && is_rule_file(de->d_name))
            rc = pathlist_add(out, path);
    }
    closedir(d);
    return rc;
}

static int add_user_file(YR_COMPILER *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char ns[4200];
    snprintf(ns, sizeof ns, NS_USER "%s", path);
    int errors = yr_compiler_add_file(c, f, ns, path);
    fclose(f);
    return errors ? -1 : 0;
}

/* Does this one file compile on its own (with the externals)? */
static bool compiles_alone(const char *path, char *why, size_t n)
{
    compile_err ce = {0};
    YR_COMPILER *c = new_compiler(&ce);
    if (!c) {
        snprintf(why, n, "out of memory");
        return false;
    }
    bool ok = add_user_file(c, path) == 0;
    if (!ok)
        snprintf(why, n, "%s", ce.errors ? ce.first : strerror(errno));
    yr_compiler_destroy(c);
    return ok;
}

/* The builtin rules plus the files in list (all of them, or those that compile alone). */
static YR_COMPILER *compile_set(const pathlist *list, bool test_each, ex_yara_load_report *rep, compile_err *ce,
                                char *err, size_t errlen)
{
    YR_COMPILER *c = new_compiler(ce);
    if (!c) {
        snprintf(err, errlen, "YARA: out of memory");
        return NULL;
    }
    if (add_builtin(c, ce, err, errlen) != 0) {
        yr_compiler_destroy(c);
        return NULL;
    }
    rep->files = rep->skipped = 0;
    for (size_t i = 0; i < list->n; i++) {
        char why[300];
        if (test_each && !compiles_alone(list->p[i], why, sizeof why)) {
            if (rep->skipped++ == 0)
                snprintf(rep->first_skip, sizeof rep->first_skip, "%s: %s", list->p[i], why);
            continue;
        }
        if (add_user_file(c, list->p[i]) != 0) {
            if (!test_each) { /* the compiler is spoilt: the caller retries file by file */
                yr_compiler_destroy(c);
                return NULL;
            }
            snprintf(err, errlen, "%s: %s", list->p[i], ce->first);
            yr_compiler_destroy(c);
            return NULL;
        }
        rep->files++;
    }
    return c;
}

static int user_files(const char *user_path, pathlist *list, char *err, size_t errlen)
{
    struct stat st;
    if (stat(user_path, &st) != 0) {
        snprintf(err, errlen, "--rules %s: %s", user_path, strerror(errno));
        return -1;
    }
    int rc = S_ISDIR(st.st_mode) ? collect(user_path, 0, list) : pathlist_add(list, user_path);
    if (rc != 0) {
        snprintf(err, errlen, "--rules %s: %s", user_path, strerror(errno ? errno : ENOMEM));
        return -1;
    }
    if (!list->n) {
        snprintf(err, errlen, "--rules %s: no .yar or .yara file", user_path);
        return -1;
    }
    qsort(list->p, list->n, sizeof *list->p, cmp_str);
    return 0;
}

int ex_yara_load(const char *user_path, ex_yara **out, ex_yara_load_report *rep, char *err, size_t errlen)
{
    ex_yara_load_report dummy;
    if (!rep)
        rep = &dummy;
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    pathlist list = {0};
    if (user_path && user_files(user_path, &list, err, errlen) != 0) {
        pathlist_free(&list);
        return -1;
    }
    if (yr_initialize() != ERROR_SUCCESS) {
        snprintf(err, errlen, "YARA: initialisation failed");
        pathlist_free(&list);
        return -1;
    }
    compile_err ce = {0};
    YR_COMPILER *c = compile_set(&list, false, rep, &ce, err, errlen);
    if (!c && list.n) { /* one file is broken: find it, and keep the others (LOKI's way) */
        memset(&ce, 0, sizeof ce);
        c = compile_set(&list, true, rep, &ce, err, errlen);
    }
    ex_yara *y = c ? calloc(1, sizeof *y) : NULL;
    int rc = -1;
    if (c && list.n && !rep->files)
        snprintf(err, errlen, "--rules %s: no rule file compiled (first: %s)", user_path, rep->first_skip);
    else if (y && yr_compiler_get_rules(c, &y->rules) == ERROR_SUCCESS)
        rc = 0;
    else if (c)
        snprintf(err, errlen, "YARA: out of memory");
    if (c)
        yr_compiler_destroy(c);
    pathlist_free(&list);
    if (rc != 0) {
        free(y);
        yr_finalize();
        return -1;
    }
    YR_RULE *r;
    yr_rules_foreach(y->rules, r) rep->rules++;
    *out = y;
    return 0;
}

void ex_yara_free(ex_yara *y)
{
    if (!y)
        return;
    yr_rules_destroy(y->rules);
    free(y);
    yr_finalize();
}

/* --- scanning ----------------------------------------------------------------------------- */

typedef struct scan_ctx {
    ex_yara_match *m;
    size_t max, n;
    const unsigned char *data;
    size_t len;
} scan_ctx;

/* The evidence for a match: the text line around it (what a reader needs to
 * judge it: "ExternalUrl : http://f/<script ..."), at most sizeof m->data bytes. */
static void excerpt(ex_yara_match *m, const scan_ctx *sc, int64_t off, size_t mlen)
{
    if (off < 0 || (uint64_t)off >= sc->len)
        return;
    size_t at = (size_t)off, lo = at, hi = at + mlen < sc->len ? at + mlen : sc->len;
    size_t cap = sizeof m->data;
    while (lo > 0 && at - lo < cap / 3 && sc->data[lo - 1] != '\n')
        lo--;
    while (hi < sc->len && hi - lo < cap && sc->data[hi] != '\n' && sc->data[hi] != '\r')
        hi++;
    if (hi - lo > cap)
        hi = lo + cap;
    /* Binary files (a PST, a DLL) would garble a terminal: everything but printable
     * ASCII shows as '.'; the offset and the file's hash are the exact evidence. */
    for (size_t i = lo; i < hi; i++) {
        unsigned char c = sc->data[i];
        m->data[i - lo] = (char)(c < 0x20 || c > 0x7E ? '.' : c);
    }
    m->datalen = hi - lo;
}

static void take_meta(ex_yara_match *m, const YR_RULE *r)
{
    const YR_META *meta;
    yr_rule_metas_foreach(r, meta)
    {
        const char *id = meta->identifier;
        if (meta->type == META_TYPE_INTEGER) {
            if (strcmp(id, "score") == 0)
                m->score = meta->integer;
            continue;
        }
        if (meta->type != META_TYPE_STRING || !meta->string)
            continue;
        struct {
            const char *name;
            char *dst;
            size_t n;
        } fields[] = {{"author", m->author, sizeof m->author},
                      {"reference", m->reference, sizeof m->reference},
                      {"description", m->description, sizeof m->description},
                      {"severity", m->severity, sizeof m->severity},
                      {"kind", m->kind, sizeof m->kind},
                      {"cve", m->cve, sizeof m->cve}};
        for (size_t i = 0; i < EX_ARRAY_LEN(fields); i++)
            if (strcmp(id, fields[i].name) == 0 && !fields[i].dst[0])
                ex_strlcpy(fields[i].dst, meta->string, fields[i].n);
        if (strcmp(id, "score") == 0) /* some rule sets write the score as text */
            m->score = strtoll(meta->string, NULL, 10);
    }
}

/* The first public match of the rule's strings. libyara 4.2's match records may
 * sit at addresses not aligned for YR_MATCH (UndefinedBehaviorSanitizer, in its
 * own list walk): each is copied out before use instead of going through
 * yr_string_matches_foreach. */
static void take_first_match(ex_yara_match *m, YR_SCAN_CONTEXT *ctx, const YR_RULE *r, const scan_ctx *sc)
{
    const YR_STRING *s;
    yr_rule_strings_foreach(r, s)
    {
        const YR_MATCH *p = ctx->matches[s->idx].head;
        for (int guard = 0; p && guard < 100000; guard++) {
            YR_MATCH mt;
            memcpy(&mt, p, sizeof mt);
            if (!mt.is_private) {
                m->offset = mt.base + mt.offset;
                excerpt(m, sc, m->offset, mt.match_length > 0 ? (size_t)mt.match_length : 0);
                return;
            }
            p = mt.next;
        }
    }
}

static int on_scan_msg(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *ud)
{
    scan_ctx *sc = ud;
    if (msg != CALLBACK_MSG_RULE_MATCHING)
        return CALLBACK_CONTINUE;
    if (sc->n >= sc->max)
        return CALLBACK_ABORT;
    const YR_RULE *r = data;
    ex_yara_match *m = &sc->m[sc->n++];
    memset(m, 0, sizeof *m);
    m->score = m->offset = -1;
    ex_strlcpy(m->rule, r->identifier, sizeof m->rule);
    const char *ns = r->ns && r->ns->name ? r->ns->name : "";
    m->builtin = strncmp(ns, NS_BUILTIN, strlen(NS_BUILTIN)) == 0;
    if (m->builtin)
        snprintf(m->source, sizeof m->source, EX_YARA_SOURCE_BUILTIN "%s", ns + strlen(NS_BUILTIN));
    else
        ex_strlcpy(m->source, strncmp(ns, NS_USER, strlen(NS_USER)) == 0 ? ns + strlen(NS_USER) : ns, sizeof m->source);
    take_meta(m, r);
    take_first_match(m, ctx, r, sc);
    return CALLBACK_CONTINUE;
}

/* libyara documents at most YR_MAX_THREADS simultaneous users of one rule set;
 * the engine may run more workers than that. */
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;
static int slots_used;

static void slot_take(void)
{
    pthread_mutex_lock(&slots_mu);
    while (slots_used >= YR_MAX_THREADS)
        pthread_cond_wait(&slots_cv, &slots_mu);
    slots_used++;
    pthread_mutex_unlock(&slots_mu);
}

static void slot_give(void)
{
    pthread_mutex_lock(&slots_mu);
    slots_used--;
    pthread_cond_signal(&slots_cv);
    pthread_mutex_unlock(&slots_mu);
}

int ex_yara_scan(const ex_yara *y, const unsigned char *data, size_t len, const ex_yara_vars *v, int timeout_s,
                 ex_yara_match *m, size_t max, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    YR_SCANNER *s = NULL;
    slot_take();
    int cr = yr_scanner_create(y->rules, &s);
    if (cr != ERROR_SUCCESS) {
        slot_give();
        snprintf(err, errlen, "YARA scanner not created (libyara error %d)", cr);
        return EX_YARA_ERROR;
    }
    const char *values[] = {v->filename, v->filepath, v->extension, v->filetype, v->owner, v->md5};
    for (size_t i = 0; i < EX_ARRAY_LEN(values); i++)
        yr_scanner_define_string_variable(s, external_names[i], values[i] ? values[i] : "");
    scan_ctx sc = {.m = m, .max = max, .data = data, .len = len};
    yr_scanner_set_callback(s, on_scan_msg, &sc);
    yr_scanner_set_timeout(s, timeout_s > 0 ? timeout_s : EX_YARA_TIMEOUT_DEFAULT);
    yr_scanner_set_flags(s, SCAN_FLAGS_FAST_MODE);
    int r = yr_scanner_scan_mem(s, data, len);
    yr_scanner_destroy(s);
    slot_give();
    *n = sc.n;
    if (r == ERROR_SUCCESS || r == ERROR_CALLBACK_ERROR)
        return EX_YARA_OK;
    if (r == ERROR_SCAN_TIMEOUT)
        return EX_YARA_TIMEOUT;
    snprintf(err, errlen, "YARA scan error %d", r);
    return EX_YARA_ERROR;
}
