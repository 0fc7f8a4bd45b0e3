// The software walker is the oracle for every other host test, so it is checked first against
// hand-built tables whose meaning follows directly from the Arm ARM.
#include <gtest/gtest.h>

#include <cstring>

#include "sim_mmu.h"

namespace kernel::test {
namespace {

class WalkTest : public ::testing::Test {
 protected:
  WalkTest() : arena(0x40000000, 1 << 20), mmu(arena) {}
  void SetUp() override {
    pgd = arena.alloc_page();
    pud = arena.alloc_page();
    pmd = arena.alloc_page();
    pte = arena.alloc_page();
    t(pgd)[table_index(kVa, 0)] = Pte::make_table(pud);
    t(pud)[table_index(kVa, 1)] = Pte::make_table(pmd);
    t(pmd)[table_index(kVa, 2)] = Pte::make_table(pte);
  }
  Pte* t(PhysAddr p) { return mmu.table_ptr(p); }
  WalkResult walk(uint64_t va) { return walk_ttbr1(mmu, pgd, VirtAddr(va)); }

  static constexpr uint64_t kVa = 0xffff'8000'8000'0000ull;
  SimArena arena;
  RecordingMmuOps mmu;
  PhysAddr pgd, pud, pmd, pte;
};

TEST_F(WalkTest, PageDescriptorAtLevel3) {
  t(pte)[table_index(kVa, 3)] = pfn_pte(PhysAddr(0x12345000), PAGE_KERNEL_ROX);
  WalkResult w = walk(kVa + 0xabc);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 3);
  EXPECT_EQ(w.pa.value(), 0x12345abcu);
  EXPECT_FALSE(w.writable);
  EXPECT_TRUE(w.el1_exec);
  EXPECT_FALSE(w.el0_exec);
  EXPECT_EQ(w.type, MemType::Normal);
}

TEST_F(WalkTest, BlocksAtLevels1And2) {
  uint64_t va2 = kVa + PMD_SIZE;  // next 2 MiB
  t(pmd)[table_index(va2, 2)] = Pte{0x80200000 | (PAGE_KERNEL.bits & ~Pte::kTable)};
  WalkResult w = walk(va2 + 0x12345);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 2);
  EXPECT_EQ(w.pa.value(), 0x80212345u);
  uint64_t va1 = kVa + PUD_SIZE;
  t(pud)[table_index(va1, 1)] = Pte{0xc0000000 | (PAGE_KERNEL.bits & ~Pte::kTable)};
  w = walk(va1 + 0x3456789);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 1);
  EXPECT_EQ(w.pa.value(), 0xc3456789u);
}

TEST_F(WalkTest, FaultsAreReportedAtTheirLevel) {
  EXPECT_EQ(walk(kVa).level, 3);  // empty pte
  EXPECT_STREQ(walk(kVa).fault, "translation");
  EXPECT_EQ(walk(kVa + PGDIR_SIZE).level, 0);
  EXPECT_STREQ(walk(0x0000'0000'1234'5000ull).fault, "not a TTBR1 address");
  // A "block" pattern at level 3 is reserved: it does not translate.
  t(pte)[table_index(kVa, 3)] = Pte{0x12345000 | (PAGE_KERNEL.bits & ~Pte::kTable)};
  EXPECT_FALSE(walk(kVa).ok);
  // Access flag clear.
  t(pte)[table_index(kVa, 3)] = Pte{0x12345000 | (PAGE_KERNEL.bits & ~Pte::kAf)};
  EXPECT_STREQ(walk(kVa).fault, "access flag");
}

TEST_F(WalkTest, HierarchicalTableAttributesRestrict) {
  t(pte)[table_index(kVa, 3)] = pfn_pte(PhysAddr(0x12345000), PAGE_KERNEL_EXEC);
  WalkResult w = walk(kVa);
  ASSERT_TRUE(w.ok);
  EXPECT_TRUE(w.writable);
  EXPECT_FALSE(w.el1_exec);  // SCTLR.WXN: writable implies XN
  EXPECT_TRUE(walk_ttbr1(mmu, pgd, VirtAddr(kVa), false).el1_exec);
  // APTable[1] (bit 62) makes everything below read-only; PXNTable makes it non-executable.
  t(pmd)[table_index(kVa, 2)].raw |= (uint64_t{1} << 62) | Pte::kPxnTable;
  w = walk_ttbr1(mmu, pgd, VirtAddr(kVa), false);
  EXPECT_FALSE(w.writable);
  EXPECT_FALSE(w.el1_exec);
}

TEST_F(WalkTest, El0WritableIsNeverEl1Executable) {
  t(pte)[table_index(kVa, 3)] = Pte{0x12345000 | kProtNormal | Pte::kApEl0};
  WalkResult w = walk_ttbr1(mmu, pgd, VirtAddr(kVa), false);
  ASSERT_TRUE(w.ok);
  EXPECT_TRUE(w.el0_access);
  EXPECT_FALSE(w.el1_exec);
}

// The simulated TLB (sim_mmu.h) is the oracle for "no stale translation after a clear": it keeps
// what access() walked until a TLBI that a FEAT_TTL core would honour removes it.
TEST_F(WalkTest, TheTlbKeepsATranslationUntilAMatchingTlbiRemovesIt) {
  mmu.ttbr1 = pgd;
  Pte* e = &t(pte)[table_index(kVa, 3)];
  *e = pfn_pte(PhysAddr(0x40010000), PAGE_KERNEL);
  std::memcpy(arena.ptr(PhysAddr(0x40010000)), "old", 4);
  std::memcpy(arena.ptr(PhysAddr(0x40020000)), "new", 4);
  ASSERT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(kVa), 4)), "old");
  ASSERT_EQ(mmu.tlb().size(), 1u);
  // The table changes behind the TLB's back: the old translation is still used.
  *e = pfn_pte(PhysAddr(0x40020000), PAGE_KERNEL);
  EXPECT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(kVa), 4)), "old");
  // Operands that miss: another page, a TTL naming level 2, RES0 bits set.
  mmu.flush_tlb_kernel_page(VirtAddr(kVa + PAGE_SIZE), TlbLevel::L3);
  mmu.flush_tlb_kernel_page(VirtAddr(kVa), TlbLevel::L2);
  EXPECT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(kVa), 4)), "old");
  // The right one: VA[55:12] of this page, TTL {4 KiB, level 3}.
  mmu.flush_tlb_kernel_page(VirtAddr(kVa), TlbLevel::L3);
  EXPECT_TRUE(mmu.tlb().empty());
  EXPECT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(kVa), 4)), "new");
  // A run: every page of it goes; a TLBI VMALLE1IS (beyond kTlbiMaxPageOps pages) empties it.
  mmu.flush_tlb_kernel_range(VirtAddr(kVa - PAGE_SIZE), 2, TlbLevel::L3);
  EXPECT_TRUE(mmu.tlb().empty());
  ASSERT_NE(mmu.access(VirtAddr(kVa), 4), nullptr);
  mmu.flush_tlb_kernel_range(VirtAddr(kVa + PAGE_SIZE), kTlbiMaxPageOps + 1, TlbLevel::L3);
  EXPECT_TRUE(mmu.tlb().empty());
  EXPECT_EQ(mmu.ops.back().kind, MmuOp::TlbiAll);
}

TEST_F(WalkTest, TheTlbHoldsABlockForEveryAddressInIt) {
  mmu.ttbr1 = pgd;
  const uint64_t va2 = kVa + PMD_SIZE;
  t(pmd)[table_index(va2, 2)] = Pte{0x40000000 | (PAGE_KERNEL.bits & ~Pte::kTable)};
  ASSERT_NE(mmu.access(VirtAddr(va2 + 0x1000), 8), nullptr);
  ASSERT_EQ(mmu.tlb().size(), 1u);
  EXPECT_EQ(mmu.tlb()[0].size, PMD_SIZE);
  // A by-VA TLBI of any page inside the block, level hint 2 (or none), removes it; level 3 does not.
  mmu.flush_tlb_kernel_page(VirtAddr(va2 + 0x5000), TlbLevel::L3);
  EXPECT_EQ(mmu.tlb().size(), 1u);
  mmu.flush_tlb_kernel_page(VirtAddr(va2 + 0x5000), TlbLevel::L2);
  EXPECT_TRUE(mmu.tlb().empty());
}

}  // namespace
}  // namespace kernel::test
