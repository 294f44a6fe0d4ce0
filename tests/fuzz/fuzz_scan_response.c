/* libFuzzer: one HTTP response (header block, then a NUL byte, then the body)
 * through every HTTP-facing reader of the scanner: markers, build signals,
 * Exchange Online / decoy logic, WAF names, the probe readers, NTLM in
 * WWW-Authenticate, and the conclusion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t hl = nul ? (size_t)(nul - data) : size;
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    ex_http_response r = {.endpoint = "GET /fuzz",
                          .status = size ? 100 + data[0] % 500 : 200,
                          .headers = copy,
                          .headers_len = hl,
                          .body = nul ? copy + hl + 1 : NULL,
                          .body_len = nul ? size - hl - 1 : 0,
                          .error = ""};
    ex_fp fp;
    ex_fp_init(&fp);
    ex_fp_set_host(&fp, "mail.example");
    ex_fp_observe(&fp, &r);
    ex_fp_observe(&fp, &r);
    char ev[EX_FP_EVIDENCE], v[4096];
    ex_fp_read_proxylogon(&fp, &r, ev, sizeof ev);
    ex_fp_read_proxyshell(&fp, &r, ev, sizeof ev);
    ex_fp_read_proxynotshell(&fp, &r, ev, sizeof ev);
    ex_fp_read_abort(&r, &r, ev, sizeof ev);
    for (size_t i = 0; i < 4 && ex_http_header(&r, "WWW-Authenticate", i, v, sizeof v) >= 0; i++)
        ex_ntlm_parse_header(v, &fp.ntlm);
    ex_fp_result res;
    ex_fp_conclude(&fp, &res);
    ex_observation obs[EX_PROBE_COUNT];
    ex_facts f = {0};
    ex_fp_facts(&fp, &res, obs, &f);
    ex_version ver;
    if (r.body) {
        ex_fp_owa_path_version(r.body, r.body_len, &ver);
        ex_fp_exporttool_version(r.body, r.body_len, &ver);
        ex_fp_owaver(r.body, r.body_len, &ver);
    }
    free(copy);
    return 0;
}
