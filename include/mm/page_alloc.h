// The buddy page allocator: free lists per order up to 4 MiB blocks (order 10), blocks split and
// coalesced by buddy index (pfn ^ (1 << order)), struct Page metadata for every managed page.
#pragma once

#include "kernel/error.h"

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

inline constexpr unsigned MAX_ORDER = 10;  // largest block: 4 KiB << 10 = 4 MiB
inline constexpr unsigned NR_ORDERS = MAX_ORDER + 1;

struct Page {
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t flags;
  uint32_t order;  // head of a free or allocated block: its order
  uint32_t next;   // free-list links (indices into the memmap)
  uint32_t prev;

  static constexpr uint32_t Reserved = 1u << 0;  // never handed to the allocator (or taken back)
  static constexpr uint32_t Buddy = 1u << 1;     // head of a free block, on a free list
  static constexpr uint32_t Head = 1u << 2;      // head of an allocated block
  // Pages inside a block (not its head) have no flags: only heads carry state.
};
static_assert(sizeof(Page) == 16);

class BuddyAllocator {
 public:
  // memmap: one Page per pfn in [base_pfn, base_pfn + nr_pages), all initialised Reserved here.
  void init(Page* memmap, uint64_t base_pfn, uint64_t nr_pages);
  // Hands [start_pfn, end_pfn) to the allocator in the largest naturally aligned blocks.
  void free_range(uint64_t start_pfn, uint64_t end_pfn);

  Page* alloc_pages(unsigned order);
  // Returns the error that was reported (None on success).
  // Misuse (Errc::OutOfRange, Reserved, DoubleFree, NeverAllocated, WrongOrder) is reported with the
  // caller and changes nothing.
  Status free_pages(Page* page, unsigned order);

  uint64_t page_to_pfn(const Page* p) const { return base_pfn_ + static_cast<uint64_t>(p - memmap_); }
  Page* pfn_to_page(uint64_t pfn) const {
    return pfn >= base_pfn_ && pfn - base_pfn_ < nr_pages_ ? memmap_ + (pfn - base_pfn_) : nullptr;
  }
  uint64_t nr_free(unsigned order) const { return nr_free_[order]; }
  uint64_t free_pages_total() const;
  uint64_t managed_pages() const { return managed_; }
  uint64_t base_pfn() const { return base_pfn_; }
  uint64_t nr_pages() const { return nr_pages_; }
  // Consistency check for tests: free lists, flags and counters agree. Returns false on mismatch.
  bool check() const;

 private:
  Status check_free(const Page* page, unsigned order, void* caller) const;
  [[gnu::noinline, gnu::cold]] Status free_failure(const Page* page, unsigned order, void* caller) const;
  void list_add(unsigned order, uint32_t idx);
  void list_del(unsigned order, uint32_t idx);
  void free_block(uint64_t pfn, unsigned order);
  Page* memmap_ = nullptr;
  uint64_t base_pfn_ = 0, nr_pages_ = 0, managed_ = 0;
  uint32_t head_[NR_ORDERS];
  uint64_t nr_free_[NR_ORDERS] = {};
};

// The kernel's allocator (after mem_init) and Linux-named helpers on it.
extern BuddyAllocator buddy;
Page* alloc_pages(unsigned order);
void free_pages(Page* page, unsigned order);
PhysAddr page_to_phys(const Page* p);
VirtAddr page_address(const Page* p);  // linear-map address
Page* virt_to_page(VirtAddr va);
void buddy_print_stats();

}  // namespace kernel
