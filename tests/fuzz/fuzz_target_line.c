/* libFuzzer: one line of a target list (addresses, ranges, URLs, masscan -oL/-oJ). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= EX_TARGET_LINE_MAX)
        return 0;
    char line[EX_TARGET_LINE_MAX], err[256];
    memcpy(line, data, size);
    line[size] = '\0';
    ex_target_spec s;
    if (ex_target_parse_line(line, &s, err, sizeof err) > 0)
        (void)ex_target_spec_size(&s);
    return 0;
}
