// paging_init's generic part on the simulated arena: the new swapper tables are built in memblock
// memory, every table edited only through FIX_PGD..FIX_PTE, and the result is checked by the
// software MMU walker page by page.
#include <cstdio>
#include <set>
#include <string>

#include "fixmap_fixture.h"
#include "mm/memblock.h"
#include "mm/paging.h"
#include "mm/pgtable_builder.h"

namespace kernel::test {
namespace {

// An expected log line with addresses and sizes that follow from the granule.
template <typename... Args>
std::string fmt(const char* f, Args... args) {
  char b[256];
  snprintf(b, sizeof b, f, args...);
  return b;
}

class PagingTest : public FixmapTest {
 protected:
  static constexpr uint64_t kImage = 0x40200000;  // aligned to every granule's page
  static constexpr uint64_t kTextPages = 0x40000 / PAGE_SIZE;
  // The linear map of the 64 MiB of RAM at 0x40000000: a level-2 block for every PMD_SIZE of it
  // but the one holding text+rodata (0x40200000, 384 KiB, mapped read-only in pages), which is
  // mapped in pages:
  //   4K:  2 MiB blocks:   31, the 2 MiB at 0x40200000 in 512 pages;
  //   16K: 32 MiB blocks:  1 (0x42000000), the 32 MiB at 0x40000000 in 2048 pages;
  //   64K: a 512 MiB block is larger than all of RAM: none, 1024 pages.
  static constexpr uint64_t kLinearBlocks = PAGE_SHIFT == 12 ? 31 : PAGE_SHIFT == 14 ? 1 : 0;
  static constexpr uint64_t kLinearPages = PAGE_SHIFT == 12 ? 512 : PAGE_SHIFT == 14 ? 2048 : 1024;
  static_assert(kLinearBlocks * PMD_SIZE + kLinearPages * PAGE_SIZE == kRamSize);
  // Is pa in the PMD_SIZE of RAM that the linear map holds in pages?
  static bool in_paged_chunk(uint64_t pa) { return pa / PMD_SIZE == kImage / PMD_SIZE; }
  void SetUp() override {
    FixmapTest::SetUp();
    memblock_reset();
    (void)memblock_add(PhysAddr(kRamBase), kRamSize, "arena");
    (void)memblock_reserve(PhysAddr(kRamBase + kRamSize - (1 << 20)), 1 << 20, "fixture tables");
    (void)memblock_reserve(PhysAddr(kImage), 0x100000, "kernel image");
    segs[0] = {"text", VirtAddr(KIMAGE_VADDR), PhysAddr(kImage), 0x40000, PAGE_KERNEL_ROX};
    segs[1] = {"rodata", VirtAddr(KIMAGE_VADDR + 0x40000), PhysAddr(kImage + 0x40000), 0x20000, PAGE_KERNEL_RO};
    segs[2] = {"data", VirtAddr(KIMAGE_VADDR + 0x60000), PhysAddr(kImage + 0x60000), 0xa0000, PAGE_KERNEL};
  }
  void TearDown() override {
    memblock_reset();
    FixmapTest::TearDown();
  }
  PhysAddr build(SwapperStats* st) {
    FixmapTableEnv env(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
    Result<PhysAddr> p = build_swapper(env, pgd, segs, 3, st);
    EXPECT_TRUE(p.ok()) << error_text(p.error());
    return p.value_or(PhysAddr());
  }
  KernelSegment segs[3];
};

TEST_F(PagingTest, EveryRamPageIsInTheLinearMapWithBlocks) {
  mmu.direct_table_access.clear();
  SwapperStats st;
  PhysAddr np = build(&st);
  ASSERT_FALSE(np.is_null());
  // 64 MiB at a 1 GiB-aligned base; the PMD_SIZE holding text+rodata (384 KiB) is split into pages.
  EXPECT_EQ(st.linear.pud_blocks, 0u);
  EXPECT_EQ(st.linear.pmd_blocks, kLinearBlocks);
  EXPECT_EQ(st.linear.ptes, kLinearPages);
  EXPECT_EQ(st.linear_ro_pages, 0x60000u / PAGE_SIZE);
  EXPECT_EQ(st.image.ptes, 0x100000u / PAGE_SIZE);
  for (uint64_t pa = kRamBase; pa < kRamBase + kRamSize; pa += PAGE_SIZE) {
    WalkResult w = walk_ttbr1(mmu, np, VirtAddr(linear_va(pa) + 0x8));
    ASSERT_TRUE(w.ok) << std::hex << pa;
    ASSERT_EQ(w.pa.value(), pa + 8);
    const bool ro_alias = pa >= kImage && pa < kImage + 0x60000;
    ASSERT_EQ(w.writable, !ro_alias) << std::hex << pa;
    ASSERT_FALSE(w.el1_exec);
    ASSERT_EQ(w.type, MemType::Normal);
    ASSERT_EQ(w.level, in_paged_chunk(pa) ? 3 : 2) << std::hex << pa;
    ASSERT_EQ(w.size, in_paged_chunk(pa) ? PAGE_SIZE : PMD_SIZE) << std::hex << pa;
  }
  EXPECT_FALSE(walk_ttbr1(mmu, np, VirtAddr(linear_va(kRamBase + kRamSize))).ok);
}

// rodata=full: the linear alias of text and rodata is read-only, so no PA is executable at one VA
// and writable at another; the alias check finds such a page when one is made.
TEST_F(PagingTest, LinearAliasOfTextIsReadOnlyAndTheCheckCatchesAWritableOne) {
  PhysAddr np = build(nullptr);
  for (uint64_t off = 0; off < 0x60000; off += PAGE_SIZE) {
    WalkResult w = walk_ttbr1(mmu, np, VirtAddr(linear_va(kImage + off)));
    ASSERT_TRUE(w.ok);
    ASSERT_FALSE(w.writable) << "linear alias of image offset 0x" << std::hex << off << " is writable";
  }
  // Data right after rodata stays writable through its alias.
  EXPECT_TRUE(walk_ttbr1(mmu, np, VirtAddr(linear_va(kImage + 0x60000))).writable);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 0u) << kernel_log();
  // 4K: 64 pages, 16K: 16, 64K: 4 (256 KiB of text).
  EXPECT_THAT(kernel_log(), HasLogLine(fmt("no writable alias of the %lu executable pages", kTextPages)));

  // A writable mapping of one text page elsewhere (what the old linear map was) is an alias.
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  const uint64_t text_pa = kImage + 3 * PAGE_SIZE;  // 4K: 0x40203000
  ASSERT_EQ(map_range(lin, np, VirtAddr(0xffff'8001'0000'0000ull), PhysAddr(text_pa), PAGE_SIZE, PAGE_KERNEL, false),
            Errc::Ok);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 1u);
  // 4K: "pa 0x0000000040203000-0x0000000040203fff is executable at 0xffff800080003000 and writable
  // at 0xffff800100000000".
  EXPECT_THAT(kernel_log(), HasLogLine(fmt("mm: W+X alias: pa 0x%016lx-0x%016lx is executable at 0x%016lx and "
                                           "writable at 0xffff800100000000",
                                           text_pa, text_pa + PAGE_SIZE - 1, KIMAGE_VADDR + 3 * PAGE_SIZE)));
  EXPECT_THAT(kernel_log(),
              HasLogLine("mm: Checked W+X mappings: FAILED, 0 W+X pages found, 1 executable pages writable "
                         "through an alias"));
}

// A whole-RAM block that covers the image (the old linear map) is caught as an alias too: one
// level-1 entry's span mapped writable with blocks. At 4K that is one level-1 block (1 GiB at PA
// 0x40000000, VA 0xffff800140000000); 16K and 64K have no level-1 block (Arm ARM D8.3.1, without
// FEAT_LPA2/FEAT_LPA), so the same span (64 GiB, 4 TiB, from PA 0) must be mapped with level-2
// blocks (32 MiB, 512 MiB), and the alias found in one of them.
TEST_F(PagingTest, ABlockAliasOverTextIsCaught) {
  segs[0].prot = PAGE_KERNEL_ROX;
  PhysAddr np = build(nullptr);
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  const uint64_t blk_pa = kRamBase & ~(PUD_SIZE - 1);
  const uint64_t blk_va = (0xffff'8001'4000'0000ull + PUD_SIZE - 1) & ~(PUD_SIZE - 1);
  ASSERT_LE(blk_pa, kImage);
  ASSERT_GT(blk_pa + PUD_SIZE, kImage + 0x40000);
  MapStats st;
  ASSERT_EQ(map_range(lin, np, VirtAddr(blk_va), PhysAddr(blk_pa), PUD_SIZE, PAGE_KERNEL, true, &st), Errc::Ok);
  const uint64_t alias_va = blk_va + (kImage - blk_pa);  // 4K: 0xffff800140200000
  const WalkResult w = walk_ttbr1(mmu, np, VirtAddr(alias_va));
  ASSERT_TRUE(w.ok);
  EXPECT_TRUE(w.writable);
  if (PAGE_SHIFT == 12) {
    EXPECT_EQ(st.pud_blocks, 1u);
    EXPECT_EQ(st.pmd_blocks, 0u);
    EXPECT_EQ(w.level, 1);
    EXPECT_EQ(w.size, 1ull << 30);
  } else {
    EXPECT_EQ(st.pud_blocks, 0u) << kGranuleName << ": a level-1 block was written";
    EXPECT_EQ(st.pmd_blocks, PAGE_SHIFT == 14 ? 2048u : 8192u);  // 64 GiB / 32 MiB, 4 TiB / 512 MiB
    EXPECT_EQ(st.ptes, 0u);
    EXPECT_EQ(w.level, 2);
    EXPECT_EQ(w.size, PMD_SIZE);
  }
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), kTextPages);
  EXPECT_THAT(kernel_log(), HasLogLine(fmt("is executable at 0xffff800080000000 and writable at 0x%016lx", alias_va)));
}

// A writable and executable block is reported with all its pages (4K: 512, 16K: 2048, 64K: 8192);
// its output (PA 4 GiB, outside RAM) is mapped nowhere else, so there is no alias.
TEST_F(PagingTest, AWritableExecutableBlockIsCaughtWithAllItsPages) {
  PhysAddr np = build(nullptr);
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  const uint64_t va = 0xffff'8001'0000'0000ull;  // aligned to every granule's level-2 block
  MapStats st;
  ASSERT_EQ(map_range(lin, np, VirtAddr(va), PhysAddr(4ull << 30), PMD_SIZE, PAGE_KERNEL_EXEC, true, &st), Errc::Ok);
  EXPECT_EQ(st.pmd_blocks, 1u);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), PAGE_SHIFT == 12 ? 512u : PAGE_SHIFT == 14 ? 2048u : 8192u);
  EXPECT_THAT(kernel_log(),
              HasLogLine(fmt("mm: W+X mapping at 0x%016lx-0x%016lx (%lu KiB)", va, va + PMD_SIZE - 1, PMD_SIZE >> 10)));
  EXPECT_THAT(kernel_log(), HasLogLine(fmt("mm: Checked W+X mappings: FAILED, %lu W+X pages found, 0 executable "
                                           "pages writable through an alias",
                                           PMD_SIZE / PAGE_SIZE)));
}

// The linear map uses the largest block the granule has where the range is aligned to it and
// covers it: 4K a level-1 block (1 GiB), 16K level-2 blocks of 32 MiB, 64K of 512 MiB; never a
// level-1 block at 16K or 64K. RAM outside the arena (reserved, so that the tables still come
// from the arena) is enough: the walk never touches what the linear map maps.
//   high:      [4 GiB, 5 GiB): 4K 1 level-1 block; 16K 32 blocks; 64K 2 blocks
//   small:     [8 GiB, 8 GiB + PMD_SIZE / 2): aligned, too small for a block: pages
//   unaligned: [12 GiB + PAGE_SIZE, + 2 * PMD_SIZE): pages up to 12 GiB + PMD_SIZE, one block, one page
TEST_F(PagingTest, TheLinearMapUsesTheGranulesLargestBlocks) {
  struct Region {
    uint64_t base, size;
  } const high{4ull << 30, 1ull << 30}, small{8ull << 30, PMD_SIZE / 2},
      unaligned{(12ull << 30) + PAGE_SIZE, 2 * PMD_SIZE};
  for (const Region& r : {high, small, unaligned}) {
    ASSERT_TRUE(memblock_add(PhysAddr(r.base), r.size, "high RAM").ok());
    ASSERT_TRUE(memblock_reserve(PhysAddr(r.base), r.size, "not in the arena").ok());
  }
  SwapperStats st;
  PhysAddr np = build(&st);
  ASSERT_FALSE(np.is_null());
  // The arena's (kLinearBlocks, kLinearPages) plus the three regions':
  //   4K:  1 level-1 block; 31 + 0 + 1 = 32 level-2 blocks; 512 + 256 + 512 = 1280 pages
  //   16K: 0;               1 + 32 + 1 = 34;                2048 + 1024 + 2048 = 5120
  //   64K: 0;               0 + 2 + 1 = 3;                  1024 + 4096 + 8192 = 13312
  EXPECT_EQ(st.linear.pud_blocks, PAGE_SHIFT == 12 ? 1u : 0u);
  EXPECT_EQ(st.linear.pmd_blocks, PAGE_SHIFT == 12 ? 32u : PAGE_SHIFT == 14 ? 34u : 3u);
  EXPECT_EQ(st.linear.ptes, PAGE_SHIFT == 12 ? 1280u : PAGE_SHIFT == 14 ? 5120u : 13312u);
  const int top_level = PAGE_SHIFT == 12 ? 1 : 2;
  const uint64_t top_size = PAGE_SHIFT == 12 ? 1ull << 30 : PAGE_SHIFT == 14 ? 32ull << 20 : 512ull << 20;
  auto check = [&](uint64_t pa, int level, uint64_t size) {
    const WalkResult w = walk_ttbr1(mmu, np, VirtAddr(linear_va(pa) + 0x18));
    ASSERT_TRUE(w.ok) << std::hex << pa;
    EXPECT_EQ(w.pa.value(), pa + 0x18) << std::hex << pa;
    EXPECT_EQ(w.level, level) << std::hex << pa;
    EXPECT_EQ(w.size, size) << std::hex << pa;
    EXPECT_TRUE(w.writable);
    EXPECT_FALSE(w.el1_exec);
  };
  for (uint64_t off = 0; off < high.size; off += 8 << 20) check(high.base + off, top_level, top_size);
  for (uint64_t off = 0; off < small.size; off += PAGE_SIZE) check(small.base + off, 3, PAGE_SIZE);
  const uint64_t block = (12ull << 30) + PMD_SIZE;  // the one aligned PMD_SIZE inside `unaligned`
  for (uint64_t off = 0; off < unaligned.size; off += PAGE_SIZE) {
    const uint64_t pa = unaligned.base + off;
    const bool in_block = pa >= block && pa < block + PMD_SIZE;
    check(pa, in_block ? 2 : 3, in_block ? PMD_SIZE : PAGE_SIZE);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_FALSE(walk_ttbr1(mmu, np, VirtAddr(linear_va(high.base + high.size))).ok);
  EXPECT_FALSE(walk_ttbr1(mmu, np, VirtAddr(linear_va(unaligned.base - PAGE_SIZE))).ok);
  // The kernel's walker agrees, and the W+X check passes over all of it.
  DirectTableEnv env(mmu);
  const Translation k = translate(env, np, VirtAddr(linear_va(high.base)));
  ASSERT_TRUE(k.ok);
  EXPECT_EQ(static_cast<int>(k.level), top_level);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 0u) << kernel_log();
}

TEST_F(PagingTest, KernelImageKeepsPermissionsNothingWritableAndExecutable) {
  PhysAddr np = build(nullptr);
  for (const KernelSegment& s : segs) {
    for (uint64_t off = 0; off < s.size; off += PAGE_SIZE) {
      WalkResult w = walk_ttbr1(mmu, np, s.va.offset(off));
      ASSERT_TRUE(w.ok) << s.name;
      ASSERT_EQ(w.pa.value(), s.pa.value() + off);
      ASSERT_EQ(w.level, 3);
      ASSERT_EQ(w.writable, prot_writable(s.prot)) << s.name;
      ASSERT_EQ(w.el1_exec, prot_kernel_exec(s.prot)) << s.name;
    }
  }
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 0u);
  EXPECT_THAT(kernel_log(), HasLogLine("mm: Checked W+X mappings: passed, no W+X pages found"));
  // A writable+executable page is found and reported.
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  ASSERT_EQ(map_range(lin, np, VirtAddr(0xffff'8001'0000'0000ull), PhysAddr(kRamBase), 2 * PAGE_SIZE, PAGE_KERNEL_EXEC,
                      false),
            Errc::Ok);
  // 2 W+X pages, and the same 2 pages are writable through the linear map as well.
  EXPECT_EQ(check_wx_pages(mmu, np), 4u);
  // 4K: "0xffff800100000000-0xffff800100001fff (8 KiB)".
  EXPECT_THAT(kernel_log(), HasLogLine(fmt("mm: W+X mapping at 0xffff800100000000-0x%016lx (%lu KiB)",
                                           0xffff'8001'0000'0000ull + 2 * PAGE_SIZE - 1, 2 * PAGE_SIZE >> 10)));
  EXPECT_THAT(kernel_log(), HasLogLine("writable at 0xffff000040000000"));
}

TEST_F(PagingTest, TablesAreOnlyReachedThroughTheFixmapSlots) {
  std::set<uint64_t> before;
  for (unsigned i = 0; i < memblock.reserved.count(); ++i) before.insert(memblock.reserved[i].base.value());
  mmu.direct_table_access.clear();
  PhysAddr np = build(nullptr);
  // Every table page reached directly belongs to the old tables (the fixture's, reserved at the
  // top of the arena); the new ones (from memblock) were only touched through FIX_P*D mappings.
  for (uint64_t t : mmu.direct_table_access)
    EXPECT_GE(t, kRamBase + kRamSize - (1 << 20)) << std::hex << "direct access to new table 0x" << t;
  EXPECT_FALSE(mmu.direct_table_access.empty());  // the old PGD, for the fixmap entry
  for (unsigned idx : {unsigned{FIX_PGD}, unsigned{FIX_PUD}, unsigned{FIX_PMD}, unsigned{FIX_PTE}})
    EXPECT_FALSE(fm.is_live(idx));
  EXPECT_TRUE(bbm_violations(mmu).empty());
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(np.value())));
}

TEST_F(PagingTest, TheFixmapIsCarriedOver) {
  PhysAddr np = build(nullptr);
  ASSERT_EQ(fm.attach(np), Errc::Ok);
  mmu.ttbr1 = np;
  const uint64_t uart = 0xfe201000 & PAGE_MASK;  // the page of the UART (4K: 0xfe201000)
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(uart)), Errc::Ok);
  WalkResult w = walk_ttbr1(mmu, np, VirtAddr(__fix_to_virt(FIX_EARLYCON_MEM_BASE)));
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), uart);
  // The same bm tables serve both roots.
  EXPECT_TRUE(walk(__fix_to_virt(FIX_EARLYCON_MEM_BASE)).ok);
}

// build_swapper shares the old root's entry for the fixmap (bm tables and below) when that root
// entry holds nothing else: 4K entry 511 (the top 512 GiB), 64K entry 63 (the top 4 TiB; the root
// is the level-1 table). At 16K the root has two entries and entry 1 also holds the image, which
// the new tables map on their own: the old level-1 entry under it (bm_pmd) is shared instead. In
// every case the fixmap translates through the new root before any Fixmap::attach (the console
// stays mapped across the TTBR1 switch).
TEST_F(PagingTest, TheSwapperSharesTheFixmapsRootEntryWhereItHoldsNothingElse) {
  const Pte* old_root = mmu.table_ptr(pgd);
  const unsigned idx = table_index(FIXADDR_TOT_START, kStartLevel);
  EXPECT_EQ(idx, PAGE_SHIFT == 12 ? 511u : PAGE_SHIFT == 14 ? 1u : 63u);
  ASSERT_TRUE(old_root[idx].valid());
  PhysAddr np = build(nullptr);
  ASSERT_FALSE(np.is_null());
  const Pte* new_root = mmu.table_ptr(np);
  ASSERT_TRUE(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x0900'0000)).ok());
  const VirtAddr va(__fix_to_virt(FIX_EARLYCON_MEM_BASE));
  if (PAGE_SHIFT == 14) {
    EXPECT_NE(new_root[idx].raw, old_root[idx].raw) << "16K: the image's root entry was replaced by the fixmap's";
    // ... and under the new tables' own level-1 table, the old level-1 entry (bm_pmd), linked by
    // build_swapper itself: the fixmap is mapped before the TTBR1 switch, with no attach.
    const Pte* old_l1 = mmu.table_ptr(old_root[idx].output_address());
    const Pte* new_l1 = mmu.table_ptr(new_root[idx].output_address());
    ASSERT_TRUE(old_l1 && new_l1);
    const unsigned i1 = table_index(FIXADDR_TOT_START, 1);
    ASSERT_TRUE(old_l1[i1].valid());
    EXPECT_EQ(new_l1[i1].raw, old_l1[i1].raw) << "16K: the fixmap's level-1 entry is not the old one";
  } else {
    EXPECT_EQ(new_root[idx].raw, old_root[idx].raw) << "root entry " << idx << " is not the old one";
  }
  // Nothing is stored in the root page past the root table's entries (16K: 2, 64K: 64).
  for (unsigned i = kPtrsPerRoot; i < kPtrsPerTable; ++i) ASSERT_TRUE(new_root[i].none()) << "entry " << i;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind == MmuOp::SetPte && op.a >= np.value() && op.a < np.value() + PAGE_SIZE) {
      EXPECT_LT((op.a - np.value()) / sizeof(Pte), kPtrsPerRoot) << "a store past the root table's entries";
    }
  }
  const WalkResult w = walk_ttbr1(mmu, np, va);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), 0x0900'0000u);
  (void)clear_fixmap(FIX_EARLYCON_MEM_BASE);
}

TEST_F(PagingTest, OutOfMemoryIsReportedNotCrashed) {
  (void)memblock_reserve(PhysAddr(kRamBase), kRamSize, "everything");
  FixmapTableEnv env(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  Result<PhysAddr> r = build_swapper(env, pgd, segs, 3, nullptr);
  EXPECT_EQ(r, Errc::OutOfMemory);
  EXPECT_EQ(error_text(r.error()), "no memory for the swapper PGD");
}

}  // namespace
}  // namespace kernel::test

namespace kernel::test {
namespace {

// The kernel's one walker (mm/pgtable_walker.h) against the tests' oracle (sim_walk.h, written
// separately from the Arm ARM): every page of the linear map, the image and the fixmap, holes and
// addresses past the end translate the same way, level and permissions included.
TEST_F(PagingTest, TheCursorTranslatesLikeTheOracle) {
  PhysAddr np = build(nullptr);
  ASSERT_EQ(fm.attach(np), Errc::Ok);
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x0900'0000)), Errc::Ok);
  DirectTableEnv env(mmu);
  std::vector<uint64_t> vas;
  for (uint64_t off = 0; off < kRamSize + (4 << 20); off += 0x3000) vas.push_back(linear_va(kRamBase) + off);
  for (uint64_t off = 0; off < 0x110000; off += 0x1000) vas.push_back(KIMAGE_VADDR + off + 0x18);
  for (uint64_t va = FIXADDR_TOT_START; va < FIXADDR_TOP + 0x2000; va += PAGE_SIZE) vas.push_back(va);
  vas.push_back(0xffff'7fff'ffff'f000);  // top of the linear map region: empty at level 1
  unsigned ok = 0;
  for (uint64_t va : vas) {
    const WalkResult o = walk_ttbr1(mmu, np, VirtAddr(va));
    const Translation t = translate(env, np, VirtAddr(va));
    ASSERT_EQ(t.ok, o.ok) << std::hex << va;
    ASSERT_EQ(static_cast<int>(t.level), o.level) << std::hex << va;
    if (!o.ok) continue;
    ++ok;
    EXPECT_EQ(t.pa, o.pa) << std::hex << va;
    EXPECT_EQ(t.writable, o.writable) << std::hex << va;
    EXPECT_EQ(t.el1_exec, o.el1_exec) << std::hex << va;
    EXPECT_EQ(t.el0_access, o.el0_access) << std::hex << va;
    EXPECT_EQ(t.type, o.type) << std::hex << va;
    EXPECT_EQ(t.entry[t.level].raw, o.leaf.raw);
  }
  EXPECT_GT(ok, 5000u);
  (void)clear_fixmap(FIX_EARLYCON_MEM_BASE);
}

// for_each_leaf finds every leaf once, in address order, and skips holes a whole entry at a time.
TEST_F(PagingTest, LeafVisitCoversTheLinearMapAndImageExactlyOnce) {
  PhysAddr np = build(nullptr);
  DirectTableEnv env(mmu);
  uint64_t last = 0, linear = 0, image = 0, visits = 0;
  (void)for_each_leaf(env, np, 0xffff'0000'0000'0000ULL, ~0ULL, [&](uint64_t va, uint64_t size, Pte, unsigned level) {
    EXPECT_GE(va, last);
    EXPECT_EQ(size, level_span(level));
    last = va + size;
    ++visits;
    if (va >= linear_va(kRamBase) && va < linear_va(kRamBase + kRamSize)) linear += size;
    if (va >= KIMAGE_VADDR && va < KIMAGE_VADDR + 0x100000) image += size;
  });
  EXPECT_EQ(linear, kRamSize);
  EXPECT_EQ(image, 0x100000u);
  EXPECT_EQ(visits, kLinearBlocks + kLinearPages + 0x100000 / PAGE_SIZE);
}

}  // namespace
}  // namespace kernel::test
