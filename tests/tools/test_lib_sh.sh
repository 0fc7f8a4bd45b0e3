#!/usr/bin/env bash
# tools/lib.sh's configure_and_build must report a failed build (tools/run-tests relies on it), also
# under `set -o pipefail`, where a filtered pipeline once turned build failures into success.
set -euo pipefail
source "$1/tools/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(broken CXX)
add_executable(broken broken.cpp)
CM
echo 'int main() { return undeclared; }' > "$tmp/broken.cpp"
cat > "$tmp/CMakePresets.json" <<'PR'
{"version": 6, "configurePresets": [{"name": "p", "generator": "Ninja", "binaryDir": "${sourceDir}/build/p"}],
 "buildPresets": [{"name": "p", "configurePreset": "p"}]}
PR
top=$tmp
cd "$tmp"
if configure_and_build p > "$tmp/out" 2>&1; then
  echo "FAIL: a broken build was reported as a success"; cat "$tmp/out"; exit 1
fi
grep -q "error: the p build failed" "$tmp/out" || { echo "FAIL: no clear message"; cat "$tmp/out"; exit 1; }
grep -q "undeclared" "$tmp/out" || { echo "FAIL: the compiler's error was filtered out"; exit 1; }
echo 'int main() { return 0; }' > "$tmp/broken.cpp"
configure_and_build p > "$tmp/out" 2>&1 || { echo "FAIL: a good build was reported as a failure"; exit 1; }
echo "1 passed, 0 failed"
