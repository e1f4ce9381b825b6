#!/usr/bin/env bash
# Builds the zip a merchant uploads: the storeflow/ folder without what storeflow/.distignore
# lists (development tools such as bin/sign-event.php, the tests). Needs `zip`.
# Usage: bash wordpress-plugin/build-zip.sh [output.zip]   (default wordpress-plugin/storeflow.zip)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/storeflow.zip}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
excludes=()
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%%#*}"
  line="$(echo "$line" | xargs)"
  [ -n "$line" ] || continue
  excludes+=("storeflow/$line" "storeflow/$line/*")
done < "$here/storeflow/.distignore"
rm -f "$out"
cd "$here"
zip -q -r "$out" storeflow -x "${excludes[@]}"
echo "$out"
