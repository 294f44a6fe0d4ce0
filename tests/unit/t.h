/* A tiny unit-test harness. Each test_*.c file is one binary; TEST() bodies
 * register themselves and run in file order. Output is TAP-like:
 *   ok - name | not ok - name  (+ "#" diagnostics)
 * tests/run.sh counts those lines into the suite's summary. */
#ifndef EXAUDIT_T_H
#define EXAUDIT_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
extern int t_failed_here;
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Directory of the repository (for fixtures), from $EXAUDIT_SRC or ".". */
const char *t_srcdir(void);
/* Path of a fixture under tests/fixtures/. Returned buffer is static per call slot. */
const char *t_fixture(const char *rel);

#define TEST(name)                                                                                                     \
    static void test_##name(void);                                                                                     \
    __attribute__((constructor)) static void reg_##name(void)                                                          \
    {                                                                                                                  \
        t_register(#name, test_##name);                                                                                \
    }                                                                                                                  \
    static void test_##name(void)

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                                                                \
    do {                                                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                            \
        if (a_ != b_)                                                                                                  \
            t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_);                             \
    } while (0)

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *a_ = (a), *b_ = (b);                                                                               \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                                         \
            t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");   \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                                    \
    do {                                                                                                               \
        const char *h_ = (hay), *n_ = (needle);                                                                        \
        if (!h_ || !strstr(h_, n_))                                                                                    \
            t_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);                      \
    } while (0)

#endif
