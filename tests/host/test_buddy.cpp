// The buddy allocator on host memory: long randomized sequences against a model, and misuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "fixmap_fixture.h"
#include "buddy_fixture.h"
#include "mm/page_alloc.h"

namespace kernel::test {
namespace {

class BuddyTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kBase = 0x40000;  // a max-order boundary (the pfn of 0x40000000 at 4K)
  static constexpr uint64_t kPages = 16384;   // 16 max-order blocks: 64 MiB at 4K, 1 GiB at 64K
  void SetUp() override {
    log_buffer_reset();
    memmap.resize(kPages);
    state.resize(BuddyAllocator::nr_blocks(kBase, kPages));
    b.init(memmap.data(), kBase, kPages, state.data());
  }
  std::vector<Page> memmap;
  std::vector<uint8_t> state;
  BuddyAllocator b;
};

TEST_F(BuddyTest, FreeRangeUsesTheLargestAlignedBlocks) {
  b.free_range(kBase + 3, kBase + 3 + 2048 + 5);  // unaligned start and end
  EXPECT_EQ(b.free_pages_total(), 2048u + 5);
  EXPECT_TRUE(b.check());
  // 3 -> 1 page at 3, 4 at 4..7, ... then order-10 blocks: at most one block per order up to 10
  EXPECT_EQ(b.nr_free(MAX_ORDER), 1u);
  b.init(memmap.data(), kBase, kPages, state.data());
  b.free_range(kBase, kBase + kPages);
  EXPECT_EQ(b.nr_free(MAX_ORDER), kPages >> MAX_ORDER);
  for (unsigned o = 0; o < MAX_ORDER; ++o) EXPECT_EQ(b.nr_free(o), 0u);
}

TEST_F(BuddyTest, SplitsAndCoalescesByBuddyIndex) {
  b.free_range(kBase, kBase + 1024);
  Page* p = b.alloc_pages(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(b.page_to_pfn(p), kBase);  // lowest half kept at every split
  for (unsigned o = 0; o < MAX_ORDER; ++o) EXPECT_EQ(b.nr_free(o), 1u) << o;
  EXPECT_EQ(b.free_pages(p, 0), Errc::Ok);
  EXPECT_EQ(b.nr_free(MAX_ORDER), 1u);
  for (unsigned o = 0; o < MAX_ORDER; ++o) EXPECT_EQ(b.nr_free(o), 0u);
}

TEST_F(BuddyTest, RandomSequencesNeverOverlapNeverLeakAndFullyCoalesce) {
  b.free_range(kBase + 17, kBase + kPages - 100);  // odd edges: not all blocks can be maximal
  std::vector<uint64_t> initial(NR_ORDERS);
  for (unsigned o = 0; o < NR_ORDERS; ++o) initial[o] = b.nr_free(o);
  const uint64_t total = b.free_pages_total();
  std::mt19937_64 rng(42);
  std::map<uint64_t, unsigned> live;  // pfn -> order
  PageOwnership own(kBase, kPages);
  uint64_t allocated = 0;
  for (int step = 0; step < 200000; ++step) {
    bool do_alloc = live.empty() || (rng() % 100) < 55;
    if (do_alloc) {
      unsigned order = static_cast<unsigned>(rng() % 100 < 80 ? rng() % 3 : rng() % (MAX_ORDER + 1));
      Page* p = b.alloc_pages(order);
      if (!p) {
        ASSERT_LT(b.free_pages_total() + 0, total);  // only fails when memory is really short
        continue;
      }
      uint64_t pfn = b.page_to_pfn(p);
      ASSERT_EQ(pfn & ((1ull << order) - 1), 0u) << "not naturally aligned";
      ASSERT_TRUE(own.claim(pfn, order));
      live[pfn] = order;
      allocated += 1ull << order;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      ASSERT_EQ(b.free_pages(b.pfn_to_page(it->first), it->second), Errc::Ok);
      own.release(it->first, it->second);
      allocated -= 1ull << it->second;
      live.erase(it);
    }
    ASSERT_EQ(b.free_pages_total() + allocated, total) << "leak at step " << step;
    if (step % 5000 == 0) {
      ASSERT_TRUE(b.check());
    }
  }
  for (auto& [pfn, order] : live) {
    ASSERT_EQ(b.free_pages(b.pfn_to_page(pfn), order), Errc::Ok);
  }
  EXPECT_EQ(b.free_pages_total(), total);
  EXPECT_TRUE(b.check());
  // Order-0 pages freed last wait on the per-CPU list (batch 3, high 18 for 16384 pages): back to
  // the buddy lists, they must coalesce into exactly the blocks free_range made.
  b.drain_all_pages();
  EXPECT_EQ(b.nr_pcp_pages(), 0u);
  EXPECT_TRUE(b.check());
}

TEST_F(BuddyTest, MisuseIsCaughtAndReported) {
  b.free_range(kBase + 64, kBase + 1024);
  Page* p = b.alloc_pages(3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(b.free_pages(p, 2), Errc::WrongOrder);
  EXPECT_EQ(b.free_pages(p + 1, 0), Errc::NeverAllocated);  // a tail page
  EXPECT_EQ(b.free_pages(p, 3), Errc::Ok);
  EXPECT_EQ(b.free_pages(p, 3), Errc::DoubleFree);
  EXPECT_EQ(b.free_pages(b.pfn_to_page(kBase + 1), 0), Errc::Reserved);  // never handed over
  Page outside{};
  EXPECT_EQ(b.free_pages(&outside, 0), Errc::OutOfRange);
  EXPECT_EQ(b.alloc_pages(MAX_ORDER + 1), nullptr);
  EXPECT_TRUE(b.check());
  std::string log = kernel_log();
  // 1024 pages: 4 MiB at 4K, 16 MiB at 16K, 64 MiB at 64K.
  const std::string largest = std::string("the largest order is 10 (") +
                              (PAGE_SHIFT == 12   ? "4"
                               : PAGE_SHIFT == 14 ? "16"
                                                  : "64") +
                              " MiB)";
  for (const std::string& m :
       {std::string("the block was allocated with order 3"), std::string("not the head of an allocated block"),
        std::string("double free, the block is already free"),
        std::string("the page is reserved memory, never allocated"), std::string("not a page of this allocator"),
        largest})
    EXPECT_THAT(log, HasLogLine(m));
}

// The largest block is 1024 pages whatever the granule: its bytes, and the physical alignment a
// max-order allocation has, grow with the page (4 MiB, 16 MiB, 64 MiB), and so does what the
// statistics say in MiB.
TEST_F(BuddyTest, TheMaxOrderBlockIs1024PagesOfTheGranule) {
  EXPECT_EQ(MAX_ORDER_NR_PAGES, 1024u);
  EXPECT_EQ(MAX_ORDER_BLOCK_SIZE, PAGE_SHIFT == 12 ? 4ull << 20 : PAGE_SHIFT == 14 ? 16ull << 20 : 64ull << 20);
  EXPECT_EQ(BuddyAllocator::nr_blocks(kBase, kPages), kPages / 1024);
  // The kernel's allocator, for page_to_phys: two blocks at the pfn of 0x40000000 at this granule
  // (a max-order boundary at every granule: 0x40000, 0x10000, 0x4000).
  const uint64_t base = 0x40000000 >> PAGE_SHIFT;
  ASSERT_EQ(base % MAX_ORDER_NR_PAGES, 0u);
  std::vector<Page> mm(2 * MAX_ORDER_NR_PAGES);
  std::vector<uint8_t> st(BuddyAllocator::nr_blocks(base, mm.size()));
  buddy.init(mm.data(), base, mm.size(), st.data());
  buddy.free_range(base, base + mm.size());
  Page* a = alloc_pages(MAX_ORDER);
  Page* b = alloc_pages(MAX_ORDER);
  ASSERT_TRUE(a && b);
  const uint64_t pa = page_to_phys(a).value(), pb = page_to_phys(b).value();
  EXPECT_EQ(pa % MAX_ORDER_BLOCK_SIZE, 0u);
  EXPECT_EQ(pb % MAX_ORDER_BLOCK_SIZE, 0u);
  EXPECT_EQ(pa > pb ? pa - pb : pb - pa, MAX_ORDER_BLOCK_SIZE);
  EXPECT_EQ(std::min(pa, pb), 0x40000000u);
  EXPECT_EQ(alloc_pages(0), nullptr);
  free_pages(a, MAX_ORDER);
  log_buffer_reset();
  buddy_print_stats();
  EXPECT_THAT(kernel_log(), HasLogLine(PAGE_SHIFT == 12   ? "buddy: 1024 pages free (4 MiB) of 2048 managed"
                                       : PAGE_SHIFT == 14 ? "buddy: 1024 pages free (16 MiB) of 2048 managed"
                                                          : "buddy: 1024 pages free (64 MiB) of 2048 managed"));
  free_pages(b, MAX_ORDER);
  EXPECT_EQ(buddy.nr_free(MAX_ORDER), 2u);
  EXPECT_TRUE(buddy.check());
  buddy.init(nullptr, 0, 0, nullptr);  // leave the kernel's allocator empty again
}

TEST_F(BuddyTest, ExhaustionReturnsNullAndRecovers) {
  b.free_range(kBase, kBase + 64);
  std::vector<Page*> v;
  while (Page* p = b.alloc_pages(0)) v.push_back(p);
  EXPECT_EQ(v.size(), 64u);
  EXPECT_EQ(b.alloc_pages(0), nullptr);
  for (Page* p : v) {
    ASSERT_EQ(b.free_pages(p, 0), Errc::Ok);
  }
  EXPECT_EQ(b.nr_free(6), 1u);
}

}  // namespace
}  // namespace kernel::test
