// The software walker is the oracle for every other host test, so it is checked first against
// hand-built tables whose meaning follows directly from the Arm ARM, at the build's granule
// (asm/page_def.h: 4 KiB and 16 KiB walks start at level 0, 64 KiB walks at level 1).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "mm/pgtable_builder.h"
#include "sim_mmu.h"

namespace kernel::test {
namespace {

// Leaf output addresses and offsets inside the leaf, aligned to the granule's page and level-2
// block (4K: 4 KiB / 2 MiB, 16K: 16 KiB / 32 MiB, 64K: 64 KiB / 512 MiB). The offsets set bits
// above VA[11] where the page is larger, so the walk is seen to pass them through.
constexpr uint64_t kPagePa = PAGE_SHIFT == 12 ? 0x12345000 : PAGE_SHIFT == 14 ? 0x12344000 : 0x12340000;
constexpr uint64_t kPageOff = PAGE_SHIFT == 12 ? 0xabc : PAGE_SHIFT == 14 ? 0x2abc : 0xcabc;
constexpr uint64_t kBlockPa = PAGE_SHIFT == 12 ? 0x80200000 : PAGE_SHIFT == 14 ? 0x82000000 : 0xa0000000;
constexpr uint64_t kBlockOff = PAGE_SHIFT == 12 ? 0x12345 : PAGE_SHIFT == 14 ? 0x1234567 : 0x12345678;
static_assert(kPagePa % PAGE_SIZE == 0 && kPageOff < PAGE_SIZE && kBlockPa % PMD_SIZE == 0 && kBlockOff < PMD_SIZE);

constexpr Pte block_desc(uint64_t pa) { return Pte{pa | (PAGE_KERNEL.bits & ~Pte::kTable)}; }

class WalkTest : public ::testing::Test {
 protected:
  WalkTest() : arena(0x40000000, 1 << 20), mmu(arena) {}
  // The tables on the way to kVa, one per level from the granule's start level: at 64 KiB the
  // root IS the level-1 table (pgd == pud).
  void SetUp() override {
    pgd = arena.alloc_page();
    pud = kStartLevel == 1 ? pgd : arena.alloc_page();
    pmd = arena.alloc_page();
    pte = arena.alloc_page();
    if (kStartLevel == 0) t(pgd)[table_index(kVa, 0)] = Pte::make_table(pud);
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
  t(pte)[table_index(kVa, 3)] = pfn_pte(PhysAddr(kPagePa), PAGE_KERNEL_ROX);
  WalkResult w = walk(kVa + kPageOff);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 3);
  EXPECT_EQ(w.size, PAGE_SIZE);
  EXPECT_EQ(w.pa.value(), kPagePa + kPageOff);  // 4K: 0x12345abc
  EXPECT_FALSE(w.writable);
  EXPECT_TRUE(w.el1_exec);
  EXPECT_FALSE(w.el0_exec);
  EXPECT_EQ(w.type, MemType::Normal);
  EXPECT_FALSE(w.res0_address_bits);
}

// A level-2 block at every granule: 2 MiB, 32 MiB, 512 MiB.
TEST_F(WalkTest, BlockAtLevel2) {
  const uint64_t va2 = kVa + PMD_SIZE;  // the next level-2 entry, in the same level-2 table
  t(pmd)[table_index(va2, 2)] = block_desc(kBlockPa);
  WalkResult w = walk(va2 + kBlockOff);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.level, 2);
  EXPECT_EQ(w.size, PAGE_SHIFT == 12 ? 2ull << 20 : PAGE_SHIFT == 14 ? 32ull << 20 : 512ull << 20);
  EXPECT_EQ(w.pa.value(), kBlockPa + kBlockOff);  // 4K: 0x80212345
}

// A level-1 block is a 1 GiB block at 4 KiB. At 16 KiB (64 GiB) and 64 KiB (4 TiB) it would need
// FEAT_LPA2 / FEAT_LPA (Arm ARM D8.3.1): without them the same descriptor is a Translation fault
// at level 1, and the kernel's walker does not take it for a leaf either.
TEST_F(WalkTest, Level1BlockOnlyWhereTheGranuleHasOne) {
  const uint64_t va1 = kVa + PUD_SIZE;
  const uint64_t pa1 = PAGE_SHIFT == 12 ? 0xc0000000 : PUD_SIZE;  // aligned to the level-1 span
  const uint64_t off = PAGE_SHIFT == 12 ? 0x3456789 : 0x123456789;
  t(pud)[table_index(va1, 1)] = block_desc(pa1);
  WalkResult w = walk(va1 + off);
  DirectTableEnv env(mmu);
  const Translation k = translate(env, pgd, VirtAddr(va1 + off));
  EXPECT_EQ(w.level, 1);
  EXPECT_EQ(static_cast<int>(k.level), 1);
  if (PAGE_SHIFT == 12) {
    ASSERT_TRUE(w.ok);
    EXPECT_EQ(w.size, 1ull << 30);
    EXPECT_EQ(w.pa.value(), 0xc3456789u);
    ASSERT_TRUE(k.ok);
    EXPECT_EQ(k.pa.value(), 0xc3456789u);
  } else {
    EXPECT_FALSE(w.ok) << kGranuleName << ": a level-1 block descriptor translated";
    EXPECT_STREQ(w.fault, "translation");
    EXPECT_FALSE(k.ok) << kGranuleName << ": the kernel's walker took a level-1 block for a leaf";
    EXPECT_STREQ(k.fault, "translation");
  }
}

TEST_F(WalkTest, FaultsAreReportedAtTheirLevel) {
  EXPECT_EQ(walk(kVa).level, 3);  // empty pte
  EXPECT_STREQ(walk(kVa).fault, "translation");
  // Another entry of the root table, empty: a fault at the start level (4K: kVa + 512 GiB at
  // level 0; 16K: the other half of the two-entry root, VA[47] = 0; 64K: kVa + 4 TiB at level 1).
  EXPECT_EQ(walk(kVa ^ PGDIR_SIZE).level, static_cast<int>(kStartLevel));
  EXPECT_STREQ(walk(kVa ^ PGDIR_SIZE).fault, "translation");
  EXPECT_STREQ(walk(0x0000'0000'1234'5000ull).fault, "not a TTBR1 address");
  // A "block" pattern at level 3 is reserved: it does not translate.
  t(pte)[table_index(kVa, 3)] = block_desc(kPagePa);
  EXPECT_FALSE(walk(kVa).ok);
  // Access flag clear.
  t(pte)[table_index(kVa, 3)] = Pte{kPagePa | (PAGE_KERNEL.bits & ~Pte::kAf)};
  EXPECT_STREQ(walk(kVa).fault, "access flag");
}

TEST_F(WalkTest, HierarchicalTableAttributesRestrict) {
  t(pte)[table_index(kVa, 3)] = pfn_pte(PhysAddr(kPagePa), PAGE_KERNEL_EXEC);
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
  t(pte)[table_index(kVa, 3)] = Pte{kPagePa | kProtNormal | Pte::kApEl0};
  WalkResult w = walk_ttbr1(mmu, pgd, VirtAddr(kVa), false);
  ASSERT_TRUE(w.ok);
  EXPECT_TRUE(w.el0_access);
  EXPECT_FALSE(w.el1_exec);
}

// The indices of kVa = 0xffff800080000000 at each level, computed by hand from the Arm ARM's
// tables (D8.2) rather than with table_index(): the fixture's tables must sit exactly there, the
// walk must start at the granule's first level (64K: level 1, there is no level 0), and the
// kernel's translate() must report the same tables level by level.
//   4K:  L0 VA[47:39] = 0x100, L1 VA[38:30] = 2,  L2 VA[29:21] = 0,  L3 VA[20:12] = 0
//   16K: L0 VA[47]    = 1,     L1 VA[46:36] = 0,  L2 VA[35:25] = 64, L3 VA[24:14] = 0
//   64K:                       L1 VA[47:42] = 32, L2 VA[41:29] = 4,  L3 VA[28:16] = 0
TEST_F(WalkTest, TheWalkStartsAtTheGranulesFirstLevelWithHandComputedIndices) {
  constexpr int kIdx[3][4] = {{0x100, 2, 0, 0}, {1, 0, 64, 0}, {-1, 32, 4, 0}};
  const int* idx = kIdx[PAGE_SHIFT == 12 ? 0 : PAGE_SHIFT == 14 ? 1 : 2];
  EXPECT_EQ(kStartLevel, PAGE_SHIFT == 16 ? 1u : 0u);
  EXPECT_EQ(kPtrsPerRoot, PAGE_SHIFT == 12 ? 512u : PAGE_SHIFT == 14 ? 2u : 64u);
  for (unsigned l = kStartLevel; l < 4; ++l) EXPECT_EQ(static_cast<int>(table_index(kVa, l)), idx[l]) << "level " << l;
  t(pte)[idx[3]] = pfn_pte(PhysAddr(kPagePa), PAGE_KERNEL_RO);
  // The descriptors are where the hand-computed indices say.
  const PhysAddr tables[4] = {pgd, pud, pmd, pte};
  for (unsigned l = kStartLevel; l < 4; ++l) EXPECT_TRUE(t(tables[l])[idx[l]].valid()) << "level " << l;
  const WalkResult w = walk(kVa + kPageOff);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), kPagePa + kPageOff);
  DirectTableEnv env(mmu);
  const Translation k = translate(env, pgd, VirtAddr(kVa + kPageOff));
  ASSERT_TRUE(k.ok) << k.fault;
  EXPECT_EQ(k.level, 3u);
  EXPECT_EQ(k.levels, PAGE_SHIFT == 16 ? 3u : 4u);
  EXPECT_EQ(k.pa.value(), kPagePa + kPageOff);
  EXPECT_EQ(k.table[kStartLevel], pgd) << "the root table is at the start level";
  for (unsigned l = kStartLevel; l < 4; ++l) {
    EXPECT_EQ(k.table[l], tables[l]) << "level " << l;
    EXPECT_EQ(k.entry[l].raw, t(tables[l])[idx[l]].raw) << "level " << l;
  }
}

// 16 KiB: the level-0 table resolves VA[47] alone, so it has two entries: [0] the lower half of
// the TTBR1 range (the linear map, 0xffff0000...), [1] the upper half (image, vmalloc, fixmap).
// Two VAs that differ only in bit 47 share every lower index and must reach different pages; the
// rest of the root page (entries 2..2047) is never indexed.
TEST_F(WalkTest, The16KRootHasTwoEntriesPickedByVaBit47) {
  if (PAGE_SHIFT != 14) GTEST_SKIP() << "a two-entry root is the 16K granule's (this build: " << kGranuleName << ")";
  const uint64_t lo = kVa & ~(uint64_t{1} << 47);  // 0xffff000080000000
  ASSERT_EQ(lo, 0xffff'0000'8000'0000ull);
  for (unsigned l = 1; l < 4; ++l) ASSERT_EQ(table_index(lo, l), table_index(kVa, l));
  EXPECT_EQ(table_index(lo, 0), 0u);
  EXPECT_EQ(table_index(kVa, 0), 1u);
  // A second chain under root entry 0, to another page.
  const PhysAddr pud0 = arena.alloc_page(), pmd0 = arena.alloc_page(), pte0 = arena.alloc_page();
  t(pgd)[0] = Pte::make_table(pud0);
  t(pud0)[table_index(lo, 1)] = Pte::make_table(pmd0);
  t(pmd0)[table_index(lo, 2)] = Pte::make_table(pte0);
  t(pte0)[table_index(lo, 3)] = pfn_pte(PhysAddr(0x5554000), PAGE_KERNEL);
  t(pte)[table_index(kVa, 3)] = pfn_pte(PhysAddr(kPagePa), PAGE_KERNEL);
  // Descriptors past the two entries: garbage a walk that indexed too many bits would reach.
  t(pgd)[2] = Pte::make_table(pte0);
  t(pgd)[3] = block_desc(0);
  t(pgd)[kPtrsPerTable - 1] = Pte::make_table(pte);
  EXPECT_EQ(walk(lo + 0x10).pa.value(), 0x5554010u);
  EXPECT_EQ(walk(kVa + 0x10).pa.value(), kPagePa + 0x10);
  DirectTableEnv env(mmu);
  const Translation a = translate(env, pgd, VirtAddr(lo + 0x10)), b = translate(env, pgd, VirtAddr(kVa + 0x10));
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.pa.value(), 0x5554010u);
  EXPECT_EQ(b.pa.value(), kPagePa + 0x10);
  EXPECT_EQ(a.table[1], pud0);
  EXPECT_EQ(b.table[1], pud);
  // The leaf visit over the whole TTBR1 range sees exactly the two pages.
  std::vector<uint64_t> leaves;
  EXPECT_EQ(for_each_leaf(env, pgd, 0xffff'0000'0000'0000ULL, ~0ULL,
                          [&](uint64_t va, uint64_t size, Pte, unsigned level) {
                            EXPECT_EQ(level, 3u);
                            EXPECT_EQ(size, PAGE_SIZE);
                            leaves.push_back(va);
                          }),
            0u);
  EXPECT_EQ(leaves, (std::vector<uint64_t>{lo, kVa}));
}

// 64 KiB: the walk starts at level 1, whose table resolves VA[47:42] (64 entries of 4 TiB); the
// first and the last entries cover the bottom and the top of the TTBR1 range. A block descriptor
// in the root would be a 4 TiB block (FEAT_LPA only): a Translation fault at level 1.
TEST_F(WalkTest, The64KWalkStartsAtLevel1WithA64EntryRoot) {
  if (PAGE_SHIFT != 16) GTEST_SKIP() << "a level-1 root is the 64K granule's (this build: " << kGranuleName << ")";
  const uint64_t bottom = 0xffff'0000'0000'0000ull, top = 0xffff'ffff'ffff'0000ull;
  EXPECT_EQ(table_index(bottom, 1), 0u);
  EXPECT_EQ(table_index(top, 1), 63u);
  EXPECT_EQ(table_index(kVa, 1), 32u);
  // root[63] -> a level-2 table -> a level-3 table with the very last page.
  const PhysAddr pmd63 = arena.alloc_page(), pte63 = arena.alloc_page();
  t(pgd)[63] = Pte::make_table(pmd63);
  t(pmd63)[kPtrsPerTable - 1] = Pte::make_table(pte63);
  t(pte63)[kPtrsPerTable - 1] = pfn_pte(PhysAddr(kPagePa), PAGE_KERNEL_RO);
  const WalkResult w = walk(top + 0x1234);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), kPagePa + 0x1234);
  DirectTableEnv env(mmu);
  const Translation k = translate(env, pgd, VirtAddr(top + 0x1234));
  ASSERT_TRUE(k.ok);
  EXPECT_EQ(k.levels, 3u);
  EXPECT_EQ(k.table[1], pgd);
  EXPECT_EQ(k.table[2], pmd63);
  EXPECT_EQ(k.table[3], pte63);
  // A block in the root: not a leaf for the hardware, nor for the kernel.
  t(pgd)[0] = block_desc(0);
  EXPECT_FALSE(walk(bottom).ok);
  EXPECT_EQ(walk(bottom).level, 1);
  EXPECT_STREQ(walk(bottom).fault, "translation");
  EXPECT_FALSE(translate(env, pgd, VirtAddr(bottom)).ok);
  EXPECT_EQ(translate(env, pgd, VirtAddr(bottom)).levels, 1u);
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
  // The right one: VA[55:12] of this page, TTL {the build's granule, level 3}.
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
  // 0x40000000 is aligned to every granule's level-2 block (2 MiB, 32 MiB, 512 MiB).
  t(pmd)[table_index(va2, 2)] = block_desc(0x40000000);
  ASSERT_NE(mmu.access(VirtAddr(va2 + 0x1000), 8), nullptr);
  ASSERT_EQ(mmu.tlb().size(), 1u);
  EXPECT_EQ(mmu.tlb()[0].size, PMD_SIZE);
  // A by-VA TLBI of any page inside the block, level hint 2 (or none), removes it; level 3 does not.
  mmu.flush_tlb_kernel_page(VirtAddr(va2 + 5 * PAGE_SIZE), TlbLevel::L3);
  EXPECT_EQ(mmu.tlb().size(), 1u);
  mmu.flush_tlb_kernel_page(VirtAddr(va2 + 5 * PAGE_SIZE), TlbLevel::L2);
  EXPECT_TRUE(mmu.tlb().empty());
}

}  // namespace
}  // namespace kernel::test
