/* libFuzzer: applicationHost.config (lib/hunt/iisconfig.c): parse, the
 * Extended Protection state and the findings. */
#include <stddef.h>
#include <stdint.h>

#include "hunt/iisconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_iiscfg cfg;
    ex_findings out = {0};
    char err[200], detail[800];
    (void)ex_iiscfg_parse((const char *)data, size, &cfg, err, sizeof err);
    (void)ex_iiscfg_ep_state(&cfg, detail, sizeof detail);
    (void)ex_iiscfg_token(&cfg, "Default Web Site/owa");
    (void)ex_iiscfg_findings(&cfg, "C:/Windows/System32/inetsrv/config/applicationHost.config", 0, &out);
    ex_findings_free(&out);
    ex_iiscfg_free(&cfg);
    return 0;
}
