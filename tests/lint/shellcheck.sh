#!/usr/bin/env bash
# tests/lint/shellcheck.sh SOURCE_DIR — shellcheck on every shell script of the tree: files ending in .sh and
# files whose first line names bash or sh, outside build trees. Sourced libraries are checked
# through the scripts that source them (-x) and on their own.
set -euo pipefail

readonly SOURCE_DIR="$1"
cd "$SOURCE_DIR"

if ! command -v shellcheck >/dev/null; then
  echo "shellcheck is not installed (apt-get install -y shellcheck)" >&2
  exit 1
fi

scripts=()
while IFS= read -r -d '' file; do
  if [[ "$file" == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*\b(bash|sh)\b'; then
    scripts+=("$file")
  fi
done < <(find . -path ./build -prune -o -path ./.git -prune -o -type f \
  \( -name '*.sh' -o -perm -u+x \) ! -name '*.py' -print0)

# SC2154 (variable referenced but not assigned) does not hold for libraries checked alone: the
# scripts that source them assign those variables, and -x checks them together.
shellcheck -x -P SCRIPTDIR -e SC2154,SC2034 "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
