// The fixmap: virtual addresses fixed at compile time, physical targets chosen at run time.
//
// Index i lives at FIXADDR_TOP - i * PAGE_SIZE (see asm/memory.h). The order follows Linux arm64:
// permanent slots first (the FDT window, the early console, the text-patching alias), then the
// early_ioremap window (7 slots of 256 KiB), then the per-level slots used to edit page tables
// that are not yet reachable through the linear map.
#pragma once

#include "asm/memory.h"
#include "asm/pgtable.h"
#include "kernel/types.h"

namespace kernel {

inline constexpr uint64_t MAX_FDT_SIZE = 2u << 20;                   // booting.rst: at most 2 MiB
inline constexpr uint64_t FIX_FDT_SIZE = MAX_FDT_SIZE + PAGE_SIZE;   // + 1 page: unaligned DTB
inline constexpr unsigned NR_FIX_BTMAPS = (256u << 10) / PAGE_SIZE;  // pages per early_ioremap slot
inline constexpr unsigned FIX_BTMAPS_SLOTS = 7;
inline constexpr unsigned TOTAL_FIX_BTMAPS = NR_FIX_BTMAPS * FIX_BTMAPS_SLOTS;

enum fixed_addresses : unsigned {
  FIX_HOLE,
  // The device tree: FIX_FDT is the lowest address; the blob extends upwards towards FIX_FDT_END.
  FIX_FDT_END,
  FIX_FDT = FIX_FDT_END + FIX_FDT_SIZE / PAGE_SIZE - 1,
  FIX_EARLYCON_MEM_BASE,
  FIX_TEXT_POKE0,
  __end_of_permanent_fixed_addresses,
  // early_ioremap: slot s covers FIX_BTMAP_BEGIN - s*NR_FIX_BTMAPS downwards (increasing VA).
  FIX_BTMAP_END = __end_of_permanent_fixed_addresses,
  FIX_BTMAP_BEGIN = FIX_BTMAP_END + TOTAL_FIX_BTMAPS - 1,
  // Page-table editing slots, one per level (Linux 4.6+ "use fixmap when creating page tables").
  FIX_PTE,
  FIX_PMD,
  FIX_PUD,
  FIX_PGD,
  __end_of_fixed_addresses
};

// early_ioremap slot s: indices [btmap_slot_last(s), btmap_slot_first(s)], pages mapped with
// increasing VA from btmap_slot_first(s) (the highest index, the lowest VA).
constexpr unsigned btmap_slot_first(unsigned s) { return FIX_BTMAP_BEGIN - s * NR_FIX_BTMAPS; }
constexpr unsigned btmap_slot_last(unsigned s) { return btmap_slot_first(s) - NR_FIX_BTMAPS + 1; }

// Every slot of the fixmap in one table: its name and its index range (lo = highest VA, hi =
// lowest VA, where a multi-page slot starts). The dump, slot names and layout tests read it.
struct FixmapSlot {
  const char* name;
  unsigned lo, hi;
  constexpr unsigned pages() const { return hi - lo + 1; }
  constexpr bool contains(unsigned idx) const { return idx >= lo && idx <= hi; }
};
inline constexpr FixmapSlot kFixmapSlots[] = {
    {"FIX_FDT", FIX_FDT_END, FIX_FDT},
    {"FIX_EARLYCON_MEM_BASE", FIX_EARLYCON_MEM_BASE, FIX_EARLYCON_MEM_BASE},
    {"FIX_TEXT_POKE0", FIX_TEXT_POKE0, FIX_TEXT_POKE0},
    {"FIX_BTMAP slot 0", btmap_slot_last(0), btmap_slot_first(0)},
    {"FIX_BTMAP slot 1", btmap_slot_last(1), btmap_slot_first(1)},
    {"FIX_BTMAP slot 2", btmap_slot_last(2), btmap_slot_first(2)},
    {"FIX_BTMAP slot 3", btmap_slot_last(3), btmap_slot_first(3)},
    {"FIX_BTMAP slot 4", btmap_slot_last(4), btmap_slot_first(4)},
    {"FIX_BTMAP slot 5", btmap_slot_last(5), btmap_slot_first(5)},
    {"FIX_BTMAP slot 6", btmap_slot_last(6), btmap_slot_first(6)},
    {"FIX_PTE", FIX_PTE, FIX_PTE},
    {"FIX_PMD", FIX_PMD, FIX_PMD},
    {"FIX_PUD", FIX_PUD, FIX_PUD},
    {"FIX_PGD", FIX_PGD, FIX_PGD},
};
inline constexpr unsigned kFirstBtmapSlot = 3;  // kFixmapSlots[3 + s] is early_ioremap slot s

// The table covers every index but FIX_HOLE exactly once.
consteval bool fixmap_slots_tile_the_fixmap() {
  for (unsigned idx = FIX_HOLE + 1; idx < __end_of_fixed_addresses; ++idx) {
    unsigned n = 0;
    for (const FixmapSlot& s : kFixmapSlots) n += s.contains(idx);
    if (n != 1) return false;
  }
  return true;
}
static_assert(fixmap_slots_tile_the_fixmap(), "kFixmapSlots must cover every fixmap index exactly once");
static_assert(kFixmapSlots[kFirstBtmapSlot].lo == btmap_slot_last(0) &&
                  kFixmapSlots[kFirstBtmapSlot + FIX_BTMAPS_SLOTS - 1].lo == FIX_BTMAP_END,
              "the BTMAP slots follow each other in kFixmapSlots");

// The permanent part [FIXADDR_START, FIXADDR_TOP) and the whole area including BTMAP and FIX_P*D.
inline constexpr uint64_t FIXADDR_SIZE = uint64_t{__end_of_permanent_fixed_addresses} << PAGE_SHIFT;
inline constexpr uint64_t FIXADDR_START = FIXADDR_TOP - FIXADDR_SIZE;
inline constexpr uint64_t FIXADDR_TOT_SIZE = uint64_t{__end_of_fixed_addresses} << PAGE_SHIFT;
inline constexpr uint64_t FIXADDR_TOT_START = FIXADDR_TOP - FIXADDR_TOT_SIZE;

// Unchecked index -> address (like Linux's __fix_to_virt). Prefer fix_to_virt().
constexpr uint64_t __fix_to_virt(unsigned idx) { return FIXADDR_TOP - (uint64_t{idx} << PAGE_SHIFT); }
constexpr unsigned __virt_to_fix(uint64_t va) {
  return static_cast<unsigned>((FIXADDR_TOP - (va & PAGE_MASK)) >> PAGE_SHIFT);
}

// Deliberately not constexpr: reaching it inside the consteval fix_to_virt() makes the build fail,
// and the compiler's message names this function.
void fix_to_virt_error_index_is_FIX_HOLE_or_beyond_end_of_fixed_addresses();

// Compile-time only: fix_to_virt(FIX_HOLE) or an index past the end does not build.
consteval VirtAddr fix_to_virt(fixed_addresses idx) {
  if (idx == FIX_HOLE || idx >= __end_of_fixed_addresses)
    fix_to_virt_error_index_is_FIX_HOLE_or_beyond_end_of_fixed_addresses();
  return VirtAddr(__fix_to_virt(idx));
}

// Run-time index (loops over slots): checked, reports misuse and returns a null address.
VirtAddr fix_to_virt_checked(unsigned idx);
// Address -> index; reports an address outside the fixmap and returns false.
[[nodiscard]] bool virt_to_fix(VirtAddr va, unsigned* idx);

// ---- Layout invariants, checked where Linux checks at link time or not at all. ----------------
namespace fixmap_layout {
constexpr uint64_t lowest_va = __fix_to_virt(__end_of_fixed_addresses - 1);
constexpr uint64_t highest_va = __fix_to_virt(FIX_HOLE + 1);
constexpr uint64_t first_pmd = lowest_va & ~(PMD_SIZE - 1);
constexpr unsigned nr_pte_tables = static_cast<unsigned>((highest_va - first_pmd) / PMD_SIZE + 1);
// A level-1 table of its own (bm_pud) only where the root is level 0 and the fixmap's root entry
// is not the image's: at 4K (entries 511 and 256). At 16K the root's entry 1 holds both, so the
// fixmap hangs under the image's level-1 table; at 64K the root is the level-1 table.
constexpr bool has_bm_pud = kStartLevel == 0 && (lowest_va >> kLevelShift[0]) != (KIMAGE_VADDR >> kLevelShift[0]);
}  // namespace fixmap_layout

static_assert(FIXADDR_TOP % PAGE_SIZE == 0, "FIXADDR_TOP must be page aligned");
static_assert(is_ttbr1_address(FIXADDR_TOT_START), "the fixmap must be a TTBR1 (kernel) address");
static_assert(FIXADDR_TOT_START >= VMALLOC_END, "the fixmap must not overlap the vmalloc area");
static_assert((fixmap_layout::lowest_va >> PUD_SHIFT_ASM) == (fixmap_layout::highest_va >> PUD_SHIFT_ASM),
              "the whole fixmap must sit under one level-1 entry (one bm_pmd table)");
static_assert((__fix_to_virt(FIX_BTMAP_BEGIN) >> PMD_SHIFT_ASM) == (__fix_to_virt(FIX_BTMAP_END) >> PMD_SHIFT_ASM),
              "all early_ioremap slots must share one level-2 entry (one bm_pte page)");
static_assert(FIX_FDT - FIX_FDT_END + 1 == FIX_FDT_SIZE / PAGE_SIZE, "FDT window: 2 MiB + 1 page");
static_assert(FIX_BTMAP_BEGIN - FIX_BTMAP_END + 1 == TOTAL_FIX_BTMAPS, "7 slots of 256 KiB");
static_assert(NR_FIX_BTMAPS * PAGE_SIZE == (256u << 10) && NR_FIX_BTMAPS >= 4,
              "an early_ioremap slot is 256 KiB at every granule (64, 16 or 4 pages)");
static_assert(FIX_FDT_SIZE % PAGE_SIZE == 0 && MAX_FDT_SIZE % PAGE_SIZE == 0,
              "the FDT window is whole pages: 513, 129 or 33");
static_assert(__end_of_fixed_addresses - FIX_PGD == 1, "FIX_PGD is the last index");
static_assert(fixmap_layout::nr_pte_tables <= 4, "bm_pte sized for at most 4 PMDs");

}  // namespace kernel
