// In-kernel tests of memblock, paging_init, the buddy allocator, early_ioremap and ioremap.
#include "kernel/setup.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "drivers/pl011.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "mm/ioremap.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/pgtable_builder.h"

namespace kernel {

KTEST(mm, every_ram_range_is_in_the_linear_map) {
  unsigned ranges = 0;
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    if (r.flags & MEMBLOCK_NOMAP) continue;
    ++ranges;
    // First, last and every 64 MiB in between: the MMU agrees with __va().
    for (uint64_t off = 0; off < r.size; off += (64u << 20)) {
      PhysAddr pa;
      KEXPECT(arch_translate(__va(r.base.offset(off)), true, &pa));
      KEXPECT_EQ(pa.value(), r.base.value() + off);
    }
    PhysAddr pa;
    KEXPECT(arch_translate(__va(r.base.offset(r.size - 8)), false, &pa));
    KEXPECT_EQ(pa.value(), r.base.value() + r.size - 8);
  }
  KEXPECT(ranges >= 1);
  KEXPECT_EQ(read_sysreg(ttbr1_el1) & kOutputAddrMask, swapper_pg_dir.value());
}

KTEST(mm, buddy_manages_pages_in_every_ram_range) {
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    uint64_t managed = 0;
    for (uint64_t pfn = r.base.value() >> PAGE_SHIFT; pfn < r.end().value() >> PAGE_SHIFT; ++pfn) {
      Page* p = buddy.pfn_to_page(pfn);
      KASSERT(p);
      managed += !(p->flags & Page::Reserved);
    }
    if (r.flags & MEMBLOCK_NOMAP)
      KEXPECT_EQ(managed, 0u);  // no-map memory is never handed out
    else
      KEXPECT(managed > (r.size >> PAGE_SHIFT) / 2);
  }
  // Holes between ranges are never handed out.
  for (unsigned i = 1; i < memblock.memory.count(); ++i)
    for (uint64_t pfn = memblock.memory[i - 1].end().value() >> PAGE_SHIFT;
         pfn < memblock.memory[i].base.value() >> PAGE_SHIFT; pfn += 64) {
      Page* p = buddy.pfn_to_page(pfn);
      KEXPECT(p && (p->flags & Page::Reserved));
    }
}

KTEST(mm, no_wx_pages_and_page_table_slots_are_free) {
  KEXPECT_EQ(check_wx_pages(kernel_mmu_ops, swapper_pg_dir), 0u);
  const unsigned slots[] = {FIX_PGD, FIX_PUD, FIX_PMD, FIX_PTE};
  for (unsigned idx : slots) KEXPECT(!fixmap_get()->is_live(idx));
}

KTEST(mm, buddy_alloc_write_free_coalesces_back) {
  uint64_t before[NR_ORDERS];
  for (unsigned o = 0; o < NR_ORDERS; ++o) before[o] = buddy.nr_free(o);
  Page* pages[12];
  unsigned orders[12] = {0, 3, 10, 0, 1, 5, 0, 2, 7, 0, 4, 9};
  for (unsigned i = 0; i < 12; ++i) {
    pages[i] = alloc_pages(orders[i]);
    KASSERT(pages[i] != nullptr);
    void* p = page_address(pages[i]).as_ptr<void>();
    memset(p, 0x5a, PAGE_SIZE << orders[i]);  // the whole block is usable through the linear map
    KEXPECT(virt_to_page(page_address(pages[i])) == pages[i]);
  }
  for (unsigned i = 0; i < 12; ++i) KEXPECT(buddy.free_pages(pages[i], orders[i]) == Errc::Ok);
  for (unsigned o = 0; o < NR_ORDERS; ++o) KEXPECT_EQ(buddy.nr_free(o), before[o]);
  KEXPECT(buddy.check());
}

KTEST(mm, buddy_rejects_bad_frees) {
  Page* p = alloc_pages(2);
  KASSERT(p);
  KEXPECT(buddy.free_pages(p, 1) == Errc::WrongOrder);
  KEXPECT(buddy.free_pages(p, 2) == Errc::Ok);
  KEXPECT(buddy.free_pages(p, 2) == Errc::DoubleFree);
  // The kernel image is reserved memory: never the allocator's to free.
  Page* kimg = buddy.pfn_to_page(boot_info.phys_base.value() >> PAGE_SHIFT);
  KASSERT(kimg);
  KEXPECT(buddy.free_pages(kimg, 0) == Errc::Reserved);
  KEXPECT(buddy.check());
}

// The console's UART, wherever the board has it (0x9000000 on virt, 0xfe201000 on a Pi 4).
PhysAddr console_uart_phys() {
  PhysAddr pa;
  if (!arch_translate(earlycon_uart.regs(), false, &pa)) return PhysAddr();
  return PhysAddr(pa.value() & ~0xfffull);
}

KTEST(mm, ioremap_refuses_ram_and_memremap_gives_the_linear_map) {
  Page* page = alloc_pages(0);
  KASSERT(page);
  const PhysAddr pa = page_to_phys(page);
  KEXPECT(ioremap(pa, PAGE_SIZE).is_null());  // a Device alias of Normal RAM: refused
  KEXPECT(memremap(pa.offset(8), 8) == page_address(page).offset(8));
  KEXPECT(memremap(console_uart_phys(), 4).is_null());
  free_pages(page, 0);
}

KTEST(mm, early_ioremap_refuses_after_reset) {
  KEXPECT(early_ioremap_is_reset());
  KEXPECT(early_ioremap(console_uart_phys(), 0x1000) == nullptr);
  KEXPECT(early_remap_checked(console_uart_phys(), 0x1000, FIXMAP_PAGE_IO) == Errc::AfterReset);
  for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s) KEXPECT(!early_ioremap_slot(s).used);
}

KTEST(mm, permanent_slot_works_after_the_buddy_allocator) {
  Page* page = alloc_pages(0);
  KASSERT(page);
  uint64_t* lin = page_address(page).as_ptr<uint64_t>();
  lin[1] = 0x600dcafeULL;
  ScopedFixmap m(FIX_TEXT_POKE0, page_to_phys(page), FIXMAP_PAGE_NORMAL);
  KASSERT(m.ok());
  uint64_t v = 0;
  KEXPECT(probe_read64(m.va().offset(8), &v));
  KEXPECT_EQ(v, 0x600dcafeULL);
  free_pages(page, 0);
}

KTEST(mm, ioremap_maps_device_memory_and_iounmap_removes_it) {
  const PhysAddr uart = console_uart_phys();
  KASSERT(!uart.is_null());
  VirtAddr io = ioremap(uart.offset(0x18), 4);  // the PL011 flag register
  KASSERT(!io.is_null());
  KEXPECT_EQ(io.page_offset(), 0x18u);
  PhysAddr pa;
  KEXPECT(arch_translate(io, false, &pa));
  KEXPECT_EQ(pa.value(), uart.value() + 0x18);
  uint64_t v;
  iounmap(io);
  KEXPECT(!probe_read64(VirtAddr(io.value() & ~7ull), &v));  // unmapped, and the TLB knows it
}

}  // namespace kernel
