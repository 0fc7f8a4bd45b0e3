// The kernel's virtual memory layout: 48-bit virtual addresses at every granule (4 KiB and 16 KiB:
// four levels; 64 KiB: three, the walk starting at level 1; asm/page_def.h).
//
//   0x0000000000000000 .. 0x0000ffffffffffff  TTBR0: identity map, used only to turn the MMU on
//   0xffff000000000000 .. 0xffff7fffffffffff  linear map of all RAM (PAGE_OFFSET, 128 TiB)
//   0xffff800000000000 .. 0xffff80007fffffff  (reserved: modules, 2 GiB)
//   0xffff800080000000 ..                     kernel image (KIMAGE_VADDR, text_offset 0)
//   0xffff800100000000 .. 0xffff8800ffffffff  vmalloc / ioremap area (8 TiB)
//   0xffff880100000000 .. 0xffff8801000fffff  secondary CPUs' stacks (KSTACKS_START, asm/smp.h;
//                                             .. 0xffff8801001fffff at 64K)
//   FIXADDR_TOT_START  .. FIXADDR_TOP          fixmap (grows down from FIXADDR_TOP)
//   FIXADDR_TOP = 0xfffffffffe000000           32 MiB below the top of the address space
//
// The fixmap index 0 (FIX_HOLE) sits at FIXADDR_TOP itself and is never mapped, so the page at
// FIXADDR_TOP is a guard page; index i is at FIXADDR_TOP - i * PAGE_SIZE.
#pragma once

#include "asm/page_def.h"
#define KIMAGE_VADDR_ASM 0xffff800080000000
#define FIXADDR_TOP_ASM 0xfffffffffe000000

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "kernel/types.h"

namespace kernel {

inline constexpr unsigned kVaBits = VA_BITS;
inline constexpr uint64_t PAGE_OFFSET = 0xffff000000000000ULL;
inline constexpr uint64_t LINEAR_MAP_END = 0xffff800000000000ULL;
inline constexpr uint64_t KIMAGE_VADDR = KIMAGE_VADDR_ASM;
inline constexpr uint64_t VMALLOC_START = 0xffff800100000000ULL;
inline constexpr uint64_t VMALLOC_END = 0xffff880100000000ULL;
inline constexpr uint64_t FIXADDR_TOP = FIXADDR_TOP_ASM;
// Secondary CPUs' stacks, each with an unmapped guard page below it: one slot per logical CPU
// (asm/smp.h kStackSlotSize: 128 KiB, 256 KiB at 64K), right after the vmalloc area.
inline constexpr uint64_t KSTACKS_START = VMALLOC_END;
inline constexpr uint64_t KSTACKS_END = KSTACKS_START + (PAGE_SHIFT == 16 ? 0x200000 : 0x100000);

// Translation granule geometry (Arm ARM D8.2, asm/page_def.h): kLevelShift[l] is the lowest VA bit
// that level l resolves; at 64 KiB, level 0 does not exist (its shift would be 55, past VA_BITS).
inline constexpr unsigned kLevelShift[4] = {PT_LEVEL_SHIFT(0), PT_LEVEL_SHIFT(1), PT_LEVEL_SHIFT(2), PT_LEVEL_SHIFT(3)};
inline constexpr unsigned kStartLevel = PT_START_LEVEL;  // the root table's level (TTBR points at it)
inline constexpr unsigned kPtLevels = PT_LEVELS;
inline constexpr unsigned kPtrsPerTable = 1u << PT_LEVEL_BITS;      // descriptors in a table page
inline constexpr unsigned kPtrsPerRoot = 1u << PT_ROOT_BITS;        // in the root table (2 at 16 KiB, 64 at 64 KiB)
inline constexpr uint64_t PMD_SIZE = uint64_t{1} << PMD_SHIFT_ASM;  // one level-2 entry
inline constexpr uint64_t PUD_SIZE = uint64_t{1} << PUD_SHIFT_ASM;  // one level-1 entry
inline constexpr uint64_t PGDIR_SIZE = uint64_t{1} << kLevelShift[kStartLevel];  // one root entry

// Entries a table at `level` holds: the root resolves only the VA bits left above its shift.
constexpr unsigned ptrs_per_table(unsigned level) { return level == kStartLevel ? kPtrsPerRoot : kPtrsPerTable; }

constexpr unsigned table_index(uint64_t va, unsigned level) {
  return static_cast<unsigned>((va >> kLevelShift[level]) & (ptrs_per_table(level) - 1));
}

// Levels at which a block descriptor is valid without FEAT_LPA/FEAT_LPA2 (D8.3.1, "Block
// descriptor"): 4 KiB: 1 (1 GiB) and 2 (2 MiB); 16 KiB and 64 KiB: 2 only (32 MiB, 512 MiB).
constexpr bool block_allowed(unsigned level) { return level == 2 || (level == 1 && PAGE_SHIFT == 12); }

static_assert(kLevelShift[kStartLevel] < VA_BITS && (kStartLevel == 0 || kLevelShift[kStartLevel - 1] >= VA_BITS) &&
                  kLevelShift[3] == PAGE_SHIFT && kPtrsPerRoot >= 2 && kPtrsPerRoot <= kPtrsPerTable,
              "VA_BITS and the granule give a valid walk");

// TTBR1 covers the top 2^48 bytes.
constexpr bool is_ttbr1_address(uint64_t va) { return (va >> kVaBits) == 0xffff; }

}  // namespace kernel
#endif
