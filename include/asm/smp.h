// SMP: the number of CPUs, the boot data the boot CPU hands to the secondaries, and the per-CPU
// fields the assembly reads. Shared by head.S, entry.S and C++: plain #defines for the assembler,
// each tied to the C++ layout by a static_assert below.
//
// secondary_boot_data (defined in head.S, .data) is written by the boot CPU before it releases a
// secondary and cleaned to the Point of Coherency: the secondary reads its first part with the MMU
// and the data cache off, that is with Non-cacheable accesses that see only what has reached PoC
// (Arm ARM, "Data cache maintenance"; booting.rst asks the same of the spin-table release value).
//
// secondary_pen_release (head.S, .data, initially PEN_RELEASE_NONE in the loaded image) is the
// holding pen's latch: a CPU waiting in secondary_holding_pen leaves it when the latch holds its
// own MPIDR affinity value (spin-table CPUs, and CPUs parked by an EL3 entry).
#pragma once

#include "asm/page_def.h"

#define NR_CPUS 8 /* Linux's CONFIG_NR_CPUS: a device tree with more CPUs has the rest ignored */

/* secondary_boot_data: read with the MMU off (the first four words and the MPIDR table) */
#define BOOT_DATA_TTBR1 0    /* the kernel's page tables: swapper_pg_dir, as TTBR1_EL1 holds it */
#define BOOT_DATA_TCR 8      /* TCR_EL1 as the boot CPU uses it, with TTBR0 walks enabled */
#define BOOT_DATA_MAIR 16    /* MAIR_EL1 as the boot CPU uses it */
#define BOOT_DATA_NR_CPUS 24 /* logical CPUs in the MPIDR table */
#define BOOT_DATA_MPIDR 32   /* u64[NR_CPUS]: MPIDR affinity value (Aff3..Aff0) of each logical CPU */
/* ... and with the MMU on (coherent, cacheable accesses): */
#define BOOT_DATA_STACK_TOP (BOOT_DATA_MPIDR + 8 * NR_CPUS)  /* u64[NR_CPUS]: initial SP (virtual) */
#define BOOT_DATA_PERCPU (BOOT_DATA_STACK_TOP + 8 * NR_CPUS) /* u64[NR_CPUS]: TPIDR_EL1 (PerCpu*) */
#define BOOT_DATA_SIZE (BOOT_DATA_PERCPU + 8 * NR_CPUS)

/* The pen latch when no CPU may leave (not a valid affinity value: bits 63..40 set). */
#define PEN_RELEASE_NONE (-1)

/* struct PerCpu (kernel/smp.h): the field entry.S's stack-overflow path reads through TPIDR_EL1 */
#define PERCPU_OVERFLOW_STACK_TOP 0

/* Kernel stacks and entry.S's overflow test, for the boot CPU (linker/kernel.ld, .stacks) and the
 * secondaries (the slots below). A stack starts at a 2^STACK_ALIGN_SHIFT boundary; the guard page
 * is the PAGE_SIZE page just below it, in the upper half of the previous block; the overflow stack
 * fills the lower half of a block. So bit STACK_ALIGN_SHIFT - 1 of SP is 0 anywhere in either
 * stack and 1 in the guard page, which is what entry.S tests. The shift is max(16, PAGE_SHIFT + 1):
 * 16 (bit 15) at 4 KiB and 16 KiB, 17 (bit 16) at 64 KiB, where a 64 KiB guard page must fit in
 * the upper half. */
#if PAGE_SHIFT_ASM + 1 > 16
#define STACK_ALIGN_SHIFT (PAGE_SHIFT_ASM + 1)
#else
#define STACK_ALIGN_SHIFT 16
#endif
#define STACK_SIZE_ASM 0x8000          /* 32 KiB, every CPU's stack */
#define OVERFLOW_STACK_SIZE_ASM 0x4000 /* 16 KiB, where handle_bad_stack runs */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

namespace kernel {

inline constexpr unsigned kNrCpus = NR_CPUS;

struct SecondaryBootData {
  uint64_t ttbr1;
  uint64_t tcr;
  uint64_t mair;
  uint64_t nr_cpus;
  uint64_t mpidr[NR_CPUS];
  uint64_t stack_top[NR_CPUS];
  uint64_t percpu[NR_CPUS];
};
static_assert(offsetof(SecondaryBootData, ttbr1) == BOOT_DATA_TTBR1 &&
                  offsetof(SecondaryBootData, tcr) == BOOT_DATA_TCR &&
                  offsetof(SecondaryBootData, mair) == BOOT_DATA_MAIR &&
                  offsetof(SecondaryBootData, nr_cpus) == BOOT_DATA_NR_CPUS &&
                  offsetof(SecondaryBootData, mpidr) == BOOT_DATA_MPIDR &&
                  offsetof(SecondaryBootData, stack_top) == BOOT_DATA_STACK_TOP &&
                  offsetof(SecondaryBootData, percpu) == BOOT_DATA_PERCPU &&
                  sizeof(SecondaryBootData) == BOOT_DATA_SIZE,
              "the layout head.S reads (asm/smp.h)");

inline constexpr uint64_t kPenReleaseNone = ~uint64_t{0};
static_assert(static_cast<uint64_t>(PEN_RELEASE_NONE) == kPenReleaseNone);

// Each secondary's stacks in the kernel stack area (asm/memory.h KSTACKS_START): one slot of two
// 2^STACK_ALIGN_SHIFT blocks per logical CPU (B = 64 KiB at 4 KiB and 16 KiB pages, 128 KiB at
// 64 KiB), so that entry.S's overflow test (bit STACK_ALIGN_SHIFT - 1 of SP) holds:
//   slot + 0         .. + 16 KiB      overflow stack (handle_bad_stack runs here)   test bit = 0
//   slot + 16 KiB    .. + B           unmapped; its last page is the guard page     test bit = 1 from B / 2
//   slot + B         .. + B + 32 KiB  the stack (SP starts at B + 32 KiB)           test bit = 0
//   slot + B + 32KiB .. + 2 B         unmapped
// Each stack is mapped in whole pages: at 64 KiB pages the overflow stack's page is [0, 64 KiB)
// and the stack's [B, B + 64 KiB), both in the lower half of their block. As for the boot CPU
// (linker/kernel.ld): an SP in the guard page has the bit set, an SP inside either stack has it
// clear. Slot 0 (the boot CPU uses the image's stacks) stays unmapped.
inline constexpr unsigned kStackAlignShift = STACK_ALIGN_SHIFT;
inline constexpr uint64_t kStackAlign = uint64_t{1} << kStackAlignShift;
inline constexpr uint64_t kStackSlotSize = 2 * kStackAlign;
inline constexpr uint64_t kOverflowStackOffset = 0, kOverflowStackSize = OVERFLOW_STACK_SIZE_ASM;
inline constexpr uint64_t kStackOffset = kStackAlign, kStackSize = STACK_SIZE_ASM;
// A stack's mapped extent: whole pages.
constexpr uint64_t stack_map_size(uint64_t size) { return (size + PAGE_SIZE - 1) & PAGE_MASK; }
static_assert(kStackAlignShift >= 16 && kStackAlignShift > PAGE_SHIFT, "STACK_ALIGN_SHIFT = max(16, PAGE_SHIFT + 1)");
static_assert(kStackOffset % kStackAlign == 0 && kOverflowStackOffset % kStackAlign == 0,
              "both stacks start at a 2^STACK_ALIGN_SHIFT boundary");
static_assert(stack_map_size(kStackSize) <= kStackAlign / 2 && stack_map_size(kOverflowStackSize) <= kStackAlign / 2,
              "the test bit is 0 in every mapped page of both stacks");
static_assert(PAGE_SIZE <= kStackAlign / 2 &&
                  kOverflowStackOffset + stack_map_size(kOverflowStackSize) <= kStackOffset - PAGE_SIZE,
              "the guard page below the stack is in the upper half of its block (test bit 1) and stays unmapped");
static_assert(kStackSize % 16 == 0 && kOverflowStackSize % 16 == 0, "SP stays 16-byte aligned at each top");

}  // namespace kernel

extern "C" {
extern kernel::SecondaryBootData secondary_boot_data;
extern uint64_t secondary_pen_release;
// head.S entry points, used at their physical addresses with the MMU off:
extern char secondary_entry[];          // PSCI CPU_ON entry: x0 = context ID = logical CPU number
extern char secondary_holding_pen[];    // spin-table release target: waits for secondary_pen_release
extern char secondary_park_for_test[];  // a parking loop that never comes online (smp_test_stuck=)
}
#endif
