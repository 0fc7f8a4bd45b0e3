// The kernel's MmuOps: real stores, barriers and TLB maintenance.
#include "arch/arm64/mmu_ops.h"

#include "asm/arch.h"
#include "asm/sysreg.h"
#include "mm/memblock.h"

namespace kernel {

Pte* KernelMmuOps::table_ptr(PhysAddr table) {
  // Before the linear map exists, the only tables the kernel can reach are those inside its own
  // image (init_pg_dir and the fixmap's bm_* tables), through the image mapping.
  if (phys_in_kernel_image(table, PAGE_SIZE)) return kimg_phys_to_virt(table).as_ptr<Pte>();
  if (linear_ && memblock_is_memory(table.value())) return __va(table).as_ptr<Pte>();
  return nullptr;
}

void KernelMmuOps::set_pte(Pte* entry, Pte value) {
  *reinterpret_cast<volatile uint64_t*>(entry) = value.raw;
  // Order the store before any later access that the walker performs through it (D8.2.7).
  dsb(ishst);
  isb();
}

void KernelMmuOps::publish_barrier() { dmb(ishst); }

void KernelMmuOps::flush_tlb_kernel_page(VirtAddr va, TlbLevel level) {
  dsb(ishst);
  asm volatile("tlbi vaale1is, %0" ::"r"(tlbi_va_operand(va, level, has_ttl_)) : "memory");
  dsb(ish);
  isb();
}

void* KernelMmuOps::access(VirtAddr va, uint64_t) { return va.as_ptr<void>(); }

void KernelMmuOps::write_insn(void* alias, uint32_t insn) { *static_cast<volatile uint32_t*>(alias) = insn; }

void KernelMmuOps::sync_icache(VirtAddr va, uint64_t len) {
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

KernelMmuOps kernel_mmu_ops;

}  // namespace kernel
