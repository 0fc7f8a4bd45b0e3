// The kernel's fixmap code on a simulated arena, checked by the software MMU walker.
#include <gtest/gtest.h>

#include "fixmap_fixture.h"

namespace kernel::test {
namespace {

TEST(FixmapLayout, IndicesFollowLinux) {
  EXPECT_EQ(FIX_HOLE, 0u);
  EXPECT_EQ(FIX_FDT - FIX_FDT_END + 1, (2u << 20) / PAGE_SIZE + 1);  // 2 MiB plus one page
  EXPECT_EQ(FIX_FDT - FIX_FDT_END + 1, PAGE_SHIFT == 12 ? 513u : PAGE_SHIFT == 14 ? 129u : 33u);
  EXPECT_EQ(FIX_EARLYCON_MEM_BASE, FIX_FDT + 1);
  EXPECT_EQ(FIX_TEXT_POKE0, FIX_EARLYCON_MEM_BASE + 1);
  EXPECT_EQ(__end_of_permanent_fixed_addresses, FIX_TEXT_POKE0 + 1);
  EXPECT_EQ(FIX_BTMAP_END, __end_of_permanent_fixed_addresses);
  EXPECT_EQ(FIX_BTMAP_BEGIN - FIX_BTMAP_END + 1, 7u * (256u << 10) / PAGE_SIZE);  // 7 slots of 256 KiB
  EXPECT_EQ(NR_FIX_BTMAPS, PAGE_SHIFT == 12 ? 64u : PAGE_SHIFT == 14 ? 16u : 4u);
  EXPECT_EQ(FIX_PTE, FIX_BTMAP_BEGIN + 1);
  EXPECT_EQ(FIX_PGD, FIX_PTE + 3);
  EXPECT_EQ(__end_of_fixed_addresses, FIX_PGD + 1);
}

TEST(FixmapLayout, AddressesGrowDownFromFixaddrTop) {
  constexpr VirtAddr fdt = fix_to_virt(FIX_FDT);
  constexpr VirtAddr fdt_end = fix_to_virt(FIX_FDT_END);
  static_assert(fdt.value() < fdt_end.value(), "FIX_FDT is the lowest address of the FDT window");
  EXPECT_EQ(fix_to_virt(FIX_FDT_END).value(), FIXADDR_TOP - PAGE_SIZE);
  EXPECT_EQ(FIXADDR_START, FIXADDR_TOP - uint64_t{__end_of_permanent_fixed_addresses} * PAGE_SIZE);
  EXPECT_EQ(FIXADDR_TOT_START, FIXADDR_TOP - uint64_t{__end_of_fixed_addresses} * PAGE_SIZE);
  EXPECT_EQ(fix_to_virt(FIX_PGD).value(), FIXADDR_TOT_START + PAGE_SIZE);
  // The documented values (README, docs/fixmap.md's table per granule), worked out by hand:
  // FIX_FDT = 1 + (2 MiB + 1 page) / page - 1, then one page each for the console and text
  // poking, 7 x 256 KiB of BTMAP, FIX_PTE..FIX_PGD.
  struct Documented {
    uint64_t fdt, earlycon, poke0, btmap_begin, tot_start;
  };
  constexpr Documented k4k{0xffff'ffff'fddf'f000, 0xffff'ffff'fddf'e000, 0xffff'ffff'fddf'd000, 0xffff'ffff'fdc3'd000,
                           0xffff'ffff'fdc3'8000};
  constexpr Documented k16k{0xffff'ffff'fddf'c000, 0xffff'ffff'fddf'8000, 0xffff'ffff'fddf'4000, 0xffff'ffff'fdc3'4000,
                            0xffff'ffff'fdc2'0000};
  constexpr Documented k64k{0xffff'ffff'fddf'0000, 0xffff'ffff'fdde'0000, 0xffff'ffff'fddd'0000, 0xffff'ffff'fdc1'0000,
                            0xffff'ffff'fdbc'0000};
  constexpr Documented d = PAGE_SHIFT == 12 ? k4k : PAGE_SHIFT == 14 ? k16k : k64k;
  EXPECT_EQ(FIXADDR_TOP, 0xffff'ffff'fe00'0000ull);
  EXPECT_EQ(fix_to_virt(FIX_FDT).value(), d.fdt);
  EXPECT_EQ(fix_to_virt(FIX_EARLYCON_MEM_BASE).value(), d.earlycon);
  EXPECT_EQ(fix_to_virt(FIX_TEXT_POKE0).value(), d.poke0);
  EXPECT_EQ(fix_to_virt(FIX_BTMAP_BEGIN).value(), d.btmap_begin);
  EXPECT_EQ(FIXADDR_TOT_START, d.tot_start);
}

TEST(FixmapLayout, VirtToFixRoundTripsAndRejectsOutside) {
  log_buffer_reset();
  for (unsigned idx = 1; idx < __end_of_fixed_addresses; ++idx) {
    unsigned back = 0;
    ASSERT_TRUE(virt_to_fix(VirtAddr(__fix_to_virt(idx) + 0x123), &back));
    EXPECT_EQ(back, idx);
    EXPECT_EQ(fix_to_virt_checked(idx).value(), __fix_to_virt(idx));
  }
  unsigned idx = 0;
  EXPECT_FALSE(virt_to_fix(VirtAddr(FIXADDR_TOP), &idx));
  EXPECT_FALSE(virt_to_fix(VirtAddr(FIXADDR_TOT_START - 1), &idx));
  EXPECT_TRUE(fix_to_virt_checked(FIX_HOLE).is_null());
  EXPECT_TRUE(fix_to_virt_checked(__end_of_fixed_addresses).is_null());
  std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("virt_to_fix: 0xfffffffffe000000 is outside the fixmap"));
  EXPECT_THAT(log, HasLogLine("fix_to_virt: index 0 is FIX_HOLE"));
}

TEST_F(FixmapTest, InitWiresStaticTablesIntoAnEmptyPgd) {
  // The root's entry leads to bm_pud (4K, 16K: the root is level 0) or straight to bm_pmd (64K:
  // the root is level 1 and bm_pud is not used).
  PhysAddr level1 = pgd;
  if (kStartLevel == 0) {
    Pte e0 = mmu.table_ptr(pgd)[table_index(FIXADDR_TOT_START, 0)];
    ASSERT_TRUE(e0.is_table_or_page());
    EXPECT_EQ(e0.output_address(), tables.pud);
    level1 = tables.pud;
  }
  Pte e1 = mmu.table_ptr(level1)[table_index(FIXADDR_TOT_START, 1)];
  ASSERT_TRUE(e1.is_table_or_page());
  EXPECT_EQ(e1.output_address(), tables.pmd);
  for (unsigned k = 0; k < fixmap_layout::nr_pte_tables; ++k) {
    Pte e2 = mmu.table_ptr(tables.pmd)[table_index(fixmap_layout::first_pmd + k * PMD_SIZE, 2)];
    EXPECT_EQ(e2.output_address(), tables.pte[k]) << k;
  }
  // Nothing is mapped yet.
  for (unsigned idx = 1; idx < __end_of_fixed_addresses; ++idx) EXPECT_FALSE(walk(__fix_to_virt(idx)).ok);
}

TEST_F(FixmapTest, InitReusesExistingUpperLevels) {
  // A second fixmap attached to the same PGD finds the tables already installed.
  Fixmap other(mmu);
  FixmapTables none{};
  ASSERT_EQ(other.init(pgd, none), Errc::Ok);
  ASSERT_EQ(other.set(FIX_TEXT_POKE0, PhysAddr(kRamBase), FIXMAP_PAGE_NORMAL), Errc::Ok);
  EXPECT_TRUE(fm.is_live(FIX_TEXT_POKE0));
}

TEST_F(FixmapTest, InitRejectsABlockWhereATableMustBe) {
  SimArena a2(0x80000000, 1 << 20);
  RecordingMmuOps m2(a2);
  PhysAddr g = a2.alloc_page();
  // The root level holds no block at any granule (level 0; level 1 at 64K without FEAT_LPA); put
  // a (reserved) block pattern there.
  m2.table_ptr(g)[table_index(FIXADDR_TOT_START, kStartLevel)] = Pte{0x40000001};
  Fixmap f2(m2);
  FixmapTables t{a2.alloc_page(), a2.alloc_page(), {}};
  for (auto& p : t.pte) p = a2.alloc_page();
  EXPECT_EQ(f2.init(g, t), Errc::TableMissing);
  EXPECT_FALSE(f2.initialised());
}

TEST_F(FixmapTest, EverySlotMapsAndUnmapsWithATlbInvalidate) {
  for (unsigned idx = 1; idx < __end_of_fixed_addresses; ++idx) {
    PhysAddr pa(kRamBase + uint64_t{idx} * PAGE_SIZE);
    ASSERT_EQ(set_fixmap(idx, pa), Errc::Ok) << idx;
    WalkResult w = walk(__fix_to_virt(idx) + 0x10);
    ASSERT_TRUE(w.ok) << idx;
    EXPECT_EQ(w.pa.value(), pa.value() + 0x10);
    EXPECT_EQ(w.level, 3);
    EXPECT_TRUE(w.writable);
    EXPECT_FALSE(w.el1_exec);
    EXPECT_FALSE(w.el0_access);
    EXPECT_EQ(w.type, MemType::Normal);
  }
  size_t before = mmu.ops.size();
  for (unsigned idx = 1; idx < __end_of_fixed_addresses; ++idx) {
    ASSERT_EQ(clear_fixmap(idx), Errc::Ok);
    EXPECT_FALSE(walk(__fix_to_virt(idx)).ok);
    // The clear is a store of 0 followed at once by the invalidate of exactly this page. The
    // store needs no barrier of its own: the flush starts with the dsb ishst that orders it
    // before the TLBI (break-before-make).
    ASSERT_GE(mmu.ops.size(), 2u);
    const MmuOp& st = mmu.ops[mmu.ops.size() - 2];
    const MmuOp& inv = mmu.ops.back();
    EXPECT_EQ(st.kind, MmuOp::SetPte);
    EXPECT_EQ(st.b, 0u);
    EXPECT_FALSE(st.synced);
    EXPECT_EQ(inv.kind, MmuOp::TlbiPage);
    EXPECT_EQ(inv.a, __fix_to_virt(idx));
  }
  EXPECT_EQ(mmu.ops.size() - before, 2u * (__end_of_fixed_addresses - 1));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(FixmapTest, SettingAnInvalidEntryNeedsNoInvalidate) {
  mmu.ops.clear();
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x09000000)), Errc::Ok);
  ASSERT_EQ(mmu.ops.size(), 1u);
  EXPECT_EQ(mmu.ops[0].kind, MmuOp::SetPte);
  EXPECT_TRUE(mmu.ops[0].synced) << "set_pte: the store, then dsb ishst; isb before the slot is used";
}

// set_fixmap/clear_fixmap are inline at the call site; a failure still names its caller: two
// call sites, two different addresses (not one inside the fixmap's own out-of-line code).
[[gnu::noinline]] Status clear_from_a() { return clear_fixmap(FIX_TEXT_POKE0); }
[[gnu::noinline]] Status clear_from_b() { return clear_fixmap(FIX_EARLYCON_MEM_BASE); }

TEST_F(FixmapTest, AnInlineFailureReportsItsCallSite) {
  std::string callers[2];
  for (int i = 0; i < 2; ++i) {
    log_buffer_reset();
    ASSERT_EQ(i ? clear_from_b() : clear_from_a(), Errc::NotMapped);
    const std::string log = kernel_log();
    const size_t at = log.find("(caller 0x");
    ASSERT_NE(at, std::string::npos);
    callers[i] = log.substr(at, log.find(')', at) - at);
  }
  EXPECT_NE(callers[0], callers[1]);
}

TEST_F(FixmapTest, ProtectionsAreWhatTheWalkerSees) {
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x09000000)), Errc::Ok);
  WalkResult io = walk(__fix_to_virt(FIX_EARLYCON_MEM_BASE));
  ASSERT_TRUE(io.ok);
  EXPECT_EQ(io.type, MemType::DeviceNGnRE);
  EXPECT_FALSE(io.el1_exec);
  EXPECT_FALSE(io.el0_exec);
  EXPECT_TRUE(io.writable);
  ASSERT_EQ(__set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase), FIXMAP_PAGE_RO), Errc::Ok);
  WalkResult ro = walk(__fix_to_virt(FIX_TEXT_POKE0));
  ASSERT_TRUE(ro.ok);
  EXPECT_FALSE(ro.writable);
  EXPECT_FALSE(ro.el1_exec);
}

TEST_F(FixmapTest, SetFixmapOffsetKeepsTheInPageOffset) {
  VirtAddr va = set_fixmap_offset_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0xfe201000 + 0x18));
  // The offset inside the granule's page: 0x18 at 4K, 0x1018 at 16K and 64K.
  EXPECT_EQ(va.value(), __fix_to_virt(FIX_EARLYCON_MEM_BASE) + (PAGE_SHIFT == 12 ? 0x18 : 0x1018));
  EXPECT_EQ(walk(va.value()).pa.value(), 0xfe201018u);
}

TEST_F(FixmapTest, RemappingALiveSlotIsRefusedAndReported) {
  ASSERT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase)), Errc::Ok);
  EXPECT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase)), Errc::Ok);  // identical: fine
  EXPECT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase + PAGE_SIZE)), Errc::SlotLive);
  EXPECT_EQ(walk(__fix_to_virt(FIX_TEXT_POKE0)).pa.value(), kRamBase);  // unchanged
  std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine(strfmt("fixmap: refusing set_fixmap of FIX_TEXT_POKE0 (index %u) to pa=0x%lx: slot is "
                                     "live with pa=0x40000000; clear_fixmap() it first (break-before-make)",
                                     unsigned{FIX_TEXT_POKE0}, kRamBase + PAGE_SIZE)));
  if (PAGE_SHIFT == 12) {  // the line as the 4K docs show it
    EXPECT_THAT(log, HasLogLine("fixmap: refusing set_fixmap of FIX_TEXT_POKE0 (index 515) to pa=0x40001000: slot is "
                                "live with pa=0x40000000; clear_fixmap() it first (break-before-make)"));
  }
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(FixmapTest, MisuseIsReportedWithTheCaller) {
  EXPECT_EQ(set_fixmap(FIX_HOLE, PhysAddr(kRamBase)), Errc::BadIndex);
  EXPECT_EQ(set_fixmap(__end_of_fixed_addresses, PhysAddr(kRamBase)), Errc::BadIndex);
  EXPECT_EQ(set_fixmap(100000, PhysAddr(kRamBase)), Errc::BadIndex);
  EXPECT_EQ(clear_fixmap(FIX_TEXT_POKE0), Errc::NotMapped);
  EXPECT_TRUE(set_fixmap_offset(FIX_HOLE, PhysAddr(kRamBase)).is_null());
  std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("fixmap: set_fixmap of index 0 (FIX_HOLE) failed: index is FIX_HOLE or beyond "
                              "__end_of_fixed_addresses (caller 0x"));
  EXPECT_THAT(log, HasLogLine(strfmt("fixmap: clear_fixmap of FIX_TEXT_POKE0 (index %u): slot is not mapped",
                                     unsigned{FIX_TEXT_POKE0})));
  // Nothing was written for the bad indices.
  for (const MmuOp& op : mmu.ops) EXPECT_TRUE(op.kind == MmuOp::TlbiPage || op.b == 0 || op.a != 0);
}

TEST(FixmapUninitialised, ReportsUseBeforeInit) {
  log_buffer_reset();
  fixmap_install(nullptr);
  EXPECT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(0x40000000)), Errc::NotInitialised);
  EXPECT_THAT(kernel_log(), HasLogLine("the fixmap is not initialised yet (early_fixmap_init)"));
  SimArena a(0x40000000, 1 << 20);
  RecordingMmuOps m(a);
  Fixmap f(m);
  EXPECT_EQ(f.set(FIX_TEXT_POKE0, PhysAddr(0x40000000), FIXMAP_PAGE_NORMAL), Errc::NotInitialised);
  EXPECT_TRUE(m.ops.empty());
}

TEST_F(FixmapTest, ScopedFixmapClearsAndInvalidates) {
  {
    ScopedFixmap m(FIX_TEXT_POKE0, PhysAddr(kRamBase + 2 * PAGE_SIZE + 4), FIXMAP_PAGE_NORMAL);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m.va().value(), __fix_to_virt(FIX_TEXT_POKE0) + 4);
    EXPECT_TRUE(walk(m.va().value()).ok);
  }
  EXPECT_FALSE(walk(__fix_to_virt(FIX_TEXT_POKE0)).ok);
  ASSERT_FALSE(mmu.ops.empty());
  EXPECT_EQ(mmu.ops.back().kind, MmuOp::TlbiPage);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(FixmapTest, DumpListsLiveSlotsAndCatchesDisagreement) {
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x09000000)), Errc::Ok);
  ASSERT_EQ(set_fixmap(FIX_BTMAP_BEGIN - NR_FIX_BTMAPS, PhysAddr(kRamBase)), Errc::Ok);  // slot 1, page 0
  static FixmapTest* self;
  self = this;
  auto translate = [](VirtAddr va, PhysAddr* pa) {
    WalkResult w = self->walk(va.value());
    *pa = w.pa;
    return w.ok;
  };
  log_buffer_reset();
  EXPECT_EQ(fixmap_dump(translate), 0u);
  std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine(strfmt("fixmap: FIX_EARLYCON_MEM_BASE  va=0x%016lx pa=0x0000000009000000    1 page  RW "
                                     "NX Device-nGnRE (MMU-checked)",
                                     __fix_to_virt(FIX_EARLYCON_MEM_BASE))));
  EXPECT_THAT(log, HasLogLine(strfmt("fixmap: 0x%016lx-0xfffffffffe000000: %u x %s pages, %u permanent; live slots:",
                                     FIXADDR_TOT_START, unsigned{__end_of_fixed_addresses}, kGranuleName,
                                     unsigned{__end_of_permanent_fixed_addresses})));
  EXPECT_THAT(log, HasLogLine("fixmap: FIX_BTMAP slot 1       va="));
  EXPECT_THAT(log, Not(HasLogLine("FIX_FDT ")));  // not live, not listed
  // An MMU that disagrees with the descriptors is caught.
  auto liar = [](VirtAddr va, PhysAddr* pa) {
    *pa = PhysAddr(va.value() & 0xfff);
    return true;
  };
  EXPECT_EQ(fixmap_dump(liar), 2u);
  EXPECT_THAT(kernel_log(), HasLogLine("MISMATCH"));
}

}  // namespace
}  // namespace kernel::test
