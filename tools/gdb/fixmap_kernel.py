"""gdb helpers for fixmap-kernel: read the kernel's state from memory when it is stuck.

Load with the kernel's symbols:

    gdb-multiarch build/kernel/kernel.elf -x tools/gdb/fixmap_kernel.py -ex 'target remote :1234'

(tools/run-qemu --gdb prints this line). Commands (`help <command>` for each):

    dmesg [N]              the printk log buffer, including lines no console printed
    fixmap [all]           live fixmap slots from the fixmap's tables (bm_pte), as the boot table
    translate <va>         walk TTBR1_EL1/TTBR0_EL1 (VA bit 55) level by level in physical memory
    ptdump [start [end]]   the kernel page tables as ranges, as the monitor's ptdump
    memblock               memory and reserved regions
    buddy                  the buddy allocator's free blocks per order
    kstate                 EL, MMU and translation registers of each CPU, the Image's load address

They work on QEMU's gdbstub (physical reads with Qqemu.PhyMemMode) and on OpenOCD (mdd phys,
aarch64 mrs); see docs/when-the-board-prints-nothing.md.
"""
import importlib
import os
import sys

import gdb

_here = os.path.dirname(os.path.abspath(os.path.expanduser(__file__)))
if _here not in sys.path:
    sys.path.insert(0, _here)

import fmk.openocd  # noqa: E402
import fmk.pgtable  # noqa: E402
import fmk.printk  # noqa: E402
import fmk.target  # noqa: E402
import fmk.commands  # noqa: E402

# Sourcing the file again (after editing the helpers) reloads them.
for _m in (fmk.openocd, fmk.pgtable, fmk.printk, fmk.target, fmk.commands):
    importlib.reload(_m)

fmk.commands.register()  # a command defined again replaces the old one
if not getattr(gdb, "_fixmap_kernel_loaded", False):
    gdb._fixmap_kernel_loaded = True
    gdb.write("fixmap-kernel gdb helpers: dmesg, fixmap, translate, ptdump, memblock, buddy, kstate\n")
