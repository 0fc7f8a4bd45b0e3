// paging_init: the final swapper page tables, built in memblock memory through the fixmap's
// FIX_PGD..FIX_PTE slots, then switched to with break-before-make.
#include "kernel/setup.h"
#include "asm/sections.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "mm/ioremap.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"
#include "mm/pgtable_builder.h"

namespace kernel {

PhysAddr swapper_pg_dir;  // the final kernel page tables

namespace {

alignas(PAGE_SIZE) Pte reserved_pg_dir[kPtrsPerTable];  // always empty

Optional<PhysAddr> memblock_alloc_table() { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); }

uint64_t va_of(const char* sym) { return reinterpret_cast<uint64_t>(sym); }

void replace_ttbr1(PhysAddr new_pgd) {
  // Run the switch from the identity map, so nothing executes from TTBR1 while it is empty.
  const auto tcr = TcrEl1::read();
  TcrEl1(tcr).set_epd0(false).write();  // TTBR0 (idmap) walks again
  isb();
  auto fn = reinterpret_cast<void (*)(uint64_t, uint64_t)>(kimg_to_phys(idmap_cpu_replace_ttbr1).value());
  fn(new_pgd.value(), kimg_to_phys(reserved_pg_dir).value());
  tcr.write();
  isb();
  asm volatile("tlbi vmalle1is\n dsb ish\n isb" ::: "memory");
}

}  // namespace

void paging_init() {
  FixmapTableEnv env(kernel_mmu_ops, memblock_alloc_table);
  const KernelSegment segs[] = {
      {"text", virt_of(_text), kimg_to_phys(_text), va_of(_etext) - va_of(_text), PAGE_KERNEL_ROX},
      {"rodata", virt_of(_etext), kimg_to_phys(_etext), va_of(_erodata) - va_of(_etext), PAGE_KERNEL_RO},
      {"data", virt_of(_erodata), kimg_to_phys(_erodata), va_of(__stack_guard) - va_of(_erodata), PAGE_KERNEL},
      // The page at __stack_guard stays unmapped: a stack overflow faults there.
      {"stack", virt_of(__stack_guard + PAGE_SIZE), kimg_to_phys(__stack_guard + PAGE_SIZE),
       va_of(_end) - va_of(__stack_guard) - PAGE_SIZE, PAGE_KERNEL},
  };
  SwapperStats st;
  Result<PhysAddr> built = build_swapper(env, swapper_pgd_phys(), segs, 4, &st);
  if (!built) panic_on(built.error(), "paging_init");
  const PhysAddr pgd = built.value();
  MapStats& lin = st.linear;
  MapStats& img = st.image;

  replace_ttbr1(pgd);
  swapper_pg_dir = pgd;
  kernel_mmu_ops.enable_linear_map();
  if (Status attached = fixmap_get()->attach(pgd); !attached.ok())
    panic_on(attached.error(), "paging_init: the fixmap did not survive the switch");
  if (block_allowed(1))
    pr_info(
        "paging_init: swapper_pg_dir at pa 0x%lx; linear map: %lu x 1 GiB, %lu x 2 MiB, %lu x 4 KiB; image: "
        "%lu pages; %lu table pages from memblock, each edited through FIX_PGD..FIX_PTE\n",
        pgd.value(), lin.pud_blocks, lin.pmd_blocks, lin.ptes, img.ptes, lin.tables + img.tables);
  else  // 16K, 64K: level-2 blocks only
    pr_info(
        "paging_init: swapper_pg_dir at pa 0x%lx; linear map: %lu x %lu MiB, %lu x %u KiB; image: %lu pages; "
        "%lu table pages from memblock, each edited through FIX_PGD..FIX_PTE\n",
        pgd.value(), lin.pmd_blocks, PMD_SIZE >> 20, lin.ptes, kGranuleKiB, img.ptes, lin.tables + img.tables);
  pr_info("paging_init: linear alias of .text/.rodata [pa 0x%lx-0x%lx] read-only: %lu pages (as rodata=full)\n",
          kimg_to_phys(_text).value(), kimg_to_phys(_erodata).value() - 1, st.linear_ro_pages);

  // head.S's tables are garbage now: give them back (the idmap stays for later TTBR1 switches).
  uint64_t boot_tables = va_of(init_pg_end) - va_of(init_pg_dir);
  memblock_free(kimg_to_phys(init_pg_dir), boot_tables);
  pr_info("paging_init: freed %lu KiB of boot page tables (init_pg_dir)\n", boot_tables >> 10);
}

void print_memory_layout() {
  auto line = [](const char* name, uint64_t s, uint64_t e) {
    uint64_t sz = e - s;
    if (sz >= (uint64_t{1} << 30))
      pr_info("    %-8s: 0x%016lx - 0x%016lx   (%6lu GiB)\n", name, s, e, sz >> 30);
    else if (sz >= (uint64_t{1} << 20))
      pr_info("    %-8s: 0x%016lx - 0x%016lx   (%6lu MiB)\n", name, s, e, sz >> 20);
    else
      pr_info("    %-8s: 0x%016lx - 0x%016lx   (%6lu KiB)\n", name, s, e, sz >> 10);
  };
  pr_info("Virtual kernel memory layout:\n");
  line("fixmap", FIXADDR_TOT_START, FIXADDR_TOP);
  line("vmalloc", VMALLOC_START, VMALLOC_END);
  line(".text", va_of(_text), va_of(_etext));
  line(".rodata", va_of(_srodata), va_of(_erodata));
  line(".data", va_of(_sdata), va_of(__bss_start));
  line(".bss", va_of(__bss_start), va_of(__bss_stop));
  line("linear", __va(memblock_start_of_DRAM()).value(), __va(memblock_end_of_DRAM()).value());
}

}  // namespace kernel
