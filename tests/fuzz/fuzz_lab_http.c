/* libFuzzer harness: the lab's HTTP request parser (tests/lab/http.c) on arbitrary
 * bytes, plus the URL decoder and the cookie search the personas use on what it
 * returns. Scanners, fuzzers and broken clients all talk to the lab. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../lab/http.c"

static lab_req req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = lab_http_parse((const char *)data, size, &req);
    if (rc > 0) {
        char decoded[LAB_MAX_TARGET];
        if ((size_t)rc > size || strlen(req.path_lc) >= sizeof req.path_lc || strlen(req.host) >= sizeof req.host)
            __builtin_trap();
        lab_url_decode(req.target, decoded, sizeof decoded);
        lab_url_decode(req.query, decoded, 7);
        (void)lab_cookie_has(&req, "X-BEResource=");
        (void)lab_req_keepalive(&req);
    }
    return 0;
}
