#!/bin/bash
# The translation catalogues are complete: every translatable string of the
# report sources and of the verdict's sentence table (lib/explain.c) is in
# po/de.po, translated, and not fuzzy. Guards against a sentence added in
# English and forgotten in German.
. "$(dirname "$0")/lib.sh"
cd "$SRC"
if ! command -v xgettext >/dev/null; then fail "gettext tools installed"; exit 0; fi
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --package-name=exaudit -o "$TMP/now.pot" \
    lib/out/report*.c lib/out/i18n.c lib/explain.c
check "de.po has every msgid of the sources" msgcmp po/de.po "$TMP/now.pot"
check "en.po has every msgid of the sources" msgcmp po/en.po "$TMP/now.pot"
untranslated=$(msgattrib --untranslated --no-obsolete po/de.po | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete po/de.po | grep -c '^msgid ' || true)
expect_eq "de.po: nothing untranslated" "$untranslated" 0
expect_eq "de.po: nothing fuzzy" "$fuzzy" 0
check "de.po compiles with format checks" msgfmt --check -o /dev/null po/de.po
