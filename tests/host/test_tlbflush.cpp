// TLBI by-VA operands and the ordering of table publication: rules QEMU's TCG does not check
// (it ignores TTL and RES0 bits and has no weakly ordered walker), so the host checks them.
#include <gtest/gtest.h>

#include <ostream>

#include "asm/tlbflush.h"
#include "fixmap_fixture.h"
#include "mm/pgtable_builder.h"

namespace kernel::test {
namespace {

// TTL for a level-3 page of this granule, {TG, 0b11}, from the Arm ARM's TTL encoding (not from
// asm/tlbflush.h): 0b0111 at 4K, 0b1011 at 16K, 0b1111 at 64K.
constexpr unsigned kTtlL3 = PAGE_SHIFT == 12 ? 0b0111u : PAGE_SHIFT == 14 ? 0b1011u : 0b1111u;

struct OperandCase {
  const char* name;
  uint64_t va;
};
// gtest shows a case by its name and address (in failures and --gtest_list_tests), not as raw bytes.
void PrintTo(const OperandCase& c, std::ostream* os) {
  *os << c.name << " (va 0x" << std::hex << c.va << std::dec << ")";
}

class TlbiOperand : public ::testing::TestWithParam<OperandCase> {};

// Every by-VA operand: VA[55:12] in [43:0] at every granule, nothing in [63:48] (RES0 for
// VAALE1IS), and TTL only as the level hint {TG, level} when the CPU has FEAT_TTL, TG being the
// granule's code (Arm ARM, "TLBI VAALE1IS": 0b01 4K, 0b10 16K, 0b11 64K).
TEST_P(TlbiOperand, CarriesVa55To12AndNothingElse) {
  const VirtAddr va(GetParam().va);
  for (TlbLevel level : {TlbLevel::Unknown, TlbLevel::L1, TlbLevel::L2, TlbLevel::L3}) {
    const uint64_t no_ttl = tlbi_va_operand(va, level, false);
    EXPECT_EQ(no_ttl, (va.value() >> 12) & 0xfff'ffff'ffffULL);
    EXPECT_EQ(no_ttl >> 44, 0u) << "TTL and RES0 bits must be zero without FEAT_TTL";
    const uint64_t ttl = tlbi_va_operand(va, level, true);
    EXPECT_EQ(ttl >> 48, 0u) << "bits [63:48] are RES0";
    EXPECT_EQ(ttl & 0xfff'ffff'ffffULL, no_ttl);
    constexpr unsigned kTg = PAGE_SHIFT == 12 ? 0b01 : PAGE_SHIFT == 14 ? 0b10 : 0b11;
    // A level-1 hint only where level 1 holds blocks (4K): at 16K it is reserved, at 64K it needs
    // FEAT_LPA, so the operand carries no hint for it.
    const bool hint = level == TlbLevel::L2 || level == TlbLevel::L3 || (level == TlbLevel::L1 && PAGE_SHIFT == 12);
    const unsigned want = hint ? (kTg << 2 | static_cast<unsigned>(level)) : 0u;
    EXPECT_EQ(tlbi_operand_ttl(ttl), want);
    EXPECT_EQ(tlbi_operand_va(ttl), va.page_base()) << "the operand names the page it was built for";
  }
}

INSTANTIATE_TEST_SUITE_P(BothHalves, TlbiOperand,
                         ::testing::Values(OperandCase{"ttbr0_zero_page", 0x0}, OperandCase{"ttbr0_idmap", 0x4020'0000},
                                           OperandCase{"ttbr0_top", 0x0001'0000'0000'0000 - PAGE_SIZE},
                                           OperandCase{"linear_map", 0xffff'0000'4020'0000},
                                           OperandCase{"kernel_image", 0xffff'8000'8000'0000},
                                           OperandCase{"fixmap_fdt", fix_to_virt(FIX_FDT).value()},
                                           OperandCase{"fixmap_text_poke0", fix_to_virt(FIX_TEXT_POKE0).value()},
                                           OperandCase{"fixmap_pgd", fix_to_virt(FIX_PGD).value()},
                                           OperandCase{"top_page", 0 - PAGE_SIZE}),
                         [](const ::testing::TestParamInfo<OperandCase>& i) { return std::string(i.param.name); });

// The bug this replaces: `va >> 12` of a TTBR1 address sets TTL to 0b1111 and RES0 bits.
TEST(TlbiOperandEncoding, Ttbr1AddressShiftedNaivelyWouldSetTtlAndRes0) {
  const uint64_t va = fix_to_virt(FIX_TEXT_POKE0).value();
  EXPECT_EQ(((va >> 12) >> 44) & 0xf, 0xfu) << "what the old operand put in TTL";
  EXPECT_EQ(tlbi_operand_ttl(tlbi_va_operand(VirtAddr(va), TlbLevel::Unknown, true)), 0u);
  // VA[55:12] of FIX_TEXT_POKE0 (the 4K unit count whatever the granule), TTL = {TG, level 3}:
  // 0b0111 at 4K, 0b1011 at 16K, 0b1111 at 64K. Worked out by hand per granule.
  constexpr uint64_t kWithTtl = PAGE_SHIFT == 12   ? 0x0007'f'ffff'ffdd'fdULL
                                : PAGE_SHIFT == 14 ? 0x000b'f'ffff'ffdd'f4ULL
                                                   : 0x000f'f'ffff'ffdd'd0ULL;
  EXPECT_EQ(tlbi_va_operand(VirtAddr(va), TlbLevel::L3, true), kWithTtl);
  EXPECT_EQ(tlbi_va_operand(VirtAddr(va), TlbLevel::L3, false), kWithTtl & ~(uint64_t{0xf} << 44));
}

// Every invalidate the fixmap issues is for a level-3 page and is encoded for a FEAT_TTL core.
TEST_F(FixmapTest, EveryClearIssuesAMaskedLevel3Operand) {
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x0900'0000)), Errc::Ok);
  ASSERT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase)), Errc::Ok);
  mmu.ops.clear();
  ASSERT_EQ(clear_fixmap(FIX_EARLYCON_MEM_BASE), Errc::Ok);
  ASSERT_EQ(clear_fixmap(FIX_TEXT_POKE0), Errc::Ok);
  unsigned tlbis = 0;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind != MmuOp::TlbiPage) continue;
    ++tlbis;
    EXPECT_EQ(op.c, static_cast<uint64_t>(TlbLevel::L3));
    EXPECT_EQ(op.b >> 48, 0u);
    EXPECT_EQ(tlbi_operand_ttl(op.b), kTtlL3);
    EXPECT_EQ(tlbi_operand_va(op.b).value(), op.a);
  }
  EXPECT_EQ(tlbis, 2u);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// The BBM checker itself must reject an operand that a FEAT_TTL core would ignore.
TEST_F(FixmapTest, BbmCheckerRejectsAnUnmaskedOperand) {
  ASSERT_EQ(set_fixmap_io(FIX_EARLYCON_MEM_BASE, PhysAddr(0x0900'0000)), Errc::Ok);
  mmu.ops.clear();
  const uint64_t va = fix_to_virt(FIX_EARLYCON_MEM_BASE).value();
  const uint64_t entry = leaf_entry_pa(mmu, pgd, va);
  mmu.ops.push_back({MmuOp::SetPte, entry, 0, 1});
  mmu.ops.push_back({MmuOp::TlbiPage, va, va >> 12, 3});  // the old, unmasked operand
  EXPECT_FALSE(bbm_violations(mmu).empty());
}

// ---- Runs of pages: which TLBIs (asm/tlbflush.h: tlbi_kernel_range) --------------------------

struct IssuedTlbis {
  std::vector<uint64_t> pages;
  unsigned all = 0;
  void page(uint64_t op) { pages.push_back(op); }
  void all_() { ++all; }
};
struct Issuer {
  IssuedTlbis& t;
  void page(uint64_t op) { t.page(op); }
  void all() { t.all_(); }
};

// Up to kTlbiMaxPageOps pages: one TLBI VAALE1IS per page, each naming its own page with the
// level hint; beyond, or for a run that would wrap past the top of the address space, one TLBI
// VMALLE1IS; nothing for no pages.
TEST(TlbiRun, PerPageUpToTheLimitThenEverything) {
  const VirtAddr start = fix_to_virt(FIX_BTMAP_BEGIN);
  for (uint64_t pages : {uint64_t{1}, uint64_t{2}, uint64_t{64}, kTlbiMaxPageOps}) {
    IssuedTlbis t;
    tlbi_kernel_range(Issuer{t}, start, pages, TlbLevel::L3, true);
    ASSERT_EQ(t.pages.size(), pages);
    EXPECT_EQ(t.all, 0u);
    for (uint64_t i = 0; i < pages; ++i) {
      EXPECT_EQ(t.pages[i], tlbi_va_operand(start.offset(i * PAGE_SIZE), TlbLevel::L3, true)) << i;
      EXPECT_EQ(tlbi_operand_ttl(t.pages[i]), kTtlL3);
      EXPECT_EQ(t.pages[i] >> 48, 0u);
      // Consecutive pages' operands differ by the page size in 4 KiB units (1, 4, 16).
      if (i) {
        EXPECT_EQ(t.pages[i] - t.pages[i - 1], PAGE_SIZE >> 12);
      }
    }
  }
  for (bool ttl : {false, true}) {  // the last page of the address space: its operand, no carry
    IssuedTlbis t;
    tlbi_kernel_range(Issuer{t}, VirtAddr(0 - 2 * PAGE_SIZE), 2, TlbLevel::L3, ttl);
    ASSERT_EQ(t.pages.size(), 2u);
    EXPECT_EQ(tlbi_operand_va(t.pages[1]).value(), 0 - PAGE_SIZE);
    EXPECT_EQ(tlbi_operand_ttl(t.pages[1]), ttl ? kTtlL3 : 0u);
  }
  struct Case {
    VirtAddr start;
    uint64_t pages;
  };
  for (Case c : {Case{start, kTlbiMaxPageOps + 1}, Case{VirtAddr(0 - PAGE_SIZE), 2},
                 Case{VirtAddr(0xffff'8000'0000'0000), uint64_t{1} << 30}}) {
    IssuedTlbis t;
    tlbi_kernel_range(Issuer{t}, c.start, c.pages, TlbLevel::L3, true);
    EXPECT_TRUE(t.pages.empty());
    EXPECT_EQ(t.all, 1u);
  }
  IssuedTlbis none;
  tlbi_kernel_range(Issuer{none}, start, 0, TlbLevel::L3, true);
  EXPECT_TRUE(none.pages.empty());
  EXPECT_EQ(none.all, 0u);
}

// map_range stores the leaves alone and makes them visible with one dsb ishst; isb before it
// returns; unmap_range clears a table's pages, then invalidates them with one run per level-3
// table, before the cursor leaves the table. 3 MiB from 1 MiB below a level-2 boundary (2 MiB,
// 32 MiB or 512 MiB): two tables, two runs.
TEST(TlbiRun, MapAndUnmapRangeSyncAndInvalidatePerTable) {
  SimArena arena(0x4000'0000, 32ull << 20);
  RecordingMmuOps mmu(arena);
  PhysAddr pgd = arena.alloc_page();
  mmu.ttbr1 = pgd;
  static SimArena* g_arena;
  g_arena = &arena;
  LinearTableEnv env(mmu, []() -> Optional<PhysAddr> { return g_arena->alloc_page(); });
  const uint64_t va = 0xffff'8001'0000'0000 + PMD_SIZE - (1ull << 20), size = 3ull << 20, pages = size / PAGE_SIZE;
  ASSERT_EQ(map_range(env, pgd, VirtAddr(va), PhysAddr(0x4100'0000), size, PAGE_KERNEL, false), Errc::Ok);
  unsigned leaves = 0, syncs = 0;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind == MmuOp::SetPte && op.b != 0 && !op.synced) ++leaves;
    if (op.kind == MmuOp::SyncPtes) ++syncs;
  }
  EXPECT_EQ(leaves, pages);
  EXPECT_EQ(syncs, 1u);
  EXPECT_EQ(mmu.ops.back().kind, MmuOp::SyncPtes);
  for (uint64_t off = 0; off < size; off += 0x40000)
    EXPECT_NE(mmu.access(VirtAddr(va + off), 8), nullptr);  // fills the simulated TLB
  EXPECT_TRUE(bbm_violations(mmu).empty());

  mmu.ops.clear();
  mmu.range_flushes = 0;
  ASSERT_EQ(unmap_range(env, pgd, VirtAddr(va), size), Errc::Ok);
  EXPECT_EQ(mmu.range_flushes, 2u);
  // Each table's clears, then its TLBIs: 256 + 256, then 512 + 512 - 256... in address order.
  const uint64_t first_run = (PMD_SIZE - (va & (PMD_SIZE - 1))) / PAGE_SIZE;
  ASSERT_EQ(mmu.ops.size(), 2 * pages);
  for (uint64_t i = 0; i < 2 * pages; ++i) {
    const bool in_first = i < 2 * first_run;
    const uint64_t base = in_first ? 0 : 2 * first_run, n = in_first ? first_run : pages - first_run;
    const MmuOp& op = mmu.ops[i];
    if (i - base < n) {
      EXPECT_EQ(op.kind, MmuOp::SetPte) << i;
    } else {
      ASSERT_EQ(op.kind, MmuOp::TlbiPage) << i;
      const uint64_t page = (in_first ? 0 : first_run) + (i - base - n);
      EXPECT_EQ(op.a, va + page * PAGE_SIZE);
    }
  }
  EXPECT_TRUE(mmu.tlb().empty());
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// The FDT window is cleared in runs (at most 64 pages, never across a table), each with one
// flush. At 4K a 1 MiB blob is 256 pages from FIX_FDT, the last entry of one table
// (0x...fddff000), so: that page alone, then 64 + 64 + 64 + 63 in the next table; and the top
// page alone. At 16K it is 64 pages, at 64K 16, all in the one table that holds the fixmap: one
// run, and the top page alone.
TEST_F(FixmapTest, TheFdtWindowIsClearedInRuns) {
  const unsigned blob_pages = (1u << 20) / PAGE_SIZE;
  // The runs, worked out from the rule (a new run at a level-2 boundary or after 64 pages).
  unsigned expect_range_flushes = 0;
  for (unsigned i = 0, run = 0; i <= blob_pages; ++i) {
    const bool ends = i == blob_pages || run == 64 ||
                      (run && ((__fix_to_virt(FIX_FDT - i) ^ __fix_to_virt(FIX_FDT - i + 1)) >> PMD_SHIFT_ASM));
    if (ends) {
      expect_range_flushes += run > 1;
      run = 0;
    }
    ++run;
  }
  EXPECT_EQ(expect_range_flushes, PAGE_SHIFT == 12 ? 4u : 1u);
  for (unsigned i = 0; i < blob_pages; ++i)
    ASSERT_EQ(set_fixmap(FIX_FDT - i, PhysAddr(kRamBase + i * PAGE_SIZE)), Errc::Ok);
  ASSERT_EQ(set_fixmap(FIX_FDT_END, PhysAddr(kRamBase)), Errc::Ok);  // and the top page, alone
  mmu.ops.clear();
  mmu.range_flushes = 0;
  fixmap_unmap_fdt();
  unsigned clears = 0, tlbis = 0;
  for (const MmuOp& op : mmu.ops) (op.kind == MmuOp::SetPte ? clears : tlbis) += 1;
  EXPECT_EQ(clears, blob_pages + 1);
  EXPECT_EQ(tlbis, blob_pages + 1);
  EXPECT_EQ(mmu.range_flushes, expect_range_flushes);  // a lone page takes flush_tlb_kernel_page
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) EXPECT_FALSE(fm.is_live(idx));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// A new table page is zeroed, then a barrier, then the descriptor that links it in: never the
// descriptor first, never without the barrier (dmb ishst).
TEST(TablePublication, ZeroedTableIsOrderedBeforeItsDescriptor) {
  SimArena arena(0x4000'0000, 32ull << 20);
  RecordingMmuOps mmu(arena);
  PhysAddr pgd = arena.alloc_page();
  mmu.ttbr1 = pgd;
  static SimArena* g_arena;
  g_arena = &arena;
  LinearTableEnv env(mmu, []() -> Optional<PhysAddr> { return g_arena->alloc_page(); });
  ASSERT_EQ(
      map_range(env, pgd, VirtAddr(0xffff'8001'0000'0000), PhysAddr(0x4100'0000), 16 * PAGE_SIZE, PAGE_KERNEL, false),
      Errc::Ok);
  unsigned tables = 0;
  for (size_t i = 0; i < mmu.ops.size(); ++i) {
    const MmuOp& op = mmu.ops[i];
    if (op.kind != MmuOp::SetPte) continue;
    // Table descriptors point at one of the freshly allocated pages (alloc_page hands them out
    // downwards, right below the PGD); the leaves point at 0x41000000 and up.
    const Pte d{op.b};
    const uint64_t out = d.output_address().value();
    if (!d.is_table_or_page() || out >= pgd.value() || out < pgd.value() - 8 * PAGE_SIZE) continue;
    ++tables;
    ASSERT_GT(i, 0u);
    EXPECT_EQ(mmu.ops[i - 1].kind, MmuOp::PublishBarrier)
        << "table descriptor #" << tables << " not preceded by a barrier";
  }
  // One table per level below the root: PUD, PMD and PTE at 4K and 16K; PMD and PTE at 64K.
  EXPECT_EQ(tables, PAGE_SHIFT == 16 ? 2u : 3u);
}

}  // namespace
}  // namespace kernel::test
