// The arm64 implementation of PageTableOps and TextPatchOps (mm/pgtable_ops.h), kernel build only:
// real stores, barriers, TLB and cache maintenance. Final classes, the hot paths inline.
#pragma once

#ifdef KERNEL_HOST_BUILD
#error "asm/mmu_ops.h is the kernel's implementation; host code uses mm/host_ops.h"
#endif

#include "asm/memory.h"
#include "asm/pgtable.h"
#include "asm/sysreg.h"
#include "asm/tlbflush.h"
#include "kernel/types.h"

namespace kernel {

class ArchPageTableOps final {
  // The broadcast (Inner Shareable) forms: every PE's TLB, not only this one's.
  struct Tlbi {
    void page(uint64_t op) { asm volatile("tlbi vaale1is, %0" ::"r"(op) : "memory"); }
    void all() { asm volatile("tlbi vmalle1is" ::: "memory"); }
  };

 public:
  // Before the linear map exists, only tables inside the kernel image (init_pg_dir, the fixmap's
  // bm_* tables) are reachable, through the image mapping; afterwards any RAM page is.
  Pte* table_ptr(PhysAddr table);

  void set_pte(Pte* entry, Pte value) {
    write_pte(entry, value);
    sync_ptes();
  }
  // The store alone, for a run of entries: a run of new valid entries is followed by one
  // sync_ptes(), a run of cleared ones by one flush_tlb_kernel_range() (whose DSB ISHST orders
  // the stores before the TLBIs).
  void write_pte(Pte* entry, Pte value) { *reinterpret_cast<volatile uint64_t*>(entry) = value.raw; }
  // Order the stores before any later access that the walker performs through them (Arm ARM,
  // "Ordering of memory accesses from translation table walks"): DSB ISHST completes them for
  // every walker, ISB makes this PE's later instructions see them.
  void sync_ptes() {
    dsb(ishst);
    isb();
  }
  void publish_barrier() { dmb(ishst); }
  void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) {
    dsb(ishst);
    Tlbi{}.page(tlbi_va_operand(va, level, has_ttl_));
    dsb(ish);
    isb();
  }
  // A run of cleared entries: one DSB ISHST, the TLBIs asm/tlbflush.h chooses, one DSB ISH + ISB.
  void flush_tlb_kernel_range(VirtAddr start, uint64_t pages, TlbLevel level) {
    dsb(ishst);
    tlbi_kernel_range(Tlbi{}, start, pages, level, has_ttl_);
    dsb(ish);
    isb();
  }
  void* access(VirtAddr va, uint64_t) { return va.as_ptr<void>(); }

  // After paging_init: any RAM page (memblock memory) is reachable through the linear map.
  void enable_linear_map() { linear_ = true; }
  bool linear_map() const { return linear_; }
  // FEAT_TTL (ID_AA64MMFR2_EL1.TTL): the CPU uses the TTL level hint of TLBI by VA.
  void set_has_ttl(bool v) { has_ttl_ = v; }
  bool has_ttl() const { return has_ttl_; }

 private:
  bool linear_ = false;
  bool has_ttl_ = false;
};

class ArchTextPatchOps final {
 public:
  void* access(VirtAddr va, uint64_t) { return va.as_ptr<void>(); }
  void write_insn(void* alias, uint32_t insn) { *static_cast<volatile uint32_t*>(alias) = insn; }
  void sync_icache(VirtAddr va, uint64_t len);
};

extern ArchPageTableOps kernel_mmu_ops;
extern ArchTextPatchOps kernel_text_ops;

// The linear map: VA = PAGE_OFFSET + PA for all of RAM.
inline VirtAddr __va(PhysAddr pa) { return VirtAddr(PAGE_OFFSET + pa.value()); }
inline PhysAddr __pa(VirtAddr va) { return PhysAddr(va.value() - PAGE_OFFSET); }

}  // namespace kernel
