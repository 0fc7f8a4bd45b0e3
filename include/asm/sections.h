// The kernel image's linker symbols (linker/kernel.ld) and head.S entry points that C++ uses:
// declared once, so a renamed section or symbol fails the build everywhere (Linux:
// asm/sections.h).
#pragma once

#include <stdint.h>

extern "C" {
// The image, in link order.
extern char _text[], _stext[], _etext[], _srodata[], _erodata[], _sdata[], __bss_start[], __bss_stop[], _end[];
// head.S's boot page tables (outside BSS), and the boot stack with its guard page below it.
extern char init_pg_dir[], init_pg_end[], idmap_pg_dir[], idmap_pg_end[];
extern char init_stack[], init_stack_top[], __stack_guard[];
// The boot CPU's overflow stack (entry.S switches to it through PerCpu, kernel/smp.h).
extern char overflow_stack[], overflow_stack_top[];
// Static constructors, run first by start_kernel.
using InitFn = void (*)();
extern InitFn __init_array_start[], __init_array_end[];
// The exception vectors (entry.S) and head.S's TTBR1 switch, called at its physical address.
extern char vectors[];
extern char idmap_cpu_replace_ttbr1[];
// The C++ entry from head.S.
void start_kernel(uint64_t dtb_phys, uint64_t phys_base, uint32_t entry_el);
}
