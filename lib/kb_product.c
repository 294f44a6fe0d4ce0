/* Product codes as they appear in data/ tables and JSON output. */
#include <string.h>

#include "kb.h"

static const char *const codes[EX_PRODUCT_COUNT] = {
    [EX_PRODUCT_UNKNOWN] = "unknown", [EX_PRODUCT_2003] = "2003", [EX_PRODUCT_2007] = "2007",
    [EX_PRODUCT_2010] = "2010",       [EX_PRODUCT_2013] = "2013", [EX_PRODUCT_2016] = "2016",
    [EX_PRODUCT_2019] = "2019",       [EX_PRODUCT_SE] = "SE",
};

const char *ex_product_code(ex_product p)
{
    return (unsigned)p < EX_PRODUCT_COUNT ? codes[p] : codes[EX_PRODUCT_UNKNOWN];
}

ex_product ex_product_from_code(const char *code)
{
    for (int i = 1; i < EX_PRODUCT_COUNT; i++)
        if (code && strcmp(code, codes[i]) == 0)
            return (ex_product)i;
    return EX_PRODUCT_UNKNOWN;
}
