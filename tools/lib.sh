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
  # Keep the build's status: a filtered pipeline with `|| true` would turn a failed build into
  # success under `set -o pipefail`.
  local log status=0
  log=$(mktemp)
  cmake --build --preset "$preset" -- -j"$(nproc)" >"$log" 2>&1 || status=$?
  grep -vE '^\[[0-9]+/[0-9]+\] ' "$log" || true
  rm -f "$log"
  if ((status)); then
    echo "error: the $preset build failed (cmake --build --preset $preset)" >&2
  fi
  return "$status"
}

# qemu10_cmd: prints the QEMU 10 that tools/install-deps unpacked (for -M raspi4b) with its data
# directory: "<cache>/qemu10/usr/bin/qemu-system-aarch64 -L <cache>/qemu10/usr/share/qemu".
# Fails with a message when it is not there. The system's qemu-system-aarch64 (7.2) stays the
# QEMU for -M virt and raspi3b.
qemu10_cmd() {
  local q10="${FIXMAP_DEPS:-$HOME/.cache/fixmap-kernel}/qemu10"
  if [[ ! -f "$q10/.done" || ! -x "$q10/usr/bin/qemu-system-aarch64" ]]; then
    echo "error: QEMU 10 (for -M raspi4b) is not in $q10: run tools/install-deps (it downloads Debian's bookworm-backports qemu-system-arm)" >&2
    return 1
  fi
  echo "$q10/usr/bin/qemu-system-aarch64 -L $q10/usr/share/qemu"
}

# A tool's --help: the comment block at the top of the script (after the #! line), up to the first
# line of code.
print_header_help() { sed -n '2,${/^#/!q;p;}' "$1" | sed 's/^# \{0,1\}//'; }
