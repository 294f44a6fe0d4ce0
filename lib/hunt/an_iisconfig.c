/* an_iisconfig: IIS applicationHost.config (lib/hunt/iisconfig.h): virtual
 * directories into ProgramData or Users, and the Extended Protection state as
 * the fact "config.extended-protection" ("on", "off", "partial"). */
#include <stdio.h>
#include <stdlib.h>

#include "hunt/an_state.h"
#include "hunt/analyzer.h"
#include "hunt/evpath.h"
#include "hunt/iisconfig.h"

static bool iis_wants(const ex_hunt *h, const ex_hunt_file *f)
{
    return ex_evpath_match("**applicationHost.config", f->path);
}

static void *iis_begin(ex_hunt *h, const ex_hunt_file *f)
{
    return ex_an_state_new(sizeof(ex_an_state), h, f);
}

static int iis_whole(void *st, const unsigned char *data, size_t len, const char *local_path)
{
    ex_an_state *s = st;
    ex_iiscfg cfg;
    ex_findings found = {0};
    char err[200], why[300];
    if (ex_iiscfg_parse((const char *)data, len, &cfg, err, sizeof err) != 0) {
        snprintf(why, sizeof why, "IIS configuration read only up to an error: %s", err);
        ex_hunt_skip(s->h, &s->f, why);
    }
    if (cfg.cut)
        ex_hunt_skip(s->h, &s->f,
                     "IIS configuration with more virtual directories or locations than the limits: "
                     "the rest was not checked");
    char detail[800];
    const char *state = ex_iiscfg_ep_state(&cfg, detail, sizeof detail);
    if (state)
        ex_hunt_fact(s->h, "config.extended-protection", s->f.mtime, state, s->f.path);
    if (ex_iiscfg_findings(&cfg, s->f.path, s->f.mtime, &found) != 0)
        ex_hunt_skip(s->h, &s->f, "out of memory while checking the IIS configuration");
    for (size_t i = 0; i < found.count; i++)
        ex_hunt_emit(s->h, &found.items[i]);
    ex_findings_free(&found);
    ex_iiscfg_free(&cfg);
    return 0;
}

const ex_analyzer ex_an_iisconfig = {
    .name = "iisconfig",
    .flags = EX_AN_WHOLE,
    .wants = iis_wants,
    .begin = iis_begin,
    .whole = iis_whole,
    .end = ex_an_state_end,
};
