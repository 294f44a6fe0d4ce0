#include "jsonw.h"

#include <stdio.h>
#include <string.h>

void ex_jsonw_init(ex_jsonw *w, ex_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->first[0] = true;
}

/* Comma before every value except the first of a container or one after a key. */
static void before_value(ex_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        ex_buf_append(w->out, ",", 1);
    w->first[w->depth] = false;
}

static void open_container(ex_jsonw *w, char c)
{
    before_value(w);
    ex_buf_append(w->out, &c, 1);
    if (w->depth + 1 < EX_JSONW_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void close_container(ex_jsonw *w, char c)
{
    ex_buf_append(w->out, &c, 1);
    if (w->depth > 0)
        w->depth--;
}

void ex_jsonw_obj(ex_jsonw *w)
{
    open_container(w, '{');
}
void ex_jsonw_end_obj(ex_jsonw *w)
{
    close_container(w, '}');
}
void ex_jsonw_arr(ex_jsonw *w)
{
    open_container(w, '[');
}
void ex_jsonw_end_arr(ex_jsonw *w)
{
    close_container(w, ']');
}


static void put_escaped(ex_buf *b, const unsigned char *s, size_t n)
{
    ex_buf_append(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one append */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            run++, i++;
            continue;
        }
        ex_buf_append(b, s + i - run, run);
        run = 0;
        if (c >= 0x80) {
            size_t k = ex_utf8_len(s + i, n - i);
            ex_buf_append(b, k ? (const char *)s + i : "\xEF\xBF\xBD", k ? k : 3);
            i += k ? k : 1;
            continue;
        }
        char esc[8];
        int m = c == '"'    ? snprintf(esc, sizeof esc, "\\\"")
                : c == '\\' ? snprintf(esc, sizeof esc, "\\\\")
                : c == '\n' ? snprintf(esc, sizeof esc, "\\n")
                : c == '\t' ? snprintf(esc, sizeof esc, "\\t")
                : c == '\r' ? snprintf(esc, sizeof esc, "\\r")
                            : snprintf(esc, sizeof esc, "\\u%04x", c);
        ex_buf_append(b, esc, (size_t)m);
        i++;
    }
    ex_buf_append(b, s + n - run, run);
    ex_buf_append(b, "\"", 1);
}

void ex_jsonw_key(ex_jsonw *w, const char *key)
{
    before_value(w);
    put_escaped(w->out, (const unsigned char *)key, strlen(key));
    ex_buf_append(w->out, ":", 1);
    w->after_key = true;
}

void ex_jsonw_strn(ex_jsonw *w, const char *s, size_t n)
{
    before_value(w);
    put_escaped(w->out, (const unsigned char *)s, n);
}

void ex_jsonw_str(ex_jsonw *w, const char *s)
{
    if (!s)
        ex_jsonw_null(w);
    else
        ex_jsonw_strn(w, s, strlen(s));
}

void ex_jsonw_int(ex_jsonw *w, int64_t v)
{
    before_value(w);
    ex_buf_printf(w->out, "%lld", (long long)v);
}

void ex_jsonw_bool(ex_jsonw *w, bool v)
{
    before_value(w);
    ex_buf_puts(w->out, v ? "true" : "false");
}

void ex_jsonw_null(ex_jsonw *w)
{
    before_value(w);
    ex_buf_puts(w->out, "null");
}

void ex_jsonw_raw(ex_jsonw *w, const char *json)
{
    before_value(w);
    ex_buf_puts(w->out, json);
}

void ex_jsonw_kstr(ex_jsonw *w, const char *key, const char *s)
{
    ex_jsonw_key(w, key);
    ex_jsonw_str(w, s);
}

void ex_jsonw_kstr_or_null(ex_jsonw *w, const char *key, const char *s)
{
    ex_jsonw_key(w, key);
    ex_jsonw_str(w, s && *s ? s : NULL);
}
