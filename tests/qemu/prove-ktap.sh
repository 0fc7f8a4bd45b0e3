#!/usr/bin/env bash
# Runs the in-kernel KTAP suites under QEMU through Perl's `prove`, the standard TAP harness:
# a failing test, a short plan or a non-zero QEMU exit status fails the run.
set -euo pipefail
image=$1
exec prove -v --exec "timeout 60 qemu-system-aarch64 -M virt -cpu cortex-a53 -m 256M -nographic -nic none \
  -semihosting-config enable=on,target=native -append ktest -kernel" "$image"
