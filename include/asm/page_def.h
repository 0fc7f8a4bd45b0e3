// The translation granule, chosen at compile time as Linux does (CONFIG_ARM64_{4K,16K,64K}_PAGES):
// cmake -DGRANULE=4k|16k|64k (presets kernel, kernel-16k, kernel-64k) defines
// CONFIG_ARM64_PAGE_SHIFT for every translation unit, the kernel's and the host copies'.
//
// Everything below follows from PAGE_SHIFT and the 48-bit virtual address (Arm ARM D8.2,
// "Translation process", the tables for each granule):
//
//   granule  bits/level  levels  start  root entries  level shifts      blocks (no FEAT_LPA/LPA2)
//   4 KiB    9           4       L0     512           39 30 21 12       L1 1 GiB, L2 2 MiB
//   16 KiB   11          4       L0     2             47 36 25 14       L2 32 MiB
//   64 KiB   13          3       L1     64            -  42 29 16       L2 512 MiB
//
// Usable from assembly: only #defines above the C++ part.
#pragma once

#ifndef CONFIG_ARM64_PAGE_SHIFT
#error "CONFIG_ARM64_PAGE_SHIFT is set by the build (cmake -DGRANULE=4k|16k|64k); include nothing by hand"
#endif
#if CONFIG_ARM64_PAGE_SHIFT != 12 && CONFIG_ARM64_PAGE_SHIFT != 14 && CONFIG_ARM64_PAGE_SHIFT != 16
#error "CONFIG_ARM64_PAGE_SHIFT must be 12 (4 KiB), 14 (16 KiB) or 16 (64 KiB)"
#endif

#define PAGE_SHIFT_ASM CONFIG_ARM64_PAGE_SHIFT
#define PAGE_SIZE_ASM (1 << PAGE_SHIFT_ASM)
#define VA_BITS 48
/* Bits of VA each level resolves: a table page holds PAGE_SIZE / 8 descriptors. */
#define PT_LEVEL_BITS (PAGE_SHIFT_ASM - 3)
/* The VA bits resolved at level l (0..3): [PT_LEVEL_SHIFT(l) + PT_LEVEL_BITS - 1 : PT_LEVEL_SHIFT(l)]. */
#define PT_LEVEL_SHIFT(l) (PAGE_SHIFT_ASM + (3 - (l)) * PT_LEVEL_BITS)
/* The level the walk starts at: the lowest whose shift is below VA_BITS (D8.2, "initial lookup level"). */
#if CONFIG_ARM64_PAGE_SHIFT == 16
#define PT_START_LEVEL 1
#else
#define PT_START_LEVEL 0
#endif
/* Entries in the root table: the VA bits above the start level's shift. */
#define PT_ROOT_BITS (VA_BITS - PT_LEVEL_SHIFT(PT_START_LEVEL))
/* Levels the walk uses (4, 4, 3). */
#define PT_LEVELS (4 - PT_START_LEVEL)
/* One level-2 entry (a PMD block where blocks exist) and one level-1 entry. */
#define PMD_SHIFT_ASM PT_LEVEL_SHIFT(2)
#define PUD_SHIFT_ASM PT_LEVEL_SHIFT(1)

/* Per-granule encodings, with #if because the assembler has no ?: operator:
 *  - IMAGE_FLAGS_PAGE_SIZE: the Image header's flags bits [2:1] (booting.rst): 1 4K, 2 16K, 3 64K;
 *  - TCR_TG0_GRANULE / TCR_TG1_GRANULE: TCR_EL1.TG0 and TG1 encode the same granules differently
 *    (Arm ARM, "TCR_EL1"): TG0 0b00 4K, 0b01 64K, 0b10 16K; TG1 0b01 16K, 0b10 4K, 0b11 64K;
 *  - ID_AA64MMFR0_EL1_TGRAN_*: is this granule implemented for stage 1? (Arm ARM,
 *    "ID_AA64MMFR0_EL1"). TGran4 [31:28] and TGran64 [27:24] are signed: 0 supported (TGran4 1:
 *    also with 52-bit addresses), 0b1111 not. TGran16 [23:20] is unsigned: 0 NOT supported, 1
 *    supported, 2 also with 52-bit. SUPPORTED_MIN..MAX is the range meaning "supported", read
 *    with sbfx (SIGNED) or ubfx. */
#define ID_AA64MMFR0_EL1_TGRAN4_SHIFT 28
#define ID_AA64MMFR0_EL1_TGRAN64_SHIFT 24
#define ID_AA64MMFR0_EL1_TGRAN16_SHIFT 20
#if CONFIG_ARM64_PAGE_SHIFT == 12
#define IMAGE_FLAGS_PAGE_SIZE 1
#define TCR_TG0_GRANULE 0
#define TCR_TG1_GRANULE 2
#define ID_AA64MMFR0_EL1_TGRAN_SHIFT ID_AA64MMFR0_EL1_TGRAN4_SHIFT
#define ID_AA64MMFR0_EL1_TGRAN_SIGNED 1
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MIN 0
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MAX 1
#elif CONFIG_ARM64_PAGE_SHIFT == 14
#define IMAGE_FLAGS_PAGE_SIZE 2
#define TCR_TG0_GRANULE 2
#define TCR_TG1_GRANULE 1
#define ID_AA64MMFR0_EL1_TGRAN_SHIFT ID_AA64MMFR0_EL1_TGRAN16_SHIFT
#define ID_AA64MMFR0_EL1_TGRAN_SIGNED 0
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MIN 1
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MAX 2
#else
#define IMAGE_FLAGS_PAGE_SIZE 3
#define TCR_TG0_GRANULE 1
#define TCR_TG1_GRANULE 3
#define ID_AA64MMFR0_EL1_TGRAN_SHIFT ID_AA64MMFR0_EL1_TGRAN64_SHIFT
#define ID_AA64MMFR0_EL1_TGRAN_SIGNED 1
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MIN 0
#define ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MAX 0
#endif
/* The field's name in messages. */
#define ID_AA64MMFR0_EL1_TGRAN_NAME \
  (CONFIG_ARM64_PAGE_SHIFT == 12 ? "TGran4" : CONFIG_ARM64_PAGE_SHIFT == 14 ? "TGran16" : "TGran64")

#ifndef __ASSEMBLER__
#include <stdint.h>

namespace kernel {

inline constexpr uint64_t PAGE_SHIFT = PAGE_SHIFT_ASM;
inline constexpr uint64_t PAGE_SIZE = uint64_t{1} << PAGE_SHIFT;
inline constexpr uint64_t PAGE_MASK = ~(PAGE_SIZE - 1);
inline constexpr unsigned kGranuleKiB = static_cast<unsigned>(PAGE_SIZE >> 10);

// "4K", "16K", "64K": the granule as the logs and the docs name it.
inline constexpr const char* kGranuleName = PAGE_SHIFT == 12 ? "4K" : PAGE_SHIFT == 14 ? "16K" : "64K";

// Does ID_AA64MMFR0_EL1 (its raw value) say this build's granule is implemented for stage 1?
constexpr bool granule_supported(uint64_t mmfr0) {
  const uint64_t field = (mmfr0 >> ID_AA64MMFR0_EL1_TGRAN_SHIFT) & 0xf;
  const int64_t v = ID_AA64MMFR0_EL1_TGRAN_SIGNED && (field & 8) ? int64_t(field) - 16 : int64_t(field);
  return v >= ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MIN && v <= ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MAX;
}

}  // namespace kernel
#endif
