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

// Each secondary's stacks in the kernel stack area (asm/memory.h KSTACKS_START), one 128 KiB slot
// per logical CPU, 64 KiB aligned so that entry.S's overflow test (bit 15 of SP) holds:
//   slot + 0      .. + 16 KiB   overflow stack (handle_bad_stack runs here)      bit 15 = 0
//   slot + 16 KiB .. + 64 KiB   unmapped; its last page is the guard page        bit 15 = 1 above 32 KiB
//   slot + 64 KiB .. + 96 KiB   the stack (SP starts at + 96 KiB)                bit 15 = 0
//   slot + 96 KiB .. + 128 KiB  unmapped
// As for the boot CPU (linker/kernel.ld): an SP in the guard page has bit 15 set, an SP inside
// either stack has it clear. Slot 0 (the boot CPU uses the image's stacks) stays unmapped.
inline constexpr uint64_t kStackSlotSize = 128 * 1024;
inline constexpr uint64_t kOverflowStackOffset = 0, kOverflowStackSize = 16 * 1024;
inline constexpr uint64_t kStackOffset = 64 * 1024, kStackSize = 32 * 1024;
static_assert(kStackOffset % 65536 == 0 && kStackSize <= 32 * 1024 && kOverflowStackSize <= 32 * 1024,
              "bit 15 of SP is 0 inside both stacks, 1 in the guard page below the stack");

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
