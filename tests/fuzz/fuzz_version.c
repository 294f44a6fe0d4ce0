/* Fuzz the build-string parser: any bytes must give OK or an error, and an OK
 * result must format and re-parse to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_version v, w;
    char buf[EX_VERSION_STRLEN];
    if (ex_version_parse((const char *)data, size, &v) != EX_VERSION_OK)
        return 0;
    ex_version_format(&v, buf, sizeof buf);
    if (ex_version_parse_str(buf, &w) != EX_VERSION_OK || ex_version_cmp(&v, &w) != 0)
        abort();
    ex_version_format_long(&v, buf, sizeof buf);
    if (ex_version_parse_str(buf, &w) != EX_VERSION_OK || ex_version_cmp(&v, &w) != 0)
        abort();
    return 0;
}
