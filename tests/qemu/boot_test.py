#!/usr/bin/env python3
"""Boot the kernel under qemu-system-aarch64 (-M virt, or a Raspberry Pi model) and check what it prints.

Every run has a timeout: a kernel that hangs fails the test, it never hangs the suite.
Checks, on every successful boot:
  * the earlycon line, the FIX_FDT line and "Machine model:" are there, with the exact formats;
  * the fixmap table's va/pa agree with the earlycon and fdt lines and with the fixmap layout,
    and the kernel verified each against the MMU (AT instruction): "(MMU-checked)", no MISMATCH;
  * with --ktest: the KTAP output has a plan and every suite is "ok".

Which QEMU: the system's qemu-system-aarch64 (7.2) unless --qemu PATH [--qemu-datadir DIR] or
--qemu10 (the QEMU 10 that tools/install-deps unpacked into $FIXMAP_DEPS/qemu10, for -M raspi4b)
is given; the first output line names it with its version.
Without semihosting (--no-semihosting) a Raspberry Pi model has no way to power off: the kernel
ends in its monitor (or halts); --stop-at-prompt then ends the run at the monitor's prompt, kills
QEMU and counts that as exit status 0. A "reboot: stopped with status N; halting the CPU" line
ends the run with status N.
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

FIXADDR_TOP = 0xFFFFFFFFFE000000
# The granule the kernel was built for, from its fixmap table line ("... : 968 x 4K pages, ...").
GRANULE_LINE = re.compile(r"fixmap: 0x[0-9a-f]{16}-0x[0-9a-f]{16}: \d+ x (4|16|64)K pages, ")


def slot_index(page):
    """Index of the first (lowest-VA) page of each slot group (include/asm/fixmap.h): FIX_FDT_END
    is 1 and the FDT window is 2 MiB plus one page, then the console and the text-poking slot."""
    fdt = 1 + (2 << 20) // page
    return {"FIX_FDT": fdt, "FIX_EARLYCON_MEM_BASE": fdt + 1, "FIX_TEXT_POKE0": fdt + 2}
# kernel/monitor.cpp's prompt: the kernel has finished booting and waits for commands.
MONITOR_PROMPT = "fixmap-kernel> "
# arch/arm64/setup.cpp machine_exit() without semihosting or PSCI: the CPU halts with a status.
HALT_STATUS = re.compile(r"reboot: stopped with status (\d+); halting the CPU")
HALT_OFF = "reboot: PSCI SYSTEM_OFF unavailable"


def fail(msg, out):
    sys.stdout.write(out)
    sys.stdout.write("\nFAIL: %s\n" % msg)
    sys.exit(1)


def qemu10_dir():
    return os.path.join(os.environ.get("FIXMAP_DEPS") or os.path.expanduser("~/.cache/fixmap-kernel"), "qemu10")


def resolve_qemu(a):
    """Sets a.qemu_base (binary + -L) from --qemu/--qemu-datadir/--qemu10; fails clearly if missing."""
    if a.qemu10:
        d = qemu10_dir()
        binary = os.path.join(d, "usr/bin/qemu-system-aarch64")
        if not (os.path.isfile(os.path.join(d, ".done")) and os.access(binary, os.X_OK)):
            print("FAIL: QEMU 10 (needed for -M %s) is not in %s: run tools/install-deps, which downloads "
                  "Debian's bookworm-backports qemu-system-arm/qemu-system-common into it; if that download "
                  "failed, its warning says why" % (a.machine, d))
            sys.exit(1)
        a.qemu, a.qemu_datadir = binary, os.path.join(d, "usr/share/qemu")
    a.qemu_base = [a.qemu] + (["-L", a.qemu_datadir] if a.qemu_datadir else [])
    try:
        r = subprocess.run([a.qemu, "--version"], capture_output=True, text=True, timeout=30)
        version = r.stdout.splitlines()[0] if r.returncode == 0 and r.stdout else None
    except (OSError, subprocess.TimeoutExpired) as e:
        version, r = None, e
    if not version:
        print("FAIL: %s --version did not run: %s" % (a.qemu, r))
        sys.exit(1)
    print("QEMU: %s: %s%s" % (a.qemu, version, " (data: %s)" % a.qemu_datadir if a.qemu_datadir else ""))


def semihosting(a):
    return [] if a.no_semihosting else ["-semihosting-config", "enable=on,target=native"]


def qemu_command(a, dumpdtb=None):
    if a.machine != "virt":
        # A Raspberry Pi model: fixed CPU, RAM and CPU count; the first -serial is the PL011.
        cmd = a.qemu_base + ["-M", a.machine, "-nographic", "-no-reboot"] + semihosting(a)
        return cmd + qemu_tail(a)
    machine = ("virt" + (",virtualization=on" if a.el2 else "") + "".join("," + o for o in a.virt_opt) +
               (",dumpdtb=" + dumpdtb if dumpdtb else ""))
    cmd = a.qemu_base + ["-M", machine, "-cpu", a.cpu, "-m", a.mem, "-smp", str(a.smp),
                         "-nographic", "-nic", "none", "-no-reboot"] + semihosting(a)
    return cmd + qemu_tail(a)


def run_qemu(cmd, a, limit):
    """Runs QEMU until it exits, the time limit passes, or (--stop-at-prompt) the monitor's prompt
    appears, or the kernel says it halted with a status. Returns (output, status, timed_out, how)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + limit
    raw, how, status = b"", None, None
    while True:
        left = deadline - time.time()
        if left <= 0:
            break
        r, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
        if not r:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        raw += chunk
        text = raw.decode("utf-8", "replace")
        if a.stop_at_prompt and MONITOR_PROMPT in text:
            how, status = "monitor prompt", 0
            break
        m = HALT_STATUS.search(text)
        if m:
            how, status = "kernel halted with status %s" % m.group(1), int(m.group(1))
            break
        if HALT_OFF in text and "halting the CPU" in text[text.index(HALT_OFF):]:
            how, status = "kernel powered down and halted (no PSCI, no semihosting)", 0
            break
    if how:
        time.sleep(0.2)  # let QEMU flush what follows the marker, then stop it
        proc.kill()
        rest, _ = proc.communicate()
        raw += rest
        return raw, status, False, how
    if proc.poll() is None:
        try:
            rest, _ = proc.communicate(timeout=max(0.0, deadline - time.time()) + 0.5)
            raw += rest
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
            return raw + rest, None, True, None
    else:
        raw += proc.communicate()[0]
    return raw, proc.returncode, False, None


def qemu_tail(a):
    cmd = []
    cmd += a.qemu_arg
    if a.dtb_at:
        # A minimal boot loader (tests/qemu/bad_input_test.py's shim): x0 = the DTB, wherever it is.
        cmd += ["-device", "loader,file=%s,addr=0x40200000,force-raw=on" % a.image,
                "-device", "loader,file=%s,addr=0x40100000,force-raw=on" % a.shim,
                "-device", "loader,file=%s,addr=%s,force-raw=on" % (a.dtb, a.dtb_at),
                "-device", "loader,addr=0x40100000,cpu-num=0"]
        return cmd
    if a.loader_addr:
        # A loader that only copies the Image and jumps to it: x0 = 0 (no DTB).
        cmd += ["-device", "loader,file=%s,addr=%s,force-raw=on" % (a.image, a.loader_addr),
                "-device", "loader,addr=%s,cpu-num=0" % a.loader_addr]
    else:
        cmd += ["-kernel", a.image]
    if a.dtb:
        cmd += ["-dtb", a.dtb]
    append = a.append
    if a.ktest:
        append = (append + " ktest").strip()
    if a.ktest_suite:
        append = (append + " ktest=" + a.ktest_suite).strip()
    if append and not a.loader_addr:
        cmd += ["-append", append]
    return cmd


def check_boot_log(out, a):
    m = re.search(r"earlycon: pl011 at MMIO 0x([0-9a-f]{16}) \(fixmap 0x([0-9a-f]{16})\)", out)
    if not m:
        fail("no 'earlycon: pl011 at MMIO 0x<16 hex> (fixmap 0x<va>)' line", out)
    ec_pa, ec_va = int(m.group(1), 16), int(m.group(2), 16)
    m = re.search(r"fdt: 0x([0-9a-f]+) \((\d+) bytes\) mapped at 0x([0-9a-f]+) via FIX_FDT", out)
    if not m:
        fail("no 'fdt: 0x<pa> (<n> bytes) mapped at 0x<va> via FIX_FDT' line", out)
    fdt_pa, fdt_va = int(m.group(1), 16), int(m.group(3), 16)
    if not re.search(r"Machine model: \S", out):
        fail("no 'Machine model:' line", out)
    if "MISMATCH" in out:
        fail("the kernel found a fixmap slot whose descriptor disagrees with the MMU", out)
    m = GRANULE_LINE.search(out)
    if not m:
        fail("no 'fixmap: <start>-<end>: <n> x <granule> pages, ...' line", out)
    PAGE = int(m.group(1)) << 10
    SLOT_INDEX = slot_index(PAGE)
    table = {}
    for line in re.findall(r"fixmap: (FIX_\S+(?: slot \d)?)\s+va=0x([0-9a-f]{16}) pa=0x([0-9a-f]{16}).*", out):
        table[line[0]] = (int(line[1], 16), int(line[2], 16))
    for name in ("FIX_FDT", "FIX_EARLYCON_MEM_BASE"):
        if name not in table:
            fail("fixmap table has no %s line" % name, out)
    for name, (va, _pa) in table.items():
        if name in SLOT_INDEX and va != FIXADDR_TOP - SLOT_INDEX[name] * PAGE:
            fail("%s va 0x%x is not FIXADDR_TOP - %d pages" % (name, va, SLOT_INDEX[name]), out)
    if re.search(r"fixmap: FIX_\S+.*va=0x[0-9a-f]{16}(?!.*\(MMU-checked\))", out):
        fail("a fixmap line was not checked against the MMU", out)
    va, pa = table["FIX_EARLYCON_MEM_BASE"]
    if ec_va != va + (ec_pa & (PAGE - 1)) or pa != ec_pa & ~(PAGE - 1):
        fail("earlycon line (pa 0x%x va 0x%x) disagrees with the fixmap table" % (ec_pa, ec_va), out)
    va, pa = table["FIX_FDT"]
    if fdt_va != va + (fdt_pa & (PAGE - 1)) or pa != fdt_pa & ~(PAGE - 1):
        fail("fdt line (pa 0x%x va 0x%x) disagrees with the fixmap table" % (fdt_pa, fdt_va), out)
    for needle in ("memblock:  memory[0x0]", "Virtual kernel memory layout:", "paging_init: swapper_pg_dir at pa 0x",
                   "mm: Checked W+X mappings: passed, no W+X pages found; no writable alias of the ", "FIX_EARLYCON_MEM_BASE cleared",
                   "early_ioremap: reset"):
        if needle not in out:
            fail("missing boot line: %r" % needle, out)
    m = re.search(r"buddy: (\d+) pages free \((\d+) MiB\) of (\d+) managed", out)
    if not m:
        fail("no 'buddy: <n> pages free (<size>)' line", out)
    ranges = re.findall(r"memblock:  memory\[0x[0-9a-f]+\]\s+\[0x([0-9a-f]+)-0x([0-9a-f]+)\].*", out)
    mapped = re.findall(r"memblock:  memory\[0x[0-9a-f]+\]\s+\[0x([0-9a-f]+)-0x([0-9a-f]+)\], 0x[0-9a-f]+ bytes$",
                        out, re.M)
    total = sum(int(e, 16) + 1 - int(s, 16) for s, e in mapped) // PAGE
    managed = int(m.group(3))
    # Everything but the kernel, the DTB, struct pages and page tables goes to the buddy allocator.
    if not (total * 0.97 - 512 < managed <= total):
        fail("buddy manages %d pages of %d in RAM" % (managed, total), out)
    if a.expect_memory_ranges is not None and len(ranges) != a.expect_memory_ranges:
        fail("memblock lists %d memory ranges, expected %d" % (len(ranges), a.expect_memory_ranges), out)
    if a.machine == "virt":
        if a.el2 and "entered at EL2, running at EL1" not in out:
            fail("expected an EL2 entry and a drop to EL1", out)
        if not a.el2 and "entered at EL1, running at EL1" not in out:
            fail("expected an EL1 entry", out)


def check_ktap(out):
    lines = out.splitlines()
    try:
        start = lines.index("KTAP version 1")
    except ValueError:
        fail("no KTAP output", out)
    m = re.match(r"1\.\.(\d+)$", lines[start + 1])
    if not m:
        fail("KTAP output has no plan", out)
    planned = int(m.group(1))
    top = [l for l in lines[start:] if re.match(r"(not )?ok \d+ ", l)]
    if len(top) != planned:
        fail("KTAP plan says %d suites, %d reported" % (planned, len(top)), out)
    bad = [l for l in top if l.startswith("not ok")]
    if bad:
        fail("failing suites: %s" % ", ".join(bad), out)
    if planned == 0:
        fail("KTAP ran no suite", out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image", required=True)
    p.add_argument("--machine", default="virt", help="virt, or a Raspberry Pi model such as raspi3b")
    p.add_argument("--dtb-file", help="pass this DTB with -dtb")
    p.add_argument("--cpu", default="cortex-a53")
    p.add_argument("--mem", default="1G")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--el2", action="store_true")
    p.add_argument("--ktest", action="store_true")
    p.add_argument("--ktest-suite", help="run this in-kernel suite only (ktest=NAME) and check its KTAP output")
    p.add_argument("--virt-opt", action="append", default=[],
                   help="a -M virt option, e.g. gic-version=3 or secure=on (repeatable)")
    p.add_argument("--append", default="")
    p.add_argument("--loader-addr", help="load with QEMU's generic loader at this address (x0 = 0)")
    p.add_argument("--expect-status", type=int, default=0)
    p.add_argument("--expect-line", action="append", default=[])
    p.add_argument("--expect-source", help="text of the 'earlycon: chosen by' line")
    p.add_argument("--expect-timeout", type=float,
                   help="the kernel must still be running after this many seconds (halt=idle)")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--fdtput", action="append", default=[],
                   help="edit the DTB before booting (QEMU's own, or a copy of --dtb-file): arguments of one "
                        "fdtput call, e.g. '-t x /memory@40000000 reg 0 0x40000000 0 0x10000000'")
    p.add_argument("--dtb-at", help="boot through a minimal loader with QEMU's DTB at this address")
    p.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument (repeatable)")
    p.add_argument("--expect-memory-ranges", type=int, help="memblock must list this many memory ranges")
    p.add_argument("--qemu", default="qemu-system-aarch64", help="QEMU binary (default: the system's)")
    p.add_argument("--qemu-datadir", help="QEMU's data directory (passed as -L), for a QEMU outside /usr")
    p.add_argument("--qemu10", action="store_true",
                   help="the QEMU 10 that tools/install-deps put in $FIXMAP_DEPS/qemu10 (for -M raspi4b); "
                        "fails if it is not there")
    p.add_argument("--no-semihosting", action="store_true",
                   help="run QEMU without semihosting: on a Raspberry Pi model the kernel ends in its monitor")
    p.add_argument("--stop-at-prompt", action="store_true",
                   help="end the run at the monitor's prompt (%r): kill QEMU, count it as status 0" % MONITOR_PROMPT)
    a = p.parse_args()
    resolve_qemu(a)
    a.dtb = a.dtb_file
    if a.fdtput:
        import shlex
        import tempfile
        tmp = tempfile.NamedTemporaryFile(suffix=".dtb", delete=False)
        if a.dtb_file:
            tmp.write(open(a.dtb_file, "rb").read())
            tmp.close()
        else:
            subprocess.run(qemu_command(a, dumpdtb=tmp.name), check=True, capture_output=True)
        a.dtb = tmp.name
        for edit in a.fdtput:
            subprocess.run(["fdtput", a.dtb] + shlex.split(edit), check=True)

    if a.dtb_at:
        import tempfile
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bad_input_test import shim
        d = tempfile.mkdtemp()
        dtb = os.path.join(d, "virt.dtb")
        a.shim = os.path.join(d, "shim.bin")
        dtb_at, a.dtb_at, a.dtb = a.dtb_at, None, None
        subprocess.run(qemu_command(a, dumpdtb=dtb), check=True, capture_output=True)
        a.dtb_at, a.dtb = dtb_at, dtb
        args = (a.append + (" ktest" if a.ktest else "") + (" ktest=" + a.ktest_suite if a.ktest_suite else "")).strip()
        if args:
            subprocess.run(["fdtput", "-t", "s", a.dtb, "/chosen", "bootargs", args], check=True)
        open(a.shim, "wb").write(shim(int(a.dtb_at, 0), 0x40200000))

    cmd = qemu_command(a)
    print("+ " + " ".join(cmd))
    limit = a.expect_timeout or a.timeout
    started = time.time()
    raw, status, timed_out, how = run_qemu(cmd, a, limit)
    out = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    if how:
        out += "\n[boot_test: %s after %.1f s: QEMU stopped, status counted as %d]\n" % (how, time.time() - started,
                                                                                       status)

    if a.expect_timeout:
        if not timed_out:
            fail("expected the kernel to keep running, but QEMU exited with %d" % status, out)
    else:
        if timed_out:
            why = ""
            if a.no_semihosting and MONITOR_PROMPT in out:
                why = " (it waits in the monitor: without semihosting there is no power-off; use --stop-at-prompt)"
            fail("QEMU did not finish within %.0f s: the kernel hung%s" % (a.timeout, why), out)
        if status != a.expect_status:
            fail("QEMU exit status %d, expected %d" % (status, a.expect_status), out)
    for line in a.expect_line:
        if line not in out:
            fail("missing expected text: %r" % line, out)
    if a.expect_status == 0:
        check_boot_log(out, a)
        if "Unexpected exception" in out or "Kernel panic" in out:
            fail("the kernel reported an exception or a panic", out)
    if a.expect_source and ("earlycon: chosen by %s" % a.expect_source) not in out:
        fail("earlycon was not chosen by %r" % a.expect_source, out)
    if a.ktest or a.ktest_suite:
        check_ktap(out)
    sys.stdout.write(out)
    print("\nPASS")


if __name__ == "__main__":
    main()
