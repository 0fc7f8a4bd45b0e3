#pragma once
#include "asm/memory.h"
#include "mm/mmu_ops.h"

namespace kernel {
class KernelMmuOps final : public MmuOps {
 public:
  Pte* table_ptr(PhysAddr table) override;
  void set_pte(Pte* entry, Pte value) override;
  void publish_barrier() override;
  void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) override;
  void* access(VirtAddr va, uint64_t len) override;
  void write_insn(void* alias, uint32_t insn) override;
  void sync_icache(VirtAddr va, uint64_t len) override;
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

// The linear map: VA = PAGE_OFFSET + PA for all of RAM.
inline VirtAddr __va(PhysAddr pa) { return VirtAddr(PAGE_OFFSET + pa.value()); }
inline PhysAddr __pa(VirtAddr va) { return PhysAddr(va.value() - PAGE_OFFSET); }
extern KernelMmuOps kernel_mmu_ops;
}  // namespace kernel
