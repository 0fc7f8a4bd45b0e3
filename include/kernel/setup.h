// The boot phases and the policy start_kernel applies between them (init/), declared once so a
// changed signature fails the build everywhere it is used.
#pragma once

#include <stdint.h>

#include "kernel/types.h"
#include "mm/pgtable_ops.h"

namespace kernel {

namespace of {
struct Scan;  // drivers/of.h
}

// The DTB and the command line as start_kernel found them.
extern char boot_command_line[2048];
extern const void* initial_boot_params;  // the DTB, through FIX_FDT
extern uint32_t initial_boot_params_size;

// Boot phases, in the order start_kernel runs them.
void early_fixmap_init();     // arch: bm_* tables into head.S's swapper tables
PhysAddr swapper_pgd_phys();  // arch: the PGD in TTBR1_EL1 now
bool bcm2835_uart_setup(const of::Scan& dt, uint32_t uart_clock_hz, uint32_t baud);  // Pi: PL011 on GPIO14/15
void firmware_probe(const void* fdt);  // firmware tables through early_ioremap
void paging_init();                    // arch: the final swapper tables, TTBR1 switched
void print_memory_layout();
void mem_init(PageTableOps& ops, PhysAddr pgd);  // mm: free memory to the buddy allocator, ioremap
void setup_cpu_features();                       // arch: CPU features applied by text patching
void crashtest(const char* cmdline);             // crashtest=<kind>: a deliberate fault
[[noreturn]] void monitor_run();                 // the monitor on the console
extern PhysAddr swapper_pg_dir;                  // the final kernel page tables (after paging_init)
// crashtest=stack-overflow-cpu1: called by each secondary CPU as it comes up; CPU 1 overflows its stack.
void crashtest_secondary(const char* cmdline, unsigned cpu);

// init/memory.cpp: memblock from the device tree: every memory node, minus the kernel image, the
// DTB, the tree's reservations (no-map ones out of the linear map) and the spin-table release
// addresses. False when the tree describes no usable memory.
bool memblock_init_from_fdt(const void* fdt, PhysAddr kernel_phys, uint64_t kernel_size, PhysAddr dtb_phys,
                            uint64_t dtb_size);

}  // namespace kernel
