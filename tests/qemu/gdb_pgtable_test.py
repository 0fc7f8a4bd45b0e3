#!/usr/bin/env python3
"""The gdb helpers' page-table walker (tools/gdb/fmk/pgtable.py) on hand-built tables, without gdb:
every descriptor kind and fault of the 4 KiB granule, TCR_EL1's TxSZ/EPD/TG decoding, ptdump's
merging, the parsing of OpenOCD's answers (tools/gdb/fmk/openocd.py) and the log ring (fmk/printk.py)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "gdb"))
from checks import Checks  # noqa: E402
from fmk import openocd, printk, pgtable as pt  # noqa: E402

check = Checks()

# Leaf attributes as the kernel writes them (asm/pgtable.h): AF, inner shareable, AttrIndx.
NORMAL = pt.VALID | pt.AF | (3 << 8) | (3 << 2)
PAGE_RW_NX = NORMAL | pt.TABLE | pt.PXN | pt.UXN
PAGE_RO_X = NORMAL | pt.TABLE | pt.AP_RO | pt.UXN
DEVICE = pt.VALID | pt.TABLE | pt.AF | (1 << 2) | pt.PXN | pt.UXN


class Mem:
    """Physical memory of table pages: {pa: [512 descriptors]}; anything else is unreadable."""

    def __init__(self):
        self.pages = {}
        self.reads = 0

    def table(self, pa):
        self.pages.setdefault(pa, [0] * pt.PTRS_PER_TABLE)
        return self.pages[pa]

    def read(self, pa):
        self.reads += 1
        return self.pages.get(pa)


def tcr(t0sz=16, t1sz=16, epd0=False, epd1=False, tg0=0, tg1=2):
    return t0sz | (int(epd0) << 7) | (tg0 << 14) | (t1sz << 16) | (int(epd1) << 23) | (tg1 << 30)


# ---- TCR_EL1 ------------------------------------------------------------------------------------
r0, r1 = pt.regimes_from_tcr(0x4B5103590, 0x40293000, (0x1234 << 48) | 0x7FFFF000)  # the kernel's TCR_EL1 (EPD0 set)
check(r1.start_level == 0 and r1.base == 0xFFFF000000000000 and r1.root == 0x7FFFF000 and r1.root_entries() == 512,
      "TTBR1, T1SZ = 16: four levels from 0xffff000000000000, the ASID dropped from TTBR1_EL1")
check(r0.walks_disabled and not r1.walks_disabled and r0.granule_ok and r1.granule_ok,
      "the kernel's TCR_EL1: TTBR0 walks disabled (EPD0), both halves on the 4 KiB granule")
r0, r1 = pt.regimes_from_tcr(tcr(t0sz=25, t1sz=32), 0x1000, 0x2000)
check(r0.start_level == 1 and r0.root_entries() == 512 and r0.end == (1 << 39) - 1,
      "T0SZ = 25 (39 bits): three levels from level 1")
check(r1.start_level == 1 and r1.root_entries() == 4 and r1.base == 0xFFFFFFFF00000000,
      "T1SZ = 32: level 1 with 4 entries, from 0xffffffff00000000")
r0, r1 = pt.regimes_from_tcr(tcr(tg1=1), 0, 0)  # TG1 = 16 KiB, TG0 still 4 KiB
check(r1.granule_ok and not r0.granule_ok and r1.start_level == 0 and r1.root_entries() == 2,
      "TG1 = 16 KiB: the tables are read as 16 KiB (2-entry root at level 0); a TTBR0 on 4 KiB is refused")
pt.use_granule(12)
check(pt.regimes_from_tcr(tcr(), 0, 1)[1].contains(0xFFFF800080000000)
      and not pt.regimes_from_tcr(tcr(), 0, 1)[1].contains(0xFFF0000000000000), "TTBR1's range, T1SZ = 16")

# ---- describe_prot: the kernel's words ----------------------------------------------------------
check(pt.describe_prot(PAGE_RW_NX & ~pt.OA_MASK) == "RW NX Normal", "describe_prot: RW NX Normal")
check(pt.describe_prot(PAGE_RO_X) == "RO X  Normal", "describe_prot: RO X  Normal (as the kernel pads)")
check(pt.describe_prot(DEVICE) == "RW NX Device-nGnRE", "describe_prot: Device-nGnRE")
check(pt.describe_prot(0) == "none", "describe_prot: none")

# ---- translate: a 4-level walk to a page, a 2 MiB and a 1 GiB block -----------------------------
mem = Mem()
ROOT, L1, L2, L3 = 0x1000, 0x2000, 0x3000, 0x4000
regime = pt.Regime("TTBR1_EL1", ROOT, 16, True)
va = 0xFFFF800080001234
mem.table(ROOT)[pt.table_index(va, 0)] = L1 | 3
mem.table(L1)[pt.table_index(va, 1)] = L2 | 3
mem.table(L2)[pt.table_index(va, 2)] = L3 | 3
mem.table(L3)[pt.table_index(va, 3)] = 0x40201000 | PAGE_RO_X
t = pt.translate(mem.read, regime, va)
lines = pt.format_translation(t)
check(t.ok and t.pa == 0x40201234 and t.level == 3, "translate: a page, pa with the offset in the page")
check(lines == ["  L0 table pa 0x1000 [256] = 0x0000000000002003 table -> pa 0x2000",
                "  L1 table pa 0x2000 [  2] = 0x0000000000003003 table -> pa 0x3000",
                "  L2 table pa 0x3000 [  0] = 0x0000000000004003 table -> pa 0x4000",
                "  L3 table pa 0x4000 [  1] = 0x004000004020178f page, RO X  Normal",
                "  => pa 0x40201234"], "translate: the monitor's lines, level by level")

lin = 0xFFFF000048000040
mem.table(ROOT)[0] = 0x5000 | 3
mem.table(0x5000)[1] = 0x6000 | 3
mem.table(0x6000)[64] = 0x48000000 | NORMAL | pt.PXN  # 2 MiB block: bits [1:0] = 0b01
t = pt.translate(mem.read, regime, lin)
check(t.ok and t.level == 2 and t.pa == 0x48000040 and pt.format_translation(t)[-2].endswith("block, RW NX Normal"),
      "translate: a 2 MiB block at level 2")
mem.table(0x5000)[3] = 0xC0000000 | NORMAL | pt.PXN
t = pt.translate(mem.read, regime, 0xFFFF0000C1234567)
check(t.ok and t.level == 1 and t.pa == 0xC1234567, "translate: a 1 GiB block at level 1")

# ---- faults ------------------------------------------------------------------------------------
t = pt.translate(mem.read, regime, 0xFFFF000100000000)
check(not t.ok and t.fault == "translation" and pt.format_translation(t)[-1].endswith(
    "= 0x0000000000000000 invalid: translation fault, level 1"), "translate: an invalid entry, level 1")
mem.table(ROOT)[5] = 0x40000000 | NORMAL  # a block at level 0 does not exist with 4 KiB pages
t = pt.translate(mem.read, regime, 0xFFFF028000000000)
check(not t.ok and t.level == 0 and pt.format_translation(t)[-1].endswith("translation fault, level 0"),
      "translate: a level-0 block is a translation fault")
mem.table(L3)[5] = 0x40205000 | (PAGE_RW_NX & ~pt.TABLE)  # 0b01 at level 3: reserved
t = pt.translate(mem.read, regime, 0xFFFF800080005000)
check(not t.ok and t.fault == "translation" and t.level == 3, "translate: 0b01 at level 3 is a translation fault")
mem.table(L3)[6] = 0x40206000 | (PAGE_RW_NX & ~pt.AF)
t = pt.translate(mem.read, regime, 0xFFFF800080006000)
check(not t.ok and pt.format_translation(t)[-1].endswith("access flag fault, level 3"),
      "translate: AF = 0 is an access flag fault")
mem.table(L2)[7] = 0x9999000 | 3  # a table page nothing can read
t = pt.translate(mem.read, regime, 0xFFFF800080E00000)
check(not t.ok and pt.format_translation(t)[-1] == "  L3: table at pa 0x9999000 is not reachable",
      "translate: an unreadable table is said, with its level and pa")
t = pt.translate(mem.read, pt.Regime("TTBR1_EL1", 0x7777000, 16, True), va)
check(pt.format_translation(t) == ["  L0: table at pa 0x7777000 is not reachable"], "translate: unreadable root")

# ---- ptdump: merging as the monitor does ----------------------------------------------------------
mem = Mem()
mem.table(ROOT)[256] = L1 | 3
mem.table(L1)[2] = L2 | 3
mem.table(L2)[0] = L3 | 3
for i in range(4):  # text: 4 pages RO X, contiguous
    mem.table(L3)[i] = (0x40200000 + i * 0x1000) | PAGE_RO_X
for i in range(4, 6):  # data: RW NX, contiguous with the text's pa but other attributes
    mem.table(L3)[i] = (0x40200000 + i * 0x1000) | PAGE_RW_NX
mem.table(L3)[7] = 0x50000000 | PAGE_RW_NX  # same attributes, a hole in va before it
mem.table(L3)[8] = 0x60000000 | PAGE_RW_NX  # contiguous va, not contiguous pa
mem.table(L2)[1] = 0x40400000 | NORMAL | pt.PXN | pt.UXN  # a 2 MiB block right after the table
mem.table(L2)[2] = 0x9999000 | 3  # unreadable table
lines, unreachable = pt.ptdump_ranges(mem.read, regime, pt.Regime("x", 0, 16, True).base, pt.MASK64)
check(lines == [
    "0xffff800080000000-0xffff800080003fff       16K  RO X  Normal             -> 0x40200000",
    "0xffff800080004000-0xffff800080005fff        8K  RW NX Normal             -> 0x40204000",
    "0xffff800080007000-0xffff800080007fff        4K  RW NX Normal             -> 0x50000000",
    "0xffff800080008000-0xffff800080008fff        4K  RW NX Normal             -> 0x60000000",
    "0xffff800080200000-0xffff8000803fffff        2M  RW NX Normal             -> 0x40400000"],
    "ptdump: ranges split on attributes, va holes and pa jumps; a block merges like pages")
check(unreachable == 1, "ptdump: the unreadable table is counted")
lines, _ = pt.ptdump_ranges(mem.read, regime, 0xFFFF800080004000, 0xFFFF800080007FFF)
check(len(lines) == 2 and lines[0].startswith("0xffff800080004000-") and lines[1].startswith("0xffff800080007000-"),
      "ptdump start end: only the leaves in the range")
before = mem.reads
pt.ptdump_ranges(mem.read, regime, 0xFFFF900000000000, pt.MASK64)
check(mem.reads - before == 1, "ptdump of an empty range reads the root table only")
check(pt.ptdump_ranges(mem.read, pt.Regime("x", 0x7777000, 16, True), 0, pt.MASK64)[1] is None,
      "ptdump: an unreadable root is said (None)")

# ---- OpenOCD's answers ---------------------------------------------------------------------------
out = "0x40000000: 0000000000002003 00000000deadbeef 1122334455667788 0000000000000000 \n" \
      "0x40000020: 00000000000000ff \n"
data = openocd.parse_mdd(out, 0x40000000, 5)
check(data is not None and len(data) == 40 and data[:8] == (0x2003).to_bytes(8, "little")
      and data[16:24] == bytes.fromhex("8877665544332211"), "mdd phys: 64-bit words to little-endian bytes")
check(openocd.parse_mdd(out, 0x40000000, 6) is None, "mdd phys: too few words is a failure, not zeros")
check(openocd.parse_mdd("0x50000000: 0000000000000001\n", 0x40000000, 1) is None, "mdd phys: another address")
check(openocd.parse_mrs("TTBR1_EL1: 0x000000007ffff000\n") == 0x7FFFF000 and openocd.parse_mrs("error") is None,
      "aarch64 mrs: the value")

# ---- the log ring (dmesg) ---------------------------------------------------------------------------
check(printk.ring_lines(b"[0] a\n[1] b\n" + b"\0" * 20, 12, False) == ["[0] a", "[1] b"], "log ring: not wrapped")
check(printk.ring_lines(b"[0] a\n[1] b\n[2] par", 19, False)[-1] == "[2] par", "log ring: a line being printed")


def fill_ring(text, size):
    """What lib/printk.cpp's log_put leaves in a ring of `size` bytes: (ring, head, wrapped)."""
    ring, head, wrapped = bytearray(size), 0, False
    for b in text:
        ring[head] = b
        head += 1
        if head == size:
            head, wrapped = 0, True
    return bytes(ring), head, wrapped


check(printk.ring_lines(*fill_ring(b"[0] aaaa\n[1] bb\n[2] c\n", 16)) == ["[1] bb", "[2] c"],
      "log ring: wrapped, the line the wrap cut dropped, oldest first")
check(printk.ring_lines(*fill_ring(b"[0] aaaa\n[1] bb\n[2] c\n[3] dd", 16)) == ["[2] c", "[3] dd"],
      "log ring: wrapped, with a line being printed")
check(printk.ring_lines(b"", 0, False) == [], "log ring: empty")

# ---- the 64 KiB granule (TCR_EL1.TG1 = 0b11, TG0 = 0b01): three levels from level 1 ---------------
r0, r1 = pt.regimes_from_tcr(tcr(tg0=1, tg1=3), 0, 0x10000)
check(pt.PAGE_SIZE == 0x10000 and pt.LEVEL_SHIFT[1:] == (42, 29, 16) and pt.PTRS_PER_TABLE == 8192
      and r1.start_level == 1 and r1.root_entries() == 64 and r0.granule_ok and r1.granule_ok,
      "TG1 = 64 KiB: VA[47:42] index a 64-entry level-1 root, 13 bits per level below")
mem = Mem()
ROOT, L2, L3 = 0x10000, 0x20000, 0x30000
regime = pt.Regime("TTBR1_EL1", ROOT, 16, True)
va = 0xFFFF800080012345
mem.table(ROOT)[(va >> 42) & 63] = L2 | 3
mem.table(L2)[(va >> 29) & 8191] = L3 | 3
mem.table(L3)[(va >> 16) & 8191] = 0x40210000 | PAGE_RO_X
t = pt.translate(mem.read, regime, va)
check(t.ok and t.level == 3 and t.pa == 0x40212345 and [s[0] for s in t.steps] == [1, 2, 3],
      "64K: a page through levels 1, 2, 3, the offset inside the 64 KiB page kept")
blk = 0xFFFF0000A0001234  # a 512 MiB block of the linear map at level 2
mem.table(ROOT)[(blk >> 42) & 63] = 0x40000 | 3
mem.table(0x40000)[(blk >> 29) & 8191] = 0x60000000 | NORMAL | pt.PXN | pt.UXN
t = pt.translate(mem.read, regime, blk)
check(t.ok and t.level == 2 and t.pa == 0x60000000 + (blk & ((1 << 29) - 1)), "64K: a 512 MiB block at level 2")
top = 0xFFFFFFFFFFFF0000  # a block pattern in the level-1 root is not a leaf without FEAT_LPA
mem.table(ROOT)[(top >> 42) & 63] = 0x40000000 | NORMAL
t = pt.translate(mem.read, regime, top)
check(not t.ok and t.level == 1 and t.fault == "translation", "64K: a level-1 block faults (needs FEAT_LPA)")
pt.use_granule(12)

check.finish()
