#!/usr/bin/env bash
# The WordPress plugin's checks: `php -l` on every PHP file, then the PHPUnit suite.
set -euo pipefail
cd "$(dirname "$0")/storeflow"

failed=0
while IFS= read -r -d '' file; do
  if ! output=$(php -l "$file" 2>&1); then
    echo "$output"
    failed=1
  fi
done < <(find . -name '*.php' -print0)
[ "$failed" -eq 0 ] || { echo "php -l found syntax errors"; exit 1; }
echo "php -l: $(find . -name '*.php' | wc -l) files OK"

phpunit --configuration phpunit.xml

# The storefront scripts under Node's test runner (a fake page), where Node is installed.
if command -v node >/dev/null; then
  node --test tests/js/
else
  echo "node not found: tests/js skipped"
fi
