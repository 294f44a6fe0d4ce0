/* registry: every analyzer of `exaudit hunt`, in the order they run on a file.
 * One line per analyzer: adding one is adding its line here. */
#include <string.h>

#include "hunt/an.h"
#include "hunt/hunt.h"

extern const ex_analyzer ex_an_evtx, ex_an_evtx_xml, ex_an_evtx_csv, ex_an_exsetup, ex_an_files, ex_an_iisconfig;

static const ex_analyzer *const registry[] = {
    &ex_an_httpproxy, &ex_an_ecp,      &ex_an_oab,   &ex_an_iis,       &ex_an_exsetup, &ex_an_evtx,
    &ex_an_evtx_xml,  &ex_an_evtx_csv, &ex_an_files, &ex_an_iisconfig, NULL,
};

const ex_analyzer *const *ex_hunt_registry(void)
{
    return registry;
}

const ex_analyzer *ex_hunt_analyzer_by_name(const char *name)
{
    for (size_t i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
