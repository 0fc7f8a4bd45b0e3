#!/usr/bin/env python3
"""Boot what is on the SD card image under QEMU 10's -M raspi4b, as the Pi 4 firmware would.

tools/mksdcard builds the card image; config.txt, cmdline.txt, the kernel named by config.txt and
bcm2711-rpi-4-b.dtb are read back from its FAT partition with mtools (mcopy -i img@@1M). The
kernel is booted with the card's DTB and, as -append, the firmware's own arguments followed by
cmdline.txt (the firmware builds /chosen/bootargs that way), without semihosting (a real Pi has
none): the run ends at the monitor's prompt. tests/qemu/boot_test.py does the boot and the checks.

  raspi4b_sdcard_test.py --top SRC --firmware-args "..." [boot_test.py options]
"""
import argparse
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--top", required=True, help="source tree (tools/mksdcard, build/kernel/kernel8.img)")
    p.add_argument("--firmware-args", required=True, help="what the firmware puts before cmdline.txt")
    a, rest = p.parse_known_args()

    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "rpi4-sdcard.img")
        r = subprocess.run([os.path.join(a.top, "tools/mksdcard"), "--no-build", "--out", img],
                           capture_output=True, text=True)
        print(r.stdout + r.stderr, end="")
        if r.returncode != 0:
            print("FAIL: tools/mksdcard exited with %d" % r.returncode)
            return 1
        spec = img + "@@1M"  # the FAT32 partition starts at 1 MiB

        def extract(name):
            out = os.path.join(tmp, name)
            r = subprocess.run(["mcopy", "-n", "-i", spec, "::/" + name, out], capture_output=True, text=True)
            if r.returncode != 0 or not os.path.isfile(out):
                print("FAIL: mcopy -i %s ::/%s: %s" % (spec, name, r.stderr.strip()))
                sys.exit(1)
            return out

        config = open(extract("config.txt")).read()
        keys = dict(l.strip().split("=", 1) for l in config.splitlines() if "=" in l and not l.startswith("#"))
        print("config.txt: %s" % " ".join("%s=%s" % kv for kv in keys.items()))
        if keys.get("arm_64bit") != "1":
            print("FAIL: config.txt does not ask for a 64-bit kernel (arm_64bit=1)")
            return 1
        kernel = extract(keys.get("kernel", "kernel8.img"))
        dtb = extract("bcm2711-rpi-4-b.dtb")
        cmdline_txt = open(extract("cmdline.txt")).read().strip()
        print("cmdline.txt: %s" % cmdline_txt)
        # The firmware: its own arguments, then cmdline.txt's, into /chosen/bootargs.
        bootargs = "%s %s" % (a.firmware_args, cmdline_txt)

        cmd = [sys.executable, os.path.join(here, "boot_test.py"), "--qemu10", "--machine", "raspi4b",
               "--image", kernel, "--dtb-file", dtb, "--append", bootargs,
               "--no-semihosting", "--stop-at-prompt",
               "--expect-line", "Kernel command line: " + bootargs,
               "--expect-line", "earlycon: pl011 at MMIO 0x00000000fe201000 (fixmap 0xfffffffffddfe000)",
               "--expect-line", "Boot complete in",
               "--expect-line", "fixmap-kernel monitor: type 'help' for commands"]
        # QEMU loads the Image at 2 MiB, where config.txt's kernel_address puts it on the board.
        if "kernel_address" in keys:
            cmd += ["--expect-line", "Kernel image: pa 0x%016x-" % int(keys["kernel_address"], 0)]
        for arg in cmdline_txt.split():
            if arg.startswith("earlycon="):
                cmd += ["--expect-source", arg]  # the console is the PL011 cmdline.txt names
        cmd += rest
        sys.stdout.flush()
        return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
