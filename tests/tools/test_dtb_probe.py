#!/usr/bin/env python3
"""tools/dtb-probe against known device trees (expected values written here), over every DTB of
Debian's arm64 kernel package (no crash, a verdict for each), and on broken input."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Checks  # noqa: E402

check = Checks()

probe, dtbs = sys.argv[1], sys.argv[2]


def run(*args):
    return subprocess.run([probe, *args], capture_output=True, text=True)


expect = {
    "broadcom/bcm2711-rpi-4-b.dtb": ("Raspberry Pi 4 Model B", 0xFE201000, [0xD8, 0xE0, 0xE8, 0xF0]),
    "broadcom/bcm2711-rpi-400.dtb": ("Raspberry Pi 400", 0xFE201000, [0xD8, 0xE0, 0xE8, 0xF0]),
    "broadcom/bcm2711-rpi-cm4-io.dtb": ("Raspberry Pi Compute Module 4 IO Board", 0xFE201000, [0xD8, 0xE0, 0xE8, 0xF0]),
    "broadcom/bcm2837-rpi-3-b.dtb": ("Raspberry Pi 3 Model B", 0x3F201000, [0xD8, 0xE0, 0xE8, 0xF0]),
}
for name, (model, uart, spins) in expect.items():
    r = run("--json", os.path.join(dtbs, name))
    check(r.returncode == 0, "%s: exit 0" % name)
    j = json.loads(r.stdout)
    check(j["model"] == model, "%s: model %r" % (name, j["model"]))
    check(j["console"] and j["console"]["address"] == uart, "%s: PL011 at 0x%x" % (name, uart))
    check("brcm,bcm2835-aux-uart, not a PL011" in j["console_warning"], "%s: says stdout-path is the mini UART" % name)
    check(j["psci"] == "none", "%s: no PSCI" % name)
    check([s["release_addr"] for s in j["spin_table"]] == spins, "%s: spin-table release addresses" % name)
    check(j["reserved"] and j["reserved"][0]["base"] == 0, "%s: firmware page reserved" % name)

r = run("--json", os.path.join(dtbs, "qemu-virt.dtb"))
j = json.loads(r.stdout)
check(j["model"] == "linux,dummy-virt" and j["console"]["address"] == 0x09000000, "virt: PL011 at 0x9000000")
check(j["psci"] == "hvc" and j["memory"] == [{"base": 0x40000000, "size": 0x40000000}], "virt: psci hvc, 1 GiB")

r = run(os.path.join(dtbs, "broadcom/bcm2711-rpi-4-b.dtb"))
check("console:    pl011 at 0x00000000fe201000, chosen by first PL011 /soc/serial@7e201000" in r.stdout,
      "text output names the Pi 4 PL011")
r = run("--cmdline", "earlycon=pl011,mmio32,0xfe201000,115200n8", os.path.join(dtbs, "broadcom/bcm2711-rpi-4-b.dtb"))
check("chosen by earlycon=pl011,mmio32,0xfe201000,115200n8, options 115200n8" in r.stdout, "--cmdline earlycon")

bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), "dtb-probe-bad.dtb")
with open(bad, "wb") as f:
    f.write(b"\x12\x34\x56\x78" + bytes(100))
r = run(bad)
check(r.returncode == 2 and "not a device tree (bad magic)" in r.stderr, "bad magic: exit 2 and a message")
with open(os.path.join(dtbs, "qemu-virt.dtb"), "rb") as f:
    data = f.read()
with open(bad, "wb") as f:
    f.write(data[:2000])
r = run(bad)
check(r.returncode == 2 and "corrupt device tree" in r.stderr, "truncated: exit 2 and a message")
r = run()
check(r.returncode == 2 and "usage" in r.stderr, "no argument: usage")

# A property whose length is 0xffffffff: the header is fine, the structure is not. The kernel
# rejects it with FDT_ERR_BADSTRUCTURE (of::check_blob); dtb-probe must say so, in its words.
import struct  # noqa: E402
blob = bytearray(data)
off_struct = struct.unpack_from(">I", blob, 8)[0]
check(struct.unpack_from(">II", blob, off_struct) == (1, 0) and struct.unpack_from(">I", blob, off_struct + 8)[0] == 3,
      "virt DTB: the root node starts with a property")
struct.pack_into(">I", blob, off_struct + 12, 0xFFFFFFFF)
with open(bad, "wb") as f:
    f.write(blob)
r = run(bad)
check(r.returncode == 2 and "the kernel rejects it" in r.stderr and "FDT_ERR_BADSTRUCTURE" in r.stderr,
      "property length 0xffffffff: exit 2, the kernel's FDT_ERR_BADSTRUCTURE message (%r)" % r.stderr.strip())
r = run("--help")
check(r.returncode == 0 and r.stdout.startswith("usage: dtb-probe") and "Exit status" in r.stdout,
      "--help: usage on stdout, exit 0")
r = run("--bogus", os.path.join(dtbs, "qemu-virt.dtb"))
check(r.returncode == 2 and "usage" in r.stderr, "unknown option: usage, exit 2")

# Every DTB of Debian's kernel package in one run (one verdict line per file).
files = sorted(os.path.join(root, fn) for root, _, fns in os.walk(dtbs) for fn in fns if fn.endswith(".dtb"))
r = run(*files, bad)
lines = r.stdout.splitlines()
verdicts = {"ok": 0, "no-console": 0, "no-memory": 0, "rejected": 0}
for ln in lines:
    v = ln.split(": ", 2)[1] if ln.count(": ") >= 2 else "?"
    verdicts[v] = verdicts.get(v, 0) + 1
check(len(lines) == len(files) + 1 and r.returncode == 2, "one verdict line per file (%d files + 1 bad)" % len(files))
check(lines[-1].startswith(bad + ": rejected: the kernel rejects it") if lines else False,
      "the corrupt blob's line says the kernel rejects it")
check(len(files) > 500 and verdicts["rejected"] == 1 and verdicts["ok"] + verdicts["no-console"] + verdicts["no-memory"] == len(files),
      "all %d Debian DTBs probed without a crash (%d with a PL011 console and memory, %d without a console, %d "
      "without memory)" % (len(files), verdicts["ok"], verdicts["no-console"], verdicts["no-memory"]))
check.finish()
