// The kernel's PageTableOps and TextPatchOps: the parts that are not inline (asm/mmu_ops.h).
#include "asm/mmu_ops.h"

#include "asm/arch.h"
#include "mm/memblock.h"

namespace kernel {

ArchPageTableOps kernel_mmu_ops;
ArchTextPatchOps kernel_text_ops;

Pte* ArchPageTableOps::table_ptr(PhysAddr table) {
  if (phys_in_kernel_image(table, PAGE_SIZE)) return kimg_phys_to_virt(table).as_ptr<Pte>();
  if (linear_ && memblock_is_memory(table.value())) return __va(table).as_ptr<Pte>();
  return nullptr;
}

void ArchTextPatchOps::sync_icache(VirtAddr va, uint64_t len) {
  const uint64_t ctr = read_sysreg(ctr_el0);
  const uint64_t start = va.value(), end = va.value() + len;
  if (ctr & (uint64_t{1} << 28)) {  // IDC: no D-cache clean needed for I/D coherence
    dsb(ishst);
  } else {
    const uint64_t dline = uint64_t{4} << ((ctr >> 16) & 0xf);  // DminLine, in words
    for (uint64_t p = start & ~(dline - 1); p < end; p += dline) asm volatile("dc cvau, %0" ::"r"(p) : "memory");
    dsb(ish);
  }
  if (!(ctr & (uint64_t{1} << 29))) {  // no DIC: invalidate the I-cache lines to PoU
    const uint64_t iline = uint64_t{4} << (ctr & 0xf);  // IminLine
    for (uint64_t p = start & ~(iline - 1); p < end; p += iline) asm volatile("ic ivau, %0" ::"r"(p) : "memory");
    dsb(ish);
  }
  isb();
}

}  // namespace kernel
