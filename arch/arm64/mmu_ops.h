#pragma once
#include "mm/mmu_ops.h"

namespace kernel {
class KernelMmuOps final : public MmuOps {
 public:
  Pte* table_ptr(PhysAddr table) override;
  void set_pte(Pte* entry, Pte value) override;
  void flush_tlb_kernel_page(VirtAddr va) override;
  void* access(VirtAddr va, uint64_t len) override;
};
extern KernelMmuOps kernel_mmu_ops;
}  // namespace kernel
