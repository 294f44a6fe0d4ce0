/* i18n: see i18n.h. */
#include "i18n.h"

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char found_dir[4096];

const char *ex_i18n_dir(void)
{
    return found_dir;
}

static bool names_german(const char *v)
{
    return v && !strncmp(v, "de", 2);
}

/* LANGUAGE is a priority list ("fr:de:en"): the first language with a
 * catalogue wins, as with GNU gettext; none of ours means English. */
static const char *from_language_list(const char *v)
{
    for (const char *p = v; *p; p += strcspn(p, ":"), p += *p == ':') {
        if (names_german(p))
            return "de";
        if (!strncmp(p, "en", 2))
            return "en";
    }
    return "en";
}

const char *ex_i18n_default_lang(void)
{
    static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return i == 0 ? from_language_list(v) : names_german(v) ? "de" : "en";
    }
    return "en";
}

static bool has_catalogue(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/de/LC_MESSAGES/exaudit.mo", dir);
    return access(path, R_OK) == 0;
}

static void find_dir(const char *given)
{
    char exe[4096], cand[4096];
    found_dir[0] = '\0';
    const char *env = getenv("EXAUDIT_LOCALEDIR");
    if (given || (env && *env)) {
        snprintf(found_dir, sizeof found_dir, "%s", given ? given : env);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const rel[] = {"locale", "../share/locale"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
            if (has_catalogue(cand)) {
                snprintf(found_dir, sizeof found_dir, "%s", cand);
                return;
            }
        }
    }
    if (has_catalogue("/usr/share/locale"))
        snprintf(found_dir, sizeof found_dir, "/usr/share/locale");
}

/* LANGUAGE only counts when LC_MESSAGES is not "C"/"POSIX". */
static void ensure_messages_locale(void)
{
    const char *cur = setlocale(LC_MESSAGES, NULL);
    if (cur && strcmp(cur, "C") != 0 && strcmp(cur, "POSIX") != 0)
        return;
    if (!setlocale(LC_MESSAGES, "C.UTF-8"))
        setlocale(LC_MESSAGES, "C.utf8");
}

const char *ex_i18n_init(const char *lang, const char *locale_dir)
{
    if (!lang)
        lang = ex_i18n_default_lang();
    if (strcmp(lang, "de") != 0 && strcmp(lang, "en") != 0)
        return NULL;
    setlocale(LC_ALL, "");
    ensure_messages_locale();
    setenv("LANGUAGE", lang, 1);
    find_dir(locale_dir);
    if (found_dir[0])
        bindtextdomain("exaudit", found_dir);
    bind_textdomain_codeset("exaudit", "UTF-8");
    textdomain("exaudit");
    /* Numbers in reports are written by us, never by the locale. */
    setlocale(LC_NUMERIC, "C");
    return lang;
}
