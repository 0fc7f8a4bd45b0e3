// The buddy allocator's struct pages initialised per max-order block (1024 pages: 4 MiB at 4K,
// 64 MiB at 64K) on first use: what boot writes, blocks first touched by an allocation, range
// edges and holes, and misuse on pages whose struct page was never written. The struct page array starts as poison that
// looks like allocated order-0 heads, so anything that reads a Page it should not believes a wrong thing.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "asm/memory.h"
#include "buddy_fixture.h"
#include "fixmap_fixture.h"
#include "mm/page_alloc.h"

namespace kernel::test {
namespace {

constexpr uint64_t kBase = 0x40000;  // a max-order boundary (the pfn of 0x40000000 at 4K)
constexpr uint64_t kBlock = MAX_ORDER_NR_PAGES;

class BuddyLazy : public ::testing::Test {
 protected:
  void SetUp() override { log_buffer_reset(); }
  AsCpu cpu0_{0};
};

TEST_F(BuddyLazy, HandingOverWholeBlocksWritesOnePagePerBlock) {
  BuddyArena a(kBase, 16 * kBlock);  // 64 MiB at 4K, 1 GiB at 64K
  EXPECT_EQ(a.b.nr_blocks_initialised(), 0u);
  a.b.free_range(kBase, kBase + 16 * kBlock);
  EXPECT_EQ(a.b.managed_pages(), 16 * kBlock);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 16u);
  EXPECT_EQ(a.b.nr_blocks_initialised(), 0u);
  for (uint64_t blk = 0; blk < 16; ++blk) {
    const uint64_t pfn = kBase + blk * kBlock;
    EXPECT_EQ(a.b.block_state(pfn), BlockState::LazyFree);
    EXPECT_EQ(a.poisoned_in_block(pfn), kBlock - 1) << "block " << blk << ": only its free-list entry written";
    EXPECT_EQ(a.page(pfn)->flags, Page::Buddy);
    EXPECT_FALSE(a.b.page_reserved(a.page(pfn + 17)));
  }
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyLazy, AnUntouchedSpanIsAllReservedAndNeverRead) {
  BuddyArena a(kBase, 4 * kBlock);
  for (uint64_t pfn = kBase; pfn < kBase + 4 * kBlock; pfn += 97) {
    EXPECT_EQ(a.b.block_state(pfn), BlockState::Untouched);
    EXPECT_TRUE(a.b.page_reserved(a.page(pfn)));
  }
  EXPECT_EQ(a.b.alloc_pages(0), nullptr);
  EXPECT_EQ(a.b.alloc_pages(MAX_ORDER), nullptr);
  EXPECT_EQ(a.b.free_pages_total(), 0u);
  EXPECT_TRUE(a.b.check());
  for (const Page& p : a.memmap) ASSERT_TRUE(is_poison(p));  // nothing written at all
}

TEST_F(BuddyLazy, TheFirstSplitInitialisesExactlyThatBlock) {
  BuddyArena a(kBase, 8 * kBlock);
  a.b.free_range(kBase, kBase + 8 * kBlock);
  a.b.set_pcp_high_batch(0, 0);  // no per-CPU list: the split is all there is
  Page* p = a.b.alloc_pages(0);
  ASSERT_NE(p, nullptr);
  const uint64_t pfn = a.b.page_to_pfn(p);
  EXPECT_EQ(pfn & (kBlock - 1), 0u);  // the lowest page of a fresh block
  EXPECT_EQ(a.b.block_state(pfn), BlockState::Init);
  EXPECT_EQ(a.b.nr_blocks_initialised(), 1u);
  EXPECT_EQ(a.poisoned_in_block(pfn), 0u);
  for (uint64_t blk = 0; blk < 8; ++blk) {
    const uint64_t first = kBase + blk * kBlock;
    if (first == (pfn & ~(kBlock - 1))) continue;
    EXPECT_EQ(a.b.block_state(first), BlockState::LazyFree);
    EXPECT_EQ(a.poisoned_in_block(first), kBlock - 1);
  }
  // Pages inside the split block are real now: a tail is not an allocated head.
  EXPECT_EQ(a.b.free_pages(p + 5, 0), Errc::NeverAllocated);
  EXPECT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 8u);  // merged back whole; it stays initialised
  EXPECT_EQ(a.b.nr_blocks_initialised(), 1u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyLazy, AWholeBlockHandedOutIsInitialisedAndComesBack) {
  BuddyArena a(kBase, 2 * kBlock);
  a.b.free_range(kBase, kBase + 2 * kBlock);
  Page* p = a.b.alloc_pages(MAX_ORDER);
  ASSERT_NE(p, nullptr);
  const uint64_t pfn = a.b.page_to_pfn(p);
  EXPECT_EQ(a.b.block_state(pfn), BlockState::Init);
  EXPECT_EQ(a.poisoned_in_block(pfn), 0u);
  EXPECT_EQ(a.b.free_pages(p + 1, 0), Errc::NeverAllocated);
  EXPECT_EQ(a.b.free_pages(p, 9), Errc::WrongOrder);
  EXPECT_EQ(a.b.free_pages(p, MAX_ORDER), Errc::Ok);
  EXPECT_EQ(a.b.free_pages(p, MAX_ORDER), Errc::DoubleFree);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 2u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyLazy, RangeEdgesOffBoundariesInitialiseOnlyTheEdgeBlocks) {
  BuddyArena a(kBase, 6 * kBlock);
  const uint64_t start = kBase + 3, end = kBase + 4 * kBlock + 5;  // neither on a boundary
  a.b.free_range(start, end);
  EXPECT_EQ(a.b.managed_pages(), end - start);
  EXPECT_EQ(a.b.free_pages_total(), end - start);
  EXPECT_EQ(a.b.block_state(kBase), BlockState::Init);               // first edge
  EXPECT_EQ(a.b.block_state(kBase + 4 * kBlock), BlockState::Init);  // last edge
  for (uint64_t blk = 1; blk < 4; ++blk) EXPECT_EQ(a.b.block_state(kBase + blk * kBlock), BlockState::LazyFree);
  EXPECT_EQ(a.b.block_state(kBase + 5 * kBlock), BlockState::Untouched);
  EXPECT_EQ(a.b.nr_blocks_initialised(), 2u);
  for (uint64_t pfn : {kBase, kBase + 2, end, end + 100, kBase + 5 * kBlock + 7})
    EXPECT_TRUE(a.b.page_reserved(a.page(pfn))) << std::hex << pfn;
  for (uint64_t pfn : {start, kBase + kBlock - 1, kBase + kBlock, kBase + 2 * kBlock + 9, end - 1})
    EXPECT_FALSE(a.b.page_reserved(a.page(pfn))) << std::hex << pfn;
  EXPECT_TRUE(a.b.check());

  // Every page of the range, and nothing else, can be had one by one; then it all coalesces back.
  std::vector<uint64_t> initial(NR_ORDERS);
  for (unsigned o = 0; o < NR_ORDERS; ++o) initial[o] = a.b.nr_free(o);
  std::set<uint64_t> got;
  while (Page* p = a.b.alloc_pages(0)) {
    const uint64_t pfn = a.b.page_to_pfn(p);
    ASSERT_TRUE(pfn >= start && pfn < end) << std::hex << pfn;
    ASSERT_TRUE(got.insert(pfn).second) << "pfn 0x" << std::hex << pfn << " handed out twice";
  }
  EXPECT_EQ(got.size(), end - start);
  EXPECT_EQ(a.b.free_pages_total(), 0u);
  for (uint64_t pfn : got) ASSERT_EQ(a.b.free_pages(a.page(pfn), 0), Errc::Ok);
  a.b.drain_all_pages();
  for (unsigned o = 0; o < NR_ORDERS; ++o) EXPECT_EQ(a.b.nr_free(o), initial[o]) << "order " << o;
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyLazy, TwoRangesWithAHoleBetween) {
  BuddyArena a(kBase, 8 * kBlock);
  // [0, 2.5 blocks) and [4 blocks + 100, 8 blocks): block 2 ends in the hole, block 3 is all hole,
  // block 4 starts in it.
  const uint64_t hole_start = kBase + 2 * kBlock + 512, hole_end = kBase + 4 * kBlock + 100;
  a.b.free_range(kBase, hole_start);
  a.b.free_range(hole_end, kBase + 8 * kBlock);
  EXPECT_EQ(a.b.managed_pages(), 8 * kBlock - (hole_end - hole_start));
  EXPECT_EQ(a.b.block_state(kBase + 3 * kBlock), BlockState::Untouched);
  EXPECT_EQ(a.poisoned_in_block(kBase + 3 * kBlock), kBlock);
  EXPECT_EQ(a.b.block_state(kBase + 2 * kBlock), BlockState::Init);
  EXPECT_EQ(a.b.block_state(kBase + 4 * kBlock), BlockState::Init);
  for (uint64_t pfn = hole_start; pfn < hole_end; pfn += 37) EXPECT_TRUE(a.b.page_reserved(a.page(pfn)));
  // The half blocks at the hole's edges merge up to order 9, never across into the hole.
  EXPECT_EQ(a.b.nr_free(9), 2u);
  EXPECT_TRUE(a.b.check());

  std::vector<std::pair<Page*, unsigned>> held;
  for (unsigned order : {9u, 9u, 0u, 3u, 10u, 10u, 10u, 10u}) {
    Page* p = a.b.alloc_pages(order);
    ASSERT_NE(p, nullptr) << "order " << order;
    const uint64_t pfn = a.b.page_to_pfn(p);
    EXPECT_TRUE(pfn + (1ull << order) <= hole_start || pfn >= hole_end) << std::hex << pfn;
    held.push_back({p, order});
  }
  for (auto [p, order] : held) ASSERT_EQ(a.b.free_pages(p, order), Errc::Ok);
  a.b.drain_all_pages();
  EXPECT_EQ(a.b.free_pages_total(), a.b.managed_pages());
  EXPECT_EQ(a.b.nr_free(9), 2u);
  EXPECT_EQ(a.b.block_state(kBase + 3 * kBlock), BlockState::Untouched);  // the hole was never read
  EXPECT_EQ(a.poisoned_in_block(kBase + 3 * kBlock), kBlock);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyLazy, PfnPageAndAddressOfANeverTouchedBlock) {
  // The kernel's allocator, on a host arena, for the Linux-named helpers.
  std::vector<Page> memmap(4 * kBlock, kPoisonPage);
  std::vector<uint8_t> state(BuddyAllocator::nr_blocks(kBase, 4 * kBlock));
  buddy.init(memmap.data(), kBase, 4 * kBlock, state.data());
  buddy.free_range(kBase, kBase + kBlock);  // block 0 handed over; blocks 1-3 never touched
  const uint64_t pfn = kBase + 2 * kBlock + 123;
  Page* p = buddy.pfn_to_page(pfn);
  ASSERT_EQ(p, memmap.data() + (pfn - kBase));
  EXPECT_EQ(buddy.page_to_pfn(p), pfn);
  EXPECT_EQ(page_to_phys(p).value(), pfn << PAGE_SHIFT);
  EXPECT_EQ(page_address(p).value(), PAGE_OFFSET + (pfn << PAGE_SHIFT));
  EXPECT_EQ(virt_to_page(page_address(p)), p);
  EXPECT_TRUE(PageReserved(p));
  EXPECT_FALSE(PageReserved(buddy.pfn_to_page(kBase + 5)));
  EXPECT_TRUE(is_poison(*p));  // asking did not write it
  EXPECT_EQ(buddy.block_state(pfn), BlockState::Untouched);
  EXPECT_EQ(buddy.pfn_to_page(kBase + 4 * kBlock), nullptr);
  EXPECT_EQ(buddy.pfn_to_page(kBase - 1), nullptr);
  buddy.init(nullptr, 0, 0, nullptr);  // leave the kernel's allocator empty again
}

TEST_F(BuddyLazy, FreeingNeverMergesIntoANeverSplitNeighbour) {
  // Two blocks handed over whole; splitting one must leave the other's struct pages alone.
  BuddyArena c(kBase, 2 * kBlock);
  c.b.free_range(kBase, kBase + 2 * kBlock);
  c.b.set_pcp_high_batch(0, 0);
  Page* p = c.b.alloc_pages(9);  // splits one block
  ASSERT_NE(p, nullptr);
  const uint64_t pfn = c.b.page_to_pfn(p);
  const uint64_t neighbour = (pfn & ~(kBlock - 1)) ^ kBlock;
  EXPECT_EQ(c.b.block_state(neighbour), BlockState::LazyFree);
  Page* q = c.b.alloc_pages(0);  // from the other half of the split block, not the neighbour
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(c.b.page_to_pfn(q) & ~(kBlock - 1), pfn & ~(kBlock - 1));
  ASSERT_EQ(c.b.free_pages(p, 9), Errc::Ok);
  ASSERT_EQ(c.b.free_pages(q, 0), Errc::Ok);
  EXPECT_EQ(c.b.nr_free(MAX_ORDER), 2u);  // merged to order 10 inside its block, and no further
  EXPECT_EQ(c.b.block_state(neighbour), BlockState::LazyFree);
  EXPECT_EQ(c.poisoned_in_block(neighbour), kBlock - 1);
  EXPECT_TRUE(c.b.check());

  // A block handed over in part: its free half must not merge with the reserved half.
  BuddyArena d(kBase, 2 * kBlock);
  d.b.free_range(kBase + 512, kBase + 2 * kBlock);
  d.b.set_pcp_high_batch(0, 0);
  EXPECT_EQ(d.b.nr_free(9), 1u);
  EXPECT_EQ(d.b.nr_free(MAX_ORDER), 1u);
  Page* half = d.b.alloc_pages(9);
  ASSERT_NE(half, nullptr);
  EXPECT_EQ(d.b.page_to_pfn(half), kBase + 512);
  ASSERT_EQ(d.b.free_pages(half, 9), Errc::Ok);
  EXPECT_EQ(d.b.nr_free(9), 1u);
  EXPECT_EQ(d.b.nr_free(MAX_ORDER), 1u);
  EXPECT_EQ(d.b.block_state(kBase + kBlock), BlockState::LazyFree);
  EXPECT_TRUE(d.b.check());
}

TEST_F(BuddyLazy, MisuseIsCaughtOnPagesWhoseStructPageWasNeverWritten) {
  BuddyArena a(kBase, 4 * kBlock);
  a.b.free_range(kBase, kBase + 2 * kBlock);  // blocks 0, 1 LazyFree; 2, 3 Untouched
  const uint64_t total = a.b.free_pages_total();
  // Every one of these Pages holds the poison: an allocated order-0 head, by its bytes.
  EXPECT_EQ(a.b.free_pages(a.page(kBase + 3 * kBlock + 1), 0), Errc::Reserved);  // never handed over
  EXPECT_EQ(a.b.free_pages(a.page(kBase + 2 * kBlock), 0), Errc::Reserved);
  EXPECT_EQ(a.b.free_pages(a.page(kBase + kBlock), MAX_ORDER), Errc::DoubleFree);  // free whole
  EXPECT_EQ(a.b.free_pages(a.page(kBase + kBlock), 0), Errc::DoubleFree);
  EXPECT_EQ(a.b.free_pages(a.page(kBase + 1), 0), Errc::NeverAllocated);  // inside a free block
  EXPECT_EQ(a.b.free_pages(a.page(kBase + kBlock + 512), 9), Errc::NeverAllocated);
  Page* misaligned = reinterpret_cast<Page*>(reinterpret_cast<char*>(a.page(kBase + 7)) + 4);
  EXPECT_EQ(a.b.free_pages(misaligned, 0), Errc::OutOfRange);
  EXPECT_EQ(a.b.free_pages(a.memmap.data() + a.memmap.size(), 0), Errc::OutOfRange);
  EXPECT_EQ(a.b.free_pages(nullptr, 0), Errc::OutOfRange);
  // Nothing changed, nothing was written.
  EXPECT_EQ(a.b.free_pages_total(), total);
  EXPECT_EQ(a.b.nr_blocks_initialised(), 0u);
  EXPECT_EQ(a.poisoned_in_block(kBase + 3 * kBlock), kBlock);
  EXPECT_EQ(a.poisoned_in_block(kBase + kBlock), kBlock - 1);
  EXPECT_TRUE(a.b.check());
  const std::string log = kernel_log();
  for (const char* m : {"the page is reserved memory, never allocated", "double free, the block is already free",
                        "not the head of an allocated block", "not a page of this allocator"})
    EXPECT_THAT(log, HasLogLine(m));
}

TEST_F(BuddyLazy, OverlappingRangesAreNotHandedOverTwice) {
  BuddyArena a(kBase, 4 * kBlock);
  a.b.free_range(kBase, kBase + 2 * kBlock);
  a.b.free_range(kBase + kBlock + 100, kBase + 2 * kBlock + 10);  // 924 again, 10 new
  EXPECT_EQ(a.b.managed_pages(), 2 * kBlock + 10);
  a.b.free_range(kBase + 2 * kBlock, kBase + 2 * kBlock + 20);  // 10 again, 10 new
  EXPECT_EQ(a.b.managed_pages(), 2 * kBlock + 20);
  EXPECT_EQ(a.b.free_pages_total(), 2 * kBlock + 20);
  EXPECT_TRUE(a.b.check());
  EXPECT_THAT(kernel_log(), HasLogLine("924 pages were handed over before; not freed again"));
  EXPECT_THAT(kernel_log(), HasLogLine("10 pages were handed over before; not freed again"));
}

TEST_F(BuddyLazy, AMemmapBaseOffABoundaryIsTrimmedToOne) {
  BuddyArena a(kBase + 5, 3 * kBlock);
  EXPECT_EQ(a.b.base_pfn(), kBase + kBlock);
  EXPECT_EQ(a.b.nr_pages(), 2 * kBlock + 5);
  EXPECT_EQ(a.b.pfn_to_page(kBase + 5), nullptr);
  EXPECT_EQ(a.b.pfn_to_page(kBase + kBlock), a.memmap.data() + (kBlock - 5));
  a.b.free_range(kBase, kBase + 4 * kBlock);
  EXPECT_EQ(a.b.managed_pages(), 2 * kBlock + 5);
  EXPECT_TRUE(a.b.check());
  EXPECT_THAT(kernel_log(), HasLogLine("buddy: memmap base pfn 0x40005 is not a multiple of 1024: pfns "
                                       "0x40005-0x403ff left out"));
}

// Random allocations and frees over two ranges with a hole and edges off every boundary, on a
// poisoned struct page array, against a model; the per-CPU list small so that it drains often.
TEST_F(BuddyLazy, RandomSequencesOverHolesAndEdges) {
  constexpr uint64_t kPages = 24 * kBlock;
  BuddyArena a(kBase, kPages);
  const uint64_t r1s = kBase + 700, r1e = kBase + 9 * kBlock + 33, r2s = kBase + 12 * kBlock + 1,
                 r2e = kBase + kPages - 300;
  a.b.free_range(r1s, r1e);
  a.b.free_range(r2s, r2e);
  a.b.set_pcp_high_batch(24, 8);
  std::vector<uint64_t> initial(NR_ORDERS);
  for (unsigned o = 0; o < NR_ORDERS; ++o) initial[o] = a.b.nr_free(o);
  const uint64_t total = a.b.free_pages_total();
  ASSERT_EQ(total, (r1e - r1s) + (r2e - r2s));
  std::mt19937_64 rng(1414);
  std::map<uint64_t, unsigned> live;
  PageOwnership own(kBase, kPages);
  uint64_t allocated = 0;
  for (int step = 0; step < 100000; ++step) {
    if (live.empty() || rng() % 100 < 55) {
      const unsigned order = static_cast<unsigned>(rng() % 100 < 80 ? rng() % 3 : rng() % (MAX_ORDER + 1));
      Page* p = a.b.alloc_pages(order);
      if (!p) continue;
      const uint64_t pfn = a.b.page_to_pfn(p);
      ASSERT_EQ(pfn & ((1ull << order) - 1), 0u);
      ASSERT_TRUE((pfn >= r1s && pfn + (1ull << order) <= r1e) || (pfn >= r2s && pfn + (1ull << order) <= r2e))
          << "pfn 0x" << std::hex << pfn << " order " << std::dec << order << " outside the ranges";
      ASSERT_TRUE(own.claim(pfn, order));
      live[pfn] = order;
      allocated += 1ull << order;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      if (rng() % 50 == 0) {  // now and then a wrong order first: refused, nothing changes
        ASSERT_EQ(a.b.free_pages(a.page(it->first), (it->second + 1) % NR_ORDERS), Errc::WrongOrder);
      }
      ASSERT_EQ(a.b.free_pages(a.page(it->first), it->second), Errc::Ok);
      own.release(it->first, it->second);
      allocated -= 1ull << it->second;
      live.erase(it);
    }
    ASSERT_EQ(a.b.free_pages_total() + allocated, total) << "leak at step " << step;
    ASSERT_LE(a.b.pcp_count(0), a.b.pcp_high());
    if (step % 5000 == 0) {
      ASSERT_TRUE(a.b.check()) << "step " << step;
    }
  }
  for (auto& [pfn, order] : live) ASSERT_EQ(a.b.free_pages(a.page(pfn), order), Errc::Ok);
  a.b.drain_all_pages();
  for (unsigned o = 0; o < NR_ORDERS; ++o) EXPECT_EQ(a.b.nr_free(o), initial[o]) << "order " << o;
  EXPECT_EQ(a.b.block_state(kBase + 10 * kBlock), BlockState::Untouched);  // in the hole
  EXPECT_EQ(a.poisoned_in_block(kBase + 10 * kBlock), kBlock);
  EXPECT_TRUE(a.b.check());
}

}  // namespace
}  // namespace kernel::test
