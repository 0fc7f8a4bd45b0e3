"""Deterministic performance measurements shared by tools/bench and tools/perf-check.

Two counters, both repeatable to the instruction on one machine:
  - callgrind_per_op(): instructions per call of one bench_mm operation (the kernel's own mm code
    on the host), counted between callgrind toggles, so setup is not included;
  - qemu_bootstat(): the kernel's `bootstat:` line under QEMU `-icount shift=0,sleep=off`, where one
    guest instruction is one nanosecond of virtual time.
"""
import re
import subprocess

BOOTSTAT = re.compile(r"bootstat: first console output at (\d+) ns, buddy allocator online at (\d+) ns, "
                      r"end of boot at (\d+) ns")


def callgrind_per_op(bench, name, reps):
    """Instructions per call of bench_mm operation `name` over `reps` calls (None if not counted)."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--callgrind-out-file=/dev/null",
                        bench, "--count", name, str(reps)], capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    return int(m.group(1)) / reps if m else None


def qemu_cmd(image, mem, extra=()):
    return ["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-m", mem, "-nographic", "-nic", "none",
            "-no-reboot", "-icount", "shift=0,sleep=off", "-semihosting-config", "enable=on,target=native",
            "-kernel", image, *extra]


def qemu_output(image, mem, extra=()):
    return subprocess.run(qemu_cmd(image, mem, extra), capture_output=True, text=True, timeout=600).stdout


def qemu_bootstat(image, mem):
    """(first console, buddy online, end of boot) in instructions, or None if the line is missing."""
    m = BOOTSTAT.search(qemu_output(image, mem))
    return tuple(int(x) for x in m.groups()) if m else None


def floor_instructions(floor_image):
    """The floor image prints the generic timer's count at its first instruction (62.5 MHz: 16 ns)."""
    m = re.search(r"floor: cntvct=0x([0-9a-f]+)", qemu_output(floor_image, "128M"))
    return int(m.group(1), 16) * 16 if m else None
