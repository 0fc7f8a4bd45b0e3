"""Deterministic performance measurements shared by tools/bench and tools/perf-check.

Two counters, both repeatable to the instruction on one machine:
  - callgrind_per_op(): instructions per call of one bench_mm operation (the kernel's own mm code
    on the host), counted between callgrind toggles, so setup is not included;
  - qemu_bootstat(): the kernel's `bootstat:` line under QEMU `-icount shift=0,sleep=off`, where one
    guest instruction is one nanosecond of virtual time.
"""
import os
import re
import subprocess

GRANULES = ("4K", "16K", "64K")

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


def qemu_boot(image, mem):
    """One boot's figures: "bootstat" (as qemu_bootstat), and from the log, when present,
    "struct_page_kib" (mem_init's array), "reserved_kib" (the Memory: line's "other reserved"),
    "linear_map" (paging_init's block/page counts, as printed) and "table_pages" (paging_init's
    page-table pages from memblock)."""
    out = qemu_output(image, mem)
    m = BOOTSTAT.search(out)
    r = {"bootstat": tuple(int(x) for x in m.groups()) if m else None}
    m = re.search(r"(\d+)K struct page", out)
    if m:
        r["struct_page_kib"] = int(m.group(1))
    m = re.search(r"(\d+)K other reserved", out)
    if m:
        r["reserved_kib"] = int(m.group(1))
    m = re.search(r"linear map: ([^;]+);", out)
    if m:
        r["linear_map"] = m.group(1).strip()
    m = re.search(r"(\d+) table pages from memblock", out)
    if m:
        r["table_pages"] = int(m.group(1))
    return r


def bench_binaries(host_build):
    """{granule: path} of the bench_mm binaries in a host build: bench_mm (the tree's GRANULE) and
    bench_mm_<g> (the two others, tests/bench/bench.cmake), each asked its granule (--granule)."""
    found = {}
    for name in ("bench_mm", "bench_mm_4k", "bench_mm_16k", "bench_mm_64k"):
        path = os.path.join(host_build, name)
        if os.path.exists(path):
            g = subprocess.run([path, "--granule"], capture_output=True, text=True).stdout.strip()
            if g in GRANULES:
                found[g] = path
    return found


def kernel_image(kernel_build):
    return os.path.join(kernel_build, "kernel8.img")


def image_figures(kernel_build, tool_prefix="aarch64-linux-gnu-"):
    """Sizes of one kernel build: "file" (kernel8.img bytes), "sections" {name: bytes} and the static
    page tables in bytes: "init_pg_dir" (head.S's boot tables, freed after paging_init),
    "idmap_pg_dir", "fixmap" (bm_pud + bm_pmd + bm_pte), "reserved_pg_dir", "image" (_text.._end)."""
    elf = os.path.join(kernel_build, "kernel.elf")
    r = {"file": os.path.getsize(kernel_image(kernel_build)), "sections": {}}
    for line in subprocess.run([tool_prefix + "size", "-A", elf], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        p = line.split()
        if len(p) >= 2 and p[0].startswith(".") and p[1].isdigit() and not p[0].startswith(".debug"):
            r["sections"][p[0]] = int(p[1])
    addr, size = {}, {}
    for line in subprocess.run([tool_prefix + "nm", "-S", "-C", elf], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        p = line.split(None, 3)
        if len(p) == 4 and len(p[1]) == 16:  # address size type name
            addr[p[3]], size[p[3]] = int(p[0], 16), int(p[1], 16)
        elif len(p) == 3:
            addr[p[2]] = int(p[0], 16)
    r["init_pg_dir"] = addr.get("init_pg_end", 0) - addr.get("init_pg_dir", 0)
    r["idmap_pg_dir"] = addr.get("idmap_pg_end", 0) - addr.get("idmap_pg_dir", 0)
    r["fixmap"] = sum(v for k, v in size.items() if re.search(r"\bbm_p(ud|md|te)$", k))
    r["reserved_pg_dir"] = sum(v for k, v in size.items() if re.search(r"\breserved_pg_dir$", k))
    r["image"] = addr.get("_end", 0) - addr.get("_text", 0)
    return r


def floor_instructions(floor_image):
    """The floor image prints the generic timer's count at its first instruction (62.5 MHz: 16 ns)."""
    m = re.search(r"floor: cntvct=0x([0-9a-f]+)", qemu_output(floor_image, "128M"))
    return int(m.group(1), 16) * 16 if m else None
