#!/usr/bin/env python3
"""Drives the kernel's monitor through QEMU's serial port with scripted input and checks the answers.

Every exchange waits for the prompt, so nothing depends on timing; the whole run has a timeout.
"""
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Checks  # noqa: E402

check = Checks()

image = sys.argv[1]
PROMPT = b"fixmap-kernel> "
proc = subprocess.Popen(["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-m", "1G", "-nographic", "-nic", "none",
                         "-no-reboot", "-semihosting-config", "enable=on,target=native", "-kernel", image,
                         "-append", "shell"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.time() + 60
transcript = b""


pending = b""  # output read past the last marker, kept for the next exchange


def read_until(marker):
    global transcript, deadline, pending
    deadline = time.time() + 60  # per exchange: a loaded CI machine may be slow, never stuck
    buf, pending = pending, b""
    while marker not in buf:
        left = deadline - time.time()
        if left <= 0:
            sys.stdout.write(transcript.decode("utf-8", "replace"))
            print("\nFAIL: timed out waiting for %r" % marker)
            proc.kill()
            sys.exit(1)
        r, _, _ = select.select([proc.stdout], [], [], left)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    end = buf.find(marker) + len(marker) if marker in buf else len(buf)
    buf, pending = buf[:end], buf[end:]
    transcript += buf
    return buf.decode("utf-8", "replace").replace("\r\n", "\n")


def run(cmd, raw=None, first=None):
    proc.stdin.write(raw if raw is not None else cmd.encode() + b"\r")
    proc.stdin.flush()
    out = read_until(first) if first else ""  # the line editor redraws the prompt while editing
    return out + read_until(PROMPT)




read_until(PROMPT)
out = run("help")
check("translate <va>" in out and "poke-demo" in out and "interrupts" in out and "cpus" in out,
      "help lists the commands")

out = run("fixmap")
m = re.search(r"fixmap: FIX_FDT\s+va=0x([0-9a-f]+) pa=0x([0-9a-f]+)", out)
check(m is not None, "fixmap shows the live FDT slot")
check(re.search(r"FIX_EARLYCON_MEM_BASE\s+va=0x[0-9a-f]+\s+1 page\s+free", out) is not None,
      "fixmap shows the earlycon slot free (the console moved to ioremap)")
check(out.count(" free") >= 11, "fixmap lists the free slots too")
if m:
    va, pa = int(m.group(1), 16), int(m.group(2), 16)
    out = run("translate 0x%x" % (va + 0x10))
    t = re.search(r"=> pa 0x([0-9a-f]+)", out)
    check(t is not None and int(t.group(1), 16) == pa + 0x10, "translate of a fixmap VA agrees with the fixmap table")
    check("(agrees)" in out and "page, RO NX Normal" in out, "translate: the MMU agrees, the FDT page is RO NX")
    check(len(re.findall(r"  L[0-3] table pa", out)) == 4, "translate prints each of the four levels")

out = run("translate 0xfffffffffddfe000")
check("invalid: translation fault, level 3" in out, "translate of a free slot: translation fault at level 3")
out = run("translate 0x1000")
check("is not a kernel (TTBR1) address" in out, "translate of a user address is refused")
out = run("translate")
check("usage: translate <virtual address>" in out, "translate without an argument prints its usage")
out = run("ptdump")
check(re.search(r"RW NX Device-nGnRE\s+-> 0x9000000", out) is not None, "ptdump shows the ioremapped console")
check(re.search(r"0xffff000040000000-0xffff0000401fffff\s+2M  RW NX Normal\s+-> 0x40000000", out) is not None,
      "ptdump shows the linear map below the kernel")
check(re.search(r"0xffff000040200000-\S+\s+\d+K  RO NX Normal\s+-> 0x40200000", out) is not None,
      "ptdump shows the read-only linear alias of the kernel's text and rodata")
check("RO X  Normal" in out and "RW X" not in out, "ptdump: text RX, nothing RWX")
out = run("ptdump 0xfffffffffdc00000")
check("0xffff0000" not in out and "0xfffffffffddff000" in out, "ptdump with a start address")
out = run("ptdump zz")
check("ptdump: bad start: 'zz' is not a decimal (or 0x...) number" in out, "ptdump with a bad argument says why")
out = run("ptdump 0xffff800080010000 0xffff800080000000")
check("ptdump: end 0xffff800080000000 is below start 0xffff800080010000: give the lower address first" in out
      and "0 ranges" not in out, "ptdump <end> <start> is refused with the reason, not '0 ranges'")
out = run("translate 0x1ffff800080000000")
check("translate: bad address: '0x1ffff800080000000' does not fit in 64 bits" in out,
      "a number over 64 bits is refused, not wrapped")
out = run("translate 0x")
check("translate: bad address: '0x': no digits after 0x" in out, "'0x' is refused, not read as 0")
out = run("meminfo")
check("memblock:  memory[0x0]" in out and "buddy: free blocks per order:" in out, "meminfo")
out = run("early_ioremap")
check("reset (the buddy allocator is up: use ioremap())" in out and out.count(": free (va") == 7, "early_ioremap")
out = run("poke-demo")
check("returns 7" in out and "returns 42" in out and "now clear again" in out and "still read-only" in out,
      "poke-demo: 7 -> 42 through FIX_TEXT_POKE0, alias cleared, text read-only")
out = run("helx", raw=b"helx\x7fp\r")
check("commands:" in out, "backspace edits the line")
out = run("", raw=b"\x1b[A\r", first=b"commands:")
check("commands:" in out, "up arrow recalls the previous line")
out = run("", raw=b"hlp\x1b[D\x1b[De\r", first=b"commands:")
check("commands:" in out, "left arrow moves the cursor: 'hlp' edited to 'help'")
out = run("", raw=b"poweroff\x03")
check("^C" in out and "reboot: Power down" not in out, "Ctrl-C cancels the line")
out = run("", raw=b"poweroff\x15help\r", first=b"commands:")
check("commands:" in out, "Ctrl-U erases the line")
out = run("", raw=b"log " + b"x" * 200 + b"\r")
check("monitor: line longer than 127 characters: not run" in out and "Booting fixmap-kernel" not in out,
      "an over-long line is refused, not cut and run")
out = run("frobnicate")
check("unknown command 'frobnicate'; type 'help' for the list" in out, "unknown command")
TIMER_ROW = re.compile(r"^\s*27:\s+(\d+)\s+GICv2\s+27 PPI\s+arch_timer$", re.M)
out = run("interrupts")
first = TIMER_ROW.search(out)
check(first is not None and "CPU0" in out and " Spu:" in out,
      "interrupts: the timer's PPI 27 counted per CPU, as /proc/interrupts, and the spurious row")
time.sleep(0.5)  # the monitor polls the UART with interrupts on: the tick goes on meanwhile
later = TIMER_ROW.search(run("interrupts"))
check(first is not None and later is not None and int(later.group(1)) > int(first.group(1)),
      "interrupts: the tick keeps counting while the monitor waits for input")
out = run("cpus")
# QEMU's DT gives a single CPU no enable-method (it needs none: it is the boot CPU).
check(re.search(r"^\s+0  0x0000000000  0x000f0510  online   none \(boot\)\s+cpu@0\s+[1-9]\d*\s+\d+$", out, re.M) is not None
      and "1 of 1 CPU online; this is CPU0" in out,
      "cpus: the boot CPU with its MPIDR, MIDR (QEMU's max), state, enable-method, IRQs (the tick: > 0) and IPIs")
out = run("log")
check("Booting fixmap-kernel" in out, "log replays the boot log")
proc.stdin.write(b"poweroff\r")
proc.stdin.flush()
try:
    proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    proc.kill()
rest = proc.stdout.read().decode("utf-8", "replace")
check(proc.returncode == 0 and "reboot: Power down" in rest, "poweroff ends QEMU with status 0")
check.finish()
