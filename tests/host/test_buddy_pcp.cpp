// The buddy allocator's per-CPU lists of order-0 pages: refill and drain in batches, the high
// watermark, drains on allocation failure (this CPU's list and other CPUs'), statistics that
// count the parked pages, and misuse of pages that sit on a list.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "buddy_fixture.h"
#include "fixmap_fixture.h"
#include "mm/page_alloc.h"

namespace kernel::test {
namespace {

constexpr uint64_t kBase = 0x40000;
constexpr uint64_t kBlock = MAX_ORDER_NR_PAGES;

class BuddyPcp : public ::testing::Test {
 protected:
  void SetUp() override { log_buffer_reset(); }
  AsCpu cpu0_{0};
};

TEST_F(BuddyPcp, SizedFromTheManagedMemory) {
  struct Case {
    uint64_t pages, batch;
  } cases[] = {{64, 0}, {4095, 0}, {8192, 1}, {16384, 3}, {32237, 7}, {65536, 15}, {262144, 63}, {1u << 20, 63}};
  for (const Case& c : cases) {
    BuddyArena a(kBase, c.pages);
    a.b.free_range(kBase, kBase + c.pages);
    EXPECT_EQ(a.b.pcp_batch(), c.batch) << c.pages << " pages";
    EXPECT_EQ(a.b.pcp_high(), 6 * c.batch) << c.pages << " pages";
  }
}

TEST_F(BuddyPcp, AnEmptyListIsRefilledWithABatchLowestPageFirst) {
  BuddyArena a(kBase, 4 * kBlock);
  a.b.free_range(kBase, kBase + 4 * kBlock);
  a.b.set_pcp_high_batch(32, 8);
  EXPECT_EQ(a.b.pcp_count(0), 0u);
  Page* p = a.b.alloc_pages(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(a.b.pcp_count(0), 7u);  // a batch of 8, one handed out
  const uint64_t first = a.b.page_to_pfn(p);
  EXPECT_EQ(first & (kBlock - 1), 0u);
  for (uint64_t i = 1; i < 8; ++i) {  // the rest of the batch, in pfn order, before any new refill
    Page* q = a.b.alloc_pages(0);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(a.b.page_to_pfn(q), first + i);
    EXPECT_EQ(a.b.pcp_count(0), 7 - i);
  }
  EXPECT_EQ(a.b.free_pages_total(), 4 * kBlock - 8);
  EXPECT_NE(a.b.alloc_pages(0), nullptr);  // the next refill
  EXPECT_EQ(a.b.pcp_count(0), 7u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, FreesParkOnTheListAndABatchGoesBackAboveHigh) {
  BuddyArena a(kBase, 4 * kBlock);
  a.b.free_range(kBase, kBase + 4 * kBlock);
  a.b.set_pcp_high_batch(12, 4);
  std::vector<Page*> v;
  for (int i = 0; i < 40; ++i) v.push_back(a.b.alloc_pages(0));
  const uint64_t in_buddy = [&] {
    uint64_t t = 0;
    for (unsigned o = 0; o < NR_ORDERS; ++o) t += a.b.nr_free(o) << o;
    return t;
  }();
  const uint64_t parked = a.b.pcp_count(0);
  uint64_t drains = 0, prev = parked;
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(a.b.free_pages(v[i], 0), Errc::Ok);
    const uint64_t n = a.b.pcp_count(0);
    ASSERT_LE(n, 12u);
    if (n < prev) {
      EXPECT_EQ(n, prev + 1 - 4) << "a drain moves one batch";
      ++drains;
    }
    prev = n;
    ASSERT_EQ(a.b.free_pages_total(), 4 * kBlock - 40 + i + 1);
  }
  EXPECT_GT(drains, 5u);
  uint64_t in_buddy_after = 0;
  for (unsigned o = 0; o < NR_ORDERS; ++o) in_buddy_after += a.b.nr_free(o) << o;
  EXPECT_EQ(in_buddy_after + a.b.pcp_count(0), in_buddy + parked + 40);
  EXPECT_TRUE(a.b.check());
  a.b.drain_all_pages();
  EXPECT_EQ(a.b.pcp_count(0), 0u);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 4u);  // everything merged back
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, ABatchOfZeroPassesEveryPageThrough) {
  BuddyArena a(kBase, kBlock);
  a.b.free_range(kBase, kBase + kBlock);
  a.b.set_pcp_high_batch(0, 0);
  Page* p = a.b.alloc_pages(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(a.b.pcp_count(0), 0u);
  EXPECT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  EXPECT_EQ(a.b.pcp_count(0), 0u);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 1u);
}

TEST_F(BuddyPcp, AHigherOrderAllocationDrainsTheListsBeforeItFails) {
  BuddyArena a(kBase, kBlock);
  a.b.free_range(kBase, kBase + kBlock);
  a.b.set_pcp_high_batch(2 * kBlock, 64);  // every page fits on the list
  std::vector<Page*> v;
  while (Page* p = a.b.alloc_pages(0)) v.push_back(p);
  ASSERT_EQ(v.size(), kBlock);
  for (Page* p : v) ASSERT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  EXPECT_EQ(a.b.pcp_count(0), kBlock);  // all parked: the buddy lists are empty
  for (unsigned o = 0; o < NR_ORDERS; ++o) EXPECT_EQ(a.b.nr_free(o), 0u);
  EXPECT_EQ(a.b.free_pages_total(), kBlock);
  Page* big = a.b.alloc_pages(MAX_ORDER);  // only there once the pages merge back
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(a.b.page_to_pfn(big), kBase);
  EXPECT_EQ(a.b.pcp_count(0), 0u);
  EXPECT_EQ(a.b.alloc_pages(0), nullptr);  // now really nothing: drained, retried, null
  EXPECT_EQ(a.b.alloc_pages(3), nullptr);
  EXPECT_EQ(a.b.free_pages(big, MAX_ORDER), Errc::Ok);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 1u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, AnOrder0FailureDrainsAnotherCpusList) {
  BuddyArena a(kBase, 64);
  a.b.free_range(kBase, kBase + 64);
  a.b.set_pcp_high_batch(128, 16);
  std::vector<Page*> v;
  while (Page* p = a.b.alloc_pages(0)) v.push_back(p);
  ASSERT_EQ(v.size(), 64u);
  for (Page* p : v) ASSERT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  EXPECT_EQ(a.b.pcp_count(0), 64u);
  {
    AsCpu cpu3(3);  // CPU 3's list is empty, the buddy lists too; CPU 0 (not online) holds all
    Page* p = a.b.alloc_pages(0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(a.b.pcp_count(0), 0u);
    EXPECT_GT(a.b.pcp_count(3), 0u);  // refilled from what CPU 0's list gave back
    EXPECT_EQ(a.b.free_pages_total(), 63u);
    EXPECT_EQ(a.b.free_pages(p, 0), Errc::Ok);
    EXPECT_TRUE(a.b.check());
    a.b.drain_all_pages();
  }
  EXPECT_EQ(a.b.nr_pcp_pages(), 0u);
  EXPECT_EQ(a.b.nr_free(6), 1u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, EachCpuHasItsOwnList) {
  BuddyArena a(kBase, 4 * kBlock);
  a.b.free_range(kBase, kBase + 4 * kBlock);
  a.b.set_pcp_high_batch(64, 8);
  std::map<unsigned, std::vector<Page*>> held;
  for (unsigned cpu : {0u, 1u, 7u}) {
    AsCpu as(cpu);
    for (int i = 0; i < 5; ++i) held[cpu].push_back(a.b.alloc_pages(0));
    EXPECT_EQ(a.b.pcp_count(cpu), 3u);
  }
  EXPECT_EQ(a.b.nr_pcp_pages(), 9u);
  std::set<Page*> distinct;
  for (auto& [cpu, v] : held)
    for (Page* p : v) EXPECT_TRUE(distinct.insert(p).second);
  {
    AsCpu as(1);  // a page CPU 0 allocated, freed on CPU 1, parks on CPU 1's list
    EXPECT_EQ(a.b.free_pages(held[0].back(), 0), Errc::Ok);
    EXPECT_EQ(a.b.pcp_count(1), 4u);
    held[0].pop_back();
  }
  EXPECT_EQ(a.b.free_pages_total(), 4 * kBlock - 14);
  EXPECT_TRUE(a.b.check());
  a.b.drain_pages(7);
  EXPECT_EQ(a.b.pcp_count(7), 0u);
  for (auto& [cpu, v] : held)
    for (Page* p : v) ASSERT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  a.b.drain_all_pages();
  EXPECT_EQ(a.b.nr_pcp_pages(), 0u);
  EXPECT_EQ(a.b.nr_free(MAX_ORDER), 4u);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, APageOnAListCannotBeFreedAgain) {
  BuddyArena a(kBase, kBlock);
  a.b.free_range(kBase, kBase + kBlock);
  a.b.set_pcp_high_batch(16, 4);
  Page* p = a.b.alloc_pages(0);
  Page* q = a.b.alloc_pages(0);  // still on the list: never handed out
  ASSERT_TRUE(p && q);
  ASSERT_EQ(a.b.free_pages(q, 0), Errc::Ok);
  Page* parked = a.b.pfn_to_page(a.b.page_to_pfn(q) + 1);  // refilled with q, still parked
  const uint64_t count = a.b.pcp_count(0), total = a.b.free_pages_total();
  EXPECT_EQ(a.b.free_pages(q, 0), Errc::DoubleFree);
  EXPECT_EQ(a.b.free_pages(parked, 0), Errc::DoubleFree);
  EXPECT_EQ(a.b.free_pages(p, 1), Errc::WrongOrder);
  EXPECT_EQ(a.b.pcp_count(0), count);
  EXPECT_EQ(a.b.free_pages_total(), total);
  EXPECT_EQ(a.b.free_pages(p, 0), Errc::Ok);
  EXPECT_TRUE(a.b.check());
}

TEST_F(BuddyPcp, StatisticsCountTheParkedPages) {
  std::vector<Page> memmap(4 * kBlock, kPoisonPage);
  std::vector<uint8_t> state(BuddyAllocator::nr_blocks(kBase, 4 * kBlock));
  buddy.init(memmap.data(), kBase, 4 * kBlock, state.data());
  buddy.free_range(kBase, kBase + 4 * kBlock);
  buddy.set_pcp_high_batch(40, 10);
  Page* p = alloc_pages(0);  // a batch of 10: 9 parked
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(buddy.nr_pcp_pages(), 9u);
  EXPECT_EQ(buddy.free_pages_total(), 4 * kBlock - 1);
  const BuddyAllocator::Stats s = buddy.stats();
  EXPECT_EQ(s.pcp, 9u);
  EXPECT_EQ(s.free, 4 * kBlock - 1);
  EXPECT_EQ(s.managed, 4 * kBlock);
  log_buffer_reset();
  buddy_print_stats();
  const std::string log = kernel_log();
  // 4095 pages: 15 MiB at 4K, 63 MiB at 16K, 255 MiB at 64K (rounded down).
  EXPECT_THAT(log, HasLogLine(PAGE_SHIFT == 12   ? "buddy: 4095 pages free (15 MiB) of 4096 managed"
                              : PAGE_SHIFT == 14 ? "buddy: 4095 pages free (63 MiB) of 4096 managed"
                                                 : "buddy: 4095 pages free (255 MiB) of 4096 managed"));
  EXPECT_THAT(log, HasLogLine("buddy: free blocks per order: 0:0 1:1 2:1 3:0 4:1 5:1 6:1 7:1 8:1 9:1 10:3 pcp:9"));
  free_pages(p, 0);
  drain_all_pages();
  EXPECT_EQ(buddy.nr_pcp_pages(), 0u);
  EXPECT_EQ(buddy.nr_free(MAX_ORDER), 4u);
  buddy.init(nullptr, 0, 0, nullptr);
}

// The randomized sequence of test_buddy.cpp with the per-CPU list sized three ways, and the
// allocating CPU changing now and then: every page is counted, nothing overlaps, and after a
// drain everything coalesces back.
class BuddyPcpRandom : public ::testing::TestWithParam<std::pair<uint32_t, uint32_t>> {
 protected:
  void SetUp() override { log_buffer_reset(); }
  AsCpu cpu0_{0};
};

TEST_P(BuddyPcpRandom, NoOverlapNoLeakFullCoalesce) {
  constexpr uint64_t kPages = 16 * kBlock;
  BuddyArena a(kBase, kPages);
  a.b.free_range(kBase + 17, kBase + kPages - 100);
  a.b.set_pcp_high_batch(GetParam().first, GetParam().second);
  std::vector<uint64_t> initial(NR_ORDERS);
  for (unsigned o = 0; o < NR_ORDERS; ++o) initial[o] = a.b.nr_free(o);
  const uint64_t total = a.b.free_pages_total();
  std::mt19937_64 rng(GetParam().first * 31 + GetParam().second);
  std::map<uint64_t, unsigned> live;
  PageOwnership own(kBase, kPages);
  uint64_t allocated = 0;
  for (int step = 0; step < 100000; ++step) {
    if (step % 997 == 0) per_cpu_area[0].cpu = static_cast<uint32_t>(rng() % NR_CPUS);  // AsCpu restores
    if (live.empty() || rng() % 100 < 55) {
      const unsigned order = static_cast<unsigned>(rng() % 100 < 80 ? rng() % 3 : rng() % (MAX_ORDER + 1));
      Page* p = a.b.alloc_pages(order);
      if (!p) {
        ASSERT_LT(a.b.free_pages_total(), total);
        continue;
      }
      const uint64_t pfn = a.b.page_to_pfn(p);
      ASSERT_EQ(pfn & ((1ull << order) - 1), 0u);
      ASSERT_TRUE(own.claim(pfn, order));
      live[pfn] = order;
      allocated += 1ull << order;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      ASSERT_EQ(a.b.free_pages(a.page(it->first), it->second), Errc::Ok);
      own.release(it->first, it->second);
      allocated -= 1ull << it->second;
      live.erase(it);
    }
    ASSERT_EQ(a.b.free_pages_total() + allocated, total) << "leak at step " << step;
    if (step % 5000 == 0) {
      ASSERT_TRUE(a.b.check()) << "step " << step;
    }
  }
  for (auto& [pfn, order] : live) ASSERT_EQ(a.b.free_pages(a.page(pfn), order), Errc::Ok);
  EXPECT_EQ(a.b.free_pages_total(), total);
  a.b.drain_all_pages();
  EXPECT_EQ(a.b.nr_pcp_pages(), 0u);
  for (unsigned o = 0; o < NR_ORDERS; ++o) EXPECT_EQ(a.b.nr_free(o), initial[o]) << "order " << o;
  EXPECT_TRUE(a.b.check());
}

INSTANTIATE_TEST_SUITE_P(Sizes, BuddyPcpRandom,
                         ::testing::Values(std::make_pair(0u, 0u), std::make_pair(18u, 3u), std::make_pair(512u, 64u)),
                         [](const auto& info) {
                           return "high" + std::to_string(info.param.first) + "_batch" +
                                  std::to_string(info.param.second);
                         });

}  // namespace
}  // namespace kernel::test
