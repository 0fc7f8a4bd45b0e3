"""The gdb commands: dmesg, fixmap, translate, ptdump, memblock, buddy, kstate.

Each reads the kernel's state from memory (physical reads, see target.py), so it works on a kernel
that is stuck before its console, and answers in one line when the state it needs is not set up
yet. The output matches the kernel's own (the boot log's fixmap table, memblock_dump,
buddy_print_stats, the monitor's translate and ptdump) so the two can be compared.
"""
import gdb

from . import pgtable, printk
from .target import Machine, Unavailable, phys_base_override

# The kernel's layout constants, for a kernel.elf whose DWARF does not describe them
# (include/asm/memory.h, include/asm/fixmap.h).
DEFAULT_FIXADDR_TOP = 0xFFFFFFFFFE000000
TTBR1_START = 0xFFFF000000000000


def out(text=""):
    gdb.write(text + "\n")


def as_int(v):
    """An integer, a typed address (kernel::Address<Tag>: one integer member) or a pointer."""
    t = v.type.strip_typedefs()
    if t.code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        data = [f for f in t.fields() if not f.artificial and not getattr(f, "is_base_class", False)
                and hasattr(f, "bitpos")]
        return as_int(v[data[0]])
    return int(v) & pgtable.MASK64


def field(v, *names):
    """The first of `names` that the struct has (its layout may change), else None."""
    t = v.type.strip_typedefs()
    have = {f.name for f in t.fields()}
    for n in names:
        if n in have:
            return v[n]
    return None


def parse_addr(text, what):
    try:
        v = gdb.parse_and_eval(text)
        if v.type.strip_typedefs().code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_ARRAY):
            v = v.address  # `translate start_kernel`, `translate _text`
        return int(v) & pgtable.MASK64
    except gdb.error as e:
        raise Unavailable("%s: not an address: %s (%s)" % (what, text, e))


class KernelCommand(gdb.Command):
    """Base: one Machine per invocation; Unavailable and unreadable memory end in one line."""

    name = None

    def __init__(self):
        super().__init__(self.name, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        self.dont_repeat()
        try:
            self.run(Machine(), gdb.string_to_argv(arg))
        except Unavailable as e:
            msg = str(e)
            out(msg if msg.startswith(self.name + ":") else "%s: %s" % (self.name, msg))
        except gdb.MemoryError as e:
            out("%s: cannot read the kernel's memory: %s" % (self.name, e))
        except gdb.error as e:
            out("%s: %s" % (self.name, e))

    def run(self, m, argv):
        raise NotImplementedError


class Dmesg(KernelCommand):
    """dmesg [N]: the kernel's log buffer (lib/printk.cpp), oldest line first, or its last N lines.

Read from memory, so it shows the lines a kernel stuck before its console (or with a console on
the wrong UART) logged but never printed."""

    name = "dmesg"

    def run(self, m, argv):
        if not m.cpu.mmu_on:
            raise Unavailable("nothing logged yet: the MMU is off (%s, Image at pa 0x%x): the kernel is still in "
                              "head.S; the log buffer is in BSS, cleared and first written once the MMU is on"
                              % (m.where(), m.phys_base()))
        log_va, log_type = m.symbol("kernel::g_log")
        size = log_type.sizeof
        head = as_int(m.value("kernel::g_log_head"))
        wrapped = as_int(m.value("kernel::g_log_wrapped"))
        if head >= size or wrapped > 1:
            raise Unavailable("the log state is not valid (head %d, wrapped %d): BSS not cleared yet?" % (head, wrapped))
        ring = m.read_kva(log_va, size if wrapped else head) if (head or wrapped) else b""
        lines = printk.ring_lines(ring, head, wrapped)
        if not lines:
            out("dmesg: the log buffer is empty (start_kernel has not printed yet)")
            return
        if argv:
            if not argv[0].isdigit() or int(argv[0]) == 0:
                raise Unavailable("usage: dmesg [N] (the last N lines)")
            lines = lines[-int(argv[0]):]
        for line in lines:
            out(line)
        console = m.symbol("kernel::g_console", required=False)
        if console and as_int(m.value("kernel::g_console")) == 0:
            out("dmesg: no console is registered: these lines are in the log buffer only (a console "
                "replays it when it registers)")


def fixmap_layout(m):
    """(FIXADDR_TOP, first_pmd, __end_of_fixed_addresses, __end_of_permanent_fixed_addresses)."""
    highest = m.constant("kernel::fixmap_layout::highest_va")
    top = highest + pgtable.PAGE_SIZE if highest is not None else DEFAULT_FIXADDR_TOP
    end = int(gdb.parse_and_eval("(unsigned)kernel::__end_of_fixed_addresses"))
    perm = int(gdb.parse_and_eval("(unsigned)kernel::__end_of_permanent_fixed_addresses"))
    lowest_va = top - (end - 1) * pgtable.PAGE_SIZE
    pmd_size = 1 << pgtable.LEVEL_SHIFT[2]
    first_pmd = m.constant("kernel::fixmap_layout::first_pmd", lowest_va & ~(pmd_size - 1))
    return top, first_pmd, end, perm


class Fixmap(KernelCommand):
    """fixmap [all]: the live fixmap slots read from the fixmap's own tables (bm_pte), in the shape
of the kernel's boot table: name, va, pa, pages, attributes. Each page is also looked up through
TTBR1_EL1's tables: (TTBR1-checked), or MISMATCH. With `all`, free slots are listed too."""

    name = "fixmap"

    def run(self, m, argv):
        if argv not in ([], ["all"]):
            raise Unavailable("usage: fixmap [all]")
        show_free = bool(argv)
        m.require_mmu("fixmap")
        fm = m.value("kernel::g_kernel_fixmap")
        ptes = field(fm, "pte_")
        if ptes is not None and as_int(ptes[0]) == 0:
            raise Unavailable("not initialised yet (early_fixmap_init has not run: g_kernel_fixmap.pte_[0] is NULL)")
        top, first_pmd, end, perm = fixmap_layout(m)
        bm_va, bm_type = m.symbol("kernel::bm_pte")
        ntables = bm_type.sizeof // pgtable.PAGE_SIZE
        raw = m.read_kva(bm_va, bm_type.sizeof)
        page, n = pgtable.PAGE_SIZE, pgtable.PTRS_PER_TABLE
        tables = [[int.from_bytes(raw[t * page + i * 8:t * page + i * 8 + 8], "little") for i in range(n)]
                  for t in range(ntables)]

        def fix_va(idx):
            return top - idx * pgtable.PAGE_SIZE

        def descriptor(idx):
            va = fix_va(idx)
            k = (va - first_pmd) >> pgtable.LEVEL_SHIFT[2]
            return tables[k][(va >> pgtable.PAGE_SHIFT) & (pgtable.PTRS_PER_TABLE - 1)] if 0 <= k < ntables else 0

        slots_va, slots_type = m.symbol("kernel::kFixmapSlots")
        slot_t = slots_type.target()
        r1 = m.regime_for(top - pgtable.PAGE_SIZE)
        out("fixmap: 0x%016x-0x%016x: %u x %uK pages, %u permanent; live slots:" %
            (top - end * pgtable.PAGE_SIZE, top, end, pgtable.PAGE_SIZE >> 10, perm))
        for i in range(slots_type.sizeof // slot_t.sizeof):
            s = m.value_at(slots_va + i * slot_t.sizeof, slot_t)
            name = m.cstring(as_int(s["name"]))
            lo, hi = as_int(s["lo"]), as_int(s["hi"])
            live, lowest, lowest_d, bad = 0, None, 0, 0
            for idx in range(hi, lo - 1, -1):  # increasing VA
                d = descriptor(idx)
                if not d & pgtable.VALID:
                    continue
                if not live:
                    lowest, lowest_d = idx, d
                live += 1
                t = pgtable.translate(m.read_table, r1, fix_va(idx))
                if not t.ok or t.pa != d & pgtable.OA_MASK:
                    out("fixmap: MISMATCH %s index %u va=0x%016x: descriptor pa=0x%x, TTBR1_EL1's tables say %s"
                        % (name, idx, fix_va(idx), d & pgtable.OA_MASK,
                           ("pa 0x%x" % t.pa) if t.ok else "%s fault" % (t.fault or "unreachable")))
                    bad += 1
            if not live:
                if show_free:
                    out("fixmap: %-22s va=0x%016x %4u page%s free" % (name, fix_va(hi), hi - lo + 1,
                                                                     " " if hi == lo else "s"))
                continue
            prot = pgtable.describe_prot(lowest_d & ~pgtable.OA_MASK & pgtable.MASK64)
            out("fixmap: %-22s va=0x%016x pa=0x%016x %4u page%s %s%s"
                % (name, fix_va(lowest), lowest_d & pgtable.OA_MASK, live, " " if live == 1 else "s", prot,
                   " TTBR1-MISMATCH" if bad else " (TTBR1-checked)"))


def _regime_checked(m, va, what):
    regime = m.regime_for(va)
    if not regime.granule_ok:
        raise Unavailable("%s: %s's granule (TCR_EL1.TG0) is not TTBR1's, which the tables are read with"
                          % (what, regime.name))
    if not regime.contains(va):
        raise Unavailable("%s: 0x%x is outside %s's %u-bit range" % (what, va, regime.name, regime.ia_bits))
    if regime.walks_disabled:
        raise Unavailable("%s: 0x%x: %s walks are disabled (TCR_EL1.EPD%d = 1): translation fault, level 0"
                          % (what, va, regime.name, 1 if regime.upper else 0))
    if regime.root == 0:
        raise Unavailable("%s: %s is 0: no tables for 0x%x" % (what, regime.name, va))
    return regime


class Translate(KernelCommand):
    """translate <va>: walk the page tables for a virtual address, level by level, reading the
tables in physical memory: TTBR1_EL1 or TTBR0_EL1 as VA bit 55 selects. The same lines as the
kernel monitor's translate."""

    name = "translate"

    def run(self, m, argv):
        if len(argv) != 1:
            raise Unavailable("usage: translate <virtual address>")
        va = parse_addr(argv[0], "translate")
        m.require_mmu("translate")
        regime = _regime_checked(m, va, "translate")
        for line in pgtable.format_translation(pgtable.translate(m.read_table, regime, va)):
            out(line)


class Ptdump(KernelCommand):
    """ptdump [start [end]]: the kernel's page tables (TTBR1_EL1) as ranges of the same attributes
and contiguous physical addresses, like the kernel monitor's ptdump."""

    name = "ptdump"

    def run(self, m, argv):
        lo, hi = TTBR1_START, pgtable.MASK64
        if len(argv) > 0:
            lo = parse_addr(argv[0], "ptdump")
        if len(argv) > 1:
            hi = parse_addr(argv[1], "ptdump")
        m.require_mmu("ptdump")
        regime = _regime_checked(m, TTBR1_START | (1 << 55), "ptdump")
        lo = max(lo, regime.base)
        out("---[ kernel page tables (TTBR1_EL1 at pa 0x%x) ]---" % regime.root)
        lines, unreachable = pgtable.ptdump_ranges(m.read_table, regime, lo, hi)
        if unreachable is None:
            raise Unavailable("ptdump: the table at pa 0x%x (TTBR1_EL1) is not readable" % regime.root)
        for line in lines:
            out(line)
        if unreachable:
            out("ptdump: %u page-table page(s) could not be reached and are not shown" % unreachable)
        out("---[ %u range%s ]---" % (len(lines), "" if len(lines) == 1 else "s"))


def _regions(mt):
    cnt = as_int(field(mt, "cnt_", "cnt"))
    regions = field(mt, "r_", "regions")
    limit = regions.type.strip_typedefs().range()[1] + 1
    if cnt > limit:
        raise Unavailable("memblock: %u regions in a table of %u: not initialised (BSS not cleared yet?)" % (cnt, limit))
    return [(as_int(regions[i]["base"]), as_int(regions[i]["size"]), as_int(regions[i]["flags"])) for i in range(cnt)]


class MemblockCmd(KernelCommand):
    """memblock: the boot memory map, memory and reserved regions, as the kernel's memblock_dump."""

    name = "memblock"

    def run(self, m, argv):
        m.require_mmu("memblock")
        mb = m.value("kernel::memblock")
        memory, reserved = _regions(mb["memory"]), _regions(mb["reserved"])
        if not memory:
            raise Unavailable("memblock: no memory registered yet (setup_memory reads the device tree's memory nodes)")
        mtotal = sum(r[1] for r in memory)
        rtotal = sum(r[1] for r in reserved)
        out("memblock: memory size = 0x%x (%u MiB), reserved size = 0x%x (%u KiB)" % (mtotal, mtotal >> 20, rtotal,
                                                                                    rtotal >> 10))
        for i, (base, size, flags) in enumerate(memory):
            out("memblock:  memory[0x%x]   [0x%016x-0x%016x], 0x%012x bytes%s" % (i, base, base + size - 1, size,
                                                                                 " (nomap)" if flags & 1 else ""))
        for i, (base, size, flags) in enumerate(reserved):
            out("memblock:  reserved[0x%x] [0x%016x-0x%016x], 0x%012x bytes" % (i, base, base + size - 1, size))


class Buddy(KernelCommand):
    """buddy: the buddy allocator's free blocks per order, as the kernel's buddy_print_stats."""

    name = "buddy"

    def run(self, m, argv):
        m.require_mmu("buddy")
        b = m.value("kernel::buddy")
        memmap = field(b, "memmap_", "memmap")
        managed = field(b, "managed_", "managed")
        nr_free = field(b, "nr_free_", "nr_free")
        if nr_free is None or managed is None:
            raise Unavailable("buddy: kernel::buddy has no nr_free_/managed_ here (the allocator's layout "
                              "changed: update tools/gdb/fmk/commands.py)")
        if (memmap is not None and as_int(memmap) == 0) or as_int(managed) == 0:
            raise Unavailable("buddy: not online yet (mem_init has not handed memory to the buddy allocator)")
        orders = nr_free.type.strip_typedefs().range()[1] + 1
        counts = [as_int(nr_free[o]) for o in range(orders)]
        # Free order-0 pages kept on per-CPU lists (Linux's pcp), when the allocator has them.
        pcp = field(b, "pcp_", "pcp")
        per_cpu = []
        if pcp is not None and pcp.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
            for cpu in range(pcp.type.strip_typedefs().range()[1] + 1):
                count = field(pcp[cpu], "count")
                per_cpu.append(as_int(count) if count is not None else 0)
        free = sum(n << o for o, n in enumerate(counts)) + sum(per_cpu)
        out("buddy: %u pages free (%u MiB) of %u managed" % (free, (free << pgtable.PAGE_SHIFT) >> 20, as_int(managed)))
        out("buddy: free blocks per order:" + "".join(" %u:%u" % (o, n) for o, n in enumerate(counts))
            + (" pcp:%u" % sum(per_cpu) if pcp is not None else ""))
        if pcp is not None and sum(per_cpu):  # which CPU holds them (the kernel prints the sum only)
            out("buddy: per-CPU lists:" + "".join(" CPU%u:%u" % (cpu, n) for cpu, n in enumerate(per_cpu) if n))


class Kstate(KernelCommand):
    """kstate: where the kernel is, from the CPU's point of view: the debug stub, each CPU's EL,
MMU and translation registers, the Image's load address, and which of the kernel's boot steps
the other commands can already show."""

    name = "kstate"

    def run(self, m, argv):
        out("kstate: debug stub: %s" % m.mem.describe())
        for c in m.cpus:
            r = c.regs
            fmt = lambda v: "?" if v is None else "0x%x" % v  # noqa: E731
            out("kstate: thread %d: EL%d, MMU %s, pc 0x%x, SCTLR_EL1 %s, TTBR0_EL1 %s, TTBR1_EL1 %s, TCR_EL1 %s"
                % (c.num, c.el, "on" if c.mmu_on else "off", c.pc, fmt(c.sctlr), fmt(r["TTBR0_EL1"]),
                   fmt(r["TTBR1_EL1"]), fmt(r["TCR_EL1"])))
        if m.note:
            out("kstate: " + m.note)
        text, size, _ = m.image_layout()
        try:
            out("kstate: kernel image: pa 0x%x-0x%x at va 0x%x (%s); %s"
                % (m.phys_base(), m.phys_base() + size - 1, text,
                   "from TTBR1_EL1's tables" if m.cpu.mmu_on else "found by its Image header, MMU off", m.where()))
        except Unavailable as e:
            out("kstate: kernel image: %s" % e)
            return
        if not m.cpu.mmu_on:
            out("kstate: head.S: MMU off; dmesg, fixmap, memblock and buddy need start_kernel")
            return
        steps = []
        head = as_int(m.value("kernel::g_log_head")) or as_int(m.value("kernel::g_log_wrapped"))
        steps.append("log buffer %s" % ("in use" if head else "empty"))
        console = m.symbol("kernel::g_console", required=False)
        if console:
            steps.append("console %s" % ("registered" if as_int(m.value("kernel::g_console")) else "none"))
        ptes = field(m.value("kernel::g_kernel_fixmap"), "pte_")
        steps.append("fixmap %s" % ("initialised" if ptes is None or as_int(ptes[0]) else "not initialised"))
        mem = field(m.value("kernel::memblock")["memory"], "cnt_", "cnt")
        steps.append("memblock %s" % ("%u memory region(s)" % as_int(mem) if as_int(mem) else "empty"))
        managed = field(m.value("kernel::buddy"), "managed_", "managed")
        steps.append("buddy %s" % ("online" if managed is not None and as_int(managed) else "not online"))
        out("kstate: " + ", ".join(steps))


class PhysBase(gdb.Parameter):
    """The physical address the kernel Image was loaded at, when the helpers cannot find it
(MMU off and the pc outside the image). "auto" (default): from TTBR1_EL1's tables, else from the
Image header below the pc."""

    set_doc = "Set the kernel Image's physical load address for the fixmap-kernel helpers."
    show_doc = "Show the kernel Image's physical load address for the fixmap-kernel helpers."

    def __init__(self):
        super().__init__("fixmap-kernel-phys-base", gdb.COMMAND_DATA, gdb.PARAM_STRING)
        self.value = "auto"

    def get_set_string(self):
        v = (self.value or "auto").strip()
        if v in ("", "auto"):
            phys_base_override[0] = None
            return "fixmap-kernel-phys-base: auto"
        phys_base_override[0] = int(v, 0)
        return "fixmap-kernel-phys-base: 0x%x" % phys_base_override[0]

    def get_show_string(self, svalue):
        return svalue or "auto"


class KPhys(gdb.Function):
    """$kphys(address): the physical address behind a kernel virtual address: the Image's through
its load address (also with the MMU off, so `break *$kphys(&__idmap_text_start)` stops in head.S),
any other through TTBR1_EL1's tables."""

    def __init__(self):
        super().__init__("kphys")

    def invoke(self, addr):
        try:
            v = addr
            if v.type.strip_typedefs().code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_ARRAY):
                v = v.address
            pa = Machine().kva_to_pa(int(v) & pgtable.MASK64)
        except Unavailable as e:
            raise gdb.GdbError("$kphys: %s" % e)
        return gdb.Value(pa).cast(gdb.lookup_type("unsigned long"))


COMMANDS = (Dmesg, Fixmap, Translate, Ptdump, MemblockCmd, Buddy, Kstate)


def register():
    for c in COMMANDS:
        c()
    PhysBase()
    KPhys()
