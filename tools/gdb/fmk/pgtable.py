"""VMSAv8-64 stage-1 translation tables, 4, 16 or 64 KiB granule, read from outside the CPU.

Pure Python (no gdb), so the host can test it on hand-built tables: the gdb commands pass a
`read_table(pa)` that returns the table page's 512 descriptors, or None when the page cannot be read.

Written from the Arm ARM ("Translation table descriptor formats", "The VMSAv8-64 address
translation system"); the output formats follow the kernel's own monitor (kernel/monitor.cpp) and
describe_prot (mm/pgtable.cpp), so the two can be compared line by line.
"""

# The granule's geometry (Arm ARM, "Translation process": PAGE_SHIFT - 3 VA bits per level). 4 KiB
# until use_granule() is told otherwise: Machine reads TCR_EL1.TG1 whenever the MMU is on.
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
LEVEL_BITS = 9
LEVEL_SHIFT = (39, 30, 21, 12)
OA_MASK = 0x0000FFFFFFFFF000  # OA[47:PAGE_SHIFT]
PTRS_PER_TABLE = 512
# TCR_EL1.TG1 and TG0 encode the granule differently (Arm ARM, "TCR_EL1").
TG1_SHIFT = {1: 14, 2: 12, 3: 16}
TG0_SHIFT = {0: 12, 1: 16, 2: 14}


def use_granule(page_shift):
    """Sets the module's geometry for a 4 KiB (12), 16 KiB (14) or 64 KiB (16) granule."""
    global PAGE_SHIFT, PAGE_SIZE, LEVEL_BITS, LEVEL_SHIFT, OA_MASK, PTRS_PER_TABLE
    PAGE_SHIFT = page_shift
    PAGE_SIZE = 1 << page_shift
    LEVEL_BITS = page_shift - 3
    LEVEL_SHIFT = tuple(page_shift + (3 - level) * LEVEL_BITS for level in range(4))
    OA_MASK = 0x0000FFFFFFFFFFFF & ~(PAGE_SIZE - 1)
    PTRS_PER_TABLE = 1 << LEVEL_BITS

VALID = 1 << 0
TABLE = 1 << 1  # table (L0-L2) or page (L3); clear at L1/L2: a block
AP_RO = 1 << 7
AP_EL0 = 1 << 6
AF = 1 << 10
PXN = 1 << 53
UXN = 1 << 54
PXN_TABLE = 1 << 59

# AttrIndx as the kernel programs MAIR_EL1 (asm/pgtable.h: MT_DEVICE_nGnRnE .. MT_NORMAL).
MEM_TYPES = {0: "Device-nGnRnE", 1: "Device-nGnRE", 2: "Normal-NC", 3: "Normal"}

MASK64 = (1 << 64) - 1


def describe_prot(bits):
    """The kernel's describe_prot(): "RO NX Normal", "RW X  Normal", "none"."""
    if bits == 0:
        return "none"
    kind = MEM_TYPES.get((bits >> 2) & 7, "?")
    ro = "RO" if bits & AP_RO else "RW"
    x = "NX" if bits & PXN else "X "
    return "%s %s %s" % (ro, x, kind)


def is_table(desc, level):
    return level < 3 and (desc & 3) == 3


def is_leaf(desc, level):
    """A valid page (L3) or block descriptor: blocks at L1 and L2 with 4 KiB, at L2 only with 16 and
    64 KiB (no FEAT_LPA/LPA2; Arm ARM, "Block descriptor"). Elsewhere the pattern faults."""
    if level == 3:
        return (desc & 3) == 3
    return (level == 2 or (level == 1 and PAGE_SHIFT == 12)) and (desc & 3) == 1


class Regime:
    """One half of the EL1&0 regime: its table base and input-address size (TCR_EL1.TxSZ)."""

    def __init__(self, name, root, txsz, upper, walks_disabled=False, granule_ok=True):
        self.name = name  # "TTBR1_EL1" or "TTBR0_EL1"
        self.root = root & 0x0000FFFFFFFFFFFE  # BADDR: drop ASID [63:48] and CnP [0]
        self.txsz = txsz
        self.upper = upper
        self.walks_disabled = walks_disabled  # TCR_EL1.EPDn
        self.granule_ok = granule_ok  # TGn is the granule the tables are read with
        self.ia_bits = 64 - txsz
        levels = -(-(self.ia_bits - PAGE_SHIFT) // LEVEL_BITS)  # ceil
        self.start_level = 4 - levels
        self.base = (MASK64 << self.ia_bits) & MASK64 if upper else 0
        self.end = MASK64 if upper else (1 << self.ia_bits) - 1  # inclusive

    def contains(self, va):
        return self.base <= va <= self.end

    def root_entries(self):
        return 1 << (self.ia_bits - LEVEL_SHIFT[self.start_level])


def regimes_from_tcr(tcr, ttbr0, ttbr1):
    """(TTBR0 regime, TTBR1 regime) from TCR_EL1 (T0SZ [5:0], EPD0 [7], TG0 [15:14], T1SZ [21:16],
    EPD1 [23], TG1 [31:30])."""
    t0sz, t1sz = tcr & 0x3F, (tcr >> 16) & 0x3F
    tg0, tg1 = (tcr >> 14) & 3, (tcr >> 30) & 3
    if tg1 in TG1_SHIFT:
        use_granule(TG1_SHIFT[tg1])  # the kernel's tables are TTBR1's
    r0 = Regime("TTBR0_EL1", ttbr0, t0sz or 16, False, bool(tcr & (1 << 7)), TG0_SHIFT.get(tg0) == PAGE_SHIFT)
    r1 = Regime("TTBR1_EL1", ttbr1, t1sz or 16, True, bool(tcr & (1 << 23)), TG1_SHIFT.get(tg1) == PAGE_SHIFT)
    return r0, r1


def table_index(va, level):
    return (va >> LEVEL_SHIFT[level]) & (PTRS_PER_TABLE - 1)


class Translation:
    def __init__(self):
        self.steps = []  # (level, table_pa, index, descriptor)
        self.ok = False
        self.pa = None
        self.fault = None  # "translation", "access flag"
        self.unreachable = None  # (level, table pa) of a table that could not be read
        self.level = None  # of the leaf, or of the entry that stopped the walk


def translate(read_table, regime, va):
    """Walks `regime` for `va`. read_table(pa) -> list of 512 descriptors or None."""
    t = Translation()
    table = regime.root
    level = regime.start_level
    while True:
        entries = read_table(table)
        if entries is None:
            t.unreachable = (level, table)
            return t
        idx = table_index(va, level)
        if level == regime.start_level:
            idx &= regime.root_entries() - 1
        d = entries[idx]
        t.steps.append((level, table, idx, d))
        t.level = level
        if not d & VALID:
            t.fault = "translation"
            return t
        if is_table(d, level):
            table = d & OA_MASK
            level += 1
            continue
        if not is_leaf(d, level):
            t.fault = "translation"
            return t
        if not d & AF:
            t.fault = "access flag"
            return t
        span = 1 << LEVEL_SHIFT[level]
        t.ok = True
        t.pa = (d & OA_MASK & ~(span - 1)) | (va & (span - 1))
        return t


def format_translation(t):
    """The monitor's `translate` lines (kernel/monitor.cpp), without its AT S1E1R line."""
    out = []
    if not t.steps and t.unreachable:
        return ["  L%u: table at pa 0x%x is not reachable" % t.unreachable]
    for level, table, idx, d in t.steps:
        line = "  L%u table pa 0x%x [%3u] = 0x%016x " % (level, table, idx, d)
        if not d & VALID:
            out.append(line + "invalid: translation fault, level %u" % level)
            return out
        if is_table(d, level):
            out.append(line + "table -> pa 0x%x" % (d & OA_MASK))
            continue
        if not t.ok:
            out.append(line + "%s fault, level %u" % (t.fault, level))
            return out
        kind = "page" if level == 3 else "block"
        out.append(line + "%s, %s" % (kind, describe_prot(d & ~OA_MASK & MASK64)))
    if t.unreachable:
        out.append("  L%u: table at pa 0x%x is not reachable" % t.unreachable)
    elif t.ok:
        out.append("  => pa 0x%x" % t.pa)
    return out


def for_each_leaf(read_table, regime, first, last, visit):
    """Calls visit(va, size, descriptor, level) for every valid leaf overlapping [first, last]
    (inclusive), in address order. Returns the number of table pages that could not be read and
    were skipped, or None when even the root table cannot be read."""
    unreachable = [0]

    def walk(table, level, base):
        entries = read_table(table)
        if entries is None:
            if level == regime.start_level:
                return False
            unreachable[0] += 1
            return True
        shift = LEVEL_SHIFT[level]
        span = 1 << shift
        n = regime.root_entries() if level == regime.start_level else PTRS_PER_TABLE
        lo = max(first, base)
        hi = min(last, base + n * span - 1)
        if lo > hi:
            return True
        for idx in range((lo - base) >> shift, ((hi - base) >> shift) + 1):
            d = entries[idx]
            if not d & VALID:
                continue
            va = base + idx * span
            if is_table(d, level):
                walk(d & OA_MASK, level + 1, va)
            elif is_leaf(d, level):
                visit(va, span, d, level)
        return True

    if not walk(regime.root, regime.start_level, regime.base):
        return None
    return unreachable[0]


def _size_text(size):
    if size >= 1 << 30:
        return "%8u%s" % (size >> 30, "G")
    if size >= 1 << 20:
        return "%8u%s" % (size >> 20, "M")
    return "%8u%s" % (size >> 10, "K")


def ptdump_ranges(read_table, regime, first, last):
    """The monitor's ptdump lines: contiguous leaves with the same attributes (the table/page bit
    forced, so blocks and pages print alike) and contiguous output addresses merge into one range.
    Returns (lines, unreachable) where unreachable is None when the root cannot be read."""
    lines = []
    cur = {"start": 0, "end": 0, "pa": 0, "attrs": 0}

    def flush():
        if cur["end"] <= cur["start"]:
            return
        size = cur["end"] - cur["start"]
        lines.append("0x%016x-0x%016x %s  %-24s -> 0x%x" % (cur["start"], cur["end"] - 1, _size_text(size),
                                                            describe_prot(cur["attrs"]), cur["pa"]))

    def visit(va, size, d, level):
        attrs = (d & ~OA_MASK & MASK64) | TABLE
        pa = d & OA_MASK & ~(size - 1)
        if va == cur["end"] and attrs == cur["attrs"] and pa == cur["pa"] + (cur["end"] - cur["start"]):
            cur["end"] = va + size
            return
        flush()
        cur.update(start=va, end=va + size, pa=pa, attrs=attrs)

    unreachable = for_each_leaf(read_table, regime, first, last, visit)
    flush()
    return lines, unreachable
