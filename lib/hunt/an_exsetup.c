/* an_exsetup: the installed Exchange build from Bin\ExSetup.exe's version
 * resource. The file version is the exact build, security update included
 * (HealthChecker reads the same; ../shared/docs/logs-and-builds.md §5.1);
 * the hive's Msi* values may still show the CU's build after an SU (EOMT
 * reads those, §1.0), so the engine prefers this fact (lib/hunt/timeline.c).
 *
 * Facts: "install.build" (detail: "15.1.2176.9", time: when ExSetup.exe was
 * last written), and "patch.installed" at the same time when the knowledge
 * base names that build as a security or hotfix update (an SU rewrites
 * ExSetup.exe): a CU's own build was no patch. The engine runs the build
 * through the knowledge base, offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunt/an_state.h"
#include "hunt/analyzer.h"
#include "hunt/evpath.h"
#include "hunt/exsetup.h"
#include "hunt/pever.h"
#include "kb.h"
#include "util.h"
#include "version.h"

int ex_exsetup_build(const unsigned char *data, size_t len, char *build, size_t n, char *note, size_t notelen,
                     char *err, size_t errlen)
{
    ex_pe_version pv;
    if (note && notelen)
        note[0] = '\0';
    if (ex_pe_version_read(data, len, &pv, err, errlen) != 0)
        return -1;
    ex_version fixed = {0}, text = {0};
    bool have_text = pv.file_str[0] && ex_version_parse_str(pv.file_str, &text) == EX_VERSION_OK;
    if (pv.have_fixed) {
        fixed = (ex_version){pv.file[0], pv.file[1], pv.file[2], pv.file[3]};
    } else if (have_text) {
        fixed = text;
    } else {
        snprintf(err, errlen, "version resource without a usable file version");
        return -1;
    }
    if (fixed.major < 6 || fixed.major > 15 || fixed.build == 0) {
        snprintf(err, errlen, "file version %u.%u.%u.%d is not an Exchange build", fixed.major, fixed.minor,
                 fixed.build, fixed.revision);
        return -1;
    }
    ex_version_format(&fixed, build, n);
    /* The numeric block is what Windows compares; a disagreeing text is worth a word. */
    if (have_text && pv.have_fixed && ex_version_cmp(&fixed, &text) != 0 && note)
        snprintf(note, notelen, "the FileVersion text says %s", pv.file_str);
    return 0;
}

/* <install>/Bin/ExSetup.exe; without a known install root, any .../V15/Bin/ExSetup.exe
 * (or V14 for 2010) under an "Exchange Server" folder. */
static bool exsetup_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    if (f->install_rel)
        return ex_strieq(f->install_rel, "Bin/ExSetup.exe");
    return ex_evpath_match("**/Exchange Server/V1?/Bin/ExSetup.exe", f->path) ||
           ex_evpath_match("**/Exchange*/Bin/ExSetup.exe", f->path);
}

static void *exsetup_begin(ex_hunt *h, const ex_hunt_file *f)
{
    return ex_an_state_new(sizeof(ex_an_state), h, f);
}

static int exsetup_whole(void *st, const unsigned char *data, size_t len, const char *local_path)
{
    ex_an_state *s = st;
    char build[EX_VERSION_STRLEN], note[120], err[200], why[300];
    if (ex_exsetup_build(data, len, build, sizeof build, note, sizeof note, err, sizeof err) != 0) {
        snprintf(why, sizeof why, "installed build not read from ExSetup.exe: %s", err);
        ex_hunt_skip(s->h, &s->f, why);
        return 0;
    }
    if (note[0]) {
        snprintf(why, sizeof why, "ExSetup.exe: build %s taken from the numeric version block; %s", build, note);
        ex_hunt_skip(s->h, &s->f, why);
    }
    ex_hunt_fact(s->h, "install.build", s->f.mtime, build, s->f.path);
    ex_version v;
    const ex_kb_build *row =
        ex_version_parse_str(build, &v) == EX_VERSION_OK ? ex_kb_find_build(ex_kb_builtin(), &v) : NULL;
    if (row && row->update && row->update[0])
        ex_hunt_fact(s->h, "patch.installed", s->f.mtime, build, s->f.path);
    return 0;
}

const ex_analyzer ex_an_exsetup = {
    .name = "exsetup",
    .flags = EX_AN_WHOLE,
    .wants = exsetup_wants,
    .begin = exsetup_begin,
    .whole = exsetup_whole,
    .end = ex_an_state_end,
};
