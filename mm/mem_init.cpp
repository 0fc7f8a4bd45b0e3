// mem_init: memblock's free memory handed to the buddy allocator (with its struct page array
// from memblock, reached through the linear map), then the ioremap area on the new tables.
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/setup.h"
#include "mm/ioremap.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"

namespace kernel {

namespace {
Optional<PhysAddr> buddy_alloc_table() {
  Page* p = buddy.alloc_pages(0);
  if (!p) return nullopt;
  return page_to_phys(p);
}
}  // namespace

void mem_init(PageTableOps& ops, PhysAddr pgd) {
  // From a max-order boundary (the allocator finds a page's 4 MiB block with one shift); pfns
  // below RAM are struct pages of a hole, never handed out.
  uint64_t start_pfn = align_down(memblock_start_of_DRAM().value() >> PAGE_SHIFT, MAX_ORDER_NR_PAGES);
  uint64_t end_pfn = memblock_end_of_DRAM().value() >> PAGE_SHIFT;
  uint64_t nr = end_pfn - start_pfn;
  // The struct page array and, after it, one state byte per 4 MiB block. The array is not cleared:
  // the allocator zeroes the block states and writes a block's struct pages when it first hands
  // the block out, so this step costs a few instructions per 4 MiB block, not per page.
  const uint64_t nr_blocks = BuddyAllocator::nr_blocks(start_pfn, nr);
  uint64_t memmap_bytes = align_up(nr * sizeof(Page) + nr_blocks, PAGE_SIZE);
  Optional<PhysAddr> memmap = memblock_phys_alloc(memmap_bytes, PAGE_SIZE);
  if (!memmap) panic("mem_init: no memory for %lu bytes of struct page", memmap_bytes);
  const uint64_t memmap_pa = memmap.value().value();
  Page* pages = reinterpret_cast<Page*>(linear_va(memmap_pa));
  buddy.init(pages, start_pfn, nr, reinterpret_cast<uint8_t*>(pages + nr));
  PhysAddr cursor, s, e;
  while (memblock_next_free_range(&cursor, &s, &e))
    buddy.free_range(align_up(s.value(), PAGE_SIZE) >> PAGE_SHIFT, e.value() >> PAGE_SHIFT);
  pr_info("mem_init: struct page array at pa 0x%lx: %lu pages x %zu bytes = %lu KiB\n", memmap_pa, nr, sizeof(Page),
          (nr * sizeof(Page)) >> 10);
  pr_info(
      "mem_init: struct pages written per %lu MiB block when first handed out: %lu of %lu blocks so far; "
      "block states at pa 0x%lx\n",
      MAX_ORDER_BLOCK_SIZE >> 20, buddy.nr_blocks_initialised(), nr_blocks, memmap_pa + nr * sizeof(Page));
  buddy_print_stats();
  // One ioremap area for the kernel's lifetime; its page tables come from the buddy allocator.
  static IoremapArea area(ops, buddy_alloc_table);
  area.init(pgd, VMALLOC_START, VMALLOC_END);
  ioremap_init(&area);
}

}  // namespace kernel
