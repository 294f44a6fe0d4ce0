/* an_files: the files analyzer (lib/hunt/files.h has the record logic). Path
 * checks at begin, content checks (YARA, magic, MD5 and SHA-1 for the hash
 * IOCs) on the whole file, the SHA-256 IOCs at the end; then the findings of
 * the file go out together, the location-only one dropped when a stronger
 * finding names the same file. */
#include <stdlib.h>
#include <string.h>

#include "hunt/an_state.h"
#include "hunt/analyzer.h"
#include "hunt/files.h"

typedef struct files_state {
    ex_an_state base;
    ex_findings found;
    char md5[33], sha1[41];
    bool oom;
} files_state;

static bool files_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_files_wanted(f->path, ex_hunt_full(h));
}

static void *files_begin(ex_hunt *h, const ex_hunt_file *f)
{
    files_state *s = ex_an_state_new(sizeof *s, h, f);
    if (!s)
        return NULL;
    s->oom = ex_files_check_path(f->path, f->mtime, &s->found) != 0;
    return s;
}

static int files_whole(void *st, const unsigned char *data, size_t len, const char *local_path)
{
    files_state *s = st;
    ex_files_note note;
    if (ex_files_check_content(ex_files_rules(), s->base.f.path, s->base.f.mtime, data, len, s->md5, s->sha1, &s->found,
                               &note) != 0)
        s->oom = true;
    if (note.skip[0])
        ex_hunt_skip(s->base.h, &s->base.f, note.skip);
    return 0;
}

static void files_end(void *st, ex_hunt *h, const char *sha256)
{
    files_state *s = st;
    if (ex_files_check_hashes(s->base.f.path, s->base.f.mtime, sha256, s->md5, s->sha1, &s->found) != 0)
        s->oom = true;
    if (s->oom)
        ex_hunt_skip(h, &s->base.f, "out of memory while checking this file: some checks were not made");
    ex_files_settle(&s->found);
    for (size_t i = 0; i < s->found.count; i++)
        ex_hunt_emit(h, &s->found.items[i]);
    ex_findings_free(&s->found);
    free(s);
}

const ex_analyzer ex_an_files = {
    .name = "files",
    .flags = EX_AN_WHOLE,
    .wants = files_wants,
    .begin = files_begin,
    .whole = files_whole,
    .end = files_end,
};
