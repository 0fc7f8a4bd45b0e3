// The host build's page-table and text-patching operations: abstract, so the host tests can plug
// in a recorder on a simulated arena (tests/host/sim_mmu.h) and the benchmarks a plain store. The
// kernel build uses the arch's final classes instead (asm/mmu_ops.h), which it inlines.
#pragma once

#include "asm/pgtable.h"
#include "asm/tlbflush.h"
#include "kernel/types.h"

namespace kernel {

class HostPageTableOps {
 public:
  virtual Pte* table_ptr(PhysAddr table) = 0;
  virtual void set_pte(Pte* entry, Pte value) = 0;
  virtual void publish_barrier() = 0;
  virtual void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) = 0;
  virtual void* access(VirtAddr va, uint64_t len) = 0;

 protected:
  ~HostPageTableOps() = default;
};

class HostTextPatchOps {
 public:
  virtual void* access(VirtAddr va, uint64_t len) = 0;
  virtual void write_insn(void* alias, uint32_t insn) = 0;
  virtual void sync_icache(VirtAddr va, uint64_t len) = 0;

 protected:
  ~HostTextPatchOps() = default;
};

}  // namespace kernel
