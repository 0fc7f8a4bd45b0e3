// The kernel's PageTableOps and TextPatchOps: the parts that are not inline (asm/mmu_ops.h).
#include "asm/mmu_ops.h"

#include "asm/arch.h"
#include "asm/sysreg_fields.h"
#include "mm/memblock.h"

namespace kernel {

ArchPageTableOps kernel_mmu_ops;
ArchTextPatchOps kernel_text_ops;

Pte* ArchPageTableOps::table_ptr(PhysAddr table) {
  if (phys_in_kernel_image(table, PAGE_SIZE)) return kimg_phys_to_virt(table).as_ptr<Pte>();
  if (linear_ && memblock_is_memory(table)) return __va(table).as_ptr<Pte>();
  return nullptr;
}

void ArchTextPatchOps::sync_icache(VirtAddr va, uint64_t len) {
  const auto ctr = CacheTypeEl0::read();
  const uint64_t start = va.value(), end = va.value() + len;
  if (ctr.idc()) {  // no D-cache clean needed for I/D coherence
    dsb(ishst);
  } else {
    const uint64_t dline = ctr.dcache_line_bytes();
    for (uint64_t p = start & ~(dline - 1); p < end; p += dline) asm volatile("dc cvau, %0" ::"r"(p) : "memory");
    dsb(ish);
  }
  if (!ctr.dic()) {  // I-cache invalidation to PoU is required
    const uint64_t iline = ctr.icache_line_bytes();
    for (uint64_t p = start & ~(iline - 1); p < end; p += iline) asm volatile("ic ivau, %0" ::"r"(p) : "memory");
    dsb(ish);
  }
  isb();
}

}  // namespace kernel
