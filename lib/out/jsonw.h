/* jsonw: a small streaming JSON writer into an ex_buf. For the hot output
 * paths (one host record per scanned host, one finding per line), where
 * building a jansson tree first cost more than the verdict itself. Strings
 * are made valid UTF-8 (U+FFFD for bad bytes) and escaped; commas are placed
 * automatically. Nesting is bounded (EX_JSONW_DEPTH). */
#ifndef EXAUDIT_JSONW_H
#define EXAUDIT_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define EX_JSONW_DEPTH 16

typedef struct ex_jsonw {
    ex_buf *out;
    int depth;
    bool first[EX_JSONW_DEPTH]; /* no member written yet at this level */
    bool after_key;
} ex_jsonw;

void ex_jsonw_init(ex_jsonw *w, ex_buf *out);
void ex_jsonw_obj(ex_jsonw *w); /* { */
void ex_jsonw_end_obj(ex_jsonw *w);
void ex_jsonw_arr(ex_jsonw *w); /* [ */
void ex_jsonw_end_arr(ex_jsonw *w);
void ex_jsonw_key(ex_jsonw *w, const char *key);
void ex_jsonw_str(ex_jsonw *w, const char *s); /* NULL writes null */
void ex_jsonw_strn(ex_jsonw *w, const char *s, size_t n);
void ex_jsonw_int(ex_jsonw *w, int64_t v);
void ex_jsonw_bool(ex_jsonw *w, bool v);
void ex_jsonw_null(ex_jsonw *w);
/* Already-serialised JSON (e.g. json_dumps of a jansson value). */
void ex_jsonw_raw(ex_jsonw *w, const char *json);
/* key + value shorthands; str_or_null writes null for NULL or "". */
void ex_jsonw_kstr(ex_jsonw *w, const char *key, const char *s);
void ex_jsonw_kstr_or_null(ex_jsonw *w, const char *key, const char *s);

#endif
