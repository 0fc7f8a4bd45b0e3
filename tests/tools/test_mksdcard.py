#!/usr/bin/env python3
"""tools/mksdcard: open the produced image with mtools and check everything the Pi firmware needs.

Partition table (MBR, one bootable FAT32-LBA partition at 1 MiB), FAT type, every file, the
config.txt keys, the kernel8.img arm64 Image header, the DTB magic, and --dir.
"""
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Checks  # noqa: E402

check = Checks()

top = sys.argv[1]


with tempfile.TemporaryDirectory() as tmp:
    img = os.path.join(tmp, "sd.img")
    said = subprocess.run([os.path.join(top, "tools/mksdcard"), "--no-build", "--out", img], check=True,
                          capture_output=True, text=True).stdout
    check(os.path.getsize(img) == 65 << 20 and "(65 MiB)" in said and "65 MiB" in open(os.path.join(top, "README.md")).read(),
          "the image is 65 MiB, as mksdcard and the README say (%r)" % said.strip())
    with open(img, "rb") as f:
        mbr = f.read(512)
        check(mbr[510:512] == b"\x55\xaa", "MBR boot signature 0x55aa")
        boot, ptype, start, sectors = mbr[446], mbr[450], *struct.unpack("<II", mbr[454:462])
        check(ptype == 0x0c, "partition 1 type 0x0c (FAT32 LBA), got 0x%02x" % ptype)
        check(boot == 0x80, "partition 1 marked active")
        check(start == 2048, "partition 1 starts at 1 MiB")
        check(mbr[462:510] == bytes(48), "partitions 2-4 empty")
        f.seek(start * 512)
        bs = f.read(512)
        check(bs[0x52:0x5a] == b"FAT32   ", "filesystem type FAT32")
        check(os.path.getsize(img) >= (start + sectors) * 512, "image holds the whole partition")

    spec = img + "@@1M"
    listing = subprocess.run(["mdir", "-b", "-i", spec, "::/"], check=True, capture_output=True, text=True).stdout
    names = {os.path.basename(l.strip()) for l in listing.splitlines() if l.strip()}
    for name in ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "config.txt", "cmdline.txt", "kernel8.img"]:
        check(name in names, "file %s present" % name)

    def read(name):
        return subprocess.run(["mtype", "-i", spec, "::/" + name], check=True, capture_output=True).stdout

    config = read("config.txt").decode()
    keys = dict(l.split("=", 1) for l in config.splitlines() if "=" in l and not l.startswith("#"))
    check(keys.get("arm_64bit") == "1", "config.txt arm_64bit=1")
    check(keys.get("enable_uart") == "1", "config.txt enable_uart=1")
    check(keys.get("kernel") == "kernel8.img", "config.txt kernel=kernel8.img")
    check(keys.get("kernel_address") == "0x200000", "config.txt kernel_address=0x200000")
    cmdline = read("cmdline.txt").decode()
    check("earlycon=pl011,mmio32,0xfe201000" in cmdline, "cmdline.txt has the earlycon for the Pi 4 PL011")
    kernel = read("kernel8.img")
    with open(os.path.join(top, "build/kernel/kernel8.img"), "rb") as k:
        check(kernel == k.read(), "kernel8.img is the built kernel")
    check(kernel[56:60] == b"ARM\x64", "kernel8.img: arm64 Image magic")
    text_offset, image_size, flags = struct.unpack("<QQQ", kernel[8:32])
    check(text_offset == 0 and flags == 0xa and image_size >= len(kernel),
          "kernel8.img header: text_offset 0, flags 0xa (LE, 4K, anywhere), image_size covers the file")
    dtb = read("bcm2711-rpi-4-b.dtb")
    check(dtb[:4] == b"\xd0\x0d\xfe\xed", "bcm2711-rpi-4-b.dtb: FDT magic")
    check(len(read("start4.elf")) > 1 << 20 and read("start4.elf")[:4] == b"\x7fELF", "start4.elf is the firmware ELF")

    d = os.path.join(tmp, "boot")
    os.mkdir(d)
    subprocess.run([os.path.join(top, "tools/mksdcard"), "--no-build", "--dir", d], check=True)
    check(sorted(os.listdir(d)) == sorted(names), "--dir copies the same files")
    r = subprocess.run([os.path.join(top, "tools/mksdcard"), "--no-build", "--dir", os.path.join(tmp, "nope")],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "is not a directory (mount the card's boot partition first)" in r.stderr,
          "--dir on a missing directory fails with a clear message")

check.finish()
