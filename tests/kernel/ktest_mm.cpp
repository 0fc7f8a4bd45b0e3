// In-kernel tests of memblock, paging_init, the buddy allocator, early_ioremap and ioremap.
#include "kernel/setup.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "drivers/pl011.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"
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
      managed += !buddy.page_reserved(p);  // the struct page itself may never have been written
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
      KEXPECT(p && buddy.page_reserved(p));
    }
}

KTEST(mm, no_wx_pages_and_page_table_slots_are_free) {
  KEXPECT_EQ(check_wx_pages(kernel_mmu_ops, swapper_pg_dir), 0u);
  const unsigned slots[] = {FIX_PGD, FIX_PUD, FIX_PMD, FIX_PTE};
  for (unsigned idx : slots) KEXPECT(!fixmap_get()->is_live(idx));
}

KTEST(mm, buddy_alloc_write_free_coalesces_back) {
  // Per-CPU pages back to the buddy lists first and at the end: the lists must come back exactly.
  drain_all_pages();
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
  drain_all_pages();
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

// A block never handed out since boot has only its free-list entry written: the first
// allocation of it initialises its struct pages, and then it behaves as any other.
KTEST(mm, buddy_block_first_handed_out_after_boot) {
  constexpr unsigned kMaxTries = 16;
  Page* held[kMaxTries] = {};
  Page* fresh = nullptr;
  unsigned n = 0;
  for (; n < kMaxTries && !fresh; ++n) {
    const uint64_t initialised = buddy.nr_blocks_initialised();
    held[n] = alloc_pages(MAX_ORDER);
    if (!held[n]) break;
    if (buddy.nr_blocks_initialised() == initialised + 1) fresh = held[n];
  }
  if (!fresh) {
    for (unsigned i = 0; i < n; ++i)
      if (held[i]) free_pages(held[i], MAX_ORDER);
    return t.skip("no block left that was never handed out");
  }
  const uint64_t pfn = buddy.page_to_pfn(fresh);
  KEXPECT(buddy.block_state(pfn) == BlockState::Init);
  memset(page_address(fresh).as_ptr<void>(), 0xa5, PAGE_SIZE << MAX_ORDER);
  for (uint64_t i = 0; i < MAX_ORDER_NR_PAGES; i += 101) KEXPECT(!buddy.page_reserved(fresh + i));
  KEXPECT(buddy.free_pages(fresh + 1, 0) == Errc::NeverAllocated);
  KEXPECT(buddy.free_pages(fresh, 3) == Errc::WrongOrder);
  for (unsigned i = 0; i < n; ++i) KEXPECT(buddy.free_pages(held[i], MAX_ORDER) == Errc::Ok);
  KEXPECT(buddy.free_pages(fresh, MAX_ORDER) == Errc::DoubleFree);
  KEXPECT(buddy.block_state(pfn) == BlockState::Init);
  KEXPECT(buddy.check());
}

namespace {

constexpr unsigned kPcpPages = 96;  // per CPU: more than a batch at any memory size
struct PcpRun {
  Page* kept[NR_CPUS][kPcpPages / 2];
  uint64_t parked[NR_CPUS];
  unsigned bad[NR_CPUS];
};
PcpRun g_pcp_run;

// On each CPU (a cross-call: interrupts masked): pages from its own list, each written with the
// CPU's number and read back; half freed again (they park on this CPU's list), half kept.
void pcp_alloc_on_this_cpu(void*) {
  const unsigned cpu = smp_processor_id();
  Page* pages[kPcpPages];
  for (unsigned i = 0; i < kPcpPages; ++i) {
    pages[i] = alloc_pages(0);
    if (!pages[i]) {
      ++g_pcp_run.bad[cpu];
      continue;
    }
    uint64_t* w = page_address(pages[i]).as_ptr<uint64_t>();
    w[0] = 0xc0de0000u + cpu;
    w[PAGE_SIZE / 8 - 1] = i;
  }
  for (unsigned i = 0; i < kPcpPages; ++i) {
    if (!pages[i]) continue;
    const uint64_t* w = page_address(pages[i]).as_ptr<uint64_t>();
    if (w[0] != 0xc0de0000u + cpu || w[PAGE_SIZE / 8 - 1] != i) ++g_pcp_run.bad[cpu];
    if (i % 2)
      free_pages(pages[i], 0);
    else
      g_pcp_run.kept[cpu][i / 2] = pages[i];
  }
  g_pcp_run.parked[cpu] = buddy.pcp_count(cpu);
}

}  // namespace

// Every CPU allocates and frees through its own per-CPU list at once; no page is handed to two
// CPUs; drain_all_pages (cross-calls) gives every list back and the buddy lists come back whole.
KTEST(mm, buddy_per_cpu_lists_on_every_cpu_drain_back) {
  if (smp_hooks() == nullptr || num_online_cpus() < 2) return t.skip("no IPIs (one CPU, or no interrupt controller)");
  drain_all_pages();
  uint64_t before[NR_ORDERS];
  for (unsigned o = 0; o < NR_ORDERS; ++o) before[o] = buddy.nr_free(o);
  const uint64_t free_before = buddy.free_pages_total();
  memset(&g_pcp_run, 0, sizeof g_pcp_run);
  KASSERT(on_each_cpu(pcp_alloc_on_this_cpu, nullptr).ok());
  unsigned cpu, cpus = 0;
  for_each_online_cpu(cpu) {
    ++cpus;
    KEXPECT_EQ(g_pcp_run.bad[cpu], 0u);
    KEXPECT(g_pcp_run.parked[cpu] > 0);             // what it freed waits on its own list
    for (unsigned i = 0; i < kPcpPages / 2; ++i) {  // still what its CPU wrote: nobody else got it
      Page* p = g_pcp_run.kept[cpu][i];
      KASSERT(p);
      KEXPECT_EQ(*page_address(p).as_ptr<uint64_t>(), 0xc0de0000u + cpu);
    }
  }
  KEXPECT_EQ(buddy.free_pages_total(), free_before - cpus * (kPcpPages / 2));
  for_each_online_cpu(cpu) for (Page* p : g_pcp_run.kept[cpu]) KEXPECT(buddy.free_pages(p, 0) == Errc::Ok);
  KEXPECT_EQ(buddy.free_pages_total(), free_before);
  drain_all_pages();
  for_each_online_cpu(cpu) KEXPECT_EQ(buddy.pcp_count(cpu), 0u);
  for (unsigned o = 0; o < NR_ORDERS; ++o) KEXPECT_EQ(buddy.nr_free(o), before[o]);
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
  KEXPECT_EQ(io.page_offset(), uart.offset(0x18).page_offset());  // 0x18 at 4K, 0x1018 (Pi 4) at 64K
  PhysAddr pa;
  KEXPECT(arch_translate(io, false, &pa));
  KEXPECT_EQ(pa.value(), uart.value() + 0x18);
  uint64_t v;
  iounmap(io);
  KEXPECT(!probe_read64(VirtAddr(io.value() & ~7ull), &v));  // unmapped, and the TLB knows it
}

}  // namespace kernel
