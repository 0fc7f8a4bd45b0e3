// Fixmap management: wiring the fixmap tables into the swapper tables and setting/clearing slots.
#pragma once

#include "asm/fixmap.h"
#include "kernel/error.h"
#include "kernel/spinlock.h"
#include "mm/pgtable_ops.h"

namespace kernel {

// Fixmap calls return a Status (kernel/error.h). Their codes: Errc::NotInitialised (before
// early_fixmap_init), BadIndex (FIX_HOLE or past the end), SlotLive (set on a slot live with
// another mapping: break-before-make), NotMapped (clear of a free slot), TableMissing (the walk
// from the PGD did not reach the fixmap tables).

// Physical addresses of the statically allocated tables the fixmap uses (Linux: bm_pud, bm_pmd,
// bm_pte[]). In the kernel they are page-aligned arrays in BSS; in host tests, arena pages.
struct FixmapTables {
  PhysAddr pud;
  PhysAddr pmd;
  PhysAddr pte[fixmap_layout::nr_pte_tables];
};

class Fixmap {
 public:
  explicit Fixmap(PageTableOps& ops) : ops_(ops) {}

  // early_fixmap_init(): link the fixmap tables into the tables rooted at `pgd`. Existing upper
  // levels are reused (the kernel image may share them); empty ones get the static tables.
  [[nodiscard]] Status init(PhysAddr pgd, const FixmapTables& tables);
  // Re-point the top level (after paging_init built a new swapper PGD that carries the fixmap).
  [[nodiscard]] Status attach(PhysAddr pgd);

  // __set_fixmap(): prot 0 (FIXMAP_PAGE_CLEAR) clears the slot and invalidates its TLB entry.
  // Setting a slot that is live with another mapping is refused (break-before-make); setting it
  // again to the very same descriptor is harmless and allowed.
  [[nodiscard]] Status set(unsigned idx, PhysAddr phys, PgProt prot) {
    if (try_set(idx, phys, prot)) [[likely]]
      return {};
    return set_failed(idx, prot);
  }
  [[nodiscard]] Status clear(unsigned idx) { return set(idx, PhysAddr(0), FIXMAP_PAGE_CLEAR); }

  // set()'s success path, inline and without a Status: true when the slot now holds what was
  // asked. False changes nothing; set() then says why (and a clear of a free slot still stores
  // zero and invalidates, so that every clear is followed by a TLB invalidate).
  bool try_set(unsigned idx, PhysAddr phys, PgProt prot) {
    if (idx - 1u >= __end_of_fixed_addresses - 1u || !initialised()) return false;  // FIX_HOLE is 0
    Pte* e = entry(idx);
    const Pte old = *e;
    if (prot.is_clear()) {
      if (!old.valid()) return false;
      // Break: the invalid entry, then (the flush's dsb ishst orders the store before it) the
      // broadcast invalidate of the valid one a walker may have cached.
      ops_.write_pte(e, Pte{});
      ops_.flush_tlb_kernel_page(VirtAddr(__fix_to_virt(idx)), TlbLevel::L3);
      return true;
    }
    const Pte want = pfn_pte(phys, prot);
    if (old.valid()) return old.raw == want.raw;  // the same descriptor again is harmless
    // The entry was invalid, so no TLB can hold it: no invalidate, only set_pte's barriers.
    ops_.set_pte(e, want);
    return true;
  }

  // Runs of pages (early_ioremap's slots, the FDT window): `n` indices from `first` down to
  // first - n + 1, i.e. increasing virtual addresses, all in one level-3 table (a run that is
  // not, or a bad index, or an uninitialised fixmap, does nothing: the caller then goes page by
  // page through set(), which explains).
  static constexpr unsigned kMaxRun = 64;  // a run's result fits a 64-bit mask
  static constexpr uint64_t run_mask(unsigned n) { return n >= kMaxRun ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }
  bool run_in_one_table(unsigned first, unsigned n) const {
    const unsigned last = first - (n - 1);
    // 1 <= n <= kMaxRun, FIX_HOLE < last <= first < __end_of_fixed_addresses, one level-3 table.
    return n - 1u < kMaxRun && last - 1u < first && first < __end_of_fixed_addresses &&
           ((__fix_to_virt(first) ^ __fix_to_virt(last)) >> kLevelShift[2]) == 0 && initialised();
  }
  // Maps phys, phys + PAGE_SIZE, ... at the run with one dsb ishst; isb after the last store. Returns
  // how many pages, from `first`, hold what was asked: n, or fewer when an entry is live with a
  // different mapping (break-before-make: it and the pages after it are left alone; the pages
  // before it are mapped, for the caller to undo). 0 for a clear `prot` or a bad run.
  [[gnu::always_inline]] unsigned set_run(unsigned first, unsigned n, PhysAddr phys, PgProt prot) {
    if (prot.is_clear() || !run_in_one_table(first, n)) [[unlikely]]
      return 0;
    // The last page's output address fits OA[47:PAGE_SHIFT], so adding a page never carries into the
    // attributes (beyond it, set() page by page does what it always did).
    if ((phys.value() + uint64_t{n - 1} * PAGE_SIZE) & ~(kOutputAddrMask | (PAGE_SIZE - 1))) [[unlikely]]
      return 0;
    Pte* e = entry(first);
    unsigned i = 0;
    Pte want = pfn_pte(phys, prot);
    for (; i < n; ++i, want.raw += PAGE_SIZE) {  // the next page: the output address plus one page
      const Pte old = e[i];
      if (old.valid()) [[unlikely]] {
        if (old.raw == want.raw) continue;  // the same descriptor again is harmless
        break;
      }
      ops_.write_pte(&e[i], want);  // invalid before: no TLB holds it, no invalidate
    }
    ops_.sync_ptes();
    return i;
  }
  // Clears the run: stores zero in every entry, then one flush_tlb_kernel_range() covering all of
  // them (one dsb ishst, the TLBIs, one dsb ish; isb). Returns a mask of the pages that were not
  // live (bit i: index first - i), for the caller to report; every page of a bad run.
  [[gnu::always_inline]] uint64_t clear_run(unsigned first, unsigned n) {
    if (!run_in_one_table(first, n)) [[unlikely]]
      return run_mask(n);
    Pte* e = entry(first);
    static_assert(Pte::kValid == 1, "bit i of `live` is entry i's valid bit");
    uint64_t live = 0;
    for (unsigned i = 0; i < n; ++i) {
      live |= (e[i].raw & Pte::kValid) << i;
      ops_.write_pte(&e[i], Pte{});
    }
    if (n == 1)  // the common one-page mapping: its TLBI without the choice for a run
      ops_.flush_tlb_kernel_page(VirtAddr(__fix_to_virt(first)), TlbLevel::L3);
    else
      ops_.flush_tlb_kernel_range(VirtAddr(__fix_to_virt(first)), n, TlbLevel::L3);
    return ~live & run_mask(n);
  }

  bool initialised() const { return pte_[0] != nullptr; }
  // The current descriptor of a slot (zero when not mapped or not initialised).
  Pte read(unsigned idx) const;
  bool is_live(unsigned idx) const { return read(idx).valid(); }
  PageTableOps& ops() { return ops_; }
  PhysAddr pgd() const { return pgd_; }

 private:
  static constexpr uint64_t table_of(unsigned idx) {
    return (__fix_to_virt(idx) - fixmap_layout::first_pmd) / PMD_SIZE;
  }
  Pte* entry(unsigned idx) const { return &pte_[table_of(idx)][table_index(__fix_to_virt(idx), 3)]; }
  Status set_failed(unsigned idx, PgProt prot);
  PageTableOps& ops_;
  PhysAddr pgd_;
  FixmapTables tables_{};
  Pte* pte_[fixmap_layout::nr_pte_tables] = {};
};

// The fixmap the kernel uses (set by early_fixmap_init / fixmap_install).
void fixmap_install(Fixmap* fm);
namespace fixmap_detail {
extern Fixmap* g_fixmap;
// Everything but success: explains and reports the failure with the address it was called from
// (inside the caller of the inline API below), and returns it. Out of line and cold.
[[gnu::noinline, gnu::cold]] Status set_failed(unsigned idx, PhysAddr phys, PgProt prot);
}  // namespace fixmap_detail
inline Fixmap* fixmap_get() { return fixmap_detail::g_fixmap; }

// Linux's API on the installed fixmap. Misuse is reported on the console with the caller's
// address (the returned Error is marked reported), and the status is returned so callers (and
// tests) can react. The success path is Fixmap::try_set, inline at the call site (a few
// instructions plus the barriers and the TLBI; Linux calls an out-of-line __set_fixmap); a
// failure goes out of line to be explained. always_inline, also at -O0 (the Debug host build): the
// out-of-line explanation reports its return address as the caller, which must be the call site.
[[gnu::always_inline]] inline Status __set_fixmap(unsigned idx, PhysAddr phys, PgProt prot) {
  Fixmap* fm = fixmap_detail::g_fixmap;
  if (fm && fm->try_set(idx, phys, prot)) [[likely]]
    return {};
  return fixmap_detail::set_failed(idx, phys, prot);
}
[[gnu::always_inline]] inline Status set_fixmap(unsigned idx, PhysAddr phys) {
  return __set_fixmap(idx, phys, FIXMAP_PAGE_NORMAL);
}
[[gnu::always_inline]] inline Status set_fixmap_io(unsigned idx, PhysAddr phys) {
  return __set_fixmap(idx, phys, FIXMAP_PAGE_IO);
}
[[gnu::always_inline]] inline Status clear_fixmap(unsigned idx) {
  return __set_fixmap(idx, PhysAddr(0), FIXMAP_PAGE_CLEAR);
}
// __set_fixmap for an API built on the fixmap (early_ioremap): a failure is reported with
// `caller`, its own caller, rather than with the API's address.
Status fixmap_set_reported(unsigned idx, PhysAddr phys, PgProt prot, void* caller);
// Maps the page holding `phys` and returns the slot address plus phys's in-page offset (null VA on
// failure).
[[gnu::always_inline]] inline VirtAddr __set_fixmap_offset(unsigned idx, PhysAddr phys, PgProt prot) {
  if (!__set_fixmap(idx, phys.page_base(), prot).ok()) [[unlikely]]
    return VirtAddr();
  return VirtAddr(__fix_to_virt(idx) + phys.page_offset());
}
[[gnu::always_inline]] inline VirtAddr set_fixmap_offset(unsigned idx, PhysAddr phys) {
  return __set_fixmap_offset(idx, phys, FIXMAP_PAGE_NORMAL);
}
[[gnu::always_inline]] inline VirtAddr set_fixmap_offset_io(unsigned idx, PhysAddr phys) {
  return __set_fixmap_offset(idx, phys, FIXMAP_PAGE_IO);
}

// The fixmap's page tables are global: every CPU walks the same swapper_pg_dir, so a slot that
// several CPUs use for temporary mappings must be serialised (two CPUs setting one slot would
// break break-before-make, and a clear on one CPU would pull the page from under the other).
// Each index has a lock; ScopedFixmap holds it, with interrupts masked on this CPU, for as long
// as its mapping is live (an interrupt handler that wanted the same slot would otherwise
// deadlock or, without the lock, find it live). The clear's TLBI is the broadcast form (VAALE1IS).
SpinLock& fixmap_slot_lock(unsigned idx);

// RAII: a temporary fixmap mapping, serialised on its slot, cleared (with its TLB invalidate) at
// scope exit.
class ScopedFixmap {
 public:
  ScopedFixmap(unsigned idx, PhysAddr phys, PgProt prot) : idx_(idx), guard_(fixmap_slot_lock(idx)) {
    va_ = __set_fixmap_offset(idx, phys, prot);
  }
  ~ScopedFixmap() {
    if (!va_.is_null()) (void)clear_fixmap(idx_);
  }
  ScopedFixmap(const ScopedFixmap&) = delete;
  ScopedFixmap& operator=(const ScopedFixmap&) = delete;
  VirtAddr va() const { return va_; }
  bool ok() const { return !va_.is_null(); }

 private:
  unsigned idx_;
  IrqSaveGuard guard_;  // released after the destructor's clear
  VirtAddr va_;
};

// Human-readable slot name: "FIX_FDT+2", "FIX_EARLYCON_MEM_BASE", "FIX_BTMAP slot 1 page 3", ...
const char* fixmap_slot_name(unsigned idx, char* buf, unsigned len);

// ---- The device tree window -------------------------------------------------------------------
struct FdtWindow {
  VirtAddr va;        // the blob, through FIX_FDT..FIX_FDT_END
  uint32_t size = 0;  // totalsize from the header
};
// Maps the DTB at dt_phys through FIX_FDT..FIX_FDT_END with `prot` (any earlier FDT mapping is
// removed first). It only maps what the header says is there: non-null, 8-byte aligned, the
// magic, MAX_FDT_SIZE >= totalsize >= the header. Whether the blob is well formed is the device
// tree code's question (of::check_blob). On failure nothing stays mapped.
Result<FdtWindow> fixmap_remap_fdt(PhysAddr dt_phys, PgProt prot);
// Clears every live page of the FDT window.
void fixmap_unmap_fdt();

}  // namespace kernel

namespace kernel {
// Prints the fixmap table: one "fixmap: " line per live slot (the FDT window and each
// early_ioremap slot count as one slot) with its name, va, pa, size and attributes. Each page is
// checked against `translate` (the MMU itself in the kernel: AT S1E1R); the number of pages whose
// translation differs from the descriptor is returned and each is reported.
using TranslateFn = bool (*)(VirtAddr va, PhysAddr* pa);
// With show_free, free slots are listed too ("free").
unsigned fixmap_dump(TranslateFn translate, bool show_free = false);
}  // namespace kernel
