// paging_init's generic part on the simulated arena: the new swapper tables are built in memblock
// memory, every table edited only through FIX_PGD..FIX_PTE, and the result is checked by the
// software MMU walker page by page.
#include <set>

#include "fixmap_fixture.h"
#include "mm/memblock.h"
#include "mm/paging.h"
#include "mm/pgtable_builder.h"

namespace kernel::test {
namespace {

class PagingTest : public FixmapTest {
 protected:
  static constexpr uint64_t kImage = 0x40200000;
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
  // 64 MiB at a 2 MiB-aligned base; the 2 MiB holding text+rodata (384 KiB) is split into pages.
  EXPECT_EQ(st.linear.pmd_blocks, kRamSize / PMD_SIZE - 1);
  EXPECT_EQ(st.linear.ptes, PMD_SIZE / PAGE_SIZE);
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
    ASSERT_EQ(w.level, pa >= kImage && pa < kImage + PMD_SIZE ? 3 : 2) << std::hex << pa;
  }
  EXPECT_FALSE(walk_ttbr1(mmu, np, VirtAddr(linear_va(kRamBase + kRamSize))).ok);
}

// rodata=full: the linear alias of text and rodata is read-only, so no PA is executable at one VA
// and writable at another; the alias check finds such a page when one is made.
TEST_F(PagingTest, LinearAliasOfTextIsReadOnlyAndTheAliasCheckCatchesAWritableOne) {
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
  EXPECT_THAT(kernel_log(), HasLogLine("no writable alias of the 64 executable pages"));

  // A writable mapping of one text page elsewhere (what the old linear map was) is an alias.
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  ASSERT_EQ(
      map_range(lin, np, VirtAddr(0xffff'8001'0000'0000ull), PhysAddr(kImage + 0x3000), PAGE_SIZE, PAGE_KERNEL, false),
      Errc::Ok);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 1u);
  EXPECT_THAT(kernel_log(), HasLogLine("mm: W+X alias: pa 0x0000000040203000-0x0000000040203fff is executable at "
                                       "0xffff800080003000 and writable at 0xffff800100000000"));
  EXPECT_THAT(kernel_log(),
              HasLogLine("mm: Checked W+X mappings: FAILED, 0 W+X pages found, 1 executable pages writable "
                         "through an alias"));
}

// A whole-RAM block that covers the image (the old linear map) is caught as an alias too.
TEST_F(PagingTest, ABlockAliasOverTextIsCaught) {
  segs[0].prot = PAGE_KERNEL_ROX;
  PhysAddr np = build(nullptr);
  LinearTableEnv lin(mmu, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  ASSERT_EQ(map_range(lin, np, VirtAddr(0xffff'8001'4000'0000ull), PhysAddr(kRamBase), PUD_SIZE, PAGE_KERNEL, true),
            Errc::Ok);
  log_buffer_reset();
  EXPECT_EQ(check_wx_pages(mmu, np), 0x40000u / PAGE_SIZE);
  EXPECT_THAT(kernel_log(), HasLogLine("is executable at 0xffff800080000000 and writable at 0xffff800140200000"));
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
  EXPECT_THAT(kernel_log(), HasLogLine("mm: W+X mapping at 0xffff800100000000-0xffff800100001fff (8 KiB)"));
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
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0xfe201000)), Errc::Ok);
  WalkResult w = walk_ttbr1(mmu, np, VirtAddr(__fix_to_virt(FIX_EARLYCON_MEM_BASE)));
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), 0xfe201000u);
  // The same bm tables serve both roots.
  EXPECT_TRUE(walk(__fix_to_virt(FIX_EARLYCON_MEM_BASE)).ok);
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
  EXPECT_EQ(visits, (kRamSize / PMD_SIZE - 1) + PMD_SIZE / PAGE_SIZE + 0x100000 / PAGE_SIZE);
}

}  // namespace
}  // namespace kernel::test
