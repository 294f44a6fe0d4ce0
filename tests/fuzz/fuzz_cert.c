/* libFuzzer: certificates (DER) as a server could send them. */
#include <stdint.h>

#include "fingerprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_cert_info c;
    ex_cert_parse(data, size, &c);
    return 0;
}
