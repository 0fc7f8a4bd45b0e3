// The kernel's virtual memory layout: 4 KiB granule, 48-bit virtual addresses, four levels.
//
//   0x0000000000000000 .. 0x0000ffffffffffff  TTBR0: identity map, used only to turn the MMU on
//   0xffff000000000000 .. 0xffff7fffffffffff  linear map of all RAM (PAGE_OFFSET, 128 TiB)
//   0xffff800000000000 .. 0xffff80007fffffff  (reserved: modules, 2 GiB)
//   0xffff800080000000 ..                     kernel image (KIMAGE_VADDR, text_offset 0)
//   0xffff800100000000 .. 0xffff8800ffffffff  vmalloc / ioremap area (8 TiB)
//   0xffff880100000000 .. 0xffff8801000fffff  secondary CPUs' stacks (KSTACKS_START, asm/smp.h)
//   FIXADDR_TOT_START  .. FIXADDR_TOP          fixmap (grows down from FIXADDR_TOP)
//   FIXADDR_TOP = 0xfffffffffe000000           32 MiB below the top of the address space
//
// The fixmap index 0 (FIX_HOLE) sits at FIXADDR_TOP itself and is never mapped, so the page at
// FIXADDR_TOP is a guard page; index i is at FIXADDR_TOP - i * PAGE_SIZE.
#pragma once

#define VA_BITS 48
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
// Secondary CPUs' stacks, each with an unmapped guard page below it: one 128 KiB slot per logical
// CPU (asm/smp.h kStackSlotSize), right after the vmalloc area.
inline constexpr uint64_t KSTACKS_START = VMALLOC_END;
inline constexpr uint64_t KSTACKS_END = KSTACKS_START + 0x100000;

// Translation granule geometry (Arm ARM D8.2, 4 KiB granule): 9 bits per level, levels 0..3.
inline constexpr unsigned kLevelShift[4] = {39, 30, 21, 12};
inline constexpr uint64_t PMD_SIZE = uint64_t{1} << 21;    // level-2 block
inline constexpr uint64_t PUD_SIZE = uint64_t{1} << 30;    // level-1 block
inline constexpr uint64_t PGDIR_SIZE = uint64_t{1} << 39;  // one level-0 entry
inline constexpr unsigned kPtrsPerTable = 512;

constexpr unsigned table_index(uint64_t va, unsigned level) {
  return static_cast<unsigned>((va >> kLevelShift[level]) & (kPtrsPerTable - 1));
}

// TTBR1 covers the top 2^48 bytes.
constexpr bool is_ttbr1_address(uint64_t va) { return (va >> kVaBits) == 0xffff; }

}  // namespace kernel
#endif
