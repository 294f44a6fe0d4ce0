#include "hunt/iocs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "hunt/evpath.h"
#include "util.h"

/* One TSV table: a private copy of the text, cut into cells in place. */
typedef struct table {
    char *text;
    char **cell; /* rows * cols, the header excluded */
    size_t rows, cols;
} table;

static table hashes, names, paths, stock;
static ex_ioc_hash *hash_rows;
static ex_ioc_name *name_rows;
static ex_ioc_path *path_rows;
static const char **path_base; /* the last component of each path pattern, for a cheap first test */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc = -1;

/* Cut line into exactly cols tab-separated cells; -1 when the count differs. */
static int split_row(char *line, char **out, size_t cols)
{
    size_t n = 0;
    for (char *p = line;; n++) {
        if (n == cols)
            return -1;
        out[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n + 1 == cols ? 0 : -1;
}

static int parse_table(const char *name, size_t cols, table *t)
{
    const ex_embedded_file *f = ex_embedded_find(name);
    if (!f || !(t->text = strdup(f->data)))
        return -1;
    size_t lines = 1;
    for (const char *p = t->text; *p; p++)
        lines += *p == '\n';
    if (!(t->cell = calloc(lines * cols, sizeof *t->cell)))
        return -1;
    t->cols = cols;
    char *save = NULL, *hdr[16];
    bool header = true;
    for (char *line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (!len)
            continue;
        if (split_row(line, header ? hdr : &t->cell[t->rows * cols], cols) != 0)
            return -1; /* a malformed row is a build-time mistake: the unit test catches it */
        if (!header)
            t->rows++;
        header = false;
    }
    return 0;
}

static const char *cell(const table *t, size_t row, size_t col)
{
    return t->cell[row * t->cols + col];
}

static void load_once(void)
{
    if (parse_table("iocs/hashes.tsv", 6, &hashes) || parse_table("iocs/names.tsv", 4, &names) ||
        parse_table("iocs/paths.tsv", 5, &paths) || parse_table("iocs/stock-files.tsv", 3, &stock))
        return;
    hash_rows = calloc(hashes.rows + 1, sizeof *hash_rows);
    name_rows = calloc(names.rows + 1, sizeof *name_rows);
    path_rows = calloc(paths.rows + 1, sizeof *path_rows);
    path_base = calloc(paths.rows + 1, sizeof *path_base);
    if (!hash_rows || !name_rows || !path_rows || !path_base)
        return;
    for (size_t i = 0; i < hashes.rows; i++)
        hash_rows[i] = (ex_ioc_hash){cell(&hashes, i, 0), cell(&hashes, i, 1), cell(&hashes, i, 2),
                                     cell(&hashes, i, 3), cell(&hashes, i, 4), cell(&hashes, i, 5)};
    for (size_t i = 0; i < names.rows; i++)
        name_rows[i] = (ex_ioc_name){cell(&names, i, 0), cell(&names, i, 1), cell(&names, i, 2), cell(&names, i, 3)};
    for (size_t i = 0; i < paths.rows; i++) {
        path_rows[i] = (ex_ioc_path){cell(&paths, i, 0), cell(&paths, i, 1), cell(&paths, i, 2), cell(&paths, i, 3),
                                     cell(&paths, i, 4)};
        path_base[i] = ex_evpath_base(path_rows[i].pattern);
    }
    load_rc = 0;
}

int ex_iocs_load(void)
{
    pthread_once(&once, load_once);
    return load_rc;
}

size_t ex_iocs_count(const char *t)
{
    if (ex_iocs_load() != 0)
        return 0;
    return !strcmp(t, "hashes")        ? hashes.rows
           : !strcmp(t, "names")       ? names.rows
           : !strcmp(t, "paths")       ? paths.rows
           : !strcmp(t, "stock-files") ? stock.rows
                                       : 0;
}

const ex_ioc_hash *ex_ioc_hash_find(const char *hex)
{
    if (!hex || !*hex || ex_iocs_load() != 0)
        return NULL;
    for (size_t i = 0; i < hashes.rows; i++)
        if (ex_strieq(hash_rows[i].hash, hex))
            return &hash_rows[i];
    return NULL;
}

const ex_ioc_name *ex_ioc_name_find(const char *base)
{
    if (!base || ex_iocs_load() != 0)
        return NULL;
    for (size_t i = 0; i < names.rows; i++)
        if (ex_strieq(name_rows[i].name, base))
            return &name_rows[i];
    return NULL;
}

const ex_ioc_path *ex_ioc_path_match(const char *path)
{
    if (!path || ex_iocs_load() != 0)
        return NULL;
    const char *base = ex_evpath_base(path);
    for (size_t i = 0; i < paths.rows; i++) {
        if (!ex_evpath_match(path_base[i], base))
            continue;
        /* the pattern must match the path from some component onwards */
        for (const char *s = path; s; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL)
            if (ex_evpath_match(path_rows[i].pattern, s))
                return &path_rows[i];
    }
    return NULL;
}

bool ex_ioc_stock(const char *folder, const char *name)
{
    if (ex_iocs_load() != 0)
        return false;
    for (size_t i = 0; i < stock.rows; i++)
        if (ex_strieq(cell(&stock, i, 0), folder) && ex_strieq(cell(&stock, i, 1), name))
            return true;
    return false;
}
