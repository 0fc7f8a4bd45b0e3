// The "Memory:" line (include/mm/mem_info.h), kernel only: it reads the linker's section symbols.
#include "mm/mem_info.h"

#include "asm/sections.h"
#include "kernel/printk.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"

namespace kernel {

void mem_print_info() {
  uint64_t ram = 0;
  for (unsigned i = 0; i < memblock.memory.count(); ++i)
    if (!(memblock.memory[i].flags & MEMBLOCK_NOMAP)) ram += memblock.memory[i].size;
  auto kib = [](const void* a, const void* b) {
    return static_cast<unsigned long>((reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(a)) >> 10);
  };
  const uint64_t avail = buddy.free_pages_total() * PAGE_SIZE;
  const uint64_t memmap = buddy.nr_pages() * sizeof(Page);
  // head.S's init_pg_dir went back to the allocator after paging_init: not part of the image now.
  const uint64_t image = static_cast<uint64_t>(_end - _text) - static_cast<uint64_t>(init_pg_end - init_pg_dir);
  const uint64_t used = avail + image + memmap;
  const uint64_t other = ram > used ? ram - used : 0;  // DTB, page tables, firmware and other reservations
  // struct page's share of RAM in hundredths of a percent (16 bytes per page: 0.39% at 4 KiB).
  const unsigned long share = static_cast<unsigned long>(memmap * 10000 / (ram ? ram : 1));
  pr_info(
      "Memory: %luK/%luK available (%luK kernel code, %luK rodata, %luK rwdata, %luK bss incl. %zuK log buffer, "
      "%luK boot and overflow stacks, %luK idmap, %luK struct page = %lu.%02lu%% of RAM, %luK other reserved)\n",
      static_cast<unsigned long>(avail >> 10), static_cast<unsigned long>(ram >> 10), kib(_text, _etext),
      kib(_srodata, _erodata), kib(_sdata, __bss_start), kib(__bss_start, __bss_stop), log_buffer_capacity() >> 10,
      kib(overflow_stack, overflow_stack_top) + kib(init_stack, init_stack_top), kib(idmap_pg_dir, idmap_pg_end),
      static_cast<unsigned long>(memmap >> 10), share / 100, share % 100, static_cast<unsigned long>(other >> 10));
}

}  // namespace kernel
