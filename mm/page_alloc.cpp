#include "mm/page_alloc.h"

#include "asm/memory.h"

#include "kernel/printk.h"

namespace kernel {

void BuddyAllocator::init(Page* memmap, uint64_t base_pfn, uint64_t nr_pages) {
  memmap_ = memmap;
  base_pfn_ = base_pfn;
  nr_pages_ = nr_pages;
  managed_ = 0;
  for (uint64_t i = 0; i < nr_pages; ++i) memmap_[i] = Page{Page::Reserved, 0, Page::kNone, Page::kNone};
  for (unsigned o = 0; o < NR_ORDERS; ++o) head_[o] = Page::kNone, nr_free_[o] = 0;
}

void BuddyAllocator::list_add(unsigned order, uint32_t idx) {
  Page& p = memmap_[idx];
  p.flags = Page::Buddy;
  p.order = order;
  p.prev = Page::kNone;
  p.next = head_[order];
  if (head_[order] != Page::kNone) memmap_[head_[order]].prev = idx;
  head_[order] = idx;
  ++nr_free_[order];
}

void BuddyAllocator::list_del(unsigned order, uint32_t idx) {
  Page& p = memmap_[idx];
  if (p.prev != Page::kNone)
    memmap_[p.prev].next = p.next;
  else
    head_[order] = p.next;
  if (p.next != Page::kNone) memmap_[p.next].prev = p.prev;
  p.flags &= ~Page::Buddy;
  --nr_free_[order];
}

// Puts a block on the free lists, merging with its buddy while the buddy is free and whole.
void BuddyAllocator::free_block(uint64_t pfn, unsigned order) {
  while (order < MAX_ORDER) {
    uint64_t buddy_pfn = pfn ^ (uint64_t{1} << order);
    Page* b = pfn_to_page(buddy_pfn);
    if (!b || !(b->flags & Page::Buddy) || b->order != order) break;
    list_del(order, static_cast<uint32_t>(buddy_pfn - base_pfn_));
    b->flags = 0;  // no longer the head of anything
    pfn &= ~(uint64_t{1} << order);
    ++order;
  }
  // Only block heads carry state (Buddy or Head); pages inside a block are never looked at, so
  // neither splitting nor merging touches them: O(order), not O(2^order).
  list_add(order, static_cast<uint32_t>(pfn - base_pfn_));
}

void BuddyAllocator::free_range(uint64_t start, uint64_t end) {
  if (start < base_pfn_) start = base_pfn_;
  if (end > base_pfn_ + nr_pages_) end = base_pfn_ + nr_pages_;
  while (start < end) {
    unsigned order = MAX_ORDER;
    while (order && ((start & ((uint64_t{1} << order) - 1)) || start + (uint64_t{1} << order) > end)) --order;
    for (uint64_t i = 0; i < (uint64_t{1} << order); ++i) memmap_[start - base_pfn_ + i].flags = 0;  // once, at init
    managed_ += uint64_t{1} << order;
    free_block(start, order);
    start += uint64_t{1} << order;
  }
}

Page* BuddyAllocator::alloc_pages(unsigned order) {
  if (order > MAX_ORDER) {
    pr_err("buddy: alloc_pages(order %u): the largest order is %u (4 MiB) (caller %p)\n", order, MAX_ORDER,
           __builtin_return_address(0));
    return nullptr;
  }
  unsigned o = order;
  while (o < NR_ORDERS && head_[o] == Page::kNone) ++o;
  if (o == NR_ORDERS) return nullptr;
  uint32_t idx = head_[o];
  list_del(o, idx);
  // Split: keep the lower half, free the upper halves.
  while (o > order) {
    --o;
    list_add(o, idx + (1u << o));
  }
  Page& head = memmap_[idx];
  head.flags = Page::Head;
  head.order = order;
  return &head;
}

Status BuddyAllocator::free_pages(Page* page, unsigned order) {
  // The usual case decided inline: the head of an allocated block of this order.
  if (page && page >= memmap_ && page < memmap_ + nr_pages_ &&
      (page->flags & (Page::Reserved | Page::Buddy | Page::Head)) == Page::Head && page->order == order) [[likely]] {
    page->flags = 0;
    free_block(page_to_pfn(page), order);
    return {};
  }
  return free_failure(page, order, __builtin_return_address(0));
}

Status BuddyAllocator::free_failure(const Page* page, unsigned order, void* caller) const {
  Status st = check_free(page, order, caller);
  st.error().report();
  return st;
}

Status BuddyAllocator::check_free(const Page* page, unsigned order, void* caller) const {
  if (!page || page < memmap_ || page >= memmap_ + nr_pages_)
    return KERR(Errc::OutOfRange, "buddy: free_pages(%p, %u): not a page of this allocator (caller %p)", page, order,
                caller);
  const uint64_t pfn = page_to_pfn(page);
  if (page->flags & Page::Reserved)
    return KERR(Errc::Reserved,
                "buddy: free_pages(pfn 0x%lx, order %u): the page is reserved memory, never allocated (caller %p)", pfn,
                order, caller);
  if (page->flags & Page::Buddy)
    return KERR(Errc::DoubleFree,
                "buddy: free_pages(pfn 0x%lx, order %u): double free, the block is already free "
                "(caller %p)",
                pfn, order, caller);
  if (!(page->flags & Page::Head))
    return KERR(Errc::NeverAllocated,
                "buddy: free_pages(pfn 0x%lx, order %u): not the head of an allocated block "
                "(never allocated, or freed already as part of another block) (caller %p)",
                pfn, order, caller);
  if (page->order != order)
    return KERR(Errc::WrongOrder,
                "buddy: free_pages(pfn 0x%lx, order %u): the block was allocated with order %u "
                "(caller %p)",
                pfn, order, page->order, caller);
  return {};
}

uint64_t BuddyAllocator::free_pages_total() const {
  uint64_t t = 0;
  for (unsigned o = 0; o < NR_ORDERS; ++o) t += nr_free_[o] << o;
  return t;
}

bool BuddyAllocator::check() const {
  uint64_t counted = 0;
  for (unsigned o = 0; o < NR_ORDERS; ++o) {
    uint64_t n = 0;
    uint32_t prev = Page::kNone;
    for (uint32_t i = head_[o]; i != Page::kNone; i = memmap_[i].next) {
      const Page& p = memmap_[i];
      if (!(p.flags & Page::Buddy) || p.order != o || p.prev != prev) return false;
      if ((base_pfn_ + i) & ((uint64_t{1} << o) - 1)) return false;  // naturally aligned
      if (i + (uint64_t{1} << o) > nr_pages_) return false;
      prev = i;
      if (++n > nr_pages_) return false;  // a cycle
    }
    if (n != nr_free_[o]) return false;
    counted += n << o;
  }
  return counted <= managed_;
}

}  // namespace kernel

namespace kernel {

BuddyAllocator buddy;

Page* alloc_pages(unsigned order) { return buddy.alloc_pages(order); }
void free_pages(Page* page, unsigned order) { (void)buddy.free_pages(page, order); }
PhysAddr page_to_phys(const Page* p) { return PhysAddr(buddy.page_to_pfn(p) << PAGE_SHIFT); }
VirtAddr page_address(const Page* p) { return VirtAddr(PAGE_OFFSET + page_to_phys(p).value()); }
Page* virt_to_page(VirtAddr va) {
  if (va.value() < PAGE_OFFSET || va.value() >= LINEAR_MAP_END) return nullptr;
  return buddy.pfn_to_page((va.value() - PAGE_OFFSET) >> PAGE_SHIFT);
}

void buddy_print_stats() {
  uint64_t free = buddy.free_pages_total();
  pr_info("buddy: %lu pages free (%lu MiB) of %lu managed\n", free, (free << PAGE_SHIFT) >> 20, buddy.managed_pages());
  char line[160];
  int n = snprintf(line, sizeof line, "buddy: free blocks per order:");
  for (unsigned o = 0; o < NR_ORDERS && n > 0 && static_cast<size_t>(n) < sizeof line; ++o)
    n += snprintf(line + n, sizeof line - static_cast<size_t>(n), " %u:%lu", o, buddy.nr_free(o));
  pr_info("%s\n", line);
}

}  // namespace kernel
