#!/bin/sh
# Regenerate po/exaudit.pot from the report sources and merge it into the
# catalogues (po/de.po, po/en.po). Run after changing a translatable string,
# then translate the new entries of po/de.po (en.po: msgstr = msgid).
set -eu
cd "$(dirname "$0")/.."
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --add-comments=TRANSLATORS \
  --package-name=exaudit -o po/exaudit.pot lib/out/report*.c lib/out/i18n.c lib/explain.c
for po in po/de.po po/en.po; do
  msgmerge --quiet --update --backup=none "$po" po/exaudit.pot
done
msgen po/en.po -o po/en.po.tmp && mv po/en.po.tmp po/en.po
