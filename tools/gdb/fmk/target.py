"""The stopped machine as gdb reaches it: system registers, physical memory, the kernel's image.

Physical memory is read through the debug stub, never through the CPU's current translation, so
the page-table commands show what the tables say and not what the MMU happens to do:

  * QEMU's gdbstub: `maintenance packet Qqemu.PhyMemMode:1` makes memory packets physical
    (QEMU 7.2 and 10 both answer it; `qqemu.PhyMemMode` asks the current mode);
  * OpenOCD: `monitor mdd phys <addr> <count>` (64-bit words), and system registers OpenOCD's gdb
    server does not list through `monitor aarch64 mrs nsec op0 op1 CRn CRm op2`;
  * anything else: only while the MMU is off, where a virtual address is a physical one.

Kernel variables are found by their symbols in kernel.elf (gdb's own lookup), and their bytes read
at their physical address: before head.S turns the MMU on the kernel runs at its load address
(the Image header's magic tells where), afterwards TTBR1_EL1's tables say where each page is.
"""
import re

import gdb

from . import openocd, pgtable

# System registers QEMU's gdbstub exposes (its "system registers" feature); the first name found
# is used (QEMU names SCTLR_EL1 "SCTLR", after the AArch32 register it shares).
SYSREG_NAMES = {
    "SCTLR_EL1": ("SCTLR_EL1", "SCTLR"),
    "TTBR0_EL1": ("TTBR0_EL1",),
    "TTBR1_EL1": ("TTBR1_EL1",),
    "TCR_EL1": ("TCR_EL1",),
}
# (op0, op1, CRn, CRm, op2) for OpenOCD's `aarch64 mrs`.
SYSREG_ENCODING = {
    "SCTLR_EL1": (3, 0, 1, 0, 0),
    "TTBR0_EL1": (3, 0, 2, 0, 0),
    "TTBR1_EL1": (3, 0, 2, 0, 1),
    "TCR_EL1": (3, 0, 2, 0, 2),
}

IMAGE_MAGIC = b"ARM\x64"  # at offset 0x38 of the arm64 Image header (head.S's _head)

phys_base_override = [None]  # `set fixmap-kernel-phys-base` (parameter defined in commands.py)


class Unavailable(Exception):
    """State a command needs is not there yet; the message says what, in one line."""


class NoTarget(Unavailable):
    pass


def _packet(text):
    """Sends a raw packet; returns the reply's text, or None when the stub has nothing to say."""
    try:
        out = gdb.execute("maintenance packet " + text, to_string=True)
    except gdb.error:
        return None
    m = re.search(r'received: "(.*)"', out)
    return m.group(1) if m else None


def _monitor(cmd):
    try:
        return gdb.execute("monitor " + cmd, to_string=True)
    except gdb.error:
        return None


class PhysMem:
    """Physical reads through whichever debug stub is on the other end."""

    def __init__(self):
        self.kind = None
        mode = _packet("qqemu.PhyMemMode")
        if mode in ("0", "1"):
            self.kind = "qemu"
        else:
            version = _monitor("version") or ""
            if "Open On-Chip Debugger" in version:
                self.kind = "openocd"
            else:
                self.kind = "plain"
        self.inferior = gdb.selected_inferior()

    def describe(self):
        return {"qemu": "QEMU gdbstub (Qqemu.PhyMemMode)", "openocd": "OpenOCD (mdd phys)",
                "plain": "no physical access (virtual = physical only with the MMU off)"}[self.kind]

    def read(self, pa, n, mmu_off=False):
        """n bytes at physical address pa; raises gdb.MemoryError when they cannot be read."""
        if self.kind == "qemu":
            if _packet("Qqemu.PhyMemMode:1") != "OK":
                raise gdb.MemoryError("QEMU refused physical memory mode")
            try:
                return bytes(self.inferior.read_memory(pa, n))
            finally:
                _packet("Qqemu.PhyMemMode:0")
        if self.kind == "openocd":
            return self._openocd_read(pa, n)
        if mmu_off:
            return bytes(self.inferior.read_memory(pa, n))
        raise Unavailable("this debug stub cannot read physical memory while the MMU is on "
                          "(QEMU's gdbstub and OpenOCD can)")

    def _openocd_read(self, pa, n):
        start = pa & ~7
        words = (pa + n - start + 7) // 8
        data = openocd.parse_mdd(_monitor("mdd phys 0x%x %d" % (start, words)) or "", start, words)
        if data is None:
            raise gdb.MemoryError("OpenOCD could not read %d bytes at pa 0x%x (mdd phys)" % (n, pa))
        off = pa - start
        return data[off:off + n]


def _strip_params(name):
    """'kernel::f(char const*, void (*)(int))' -> 'kernel::f'."""
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            return name[:i]
    return name


def _read_reg(frame, names):
    for name in names:
        try:
            return int(frame.read_register(name)) & pgtable.MASK64
        except (ValueError, gdb.error):
            continue
    return None


class CpuState:
    """One CPU's EL1 translation registers."""

    def __init__(self, thread, mem):
        self.thread = thread
        self.num = thread.num
        frame = gdb.selected_frame()
        self.pc = int(frame.read_register("pc")) & pgtable.MASK64
        cpsr = _read_reg(frame, ("cpsr",))
        self.el = ((cpsr or 0) >> 2) & 3
        self.regs = {}
        for reg, names in SYSREG_NAMES.items():
            v = _read_reg(frame, names)
            if v is None and mem.kind == "openocd":
                v = openocd.parse_mrs(_monitor("aarch64 mrs nsec %d %d %d %d %d" % SYSREG_ENCODING[reg]))
            self.regs[reg] = v
        self.x21 = _read_reg(frame, ("x21",))

    @property
    def sctlr(self):
        return self.regs["SCTLR_EL1"]

    @property
    def mmu_on(self):
        # EL1's MMU, and the CPU at EL1 or EL0: at EL2/EL3 (head.S's el2_setup) the kernel's
        # tables are not in use yet.
        return self.sctlr is not None and bool(self.sctlr & 1) and self.el in (0, 1)

    def regimes(self):
        tcr, t0, t1 = self.regs["TCR_EL1"], self.regs["TTBR0_EL1"], self.regs["TTBR1_EL1"]
        if tcr is None or t1 is None:
            raise Unavailable("the debug stub does not show TCR_EL1/TTBR1_EL1 (QEMU: the system "
                              "register feature; OpenOCD: `monitor aarch64 mrs`)")
        return pgtable.regimes_from_tcr(tcr, t0 or 0, t1)


def _threads():
    inf = gdb.selected_inferior()
    if inf is None or inf.pid == 0:
        raise NoTarget("no target: connect first (target remote :1234)")
    return sorted(inf.threads(), key=lambda t: t.num)


class Machine:
    """The stopped machine for one command: caches table pages and translations until it returns."""

    def __init__(self):
        threads = _threads()
        if not threads:
            raise NoTarget("no target: connect first (target remote :1234)")
        if gdb.selected_thread() is not None and gdb.selected_thread().is_running():
            raise Unavailable("the target is running: interrupt it first (Ctrl-C)")
        self.mem = PhysMem()
        self._tables = {}
        self._pages = {}
        self.sel = gdb.selected_thread()
        self.cpus = []
        try:
            for t in threads:
                t.switch()
                self.cpus.append(CpuState(t, self.mem))
        finally:
            if self.sel is not None:
                self.sel.switch()
        # The CPU whose view is used: the selected one, or else the first whose MMU is on (a
        # secondary still in its holding pen has the MMU off while CPU 0 runs the kernel).
        sel = [c for c in self.cpus if self.sel is not None and c.num == self.sel.num]
        self.cpu = sel[0] if sel else self.cpus[0]
        self.note = None
        if not self.cpu.mmu_on:
            on = [c for c in self.cpus if c.mmu_on]
            if on:
                self.note = "(thread %d has its MMU off: using thread %d's translation)" % (self.cpu.num, on[0].num)
                self.cpu = on[0]
        self._syms = {}
        self.image = None
        # The granule the kernel was built for is the one its tables use: TCR_EL1.TG1, once the
        # MMU is on (pgtable.use_granule). Before that no command walks tables.
        if self.cpu.mmu_on:
            try:
                self.cpu.regimes()
            except Unavailable:
                pass

    # ---- physical memory and page tables --------------------------------------------------------

    def read_phys(self, pa, n):
        return self.mem.read(pa, n, mmu_off=not self.cpu.mmu_on)

    def read_table(self, pa):
        """A table page's descriptors (PAGE_SIZE / 8 of them), or None when it cannot be read."""
        if pa in self._tables:
            return self._tables[pa]
        try:
            raw = self.read_phys(pa, pgtable.PAGE_SIZE)
            entries = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, pgtable.PAGE_SIZE, 8)]
        except (gdb.MemoryError, gdb.error):
            entries = None
        self._tables[pa] = entries
        return entries

    def regime_for(self, va):
        """The regime VA bit 55 selects."""
        r0, r1 = self.cpu.regimes()
        return r1 if (va >> 55) & 1 else r0

    # ---- the kernel image ---------------------------------------------------------------------

    def symbol(self, name, required=True):
        """(address, gdb.Type) of a kernel variable from kernel.elf's symbols."""
        if name in self._syms:
            return self._syms[name]
        found = None
        for cand in (name, name.replace("kernel::", "kernel::(anonymous namespace)::", 1)):
            for lookup in (gdb.lookup_static_symbol, gdb.lookup_global_symbol):
                try:
                    s = lookup(cand)
                except gdb.error:
                    s = None
                if s is not None and s.addr_class != gdb.SYMBOL_LOC_CONST:
                    found = (int(s.value().address), s.type)
                    break
            if found:
                break
        if found is None and required:
            raise Unavailable("no symbol %s: load the kernel's symbols (file build/kernel/kernel.elf)" % name)
        self._syms[name] = found
        return found

    def constant(self, name, default=None):
        """A constexpr the compiler described in DWARF (no memory behind it)."""
        try:
            s = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
            if s is not None:
                return int(s.value())
        except gdb.error:
            pass
        return default

    def image_layout(self):
        """(link address of _text, size of the image) from the ELF."""
        text = self.symbol("_text")[0]
        end = self.symbol("_end")[0]
        etext = self.symbol("_etext")[0]
        return text, end - text, etext - text

    def phys_base(self):
        """Where the loader put the Image (the physical address of _text)."""
        if self.image is not None:
            return self.image
        text, size, text_size = self.image_layout()
        if phys_base_override[0] is not None:
            self.image = phys_base_override[0]
        elif self.cpu.mmu_on:
            t = pgtable.translate(self.read_table, self.regime_for(text), text)
            if not t.ok:
                raise Unavailable("TTBR1_EL1's tables do not map the kernel image at 0x%x" % text)
            self.image = t.pa
        else:
            self.image = self._find_image(size, text_size)
        return self.image

    def _is_image_at(self, pa, size):
        try:
            hdr = self.read_phys(pa, 64)
        except (gdb.MemoryError, gdb.error):
            return False
        return hdr[0x38:0x3C] == IMAGE_MAGIC and int.from_bytes(hdr[0x10:0x18], "little") == size

    def _find_image(self, size, text_size):
        """MMU off: the code runs at its load address. head.S keeps the physical _text in x21;
        else the Image header is found below the PC (4 KiB aligned, within the text)."""
        cpu = self.cpu
        if cpu.x21 is not None and cpu.x21 & 0xFFF == 0 and self._is_image_at(cpu.x21, size):
            return cpu.x21
        pc = cpu.pc & ~0xFFF
        for pa in range(pc, max(pc - text_size - 0x1000, -1), -0x1000):
            if self._is_image_at(pa, size):
                return pa
        raise Unavailable("the MMU is off and pc 0x%x is not inside the kernel image: the kernel has not "
                          "started yet (or set fixmap-kernel-phys-base <pa>)" % cpu.pc)

    def kva_to_pa(self, va):
        text, size, _ = self.image_layout()
        if text <= va < text + size:
            return va - text + self.phys_base()
        if not self.cpu.mmu_on:
            raise Unavailable("0x%x is outside the kernel image and the MMU is off" % va)
        page = va & ~0xFFF
        if page not in self._pages:
            t = pgtable.translate(self.read_table, self.regime_for(va), page)
            self._pages[page] = t.pa if t.ok else None
        if self._pages[page] is None:
            raise Unavailable("0x%x is not mapped by %s" % (va, self.regime_for(va).name))
        return self._pages[page] | (va & 0xFFF)

    def read_kva(self, va, n):
        """n bytes at a kernel virtual address, page by page through the tables."""
        out = bytearray()
        while n:
            chunk = min(n, 0x1000 - (va & 0xFFF))
            out += self.read_phys(self.kva_to_pa(va), chunk)
            va += chunk
            n -= chunk
        return bytes(out)

    def value(self, name):
        """A kernel variable as a gdb.Value, its bytes read at its physical address."""
        addr, typ = self.symbol(name)
        return gdb.Value(self.read_kva(addr, typ.sizeof), typ)

    def value_at(self, va, typ):
        return gdb.Value(self.read_kva(va, typ.sizeof), typ)

    def u64(self, va):
        return int.from_bytes(self.read_kva(va, 8), "little")

    def cstring(self, va, limit=128):
        out = bytearray()
        while len(out) < limit:
            chunk = self.read_kva(va + len(out), min(32, 0x1000 - ((va + len(out)) & 0xFFF)))
            if b"\0" in chunk:
                return (out + chunk[:chunk.index(b"\0")]).decode("ascii", "replace")
            out += chunk
        return out.decode("ascii", "replace")

    def where(self):
        """'pc 0x... (symbol+off)' of the CPU in use, with the MMU-off load offset applied."""
        pc = self.cpu.pc
        link = pc
        if not self.cpu.mmu_on:
            try:
                link = pc - self.phys_base() + self.image_layout()[0]
            except Unavailable:
                return "pc 0x%x" % pc
        try:
            sym = gdb.execute("info symbol 0x%x" % link, to_string=True).strip()
            m = re.match(r"(.+?)(?: \+ (\d+))? in section", sym)
            if m:
                return "pc 0x%x = %s+0x%x" % (pc, _strip_params(m.group(1)), int(m.group(2) or 0))
        except gdb.error:
            pass
        return "pc 0x%x" % pc

    def require_mmu(self, what):
        """One line when the kernel has no page tables in use yet."""
        cpu = self.cpu
        if cpu.sctlr is None:
            raise Unavailable("%s: the debug stub does not show SCTLR_EL1" % what)
        if not cpu.mmu_on:
            why = "the CPU is at EL%d" % cpu.el if cpu.el > 1 else "SCTLR_EL1.M = 0"
            try:
                self.phys_base()
                stage = "the kernel is still in head.S"
            except Unavailable:
                stage = "the kernel has not started yet"
            raise Unavailable("%s: the MMU is off (%s, %s): %s" % (what, why, self.where(), stage))
        if not cpu.regs.get("TTBR1_EL1"):
            raise Unavailable("%s: TTBR1_EL1 is 0: no kernel page tables yet" % what)
