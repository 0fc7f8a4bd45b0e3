#include "mm/page_alloc.h"

#include "asm/memory.h"

#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"

namespace kernel {

namespace {

constexpr uint8_t kUntouched = static_cast<uint8_t>(BlockState::Untouched);
constexpr uint8_t kLazyFree = static_cast<uint8_t>(BlockState::LazyFree);
constexpr uint8_t kInit = static_cast<uint8_t>(BlockState::Init);

// Interrupts masked on this CPU and the zone lock held, for a scope.
using LockIrqSave = IrqSaveGuard;

// Interrupts masked on this CPU for a scope: what this CPU's per-CPU list needs.
class IrqSave {
 public:
  IrqSave() : flags_(arch_local_irq_save()) {}
  ~IrqSave() { arch_local_irq_restore(flags_); }
  IrqSave(const IrqSave&) = delete;
  IrqSave& operator=(const IrqSave&) = delete;

 private:
  unsigned long flags_;
};

}  // namespace

uint64_t BuddyAllocator::nr_blocks(uint64_t base_pfn, uint64_t nr_pages) {
  if (!nr_pages) return 0;
  return ((base_pfn + nr_pages - 1) >> MAX_ORDER) - (base_pfn >> MAX_ORDER) + 1;
}

void BuddyAllocator::init(Page* memmap, uint64_t base_pfn, uint64_t nr_pages, uint8_t* block_state) {
  LockIrqSave g(lock_);
  // The span starts on a max-order boundary, so that a page's block is its index / 1024 (one shift
  // in free_pages). mem_init passes such a base; pages below the first boundary are left out.
  if (const uint64_t skip = (MAX_ORDER_NR_PAGES - (base_pfn & (MAX_ORDER_NR_PAGES - 1))) & (MAX_ORDER_NR_PAGES - 1)) {
    pr_warn("buddy: memmap base pfn 0x%lx is not a multiple of %lu: pfns 0x%lx-0x%lx left out\n", base_pfn,
            MAX_ORDER_NR_PAGES, base_pfn, base_pfn + skip - 1);
    memmap += skip;
    base_pfn += skip;
    nr_pages = nr_pages > skip ? nr_pages - skip : 0;
  }
  memmap_ = memmap;
  block_state_ = block_state;
  base_pfn_ = base_pfn;
  nr_pages_ = nr_pages;
  managed_ = 0;
  nr_blocks_ = nr_blocks(base_pfn, nr_pages);
  // One byte per 4 MiB: every block Untouched, every page reserved, no struct page written.
  if (nr_blocks_) __builtin_memset(block_state_, kUntouched, nr_blocks_);  // (an empty span may pass no array)
  nr_initialised_ = 0;
  for (unsigned o = 0; o < NR_ORDERS; ++o) head_[o] = Page::kNone, nr_free_[o] = 0;
  for (PerCpuPages& pcp : pcp_) pcp.head = Page::kNone, pcp.count = 0;  // every CPU's, at boot
  pcp_high_ = pcp_batch_ = 0;
}

// The struct pages of `block` that lie in the span (the last block may end early), initialised: an Untouched block's
// all get `flags` (Reserved); a LazyFree block's all but its first (which is on the order-10 list) get 0.
void BuddyAllocator::init_block(uint64_t block, uint32_t flags) {
  uint64_t start = block << MAX_ORDER;
  const uint64_t end = start + MAX_ORDER_NR_PAGES < nr_pages_ ? start + MAX_ORDER_NR_PAGES : nr_pages_;
  if (block_state_[block] == kLazyFree) ++start;  // the head keeps its free-list entry
  for (uint64_t i = start; i < end; ++i) memmap_[i] = Page{flags, 0, Page::kNone, Page::kNone};
  // Release: a CPU that reads kInit without the zone lock (page_reserved, check_free) must also
  // see the struct pages written above (an STLRB, paired with the LDARB in block_state_acquire).
  __atomic_store_n(&block_state_[block], uint8_t{kInit}, __ATOMIC_RELEASE);
  ++nr_initialised_;
}

inline void BuddyAllocator::list_add(unsigned order, uint32_t idx) {
  Page& p = memmap_[idx];
  p.flags = Page::Buddy;
  p.order = order;
  p.prev = Page::kNone;
  p.next = head_[order];
  if (head_[order] != Page::kNone) memmap_[head_[order]].prev = idx;
  head_[order] = idx;
  ++nr_free_[order];
}

inline void BuddyAllocator::list_del(unsigned order, uint32_t idx) {
  Page& p = memmap_[idx];
  if (p.prev != Page::kNone)
    memmap_[p.prev].next = p.next;
  else
    head_[order] = p.next;
  if (p.next != Page::kNone) memmap_[p.next].prev = p.prev;
  p.flags &= ~Page::Buddy;
  --nr_free_[order];
}

// Puts a block on the free lists, merging with its buddy while the buddy is free and whole. Zone
// lock held. The block lies in an initialised max-order block, and so does every buddy below
// order 10: merging never reads a Page that is not initialised.
inline void BuddyAllocator::free_block(uint64_t pfn, unsigned order) {
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
  const uint64_t first = start;
  uint64_t again = 0;  // pages handed over before (overlapping ranges): ignored, not freed twice
  {
    LockIrqSave g(lock_);
    while (start < end) {
      const uint64_t block = block_of(start - base_pfn_);
      const uint64_t block_end = (start | (MAX_ORDER_NR_PAGES - 1)) + 1;
      if (!(start & (MAX_ORDER_NR_PAGES - 1)) && block_end <= end && block_state_[block] == kUntouched) {
        // A run of whole blocks never touched: one free-list entry each (pushed as list_add does);
        // their other struct pages stay as they are.
        uint32_t idx = static_cast<uint32_t>(start - base_pfn_), head = head_[MAX_ORDER];
        const uint64_t end_idx = end - base_pfn_;
        uint64_t b = block, n = 0;
        do {
          memmap_[idx] = Page{Page::Buddy, MAX_ORDER, head, Page::kNone};
          if (head != Page::kNone) memmap_[head].prev = idx;
          head = idx;
          __atomic_store_n(&block_state_[b++], uint8_t{kLazyFree}, __ATOMIC_RELEASE);  // after the head's Page
          idx += MAX_ORDER_NR_PAGES;
          ++n;
        } while (idx + MAX_ORDER_NR_PAGES <= end_idx && block_state_[b] == kUntouched);
        head_[MAX_ORDER] = head;
        nr_free_[MAX_ORDER] += n;
        managed_ += n << MAX_ORDER;
        start = base_pfn_ + idx;
        continue;
      }
      // Part of a block (a range edge, a hole or a reservation inside it): its struct pages are
      // made real now, all reserved, and the part handed over in the largest aligned blocks.
      const uint64_t stop = block_end < end ? block_end : end;
      if (block_state_[block] == kLazyFree) {  // handed over whole before
        again += stop - start;
        start = stop;
        continue;
      }
      if (block_state_[block] == kUntouched) init_block(block, Page::Reserved);
      while (start < stop) {
        if (!(memmap_[start - base_pfn_].flags & Page::Reserved)) {
          ++again;
          ++start;
          continue;
        }
        unsigned order = MAX_ORDER;
        while (order && ((start & ((uint64_t{1} << order) - 1)) || start + (uint64_t{1} << order) > stop)) --order;
        uint64_t n = uint64_t{1} << order, reserved = 0;
        while (reserved < n && (memmap_[start - base_pfn_ + reserved].flags & Page::Reserved)) ++reserved;
        for (; n > reserved; n >>= 1) --order;  // the largest aligned block of reserved pages
        for (uint64_t i = 0; i < n; ++i) memmap_[start - base_pfn_ + i].flags = 0;
        managed_ += n;
        free_block(start, order);
        start += n;
      }
    }
  }
  if (again)
    pr_warn("buddy: free_range(pfn 0x%lx-0x%lx): %lu pages were handed over before; not freed again\n", first, end - 1,
            again);
  // Per-CPU list sizes from the managed size (Linux's zone_batchsize and the old 6 x batch high
  // mark): a batch of about a quarter of a thousandth of memory, at most 63 pages, one less than a
  // power of two; none below 32 MiB, where every page passes straight through.
  uint64_t batch = (managed_ >> 10) < 256 ? managed_ >> 10 : 256;
  batch /= 4;
  if (batch < 1) batch = 1;
  uint64_t pow2 = 1;
  while (pow2 * 2 <= batch + batch / 2) pow2 *= 2;
  batch = pow2 - 1;
  set_pcp_high_batch(static_cast<uint32_t>(6 * batch), static_cast<uint32_t>(batch));
}

void BuddyAllocator::set_pcp_high_batch(uint32_t high, uint32_t batch) {
  pcp_batch_ = batch;
  pcp_high_ = high < batch ? batch : high;
}

// The smallest free block of at least `order`, split down to `order`. Zone lock held.
inline Page* BuddyAllocator::rmqueue(unsigned order) {
  unsigned o = order;
  while (o < NR_ORDERS && head_[o] == Page::kNone) ++o;
  if (o == NR_ORDERS) return nullptr;
  const uint32_t idx = head_[o];
  // A block handed out (whole or split) for the first time: its struct pages become real.
  if (o == MAX_ORDER && block_state_[block_of(idx)] == kLazyFree) [[unlikely]]
    init_block(block_of(idx), 0);
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

// An empty per-CPU list gets up to a batch of pages from the buddy lists, lowest pfn first.
uint32_t BuddyAllocator::pcp_refill(PerCpuPages& pcp) {
  const uint32_t want = pcp_batch_ ? pcp_batch_ : 1;
  uint32_t first = Page::kNone, *link = &first, got = 0;
  lock_.lock();  // interrupts are masked already
  for (; got < want; ++got) {
    Page* p = rmqueue(0);
    if (!p) break;
    p->flags = Page::Pcp;
    *link = static_cast<uint32_t>(p - memmap_);
    link = &p->next;
  }
  lock_.unlock();
  *link = pcp.head;
  pcp.head = first;
  pcp.count += got;
  return pcp.head;
}

// The first n pages of a per-CPU list (the most recently freed: the only cheap end of a singly
// linked list) back to the buddy lists, merging.
void BuddyAllocator::pcp_free_bulk(PerCpuPages& pcp, uint64_t n) {
  lock_.lock();  // interrupts are masked already
  while (n-- && pcp.head != Page::kNone) {
    const uint32_t idx = pcp.head;
    Page& p = memmap_[idx];
    pcp.head = p.next;
    --pcp.count;
    p.flags = 0;
    free_block(base_pfn_ + idx, 0);
  }
  lock_.unlock();
}

// alloc_pages (page_alloc.h) found this CPU's list empty, or was asked for order > 0.
Page* BuddyAllocator::alloc_pages_slow(unsigned order, void* caller) {
  if (order > MAX_ORDER) {
    pr_err("buddy: alloc_pages(order %u): the largest order is %u (%lu MiB) (caller %p)\n", order, MAX_ORDER,
           MAX_ORDER_BLOCK_SIZE >> 20, caller);
    return nullptr;
  }
  for (bool drained = false;; drained = true) {
    if (order == 0) {  // this CPU's list is empty: a batch from the buddy lists
      IrqSave irq;
      PerCpuPages& pcp = pcp_[smp_processor_id()];
      if (pcp.head != Page::kNone || pcp_refill(pcp) != Page::kNone) {
        Page& p = memmap_[pcp.head];
        pcp.head = p.next;
        --pcp.count;
        p.flags = Page::Head;
        return &p;
      }
    } else {
      LockIrqSave g(lock_);
      if (Page* p = rmqueue(order)) return p;
    }
    // Pages on per-CPU lists may be the ones (or the buddies of the ones) this needs.
    if (drained || !nr_pcp_pages()) return nullptr;
    drain_all_pages();
  }
}

void BuddyAllocator::drain_pages(unsigned cpu) {
  IrqSave irq;
  PerCpuPages& pcp = pcp_[cpu];
  if (pcp.count) pcp_free_bulk(pcp, pcp.count);
}

void BuddyAllocator::drain_all_pages() {
  const unsigned me = smp_processor_id();
  for (unsigned cpu = 0; cpu < NR_CPUS; ++cpu) {
    if (!pcp_count(cpu)) continue;
    const CpuState st = cpu_state(cpu);
    // This CPU's own list, or one whose CPU never runs kernel code again (never started, or
    // failed and parked): nobody else touches it. A CPU still booting may be running: left alone.
    if (cpu == me || st == CpuState::Offline || st == CpuState::Failed) {
      drain_pages(cpu);
      continue;
    }
    if (st != CpuState::Online) continue;
    // Waiting for another CPU with interrupts masked here could wait forever (it may be waiting
    // for this one): its list stays, as a Linux atomic allocation does not drain either.
    if (arch_irqs_disabled()) continue;
    Status done = smp_call_function_single(
        cpu, [](void* a) { static_cast<BuddyAllocator*>(a)->drain_pages(smp_processor_id()); }, this, true);
    if (!done.ok())
      pr_warn("buddy: drain_all_pages: CPU%u keeps %lu pages on its per-CPU list: %s\n", cpu, pcp_count(cpu),
              errc_name(done.code()));
  }
}

// A per-CPU list above its high mark after a free: a batch back to the buddy lists. Called with
// interrupts masked (flags: as they were before).
Status BuddyAllocator::pcp_drain_high(PerCpuPages& pcp, unsigned long flags) {
  pcp_free_bulk(pcp, pcp_batch_ ? pcp_batch_ : 1);
  arch_local_irq_restore(flags);
  return {};
}

Status BuddyAllocator::free_pages_buddy(uint64_t idx, unsigned order) {
  LockIrqSave g(lock_);
  memmap_[idx].flags = 0;
  free_block(base_pfn_ + idx, order);
  return {};
}

// free_pages (page_alloc.h) did not find an allocated head of this order: say what it is.
Status BuddyAllocator::free_failure(Page* page, unsigned order, void* caller) {
  Status st = check_free(page, order, caller);
  if (st.ok()) {  // not expected: the inline test and check_free disagree (a flag neither knows)
    st = KERR(Errc::Invalid, "buddy: free_pages(%p, %u): flags 0x%x not understood (caller %p)", page, order,
              page->flags, caller);
  }
  st.error().report();
  return st;
}

Status BuddyAllocator::check_free(const Page* page, unsigned order, void* caller) const {
  const uint64_t off = reinterpret_cast<uintptr_t>(page) - reinterpret_cast<uintptr_t>(memmap_);
  if (!page || off / sizeof(Page) >= nr_pages_ || off % sizeof(Page))
    return KERR(Errc::OutOfRange, "buddy: free_pages(%p, %u): not a page of this allocator (caller %p)", page, order,
                caller);
  const uint64_t pfn = page_to_pfn(page);
  const uint8_t state = __atomic_load_n(&block_state_[block_of(off / sizeof(Page))], __ATOMIC_ACQUIRE);
  const bool block_head = !(pfn & (MAX_ORDER_NR_PAGES - 1));
  if (page_reserved(page))
    return KERR(Errc::Reserved,
                "buddy: free_pages(pfn 0x%lx, order %u): the page is reserved memory, never allocated (caller %p)", pfn,
                order, caller);
  if ((state == kLazyFree && block_head) || (state == kInit && (page->flags & (Page::Buddy | Page::Pcp))))
    return KERR(Errc::DoubleFree,
                "buddy: free_pages(pfn 0x%lx, order %u): double free, the block is already free "
                "(caller %p)",
                pfn, order, caller);
  if (state == kLazyFree || !(page->flags & Page::Head))
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

bool BuddyAllocator::page_reserved(const Page* p) const {
  const uint64_t off = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(memmap_);
  const uint64_t idx = off / sizeof(Page);
  if (idx >= nr_pages_ || off % sizeof(Page)) return true;                    // not a page of this allocator
  switch (__atomic_load_n(&block_state_[block_of(idx)], __ATOMIC_ACQUIRE)) {  // see init_block
    case kUntouched: return true;
    case kLazyFree: return false;
    default: return p->flags & Page::Reserved;
  }
}

BlockState BuddyAllocator::block_state(uint64_t pfn) const {
  return static_cast<BlockState>(block_state_[block_of(pfn - base_pfn_)]);
}

uint64_t BuddyAllocator::nr_pcp_pages() const {
  uint64_t t = 0;
  for (unsigned cpu = 0; cpu < NR_CPUS; ++cpu) t += pcp_count(cpu);
  return t;
}

// Counts the pages on the per-CPU lists too: they are free, only parked.
uint64_t BuddyAllocator::free_pages_total() const {
  uint64_t t = nr_pcp_pages();
  for (unsigned o = 0; o < NR_ORDERS; ++o) t += __atomic_load_n(&nr_free_[o], __ATOMIC_RELAXED) << o;
  return t;
}

BuddyAllocator::Stats BuddyAllocator::stats() const {
  Stats s{};
  LockIrqSave g(lock_);
  s.managed = managed_;
  s.pcp = nr_pcp_pages();
  s.free = s.pcp;
  for (unsigned o = 0; o < NR_ORDERS; ++o) s.nr_free[o] = nr_free_[o], s.free += nr_free_[o] << o;
  return s;
}

// The per-CPU lists are read without their CPUs' cooperation: call this when no other CPU
// allocates (tests).
bool BuddyAllocator::check() const {
  LockIrqSave g(lock_);
  return check_locked();
}

bool BuddyAllocator::check_locked() const {
  uint64_t counted = 0, lazy_listed = 0;
  for (unsigned o = 0; o < NR_ORDERS; ++o) {
    uint64_t n = 0;
    uint32_t prev = Page::kNone;
    for (uint32_t i = head_[o]; i != Page::kNone; i = memmap_[i].next) {
      if (i >= nr_pages_) return false;
      const uint8_t state = block_state_[block_of(i)];
      if (state == kLazyFree) {
        if (o != MAX_ORDER) return false;  // a lazily initialised block is free whole, or initialised
        ++lazy_listed;
      } else if (state != kInit) {
        return false;
      }
      const Page& p = memmap_[i];
      if (p.flags != Page::Buddy || p.order != o || p.prev != prev) return false;
      if ((base_pfn_ + i) & ((uint64_t{1} << o) - 1)) return false;  // naturally aligned
      if (i + (uint64_t{1} << o) > nr_pages_) return false;
      prev = i;
      if (++n > nr_pages_) return false;  // a cycle
    }
    if (n != nr_free_[o]) return false;
    counted += n << o;
  }
  uint64_t lazy = 0, initialised = 0;
  for (uint64_t b = 0; b < nr_blocks_; ++b) {
    lazy += block_state_[b] == kLazyFree;
    initialised += block_state_[b] == kInit;
    if (block_state_[b] > kInit) return false;
  }
  if (lazy != lazy_listed) return false;  // every LazyFree block is on the order-10 list
  if (initialised != nr_initialised_) return false;
  for (const PerCpuPages& pcp : pcp_) {
    uint64_t n = 0;
    for (uint32_t i = pcp.head; i != Page::kNone; i = memmap_[i].next) {
      if (i >= nr_pages_ || block_state_[block_of(i)] != kInit) return false;
      if (memmap_[i].flags != Page::Pcp || memmap_[i].order != 0) return false;
      if (++n > pcp.count) return false;  // a cycle, or a wrong count
    }
    if (n != pcp.count) return false;
    counted += n;
  }
  return counted <= managed_;
}

}  // namespace kernel

namespace kernel {

BuddyAllocator buddy;

Page* alloc_pages(unsigned order) { return buddy.alloc_pages(order); }
void free_pages(Page* page, unsigned order) { (void)buddy.free_pages(page, order); }
void drain_all_pages() { buddy.drain_all_pages(); }
PhysAddr page_to_phys(const Page* p) { return PhysAddr(buddy.page_to_pfn(p) << PAGE_SHIFT); }
VirtAddr page_address(const Page* p) { return VirtAddr(PAGE_OFFSET + page_to_phys(p).value()); }
Page* virt_to_page(VirtAddr va) {
  if (va.value() < PAGE_OFFSET || va.value() >= LINEAR_MAP_END) return nullptr;
  return buddy.pfn_to_page((va.value() - PAGE_OFFSET) >> PAGE_SHIFT);
}
bool PageReserved(const Page* p) { return buddy.page_reserved(p); }

// The per-order counts are the buddy lists; "pcp:" is the order-0 pages parked on the per-CPU
// lists, which the "pages free" total includes (nothing is drained to print).
void buddy_print_stats() {
  const BuddyAllocator::Stats s = buddy.stats();
  pr_info("buddy: %lu pages free (%lu MiB) of %lu managed\n", s.free, (s.free << PAGE_SHIFT) >> 20, s.managed);
  char line[192];
  int n = snprintf(line, sizeof line, "buddy: free blocks per order:");
  for (unsigned o = 0; o < NR_ORDERS && n > 0 && static_cast<size_t>(n) < sizeof line; ++o)
    n += snprintf(line + n, sizeof line - static_cast<size_t>(n), " %u:%lu", o, s.nr_free[o]);
  if (n > 0 && static_cast<size_t>(n) < sizeof line)
    snprintf(line + n, sizeof line - static_cast<size_t>(n), " pcp:%lu", s.pcp);
  pr_info("%s\n", line);
}

}  // namespace kernel
