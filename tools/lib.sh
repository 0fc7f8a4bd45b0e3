# Shared by tools/run-qemu and tools/run-tests.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ensure_deps() {
  "$top/tools/install-deps" --quiet
}

# configure_and_build <preset>: configures once, then builds incrementally.
configure_and_build() {
  local preset=$1
  if [[ ! -f "$top/build/$preset/build.ninja" ]]; then
    cmake --preset "$preset" -S "$top" >/dev/null || { echo "error: cmake --preset $preset failed" >&2; return 1; }
  fi
  cmake --build --preset "$preset" -- -j"$(nproc)" | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
  return "${PIPESTATUS[0]}"
}
