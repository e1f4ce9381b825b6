#!/usr/bin/env bash
# Refreshes the plugin's translation files after a string changed: extracts
# storeflow/languages/storeflow.pot from the PHP sources, merges it into each .po (translate the
# new or fuzzy entries, then run this again) and compiles the .mo files WordPress loads.
# Needs gettext (xgettext, msgmerge, msgfmt).
set -euo pipefail
cd "$(dirname "$0")/storeflow"
find includes storeflow.php -name '*.php' | sort | xgettext --language=PHP --from-code=UTF-8 \
  --add-comments=translators: --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e \
  --keyword=esc_attr__ --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2 \
  --package-name=Storeflow --package-version=0.1.0 --msgid-bugs-address=https://storeflow.io/support \
  --sort-by-file -f - -o languages/storeflow.pot
sed -i "s/charset=CHARSET/charset=UTF-8/" languages/storeflow.pot
for po in languages/storeflow-*.po; do
  msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" languages/storeflow.pot
  msgfmt --check --statistics -o "${po%.po}.mo" "$po"
done
