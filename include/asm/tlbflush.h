// The operand of a TLB invalidate by virtual address. Built in one place and compiled for the
// host too, so its encoding is tested there: QEMU's TCG ignores the TTL field and the RES0 bits,
// real Armv8.4+ cores (FEAT_TTL) do not.
//
// Arm ARM (DDI 0487), C5.5 "TLBI VAALE1IS" and D8.10 "TLB maintenance": Xt[43:0] = VA[55:12],
// Xt[47:44] = TTL (the level of the leaf being invalidated, when FEAT_TTL is implemented; RES0
// otherwise), Xt[63:48] = RES0 for the "all ASIDs" forms. A TTL that does not match the level of
// the cached entry lets the CPU keep that entry: for a TTBR1 address, whose bits [63:48] are all
// ones, a plain `va >> 12` puts 0b1111 in TTL and ones in RES0 bits. The VA field is VA[55:12] at
// every granule (at 16 KiB and 64 KiB the bits below the page, VA[13:12] / VA[15:12], are zero for
// a page's address), so the operand is never `va >> PAGE_SHIFT`; TTL[3:2] names the granule.
#pragma once

#include <stdint.h>

#include "asm/memory.h"
#include "kernel/types.h"

namespace kernel {

// The translation table level of the leaf entry that is being invalidated, or "unknown" (the CPU
// then looks at every level). Level 0 holds no leaf at any granule (and level 1 none at 16K/64K).
enum class TlbLevel : uint8_t { Unknown = 0, L1 = 1, L2 = 2, L3 = 3 };

inline constexpr uint64_t kTlbiVaMask = (uint64_t{1} << 44) - 1;  // Xt[43:0]
inline constexpr unsigned kTlbiTtlShift = 44;                     // Xt[47:44]
inline constexpr unsigned kTlbiVaShift = 12;                      // the field counts 4 KiB units
// TTL[3:2], the granule of the entry (Arm ARM, "TLBI VAALE1IS", TTL): 0b01 4K, 0b10 16K, 0b11 64K.
inline constexpr uint64_t kTlbiTtlGranule = PAGE_SHIFT == 12 ? 0b01 : PAGE_SHIFT == 14 ? 0b10 : 0b11;
// One page's step in the VA field: 1 at 4K, 4 at 16K, 16 at 64K.
inline constexpr uint64_t kTlbiOpsPerPage = PAGE_SIZE >> kTlbiVaShift;

// Whether a leaf can live at `level` with this granule, so that a TTL naming it is a real hint: a
// page at level 3, a block where block_allowed() (asm/memory.h). At 16K, TTL {0b10, 0b01} is
// reserved (treated as no hint); at 64K, {0b11, 0b01} names level 1, which holds leaves only with
// FEAT_LPA: a hint naming it would let the core keep the real level-2/3 entries (Arm ARM, "TLBI
// VAALE1IS", TTL). Such a level gets no hint.
constexpr bool tlbi_level_holds_leaves(TlbLevel level) {
  return level == TlbLevel::L3 || (level != TlbLevel::Unknown && block_allowed(static_cast<unsigned>(level)));
}

// Xt for TLBI VA*E1*: VA[55:12] in bits [43:0], TTL = 0 (no hint) unless the CPU implements
// FEAT_TTL and the level is one that holds leaves at this granule, then TTL = {granule, level}.
constexpr uint64_t tlbi_va_operand(VirtAddr va, TlbLevel level, bool cpu_has_ttl) {
  uint64_t op = (va.value() >> kTlbiVaShift) & kTlbiVaMask;
  if (cpu_has_ttl && tlbi_level_holds_leaves(level))
    op |= ((kTlbiTtlGranule << 2) | static_cast<uint64_t>(level)) << kTlbiTtlShift;
  return op;
}

// ---- Invalidating a run of pages ---------------------------------------------------------------
//
// After clearing the level-3 entries of `pages` consecutive kernel pages, which TLBIs the kernel
// issues (Arm ARM DDI 0487, "TLB maintenance instructions", "TLBI VAALE1IS", "TLBI VMALLE1IS";
// "Ordering and completion of TLB maintenance instructions"):
//
//  - A TLBI is guaranteed complete, on this PE and on every PE of the Inner Shareable domain, only
//    once a DSB ISH executed after it has completed; the DSB waits for every TLBI before it. So a
//    run needs one DSB ISHST before its first TLBI (the cleared entries visible to every walker:
//    break-before-make, "Using break-before-make when updating translation table entries") and
//    one DSB ISH + ISB after its last (the invalidation complete, and this PE's context
//    synchronized), not one pair per page. The PageTableOps issue those barriers around
//    tlbi_kernel_range(); this function only chooses the TLBIs between them.
//  - Up to kTlbiMaxPageOps pages: one TLBI VAALE1IS per page (by VA, all ASIDs, last level: the
//    entries are global level-3 leaves; broadcast, so no other PE keeps a stale entry).
//  - More than that, or a run that would wrap past the top of the address space: one TLBI
//    VMALLE1IS (every stage 1 EL1&0 entry of the current VMID, on every PE of the domain). One
//    broadcast instead of hundreds, at the price of every PE refilling its TLB by walks. The
//    cut-over is the point where the run is larger than a whole TLB (Cortex-A53's main TLB holds
//    512 entries, the A72's 1024): invalidating page by page then costs more than the refills.
//    The bound counts pages (TLB entries), whatever their size. The fixmap's runs are at most 64
//    pages (an early_ioremap slot at 4K; the FDT window is cleared in such runs): always page by
//    page. unmap_range (ioremap's iounmap) issues one run per level-3 table: 512 pages at 4K, more
//    at 16K/64K (2048, 8192), which then is one VMALLE1IS.
//  - Not used: TLBI RVAALE1IS (FEAT_TLBIRANGE, Armv8.4) invalidates a run in one instruction,
//    but it is UNDEFINED on a PE without the feature, and the kernel would have to know that every
//    CPU it ever brings up has it (the A53/A72 of the Raspberry Pis do not); a 64-page run is 64
//    TLBIs that the single trailing DSB waits for together.
inline constexpr uint64_t kTlbiMaxPageOps = 512;

// True when a run of `pages` pages from `start` is invalidated with TLBI VMALLE1IS.
constexpr bool tlbi_range_flushes_all(VirtAddr start, uint64_t pages) {
  return pages > kTlbiMaxPageOps || (pages && start.value() + (pages - 1) * PAGE_SIZE < start.value());
}

// Issues the TLBIs for a run (the barriers around them are the caller's): tlbi.page(operand) for
// each page, or tlbi.all() once. The kernel's `tlbi` executes the instructions; the host's record
// or consume the operands, so the choice and the operands are the same code everywhere.
template <typename Tlbi>
inline void tlbi_kernel_range(Tlbi&& tlbi, VirtAddr start, uint64_t pages, TlbLevel level, bool cpu_has_ttl) {
  if (tlbi_range_flushes_all(start, pages)) [[unlikely]] {
    tlbi.all();
    return;
  }
  // Page i's operand is the first one plus i pages in 4 KiB units: the run does not wrap, so
  // nothing carries into TTL.
  const uint64_t op = tlbi_va_operand(start, level, cpu_has_ttl);
  for (uint64_t i = 0; i < pages; ++i) tlbi.page(op + i * kTlbiOpsPerPage);
}

// The inverse, for tests and logs: the VA (sign-extended from bit 55 like a TTBR1 address) and
// the TTL field of an operand.
constexpr VirtAddr tlbi_operand_va(uint64_t op) {
  uint64_t va = (op & kTlbiVaMask) << kTlbiVaShift;
  if (va & (uint64_t{1} << 55)) va |= ~((uint64_t{1} << 56) - 1);
  return VirtAddr(va);
}
constexpr unsigned tlbi_operand_ttl(uint64_t op) { return static_cast<unsigned>((op >> kTlbiTtlShift) & 0xf); }

}  // namespace kernel
