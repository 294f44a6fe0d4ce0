/* explain: the sentences behind a verdict, as templates with named slots.
 *
 * lib/verdict fills them in English for the host record's "basis" and
 * remediation "step" texts, and stores the template's code and slot values
 * beside them ("rule"/"rule_args", "action"/"args"). A report renders the same
 * templates through gettext from those codes, so that a German report is
 * German all through while the stored record keeps one canonical English
 * text. One table, one definition of every sentence. Pure, no allocation. */
#ifndef EXAUDIT_EXPLAIN_H
#define EXAUDIT_EXPLAIN_H

#include <stddef.h>

typedef struct ex_explain_arg {
    const char *name; /* slot name without braces: "build" */
    const char *value;
} ex_explain_arg;

/* The English template of a code ("own-cu-below", "install-cu", ...), or NULL. */
const char *ex_explain_template(const char *code);

/* Optional hook for a renderer: translate a slot value (e.g. a status name)
 * before it is placed. Return value itself when nothing to do. */
typedef const char *(*ex_explain_value_fn)(const char *slot, const char *value);

/* Fill tmpl's {slot}s from args (missing slots become ""), into out
 * (always NUL-terminated). Returns the length the result needed. */
size_t ex_explain_fill(const char *tmpl, const ex_explain_arg *args, size_t nargs, ex_explain_value_fn fn, char *out,
                       size_t outlen);

/* Every code with its template, for catalogue extraction and tests. */
typedef struct ex_explain_entry {
    const char *code;
    const char *tmpl;
} ex_explain_entry;
const ex_explain_entry *ex_explain_table(size_t *count);

#endif
