/* i18n: the report's language, through gettext (text domain "exaudit",
 * catalogues po/de.po and po/en.po, built into build/locale by `make`).
 *
 * GNU gettext ignores LANGUAGE while LC_MESSAGES is "C", and a fresh Debian
 * has no locale but C.UTF-8: so the language is chosen with LANGUAGE on top of
 * C.UTF-8 (or the user's own UTF-8 locale when one is set), and the output
 * codeset is forced to UTF-8. */
#ifndef EXAUDIT_I18N_H
#define EXAUDIT_I18N_H

#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

/* "de" or "en" from LANGUAGE, LC_ALL, LC_MESSAGES, LANG (in that order); "en"
 * when none names German. */
const char *ex_i18n_default_lang(void); /* LANGUAGE: the first of its list that is de or en */

/* Select lang ("de" or "en"; NULL = default) for this process. Returns the
 * language used, or NULL when lang is not supported. locale_dir may be NULL:
 * $EXAUDIT_LOCALEDIR, then "locale" beside the executable (build/locale), then
 * ../share/locale beside it, then /usr/share/locale. */
const char *ex_i18n_init(const char *lang, const char *locale_dir);

/* Where the catalogues were found ("" when none: English msgids are shown). */
const char *ex_i18n_dir(void);

#endif
