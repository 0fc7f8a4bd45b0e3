// The page-table cursor and the builders at their edges (found by review): ranges that wrap or
// leave the kernel half, the last page of the address space, a table that cannot be reached, a
// conflict half-way through a range, the access flag, a Result built from an Ok Error.
#include <gtest/gtest.h>

#include "fixmap_fixture.h"
#include "mm/pgtable_builder.h"

namespace kernel::test {
namespace {

class WalkerEdges : public FixmapTest {
 protected:
  static SimArena* arena_;
  void SetUp() override {
    FixmapTest::SetUp();
    arena_ = &arena;
  }
  LinearTableEnv env() {
    return LinearTableEnv(mmu, []() -> Optional<PhysAddr> { return arena_->alloc_page(); });
  }
};
SimArena* WalkerEdges::arena_ = nullptr;

// The last page of the address space at the build's granule (4K: 0xfffffffffffff000).
constexpr uint64_t kTopPage = 0 - PAGE_SIZE;

TEST_F(WalkerEdges, RangesThatWrapOrLeaveTheKernelHalfAreRefused) {
  LinearTableEnv e = env();
  EXPECT_EQ(map_range(e, pgd, VirtAddr(kTopPage), PhysAddr(kRamBase), 2 * PAGE_SIZE, PAGE_KERNEL, false),
            Errc::WrapAround);
  EXPECT_EQ(map_range(e, pgd, VirtAddr(0x20'0000), PhysAddr(kRamBase), PAGE_SIZE, PAGE_KERNEL, false), Errc::Invalid);
  EXPECT_EQ(map_range(e, pgd, VirtAddr(0xffff'8001'0000'0000), PhysAddr(kRamBase), 0, PAGE_KERNEL, false),
            Errc::ZeroSize);
  EXPECT_EQ(unmap_range(e, pgd, VirtAddr(kTopPage), 2 * PAGE_SIZE), Errc::WrapAround);
  EXPECT_EQ(unmap_range(e, pgd, VirtAddr(0x20'0000), PAGE_SIZE), Errc::Invalid);
  // Nothing was mapped at the kernel-half alias of 0x200000 that a TTBR0 address would index.
  EXPECT_FALSE(walk(0xffff'0000'0020'0000).ok);
}

TEST_F(WalkerEdges, TheLastPageOfTheAddressSpaceMapsAndUnmapsWithItsOwnTlbi) {
  LinearTableEnv e = env();
  const uint64_t top = kTopPage;  // start + size is 0 here
  const uint64_t pa = kRamBase + 5 * PAGE_SIZE;
  ASSERT_EQ(map_range(e, pgd, VirtAddr(top), PhysAddr(pa), PAGE_SIZE, PAGE_KERNEL, false), Errc::Ok);
  WalkResult w = walk(top);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 3);
  EXPECT_EQ(w.pa.value(), pa);
  mmu.ops.clear();
  ASSERT_EQ(unmap_range(e, pgd, VirtAddr(top), PAGE_SIZE), Errc::Ok);
  EXPECT_FALSE(walk(top).ok);
  ASSERT_EQ(mmu.ops.back().kind, MmuOp::TlbiPage);
  EXPECT_EQ(mmu.ops.back().a, top);  // the page that was cleared, not a wrapped address
  EXPECT_EQ(mmu.ops.back().c, static_cast<uint64_t>(TlbLevel::L3));
  // Its operand, decoded as the Arm ARM defines it: VA[55:12] of the page (sign-extended back to
  // the top page) and TTL {the build's granule, level 3}.
  EXPECT_EQ(sim_tlbi_va(mmu.ops.back().b), top);
  EXPECT_EQ(sim_tlbi_ttl(mmu.ops.back().b), sim_ttl(kSimBuildGranule, 3));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(WalkerEdges, AnUnreachableTableIsSkippedCountedAndFailsTheWxCheck) {
  LinearTableEnv e = env();
  // Two pages under different level-1 entries: 4 GiB apart, or one level-1 entry (16K: 64 GiB,
  // 64K: 4 TiB) where that is more.
  const uint64_t a = 0xffff'8001'0000'0000, b = a + (PUD_SIZE > (4ull << 30) ? PUD_SIZE : 4ull << 30);
  ASSERT_NE(table_index(a, 1), table_index(b, 1));
  ASSERT_EQ(map_range(e, pgd, VirtAddr(a), PhysAddr(kRamBase), PAGE_SIZE, PAGE_KERNEL, false), Errc::Ok);
  ASSERT_EQ(map_range(e, pgd, VirtAddr(b), PhysAddr(kRamBase), PAGE_SIZE, PAGE_KERNEL, false), Errc::Ok);
  // Point a's level-1 entry at a table outside the arena: the walk cannot reach it. The level-1
  // table is under the root at 4K and 16K; at 64K the root is the level-1 table.
  Pte* pud = mmu.table_ptr(pgd);
  if (kStartLevel == 0) pud = mmu.table_ptr(pud[table_index(a, 0)].output_address());
  ASSERT_NE(pud, nullptr);
  pud[table_index(a, 1)] = Pte::make_table(PhysAddr(PAGE_SIZE));
  DirectTableEnv d(mmu);
  unsigned leaves = 0;
  const unsigned unreachable = for_each_leaf(d, pgd, 0xffff'0000'0000'0000ULL, ~0ULL,
                                             [&](uint64_t va, uint64_t, Pte, unsigned) { leaves += va == b; });
  EXPECT_EQ(unreachable, 1u);
  EXPECT_EQ(leaves, 1u) << "the walk goes on after the unreachable table";
  log_buffer_reset();
  EXPECT_NE(check_wx_pages(mmu, pgd), 0u);
  EXPECT_THAT(kernel_log(), HasLogLine("mm: W+X check: 1 page-table page(s) could not be reached"));
  EXPECT_THAT(kernel_log(), HasLogLine("mm: Checked W+X mappings: FAILED"));
}

TEST_F(WalkerEdges, AConflictHalfWayReportsHowMuchWasWritten) {
  LinearTableEnv e = env();
  const uint64_t va = 0xffff'8001'0000'0000;
  ASSERT_EQ(
      map_range(e, pgd, VirtAddr(va + 3 * PAGE_SIZE), PhysAddr(kRamBase + 0x100000), PAGE_SIZE, PAGE_KERNEL, false),
      Errc::Ok);
  MapStats st;
  EXPECT_EQ(map_range(e, pgd, VirtAddr(va), PhysAddr(kRamBase), 8 * PAGE_SIZE, PAGE_KERNEL, false, &st),
            Errc::Conflict);
  EXPECT_EQ(st.ptes, 3u) << "pages are written in order: three before the conflict, for the caller to undo";
  WalkResult w = walk(va + 3 * PAGE_SIZE);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), kRamBase + 0x100000) << "the entry that was there stays";
}

TEST_F(WalkerEdges, AnEntryWithoutTheAccessFlagIsAnAccessFlagFault) {
  LinearTableEnv e = env();
  const uint64_t va = 0xffff'8001'0000'0000;
  ASSERT_EQ(map_range(e, pgd, VirtAddr(va), PhysAddr(kRamBase), PAGE_SIZE, PgProt{PAGE_KERNEL.bits & ~Pte::kAf}, false),
            Errc::Ok);
  DirectTableEnv d(mmu);
  const Translation t = translate(d, pgd, VirtAddr(va));
  EXPECT_FALSE(t.ok);
  EXPECT_STREQ(t.fault, "access flag");
}

TEST(ResultFromOkError, IsAnErrorNotAValuelessSuccess) {
  Result<PhysAddr> r{Error()};
  EXPECT_EQ(r, Errc::Invalid);
  EXPECT_EQ(error_text(r.error()), "Result<T> built from an Ok Error (a bug)");
}

}  // namespace
}  // namespace kernel::test
