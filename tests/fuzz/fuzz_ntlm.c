/* libFuzzer: raw NTLM type-2 messages and their base64 header form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_ntlm_info info = {0};
    ex_ntlm_parse(data, size, &info);
    char *s = malloc(size + 6);
    if (!s)
        return 0;
    memcpy(s, "NTLM ", 5);
    memcpy(s + 5, data, size);
    s[size + 5] = '\0';
    ex_ntlm_parse_header(s, &info);
    free(s);
    return 0;
}
