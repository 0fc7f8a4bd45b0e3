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
 public:
  // Before the linear map exists, only tables inside the kernel image (init_pg_dir, the fixmap's
  // bm_* tables) are reachable, through the image mapping; afterwards any RAM page is.
  Pte* table_ptr(PhysAddr table);

  void set_pte(Pte* entry, Pte value) {
    *reinterpret_cast<volatile uint64_t*>(entry) = value.raw;
    // Order the store before any later access that the walker performs through it (Arm ARM,
    // "Ordering of memory accesses from translation table walks").
    dsb(ishst);
    isb();
  }
  void publish_barrier() { dmb(ishst); }
  void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) {
    dsb(ishst);
    asm volatile("tlbi vaale1is, %0" ::"r"(tlbi_va_operand(va, level, has_ttl_)) : "memory");
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
