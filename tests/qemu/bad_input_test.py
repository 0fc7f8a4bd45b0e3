#!/usr/bin/env python3
"""Bad boot input under QEMU: a corpus of malformed device trees and command lines, generated here
from QEMU's own virt DTB, each booted through a minimal boot loader that follows the arm64 boot
protocol (x0 = DTB address, then a jump to the Image) with the DTB wherever the case puts it.

Every case must end in a controlled way with the expected status and print the exact message:
never a hang (timeout), never an exception loop.

  bad_input_test.py --image kernel8.img --case NAME      run one case
  bad_input_test.py --list                                 the case names (CMake makes one test each)
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_run import case_main, finish, problems, run_boot  # noqa: E402

KERNEL_AT = 0x40200000
SHIM_AT = 0x40100000  # QEMU keeps its own DTB at the base of RAM (0x40000000, 1 MiB)
DTB_AT = 0x48000000


def set_be32(blob, off, value):
    blob[off:off + 4] = struct.pack(">I", value)


def corrupt_magic(b):
    b[0] = 0x12


def corrupt_version(b):
    set_be32(b, 20, 1)


def truncate(b):
    off_strings, size_strings = struct.unpack(">I", b[12:16])[0], struct.unpack(">I", b[32:36])[0]
    end = off_strings + size_strings - 64  # the strings block now ends outside the blob
    set_be32(b, 4, end)
    del b[end:]


def past_end_of_ram(b):
    set_be32(b, 4, len(b) + 0x10000)  # claims 64 KiB more than there is before the end of RAM


def too_large(b):
    set_be32(b, 4, 3 << 20)


def bad_last_tag(b):
    """The structure block's last tag (FDT_END) made unknown: the header is fine, the console is
    found, and fdt_check_full then says what is wrong, on that console."""
    off_struct, size_struct = struct.unpack(">I", b[8:12])[0], struct.unpack(">I", b[36:40])[0]
    set_be32(b, off_struct + size_struct - 4, 0x0A)


def deep_chain():
    """40 nested simple-bus nodes with empty ranges, a PL011 at the bottom named by stdout-path."""
    edits, path = [], ""
    for i in range(40):
        path += "/bus%d" % i
        edits += [["-c", path], ["-t", "u", path, "#address-cells", "2"], ["-t", "u", path, "#size-cells", "2"],
                  ["-t", "x", path, "ranges"]]
    uart = path + "/uart@9000000"
    edits += [["-c", uart], ["-t", "s", uart, "compatible", "arm,pl011"],
              ["-t", "x", uart, "reg", "0", "0x9000000", "0", "0x1000"], ["-t", "s", "/chosen", "stdout-path", uart]]
    return edits


# name: dict(at=DTB address or None for x0 = 0, edits=[fdtput argument lists], corrupt=fn,
#            bootargs=..., status=expected exit status, lines=[expected text], forbidden=[text that
#            must not appear, e.g. the no-console fallback], once=[text said exactly once])
CASES = {
    "x0_zero": dict(at=None, status=3, lines=[
        "Error: invalid device tree blob at physical address 0x0: no device tree: the boot loader passed x0 = 0",
        "Kernel panic - not syncing: no usable device tree (x0 = 0x0)"]),
    "bad_magic": dict(corrupt=corrupt_magic, status=3, lines=[
        "Error: invalid device tree blob at physical address 0x48000000: no device tree at 0x48000000: bad magic "
        "0x120dfeed (expected 0xd00dfeed)"]),
    "bad_version": dict(corrupt=corrupt_version, status=3, lines=["corrupt device tree at 0x48000000: FDT_ERR_BADVERSION"]),
    "truncated": dict(corrupt=truncate, status=3, lines=["corrupt device tree at 0x48000000: FDT_ERR_TRUNCATED"]),
    "totalsize_past_end_of_ram": dict(at="end", corrupt=past_end_of_ram, status=0, lines=[
        "is not entirely in RAM (totalsize", "Boot complete"]),
    "corrupt_structure": dict(corrupt=bad_last_tag, status=3, forbidden=["[no console"], lines=[
        "earlycon: pl011 at MMIO 0x0000000009000000",
        "Error: invalid device tree blob at physical address 0x48000000: corrupt device tree at 0x48000000 "
        "(1048576 bytes): FDT_ERR_BADSTRUCTURE",
        "Kernel panic - not syncing: no usable device tree (x0 = 0x48000000)"]),
    "larger_than_2mib": dict(corrupt=too_large, status=3, lines=[
        "device tree at 0x48000000 is 3145728 bytes; the limit is 2097152 bytes (2 MiB)"]),
    "misaligned": dict(at=DTB_AT + 4, status=3, lines=[
        "device tree at 0x48000004 is not 8-byte aligned (booting.rst requires 8-byte alignment)"]),
    "at_end_of_ram": dict(at="end", status=0, lines=["Machine model: linux,dummy-virt", "Boot complete"]),
    "straddles_2mib_boundary": dict(at=0x481ffff8, status=0, lines=[
        "fdt: 0x00000000481ffff8", "Machine model: linux,dummy-virt", "Boot complete"]),
    "high_in_ram": dict(at=0x7f000000, status=0, lines=["fdt: 0x000000007f000000", "Boot complete"]),
    "no_chosen": dict(edits=[["-r", "/chosen"]], status=0, lines=[
        "earlycon: /chosen has no stdout-path", "earlycon: chosen by first PL011 /pl011@9000000", "Boot complete"]),
    "stdout_path_missing_node": dict(edits=[["-t", "s", "/chosen", "stdout-path", "/soc/nothing@0:115200n8"]],
                                     status=0, lines=[
        "earlycon: stdout-path \"/soc/nothing@0\" does not resolve to a node",
        "earlycon: chosen by first PL011 /pl011@9000000"]),
    "stdout_path_missing_alias": dict(edits=[["-t", "s", "/chosen", "stdout-path", "serial9"]], status=0, lines=[
        "earlycon: stdout-path \"serial9\" does not resolve to a node"]),
    "no_console_at_all": dict(edits=[["-r", "/pl011@9000000"]], status=0, lines=[
        "[no console: log buffer follows, via semihosting]",
        "earlycon: no console: stdout-path \"/pl011@9000000\" does not resolve to a node, and the device tree has "
        "no other usable \"arm,pl011\" node"]),
    "no_memory_node": dict(edits=[["-r", "/memory@40000000"]], status=3, lines=[
        "memblock: the device tree describes no usable memory",
        "Kernel panic - not syncing: no usable memory in the device tree"]),
    "memory_size_zero": dict(edits=[["-t", "x", "/memory@40000000", "reg", "0", "0x40000000", "0", "0"]], status=3,
                             lines=["memblock: add: ignoring DT memory of size 0 at 0x0000000040000000",
                                    "no usable memory in the device tree"]),
    "size_cells_missing": dict(edits=[["-d", "/", "#size-cells"]], status=3, lines=[
        "fdt: / has no #size-cells; using the devicetree specification's default of 1",
        "no usable memory in the device tree"]),
    "address_cells_absurd": dict(edits=[["-t", "u", "/", "#address-cells", "5"]], status=3, lines=[
        "memblock: memory node ignored: /memory@40000000: unsupported #address-cells=5/#size-cells=2 in its parent",
        "[no console: log buffer follows, via semihosting]", "no usable memory in the device tree"]),
    "memory_reg_too_short": dict(edits=[["-t", "x", "/memory@40000000", "reg", "0", "0x40000000"]], status=3, lines=[
        "/memory@40000000: \"reg\" is 8 bytes, too short for entry 0 of 4 cells"]),
    "ranges_too_deep": dict(edits=deep_chain(), status=0, lines=[
        "address translation deeper than 32 levels (corrupt tree?)", "chosen by first PL011 /pl011@9000000"]),
    "earlycon_not_a_device": dict(bootargs="earlycon=pl011,0x12340000", status=0, lines=[
        "earlycon: earlycon=pl011,0x12340000: no device in the device tree is at this address; using the device "
        "tree instead"]),
    # Each of these once hung putc (flash) or booted with a silent terminal (RTC, GIC, an offset into
    # the UART): now refused, said on the device tree's console, and the boot goes on there.
    "earlycon_flash": dict(bootargs="earlycon=pl011,0x1234", status=0, lines=[
        "earlycon: earlycon=pl011,0x1234: /flash@0 is a cfi-flash, not a PL011 (\"arm,pl011\"); using the device "
        "tree instead", "earlycon: chosen by stdout-path /pl011@9000000", "Boot complete"]),
    "earlycon_rtc": dict(bootargs="earlycon=pl011,0x9010000", status=0, lines=[
        "earlycon: earlycon=pl011,0x9010000: /pl031@9010000 is a arm,pl031, not a PL011", "Boot complete"]),
    "earlycon_gic": dict(bootargs="earlycon=pl011,0x8000000", status=0, lines=[
        "earlycon: earlycon=pl011,0x8000000: /intc@8000000 is a arm,cortex-a15-gic, not a PL011", "Boot complete"]),
    "earlycon_inside_the_uart": dict(bootargs="earlycon=pl011,0x9000004", status=0, lines=[
        "earlycon: earlycon=pl011,0x9000004: 0x9000004 is inside /pl011@9000000, whose registers start at "
        "0x9000000; using the device tree instead", "Boot complete"]),
    # Said once, whole, on the device tree's console (the number is not a number).
    "earlycon_bad_number": dict(bootargs="earlycon=pl011,0xzz", status=0, lines=[
        "earlycon: earlycon=pl011,0xzz: expected pl011,<address> or pl011,mmio32,<address>; using the device tree "
        "instead\n", "earlycon: chosen by stdout-path /pl011@9000000", "Boot complete"],
        once=["earlycon=pl011,0xzz: expected"]),
    # The standard way to name the PL011 on Linux: accepted as Linux's, not reported as unknown.
    "console_ttyAMA0": dict(bootargs="console=ttyAMA0,115200", status=0, lines=[
        "Kernel command line: Linux parameters, not used by this kernel: console=ttyAMA0,115200 (the console is the "
        "PL011 chosen by earlycon= or /chosen/stdout-path)", "Boot complete"],
        once=["not used by this kernel: console=ttyAMA0"]),
    "earlycon_malformed": dict(bootargs="earlycon=pl011,mmio32", status=0, lines=[
        "expected pl011,<address> or pl011,mmio32,<address>; using the device tree instead"]),
    "unknown_parameters": dict(bootargs="foo=bar ktest.fast quiet", status=0, lines=[
        "Unknown kernel command line parameter \"foo\", ignored",
        "Kernel command line: Linux parameters, not used by this kernel: ktest.fast quiet\n", "Boot complete"]),
    "absurdly_long_bootargs": dict(bootargs="x" * 3000, status=0, lines=[
        "Kernel command line: 3000 bytes, truncated to 2047",
        "xxx [... 2069-byte message cut]\n[", "Boot complete"]),
    "bad_halt_value": dict(bootargs="halt=sometimes", status=0, lines=[
        "halt=sometimes: unknown value (expected halt=idle or halt=off)"]),
    # A misspelt suite must fail, not pass as "0 suites, 0 failures".
    "ktest_unknown_suite": dict(bootargs="ktest=nosuch", status=1, lines=[
        "ktest: no suite named 'nosuch'; the suites are: ", " fixmap ", " smp", "(ktest=<suite> or ktest for all)"]),
}


def shim(dtb, kernel):
    """ldr x0, =dtb; ldr x4, =kernel; br x4 (x1-x3 are 0 from reset), as a raw binary."""
    code = struct.pack("<IIII", 0x58000080, 0x580000A4, 0xD61F0080, 0xD503201F)
    return code + struct.pack("<QQ", dtb, kernel)


def main():
    a, case = case_main(__doc__, CASES, 30, lambda p: p.add_argument("--mem", default="1G"))
    tmp = tempfile.mkdtemp()
    base = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a53", "-m", a.mem, "-nographic", "-nic", "none",
            "-no-reboot", "-semihosting-config", "enable=on,target=native"]
    dtb = os.path.join(tmp, "case.dtb")
    subprocess.run([base[0], "-M", "virt,dumpdtb=" + dtb] + base[3:], check=True, capture_output=True)
    if case.get("bootargs"):
        subprocess.run(["fdtput", "-t", "s", dtb, "/chosen", "bootargs", case["bootargs"]], check=True)
    for e in case.get("edits", []):
        subprocess.run(["fdtput", dtb] + e, check=True)
    blob = bytearray(open(dtb, "rb").read())
    if case.get("corrupt"):
        case["corrupt"](blob)
    open(dtb, "wb").write(blob)
    at = case.get("at", DTB_AT)
    if at == "end":
        ram_end = 0x40000000 + (int(a.mem[:-1]) << (30 if a.mem.endswith("G") else 20))
        at = (ram_end - len(blob)) & ~7
    shim_file = os.path.join(tmp, "shim.bin")
    open(shim_file, "wb").write(shim(at or 0, KERNEL_AT))
    cmd = base + ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (a.image, KERNEL_AT),
                  "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (shim_file, SHIM_AT),
                  "-device", "loader,addr=0x%x,cpu-num=0" % SHIM_AT]
    if at:
        cmd += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (dtb, at)]
    status, out = run_boot(cmd, a.timeout, "no controlled stop: the kernel hung")
    forbidden = ["Unexpected exception"] + case.get("forbidden", [])
    bad = problems(status, out, case["status"], case["lines"], forbidden)
    bad += ["said %d times, not once: %r" % (out.count(t), t) for t in case.get("once", []) if out.count(t) != 1]
    finish(bad)
    print("\nPASS")


if __name__ == "__main__":
    main()
