// The buddy allocator on host memory: long randomized sequences against a model, and misuse.
#include <gtest/gtest.h>

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
  static constexpr uint64_t kBase = 0x40000;  // pfn of 0x40000000
  static constexpr uint64_t kPages = 16384;   // 64 MiB
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
  // Order-0 pages freed last wait on the per-CPU list (batch 3, high 18 for 64 MiB): back to
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
  for (const char* m : {"the block was allocated with order 3", "not the head of an allocated block",
                        "double free, the block is already free", "the page is reserved memory, never allocated",
                        "not a page of this allocator", "the largest order is 10 (4 MiB)"})
    EXPECT_THAT(log, HasLogLine(m));
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
