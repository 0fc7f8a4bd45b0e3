#!/usr/bin/env bash
# Every C++ source and header of the tree is formatted as .clang-format says (Debian 12's
# clang-format 14): a change that is not formatted fails here. Fix with:
#   git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$1"
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
  echo "$out" | grep -E "^[^ ].*: (error|warning):" | head -40
  n=$(echo "$out" | grep -cE ": (error|warning):" || true)
  echo "FAIL: $n formatting differences; run: git ls-files '*.cpp' '*.h' | xargs clang-format -i"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "${#files[@]} files formatted"
echo "1 passed, 0 failed"
