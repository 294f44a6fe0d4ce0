/* libFuzzer: the PE version-resource parser (lib/hunt/pever.c) and the build
 * derived from it. Any bytes: a result or an error, never a read outside. */
#include <stddef.h>
#include <stdint.h>

#include "hunt/exsetup.h"
#include "hunt/pever.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ex_pe_version v;
    char err[200], build[32], note[120];
    (void)ex_pe_version_read(data, size, &v, err, sizeof err);
    (void)ex_exsetup_build(data, size, build, sizeof build, note, sizeof note, err, sizeof err);
    return 0;
}
