#!/usr/bin/env bash
# The debugging path that tools/run-qemu --gdb prints: QEMU waits for gdb, gdb-multiarch attaches
# with the ELF's symbols, stops at start_kernel and reads the DTB address from x0.
set -euo pipefail
elf=$1 image=$2
port=$((20000 + RANDOM % 20000))
qemu-system-aarch64 -M virt -cpu cortex-a53 -m 256M -nographic -nic none -no-reboot \
  -semihosting-config enable=on,target=native -kernel "$image" -S -gdb tcp:127.0.0.1:$port \
  >/dev/null 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null || true' EXIT
out=$(timeout 60 gdb-multiarch -q -batch "$elf" -ex "target remote 127.0.0.1:$port" \
  -ex 'break start_kernel' -ex continue -ex 'info registers x0' -ex 'bt 1' 2>&1) || true
echo "$out"
grep -q "Breakpoint 1, start_kernel" <<<"$out" || { echo "FAIL: gdb did not stop at start_kernel"; exit 1; }
grep -qE "^x0 +0x48000000" <<<"$out" || { echo "FAIL: x0 is not the DTB address QEMU passed (0x48000000)"; exit 1; }
echo PASS
