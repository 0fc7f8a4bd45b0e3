// TLBI by-VA operands and the ordering of table publication: rules QEMU's TCG does not check
// (it ignores TTL and RES0 bits and has no weakly ordered walker), so the host checks them.
#include <gtest/gtest.h>

#include <ostream>

#include "asm/tlbflush.h"
#include "fixmap_fixture.h"
#include "mm/pgtable_builder.h"

namespace kernel::test {
namespace {

struct OperandCase {
  const char* name;
  uint64_t va;
};
// gtest shows a case by its name and address (in failures and --gtest_list_tests), not as raw bytes.
void PrintTo(const OperandCase& c, std::ostream* os) {
  *os << c.name << " (va 0x" << std::hex << c.va << std::dec << ")";
}

class TlbiOperand : public ::testing::TestWithParam<OperandCase> {};

// Every by-VA operand: VA[55:12] in [43:0], nothing in [63:48] (RES0 for VAALE1IS), and TTL only
// as the 4 KiB-granule level hint {0b01, level} when the CPU has FEAT_TTL.
TEST_P(TlbiOperand, CarriesVa55To12AndNothingElse) {
  const VirtAddr va(GetParam().va);
  for (TlbLevel level : {TlbLevel::Unknown, TlbLevel::L1, TlbLevel::L2, TlbLevel::L3}) {
    const uint64_t no_ttl = tlbi_va_operand(va, level, false);
    EXPECT_EQ(no_ttl, (va.value() >> 12) & 0xfff'ffff'ffffULL);
    EXPECT_EQ(no_ttl >> 44, 0u) << "TTL and RES0 bits must be zero without FEAT_TTL";
    const uint64_t ttl = tlbi_va_operand(va, level, true);
    EXPECT_EQ(ttl >> 48, 0u) << "bits [63:48] are RES0";
    EXPECT_EQ(ttl & 0xfff'ffff'ffffULL, no_ttl);
    const unsigned want = level == TlbLevel::Unknown ? 0u : (0b0100u | static_cast<unsigned>(level));
    EXPECT_EQ(tlbi_operand_ttl(ttl), want);
    EXPECT_EQ(tlbi_operand_va(ttl), va.page_base()) << "the operand names the page it was built for";
  }
}

INSTANTIATE_TEST_SUITE_P(AddressesOfBothHalves, TlbiOperand,
                         ::testing::Values(OperandCase{"ttbr0_zero_page", 0x0}, OperandCase{"ttbr0_idmap", 0x4020'0000},
                                           OperandCase{"ttbr0_top", 0x0000'ffff'ffff'f000},
                                           OperandCase{"linear_map", 0xffff'0000'4020'0000},
                                           OperandCase{"kernel_image", 0xffff'8000'8000'0000},
                                           OperandCase{"fixmap_fdt", fix_to_virt(FIX_FDT).value()},
                                           OperandCase{"fixmap_text_poke0", fix_to_virt(FIX_TEXT_POKE0).value()},
                                           OperandCase{"fixmap_pgd", fix_to_virt(FIX_PGD).value()},
                                           OperandCase{"top_page", 0xffff'ffff'ffff'f000}),
                         [](const ::testing::TestParamInfo<OperandCase>& i) { return std::string(i.param.name); });

// The bug this replaces: `va >> 12` of a TTBR1 address sets TTL to 0b1111 and RES0 bits.
TEST(TlbiOperandEncoding, Ttbr1AddressShiftedNaivelyWouldSetTtlAndRes0) {
  const uint64_t va = fix_to_virt(FIX_TEXT_POKE0).value();
  EXPECT_EQ(((va >> 12) >> 44) & 0xf, 0xfu) << "what the old operand put in TTL";
  EXPECT_EQ(tlbi_operand_ttl(tlbi_va_operand(VirtAddr(va), TlbLevel::Unknown, true)), 0u);
  EXPECT_EQ(tlbi_va_operand(VirtAddr(va), TlbLevel::L3, true), 0x0007'f'ffff'ffdd'fdULL);
  EXPECT_EQ(tlbi_va_operand(VirtAddr(va), TlbLevel::L3, false), 0x0000'f'ffff'ffdd'fdULL);
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
    EXPECT_EQ(tlbi_operand_ttl(op.b), 0b0111u);
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
  EXPECT_EQ(tables, 3u);  // PUD, PMD and PTE tables under one PGD entry
}

}  // namespace
}  // namespace kernel::test
