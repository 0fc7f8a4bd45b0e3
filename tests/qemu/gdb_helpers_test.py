#!/usr/bin/env python3
"""The gdb helpers (tools/gdb/fixmap_kernel.py) on a kernel under QEMU, scenario by scenario.

    tests/qemu/gdb_helpers_test.py [--elf E] [--image I] SCENARIO [--quiet]

QEMU starts halted (-S) with its gdbstub and its HMP monitor on Unix sockets (no TCP ports to
collide); gdb-multiarch runs the helpers with commands fed one at a time, each answer read up to a
marker, so the test waits for events (a breakpoint, the monitor's prompt) and never sleeps. The gdb
session is printed as a transcript ("(gdb) command" and its output; docs/when-the-board-prints-
nothing.md shows these transcripts and the docs test re-runs them), then the checks.

Scenarios:
  early       stopped in console_register, before any console: dmesg has the buffered lines
              (and each later appears on the serial port, replayed), fixmap shows FIX_FDT and the
              earlycon slot, memblock and buddy say they are not set up; bt ends at
              __primary_switched
  no-console  a wrong earlycon= and a device tree whose PL011 is hidden: the kernel prints nothing
              at all and idles; stopped there, dmesg shows the whole boot and why there is no console
  mmu-off     stopped at the reset vector and in head.S with the MMU off: every command says so in
              one line; kstate finds the Image at its load address by its header
  after-boot  the kernel waits in its monitor: translate agrees with the monitor's translate and
              with QEMU's gva2gpa for addresses of every kind; ptdump, memblock and buddy agree
              with the monitor's ptdump and meminfo; fixmap with its fixmap
  smp-bt      two CPUs: bt from start_kernel and from CPU 1's secondary_start_kernel ends cleanly
  batch       the by-hand form tools/run-qemu --gdb prints: gdb-multiarch -batch -x ... -ex ...
  raspi4b     QEMU 10's raspi4b as the Pi firmware boots it (EL2, Image at 0x200000): head.S at EL2,
              dmesg and fixmap before the console, translate at the end against gva2gpa
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from checks import Checks  # noqa: E402

HELPERS = os.path.join(TOP, "tools", "gdb", "fixmap_kernel.py")
WAIT = 120  # seconds for any one event; a loaded 2-core machine is slow, never stuck
LOAD_PA = 0x40200000  # where QEMU's virt loader puts the Image (2 MiB into RAM)


class Stream:
    """A pipe read by a thread into a buffer that can be waited on."""

    def __init__(self, pipe):
        self.buf = b""
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self.thread.start()

    def _pump(self, pipe):
        while True:
            chunk = os.read(pipe.fileno(), 4096)
            with self.cond:
                if not chunk:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.buf += chunk
                self.cond.notify_all()

    def wait_for(self, marker, start=0, timeout=WAIT):
        """Index just past `marker` (bytes) found at or after `start`; None on timeout or EOF."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                i = self.buf.find(marker, start)
                if i >= 0:
                    return i + len(marker)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(left)

    def text(self, start=0, end=None):
        with self.cond:
            return self.buf[start:end].decode("utf-8", "replace").replace("\r\n", "\n")


class Failure(Exception):
    pass


def qemu10_dir():
    """The QEMU 10 tools/install-deps unpacked (for -M raspi4b), or a Failure saying it is missing."""
    d = os.path.join(os.environ.get("FIXMAP_DEPS") or os.path.expanduser("~/.cache/fixmap-kernel"), "qemu10")
    if not os.path.isfile(os.path.join(d, ".done")):
        raise Failure("QEMU 10 (for -M raspi4b) is not in %s: run tools/install-deps" % d)
    return d


# The virt machine's CPU model (--cpu): cortex-a72 has no 16 KiB granule, so a 16K kernel runs on
# cortex-a76.
VIRT_CPU = "cortex-a72"


class Session:
    """QEMU halted at reset, its serial port, HMP monitor and gdbstub; gdb with the helpers."""

    def __init__(self, elf, image, append="", smp=1, dtb=None, board="virt", start_gdb=True):
        self.dir = tempfile.mkdtemp(prefix="fmk-gdb-")
        self.gdb_sock = os.path.join(self.dir, "gdb.sock")
        self.hmp_sock = os.path.join(self.dir, "hmp.sock")
        if board == "raspi4b":  # as tools/run-qemu --board rpi4: QEMU 10, entry at EL2, Image at 0x200000
            q10 = qemu10_dir()
            cmd = [os.path.join(q10, "usr", "bin", "qemu-system-aarch64"), "-L", os.path.join(q10, "usr", "share", "qemu"),
                   "-M", "raspi4b", "-global", "cortex-a72-arm-cpu.cntfrq=54000000"]
        else:
            cmd = ["qemu-system-aarch64", "-M", "virt", "-cpu", VIRT_CPU, "-m", "1G", "-smp", str(smp), "-nic", "none"]
        cmd += ["-nographic", "-no-reboot", "-semihosting-config", "enable=on,target=native",
                "-kernel", image, "-S", "-gdb", "unix:%s,server=on,wait=off" % self.gdb_sock,
                "-monitor", "unix:%s,server=on,wait=off" % self.hmp_sock]
        if dtb:
            cmd += ["-dtb", dtb]
        if append:
            cmd += ["-append", append]
        self.qemu_stderr = open(os.path.join(self.dir, "qemu.stderr"), "w+")
        self.qemu = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.qemu_stderr)
        self.serial = Stream(self.qemu.stdout)
        deadline = time.monotonic() + WAIT
        while not (os.path.exists(self.gdb_sock) and os.path.exists(self.hmp_sock)):
            if self.qemu.poll() is not None or time.monotonic() > deadline:
                self.qemu_stderr.seek(0)
                raise Failure("QEMU did not start: " + self.qemu_stderr.read())
            time.sleep(0.02)  # polling for the sockets QEMU creates at startup
        self.hmp = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.hmp.connect(self.hmp_sock)
        self.hmp.settimeout(WAIT)
        self._hmp_read()
        self.gdb = None
        if start_gdb:
            self._start_gdb(elf)

    def _start_gdb(self, elf):
        self.gdb = subprocess.Popen(["gdb-multiarch", "-q", "-nx", elf, "-ex", "set pagination off",
                                     "-ex", "set confirm off", "-ex", "set width 0", "-x", HELPERS,
                                     "-ex", "target remote " + self.gdb_sock],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = Stream(self.gdb.stdout)
        self.mark = 0
        self.pos = 0
        self.transcript = []
        self.sync()

    def _hmp_read(self):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = self.hmp.recv(4096)
            if not chunk:
                raise Failure("QEMU's monitor closed")
            data += chunk
        return data.decode("utf-8", "replace")

    def hmp_cmd(self, line):
        self.hmp.sendall(line.encode() + b"\n")
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", self._hmp_read()).replace("\r", "")
        return text

    def send(self, line):
        self.gdb.stdin.write(line.encode() + b"\n")
        self.gdb.stdin.flush()

    def sync(self, timeout=WAIT):
        """Everything gdb printed up to a fresh marker."""
        self.mark += 1
        marker = "@@fmk-%d@@" % self.mark
        self.send("echo %s\\n" % marker)
        end = self.out.wait_for(marker.encode() + b"\n", self.pos, timeout)
        if end is None:
            raise Failure("gdb did not answer within %d s; it printed:\n%s" % (timeout, self.out.text(self.pos)))
        # gdb prompts before each command it reads from the pipe: drop the prompts.
        text = self.out.text(self.pos, end - len(marker) - 1).replace("(gdb) ", "")
        self.pos = end
        return text

    def cmd(self, line, show=True):
        """Runs a gdb command; returns (and records) its output."""
        self.send(line)
        text = self.sync()
        if show:
            self.transcript.append("(gdb) " + line)
            self.transcript += text.rstrip("\n").split("\n") if text.strip() else []
        return text

    def serial_wait(self, marker, start=0):
        end = self.serial.wait_for(marker.encode(), start)
        if end is None:
            raise Failure("the serial port never showed %r; it showed:\n%s" % (marker, self.serial.text()))
        return end

    def serial_cmd(self, line, prompt="fixmap-kernel> "):
        """A monitor command over the serial port; its output up to the next prompt."""
        start = len(self.serial.buf)
        self.qemu.stdin.write(line.encode() + b"\r")
        self.qemu.stdin.flush()
        echo = self.serial_wait(line, start)
        end = self.serial_wait(prompt, echo)
        return self.serial.text(echo, end - len(prompt))

    def close(self):
        for p in (self.gdb, self.qemu):
            if p is None:
                continue
            if p.poll() is None:
                p.kill()
            p.wait()
        self.hmp.close()
        self.qemu_stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def section(title):
    print("\n## " + title)


def show(s):
    """Prints the gdb session so far; the checks follow."""
    print("\n".join(s.transcript))
    s.transcript = []
    section("checks")


def lines_with(text, prefix):
    """The lines starting with prefix once the kernel's "[    0.123456] " timestamp is dropped."""
    lines = (re.sub(r"^\[\s*\d+\.\d+\] ", "", ln.rstrip()) for ln in text.replace("\r", "").split("\n"))
    return [ln for ln in lines if ln.startswith(prefix)]


# ---- scenarios ---------------------------------------------------------------------------------

def early(a, check):
    s = Session(a.elf, a.image)
    try:
        s.cmd("break kernel::console_register")
        stop = s.cmd("continue")
        serial_then = s.serial.text().strip()
        dmesg = s.cmd("dmesg")
        fixmap = s.cmd("fixmap")
        memblock = s.cmd("memblock")
        buddy = s.cmd("buddy")
        bt = s.cmd("bt")
        show(s)
        check("Breakpoint 1, kernel::console_register" in stop, "gdb stops in console_register (before any console)")
        check(serial_then == "", "nothing has been printed on the serial port yet")
        logged = [ln for ln in dmesg.split("\n") if ln.startswith("[")]
        check(any(re.search(r"\] Booting fixmap-kernel on physical CPU 0x0000000000", ln) for ln in logged),
              "dmesg shows the first line of the boot")
        check(any(re.search(r"\] fdt: 0x0000000048000000 \(\d+ bytes\) mapped at 0xfffffffffddff000 via FIX_FDT$", ln)
                  for ln in logged), "dmesg shows the FIX_FDT line")
        check("dmesg: no console is registered" in dmesg, "dmesg says no console has printed these lines")
        check(re.search(r"^fixmap: FIX_FDT +va=0xfffffffffddff000 pa=0x0000000048000000 +256 pages RW NX Normal "
                        r"\(TTBR1-checked\)$", fixmap, re.M) is not None,
              "fixmap shows the FDT slot (256 pages, writable until the remap)")
        check(re.search(r"^fixmap: FIX_EARLYCON_MEM_BASE +va=0xfffffffffddfe000 pa=0x0000000009000000 +1 page  RW NX "
                        r"Device-nGnRE \(TTBR1-checked\)$", fixmap, re.M) is not None,
              "fixmap shows the earlycon slot just mapped on the PL011")
        check(memblock.strip() == "memblock: no memory registered yet (setup_memory reads the device tree's memory "
              "nodes)", "memblock says it is not set up yet, in one line")
        check(buddy.strip() == "buddy: not online yet (mem_init has not handed memory to the buddy allocator)",
              "buddy says it is not online yet, in one line")
        check(re.search(r"^#\d+ +0x[0-9a-f]+ in __primary_switched \(\)", bt, re.M) is not None
              and "corrupt stack" not in bt and "previous frame identical" not in bt,
              "bt ends cleanly at __primary_switched")
        # Let the boot go on: the console replays the buffer, so each line gdb read appears.
        s.cmd("delete", show=False)
        s.send("continue")
        s.serial_wait("reboot: Power down")
        serial = [ln.rstrip() for ln in s.serial.text().split("\n")]
        missing = [ln for ln in logged if ln not in serial]
        check(logged and not missing, "every line dmesg read from memory is later replayed on the console (%d lines)%s"
              % (len(logged), "; missing: %r" % missing[:3] if missing else ""))
    finally:
        s.close()


def no_console(a, check):
    tmp = tempfile.mkdtemp(prefix="fmk-dtb-")
    dtb = os.path.join(tmp, "virt-no-console.dtb")
    try:
        subprocess.run(["qemu-system-aarch64", "-M", "virt,dumpdtb=" + dtb, "-cpu", "cortex-a72", "-m", "1G",
                        "-nographic", "-nic", "none"], check=True, capture_output=True)
        # The board "prints nothing": no stdout-path, the PL011 disabled, a wrong earlycon= address.
        subprocess.run(["fdtput", "-d", dtb, "/chosen", "stdout-path"], check=True)
        subprocess.run(["fdtput", "-t", "s", dtb, "/pl011@9000000", "status", "disabled"], check=True)
        s = Session(a.elf, a.image, append="earlycon=pl011,mmio32,0x9100000 halt=idle", dtb=dtb)
        try:
            s.cmd("break arch_halt_asm")
            stop = s.cmd("continue")
            serial_then = s.serial.text().strip()
            kstate = s.cmd("kstate")
            dmesg = s.cmd("dmesg")
            fixmap = s.cmd("fixmap")
            show(s)
            check("Breakpoint 1, " in stop and "arch_halt_asm" in stop, "gdb stops where the kernel idles at the end")
            check(serial_then == "", "the kernel printed nothing at all on the serial port")
            check("console none" in kstate and "buddy online" in kstate, "kstate: no console, the boot got far")
            check(re.search(r"\] earlycon: earlycon=pl011,mmio32,0x9100000: no device in the device tree is at this "
                            r"address", dmesg) is not None, "dmesg says why earlycon= was refused")
            check(re.search(r"\] earlycon: no console: ", dmesg) is not None, "dmesg says there is no console")
            check(re.search(r"\] halt=idle: idling in wfi", dmesg) is not None, "dmesg has the last line of the boot")
            check("dmesg: no console is registered" in dmesg, "dmesg says these lines never reached a UART")
            check(re.search(r"^fixmap: FIX_FDT +va=0xfffffffffddff000 pa=0x0000000048000000 +\d+ pages RO NX Normal "
                            r"\(TTBR1-checked\)$", fixmap, re.M) is not None, "fixmap shows the FDT slot, read-only")
            check("FIX_EARLYCON_MEM_BASE" not in fixmap, "fixmap: no earlycon slot was ever mapped")
        finally:
            s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def mmu_off(a, check):
    s = Session(a.elf, a.image)
    try:
        reset = s.cmd("kstate") + s.cmd("dmesg") + s.cmd("translate 0xffff800080000000")
        # The kernel has not run yet, so its load address cannot be found: say it, to break in head.S.
        s.cmd("set fixmap-kernel-phys-base 0x%x" % LOAD_PA)
        bp = s.cmd("break *$kphys(&__idmap_text_start)")
        s.cmd("set fixmap-kernel-phys-base auto")
        s.cmd("continue")
        kstate = s.cmd("kstate")
        outs = {c: s.cmd(c) for c in ("dmesg", "fixmap", "translate 0xfffffffffddff000", "ptdump", "memblock", "buddy")}
        phys = s.cmd("print/x $kphys(&_text)")
        show(s)
        check("MMU off, pc 0x40000000" in reset and "the kernel has not started yet" in reset,
              "at QEMU's reset vector: the kernel has not started, said in one line per command")
        check("kernel image: pa 0x40200000-" in kstate and "found by its Image header, MMU off" in kstate,
              "kstate finds the Image at its load address from its header, with the MMU off")
        check(all(len(o.strip().split("\n")) == 1 and "the MMU is off" in o for o in outs.values()),
              "dmesg, fixmap, translate, ptdump, memblock, buddy: one line each saying the MMU is off")
        check("= __idmap_text_start+0x0" in outs["dmesg"], "the pc is named with the load offset applied")
        check(phys.strip().endswith("= 0x40200000"), "$kphys(&_text) is the load address")
        check("Breakpoint 1 at 0x40201000" in bp, "break *$kphys(...) sets a breakpoint at the physical address")
    finally:
        s.close()


def after_boot(a, check):
    s = Session(a.elf, a.image, append="shell")
    try:
        log_va = int(s.cmd('python print(hex(gdb.lookup_static_symbol("kernel::(anonymous namespace)::g_log")'
                           '.value().address))', show=False), 16)
        start_kernel = int(s.cmd("python print(hex(gdb.lookup_global_symbol('start_kernel').value().address))",
                                 show=False), 16)
        s.send("continue")  # gdb reads its next command once the kernel stops
        s.serial_wait("fixmap-kernel> ")
        fdt_va = 0xFFFFFFFFFDDFF010
        # Addresses of every kind: a fixmap slot, kernel text and data, the linear map, ioremap
        # (the console), the modules hole (unmapped), and a TTBR0 (identity map) address.
        console = re.search(r"to ioremap (0x[0-9a-f]+)", s.serial.text())
        vas = [fdt_va, start_kernel + 4, log_va + 0x123, 0xFFFF000048000040,
               int(console.group(1), 16) + 0x18 if console else 0xFFFF800100000018, 0xFFFF800000001000]
        monitor = {va: s.serial_cmd("translate 0x%x" % va) for va in vas}
        mon_ptdump = s.serial_cmd("ptdump")
        mon_meminfo = s.serial_cmd("meminfo")
        mon_fixmap = s.serial_cmd("fixmap")
        # Stop the running kernel from outside, as Ctrl-C in gdb would: gdb's `continue` returns.
        s.hmp_cmd("stop")
        stop = s.sync()
        # The transcript in the order things happened: gdb continues, the kernel's monitor answers
        # on the serial port, QEMU's monitor stops the CPU, gdb reports the stop.
        s.transcript += ["(gdb) continue", "Continuing.", "[serial] fixmap-kernel> translate 0x%x" % fdt_va]
        s.transcript += ["[serial] " + ln for ln in monitor[fdt_va].replace("\r", "").strip("\n").split("\n")]
        s.transcript += ["[qemu] (qemu) stop"] + stop.replace("Continuing.\n", "", 1).strip().split("\n")
        kstate = s.cmd("kstate")
        gdb_tr = {va: s.cmd("translate 0x%x" % va) for va in vas}
        ttbr0 = s.cmd("translate 0x40201000")
        ptdump = s.cmd("ptdump")
        ptdump_part = s.cmd("ptdump 0xfffffffffdc00000")
        memblock = s.cmd("memblock")
        buddy = s.cmd("buddy")
        fixmap = s.cmd("fixmap all")
        dmesg = s.cmd("dmesg 3")
        show(s)
        check("SIGINT" in stop, "HMP stop interrupts the kernel under gdb (SIGINT, as Ctrl-C)")
        check("fixmap initialised" in kstate and "buddy online" in kstate and "console registered" in kstate,
              "kstate: every boot step is done")
        for va in vas:
            mon = [ln.rstrip() for ln in monitor[va].split("\n") if ln.startswith("  L") or ln.startswith("  =>")]
            ours = [ln.rstrip() for ln in gdb_tr[va].split("\n") if ln.strip()]
            check(mon and mon == ours, "translate 0x%x: the same lines as the monitor's translate" % va)
            hmp = s.hmp_cmd("gva2gpa 0x%x" % va)
            m_gpa = re.search(r"gpa: (0x[0-9a-f]+)", hmp)
            print("[qemu] (qemu) gva2gpa 0x%x: %s" % (va, m_gpa.group(0) if m_gpa else
                                                      " ".join(ln for ln in hmp.split("\n")[1:-1] if ln.strip())))
            m_ours = re.search(r"=> pa (0x[0-9a-f]+)", gdb_tr[va])
            if m_ours:
                check(m_gpa is not None and int(m_gpa.group(1), 16) == int(m_ours.group(1), 16),
                      "translate 0x%x: QEMU's gva2gpa agrees (%s)" % (va, m_gpa.group(0) if m_gpa else hmp.strip()))
            else:
                check(m_gpa is None and "Unmapped" in hmp, "translate 0x%x: unmapped, and QEMU's gva2gpa agrees" % va)
        check(re.search(r"translate: 0x40201000: TTBR0_EL1 walks are disabled \(TCR_EL1.EPD0 = 1\)", ttbr0)
              is not None, "a TTBR0 address: walks disabled since head.S's idmap_walks_off")
        rng = re.compile(r"^0x[0-9a-f]{16}-0x[0-9a-f]{16} ")
        mon_ranges = [ln.rstrip() for ln in mon_ptdump.split("\n") if rng.match(ln)]
        our_ranges = [ln.rstrip() for ln in ptdump.split("\n") if rng.match(ln)]
        check(len(our_ranges) > 5 and mon_ranges == our_ranges,
              "ptdump: the same %d ranges as the monitor's ptdump" % len(our_ranges))
        check(all(ln in our_ranges for ln in ptdump_part.split("\n") if rng.match(ln))
              and "fixmap" not in ptdump_part and re.search(r"^0xfffffffffd", ptdump_part, re.M) is not None,
              "ptdump <start>: the fixmap's ranges only")
        mon_mb = lines_with(mon_meminfo, "memblock:")
        check(len(mon_mb) >= 3 and [ln for ln in memblock.split("\n") if ln.strip()] == mon_mb,
              "memblock: the same lines as the monitor's meminfo")
        # The numbers, not the whole lines: the allocator's own report may gain lines (per-CPU lists).
        def buddy_numbers(text):
            total = re.search(r"buddy: (\d+) pages free \(\d+ MiB\) of (\d+) managed", text)
            orders = re.search(r"buddy: free blocks per order:((?: \d+:\d+)+)( pcp:\d+)?", text)
            return (total.groups() if total else None), (orders.groups() if orders else None)
        mon_buddy, our_buddy = buddy_numbers(mon_meminfo), buddy_numbers(buddy)
        check(None not in mon_buddy and mon_buddy == our_buddy,
              "buddy: the same free and managed pages and free blocks per order as the monitor's meminfo")

        def slots(text):  # the kernel checks with AT S1E1R, gdb with a walk from TTBR1_EL1
            return [re.sub(r" \((?:MMU|TTBR1)-checked\)$", "", ln) for ln in lines_with(text, "fixmap: FIX_")]
        check(len(slots(fixmap)) == 14 and slots(fixmap) == slots(mon_fixmap),
              "fixmap all: the same 14 slots as the monitor's fixmap")
        check(len([ln for ln in dmesg.split("\n") if ln.strip()]) == 3, "dmesg 3: the last three lines")
        s.cmd("kill", show=False)
    finally:
        s.close()


def smp_bt(a, check):
    s = Session(a.elf, a.image, smp=2)
    try:
        s.cmd("break start_kernel")
        s.cmd("continue")
        bt0 = s.cmd("bt")
        s.cmd("delete")
        s.cmd("break kernel::secondary_start_kernel")
        stop = s.cmd("continue")
        bt1 = s.cmd("bt")
        kstate = s.cmd("kstate")
        show(s)
        for name, bt, entry in (("start_kernel", bt0, "__primary_switched"),
                                ("secondary_start_kernel", bt1, "__secondary_switched")):
            last = [ln for ln in bt.split("\n") if ln.startswith("#")][-1:]
            check(bool(last) and ("in %s ()" % entry) in last[0] and "corrupt stack" not in bt
                  and "previous frame identical" not in bt and "Backtrace stopped" not in bt,
                  "bt from %s ends at %s, cleanly" % (name, entry))
        check("Thread 2 hit Breakpoint" in stop, "CPU 1 (thread 2) reaches secondary_start_kernel")
        check(len(re.findall(r"^kstate: thread \d: EL1, MMU on", kstate, re.M)) == 2, "kstate: both CPUs, MMU on")
    finally:
        s.close()


def batch(a, check):
    """The by-hand form (tools/run-qemu --gdb prints it): gdb-multiarch -batch with -x and -ex."""
    s = Session(a.elf, a.image, append="halt=idle", start_gdb=False)
    try:
        cmd = ["gdb-multiarch", "-q", "-nx", "-batch", a.elf, "-x", HELPERS, "-ex", "target remote " + s.gdb_sock,
               "-ex", "break arch_halt_asm", "-ex", "continue", "-ex", "dmesg 1", "-ex", "fixmap",
               "-ex", "translate 0xfffffffffddff000", "-ex", "kill"]
        print("$ " + " ".join(("'%s'" % c) if " " in c else c for c in cmd))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL)
        print(r.stdout + r.stderr)
        section("checks")
        check(r.returncode == 0, "gdb -batch exits with status 0")
        check(r.stdout.startswith("fixmap-kernel gdb helpers: dmesg, fixmap, translate, ptdump, memblock, buddy, kstate"),
              "-x loads the helpers before the target is connected")
        check(re.search(r"\] halt=idle: idling in wfi", r.stdout) is not None, "dmesg 1: the last line")
        check(re.search(r"^fixmap: FIX_FDT .*\(TTBR1-checked\)$", r.stdout, re.M) is not None, "fixmap")
        check("  => pa 0x48000000" in r.stdout, "translate")
        check("Traceback" not in r.stdout + r.stderr and "Python Exception" not in r.stdout + r.stderr,
              "no Python error")
    finally:
        s.close()


def raspi4b(a, check):
    dtb = os.path.join(a.dtbs, "broadcom", "bcm2711-rpi-4-b.dtb")
    if not os.path.exists(dtb):
        raise Failure("%s not found: run tools/install-deps" % dtb)
    s = Session(a.elf, a.image, append="halt=idle", dtb=dtb, board="raspi4b")
    try:
        s.cmd("break *(0x200000 + ((unsigned long)&__idmap_text_start - (unsigned long)&_text))")
        s.cmd("continue")
        head = s.cmd("kstate") + s.cmd("fixmap")
        s.cmd("delete")
        s.cmd("break kernel::console_register")
        s.cmd("continue")
        dmesg = s.cmd("dmesg")
        fixmap = s.cmd("fixmap")
        s.cmd("delete")
        s.cmd("break arch_halt_asm")
        s.cmd("continue")
        kstate = s.cmd("kstate")
        tr = s.cmd("translate 0xfffffffffddff010")
        hmp = s.hmp_cmd("gva2gpa 0xfffffffffddff010")
        show(s)
        check("thread 1: EL2, MMU off" in head and "kernel image: pa 0x200000-" in head
              and "the CPU is at EL2" in head, "in head.S at EL2 (the Pi firmware's entry): found at 0x200000, "
              "the commands say the CPU is at EL2")
        check(re.search(r"\] Machine model: Raspberry Pi 4 Model B$", dmesg, re.M) is not None
              and "dmesg: no console is registered" in dmesg, "dmesg before the console: the Pi 4's lines")
        check(re.search(r"^fixmap: FIX_FDT +va=0xfffffffffddff000 pa=0x0000000008000000 ", fixmap, re.M) is not None
              and re.search(r"^fixmap: FIX_EARLYCON_MEM_BASE +va=0xfffffffffddfe000 pa=0x00000000fe201000 +1 page  RW "
                            r"NX Device-nGnRE \(TTBR1-checked\)$", fixmap, re.M) is not None,
              "fixmap: the DTB at 0x08000000 and the PL011 at 0xfe201000")
        check(len(re.findall(r"^kstate: thread \d: EL1, MMU on", kstate, re.M)) == 4, "kstate: four CPUs, MMU on")
        m = re.search(r"gpa: (0x[0-9a-f]+)", hmp)
        check("=> pa 0x8000010" in tr and m is not None and int(m.group(1), 16) == 0x8000010,
              "translate of the FDT window: pa 0x8000010, as QEMU's gva2gpa")
    finally:
        s.close()


SCENARIOS = {"early": early, "no-console": no_console, "mmu-off": mmu_off, "after-boot": after_boot,
             "smp-bt": smp_bt, "raspi4b": raspi4b, "batch": batch}


def main():
    global VIRT_CPU
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--elf", default=os.path.join(TOP, "build", "kernel", "kernel.elf"))
    p.add_argument("--image", default=os.path.join(TOP, "build", "kernel", "kernel8.img"))
    p.add_argument("--dtbs", default=os.path.join(os.environ.get("FIXMAP_DEPS") or
                                                  os.path.expanduser("~/.cache/fixmap-kernel"), "dtbs"),
                   help="Debian's device trees (tools/install-deps), for raspi4b")
    p.add_argument("--cpu", default=VIRT_CPU, help="the virt machine's CPU model (default %(default)s)")
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    a = p.parse_args()
    VIRT_CPU = a.cpu
    for f in (a.elf, a.image):
        if not os.path.exists(f):
            sys.exit("%s not found: build the kernel first" % f)
    if shutil.which("gdb-multiarch") is None:
        sys.exit("gdb-multiarch not found: run tools/install-deps")
    check = Checks()
    section("gdb session: %s" % a.scenario)
    try:
        SCENARIOS[a.scenario](a, check)
    except Failure as e:
        check.fail(str(e))
    check.finish()


if __name__ == "__main__":
    main()
