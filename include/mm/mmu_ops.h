// The one small interface through which generic memory-management code (page tables, fixmap,
// early_ioremap) touches the machine. The kernel implements it with real loads, stores, barriers
// and TLB maintenance (arch/arm64/mmu_ops.cpp); the host tests implement it on a simulated
// physical arena and record every operation, so a test can check that each cleared entry was
// followed by a TLB invalidate of the same address.
#pragma once

#include "asm/pgtable.h"
#include "asm/tlbflush.h"
#include "kernel/types.h"

namespace kernel {

class MmuOps {
 public:
  // A pointer through which the translation table page at physical address `table` can be read
  // and written right now, or nullptr if that page is not reachable (the caller reports it).
  virtual Pte* table_ptr(PhysAddr table) = 0;
  // Stores a descriptor and makes it visible to the table walker (dsb ishst; isb).
  virtual void set_pte(Pte* entry, Pte value) = 0;
  // Orders every earlier store (the zeroing of a new table page) before every later one (the
  // descriptor that links it into a live table): without it a walker, speculative or on another
  // CPU, may see the new descriptor and stale contents behind it (dmb ishst; Arm ARM B2.3, D8.2).
  virtual void publish_barrier() = 0;
  // After an entry was invalidated: remove any TLB entry for the kernel page at `va` on all CPUs
  // in the inner shareable domain (dsb ishst; tlbi vaale1is, tlbi_va_operand(va, level); dsb ish;
  // isb). `level` is the level of the leaf that was cleared (the TTL hint on FEAT_TTL cores).
  virtual void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) = 0;
  // A CPU pointer for kernel virtual addresses [va, va + len). In the kernel this is the address
  // itself; on the host, the simulated MMU translates it (and fails if it is not mapped).
  virtual void* access(VirtAddr va, uint64_t len) = 0;
  // Stores one instruction through a writable alias (text patching).
  virtual void write_insn(void* alias, uint32_t insn) = 0;
  // Makes [va, va+len) of kernel text coherent for instruction fetch after a write: D-cache
  // clean to PoU (dc cvau) unless CTR_EL0.IDC, dsb ish; I-cache invalidate (ic ivau) unless
  // CTR_EL0.DIC, dsb ish; isb.
  virtual void sync_icache(VirtAddr va, uint64_t len) = 0;

 protected:
  ~MmuOps() = default;
};

}  // namespace kernel
