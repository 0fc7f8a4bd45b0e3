// Buddy allocator arenas for the host tests: a struct page array that starts out as garbage (as
// memblock memory does in the kernel: nothing clears it), and helpers to play another CPU.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel/smp.h"
#include "mm/page_alloc.h"

namespace kernel::test {

// What a never-initialised Page holds here: it looks like the head of an allocated order-0 block
// (the worst case for the misuse checks: the inline test of free_pages would accept it).
inline constexpr Page kPoisonPage = {Page::Head, 0, 0x5a5a5a5au, 0xa5a5a5a5u};

inline bool is_poison(const Page& p) { return std::memcmp(&p, &kPoisonPage, sizeof p) == 0; }

// Which pages a randomized test holds: a block handed out twice, or overlapping another, fails.
struct PageOwnership {
  PageOwnership(uint64_t base_pfn, uint64_t pages) : base(base_pfn), owned(pages) {}
  ::testing::AssertionResult claim(uint64_t pfn, unsigned order) {
    for (uint64_t i = 0; i < (1ull << order); ++i) {
      if (owned[pfn - base + i]) return ::testing::AssertionFailure() << "overlap at pfn " << pfn + i;
      owned[pfn - base + i] = 1;
    }
    return ::testing::AssertionSuccess();
  }
  void release(uint64_t pfn, unsigned order) {
    for (uint64_t i = 0; i < (1ull << order); ++i) owned[pfn - base + i] = 0;
  }
  uint64_t base;
  std::vector<uint8_t> owned;
};

struct BuddyArena {
  BuddyArena(uint64_t base_pfn, uint64_t pages)
      : base(base_pfn), nr(pages), memmap(pages, kPoisonPage), state(BuddyAllocator::nr_blocks(base_pfn, pages), 0xee) {
    b.init(memmap.data(), base, nr, state.data());
  }
  Page* page(uint64_t pfn) { return b.pfn_to_page(pfn); }
  // Pages of the max-order block at `pfn` still holding the poison.
  unsigned poisoned_in_block(uint64_t pfn) {
    const uint64_t first = pfn & ~(MAX_ORDER_NR_PAGES - 1);
    unsigned n = 0;
    for (uint64_t p = first; p < first + MAX_ORDER_NR_PAGES; ++p)
      if (Page* pg = b.pfn_to_page(p)) n += is_poison(*pg);
    return n;
  }

  uint64_t base, nr;
  std::vector<Page> memmap;
  std::vector<uint8_t> state;
  BuddyAllocator b;
};

// For the scope: smp_processor_id() is `cpu` (the host build's one CPU is per_cpu_area[0], whose
// number this changes) and no CPU is online, so drain_all_pages() drains every list directly.
class AsCpu {
 public:
  explicit AsCpu(unsigned cpu) : saved_cpu_(per_cpu_area[0].cpu) {
    for (unsigned c = 0; c < NR_CPUS; ++c) {
      saved_online_[c] = cpu_online(c);
      set_cpu_online(c, false);
    }
    per_cpu_area[0].cpu = cpu;
  }
  ~AsCpu() {
    per_cpu_area[0].cpu = saved_cpu_;
    for (unsigned c = 0; c < NR_CPUS; ++c) set_cpu_online(c, saved_online_[c]);
  }
  AsCpu(const AsCpu&) = delete;
  AsCpu& operator=(const AsCpu&) = delete;

 private:
  uint32_t saved_cpu_;
  bool saved_online_[NR_CPUS];
};

}  // namespace kernel::test
