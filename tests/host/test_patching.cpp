// Text patching on the simulated arena: address checks, and the exact order of map, write, unmap
// and cache maintenance, recorded through the MmuOps interface.
#include <cstring>

#include "fixmap_fixture.h"
#include "kernel/patching.h"

namespace kernel::test {
namespace {

constexpr uint64_t kText = 0xffff'8000'8000'0000ull;
constexpr uint64_t kTextPa = 0x40200000;  // 2 MiB aligned: a page boundary at every granule
// 64 KiB of text (16 pages at 4K, 4 at 16K); 4 pages at 64K, so that it spans pages there too.
constexpr uint64_t kTextSize = PAGE_SIZE == 0x10000 ? 4 * PAGE_SIZE : 0x10000;

class PatchingTest : public FixmapTest {
 protected:
  void SetUp() override {
    FixmapTest::SetUp();
    patching_init(TextRegion{kText, kText + kTextSize, [](uint64_t va) { return PhysAddr(va - kText + kTextPa); }},
                  mmu);
    mmu.ops.clear();
  }
  uint32_t text_word(uint64_t va) {
    uint32_t v;
    std::memcpy(&v, arena.ptr(PhysAddr(va - kText + kTextPa)), 4);
    return v;
  }
  uint64_t poke_entry() { return leaf_entry_pa(mmu, pgd, __fix_to_virt(FIX_TEXT_POKE0)); }
};

TEST_F(PatchingTest, MapWriteUnmapThenCacheMaintenanceInThatOrder) {
  void* target = reinterpret_cast<void*>(kText + 0x1234);
  ASSERT_EQ(aarch64_insn_patch_text_nosync(target, 0x52800540u), Errc::Ok);
  EXPECT_EQ(text_word(kText + 0x1234), 0x52800540u);
  ASSERT_EQ(mmu.ops.size(), 5u);
  const MmuOp& map = mmu.ops[0];
  EXPECT_EQ(map.kind, MmuOp::SetPte);
  EXPECT_EQ(map.a, poke_entry());
  Pte alias{map.b};
  EXPECT_EQ(alias.output_address().value(), kTextPa + (0x1234 & PAGE_MASK));  // the page holding the target
  EXPECT_FALSE(alias.read_only());                                            // writable alias...
  EXPECT_TRUE(alias.pxn());                                                   // ...never executable
  EXPECT_EQ(mmu.ops[1].kind, MmuOp::WriteInsn);
  EXPECT_EQ(mmu.ops[1].a, kTextPa + 0x1234);
  EXPECT_EQ(mmu.ops[1].b, 0x52800540u);
  EXPECT_EQ(mmu.ops[2].kind, MmuOp::SetPte);  // clear_fixmap
  EXPECT_EQ(mmu.ops[2].b, 0u);
  EXPECT_EQ(mmu.ops[3].kind, MmuOp::TlbiPage);  // ...with its invalidate, before the cache work
  EXPECT_EQ(mmu.ops[3].a, __fix_to_virt(FIX_TEXT_POKE0));
  EXPECT_EQ(mmu.ops[4].kind, MmuOp::SyncIcache);  // on the real text address
  EXPECT_EQ(mmu.ops[4].a, kText + 0x1234);
  EXPECT_EQ(mmu.ops[4].b, 4u);
  EXPECT_FALSE(fm.is_live(FIX_TEXT_POKE0));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(PatchingTest, SeveralInstructionsEachGetTheFullSequence) {
  void* addrs[3] = {reinterpret_cast<void*>(kText), reinterpret_cast<void*>(kText + 0x2000),
                    reinterpret_cast<void*>(kText + 0x2004)};
  const uint32_t insns[3] = {1, 2, 3};
  ASSERT_EQ(aarch64_insn_patch_text(addrs, insns, 3), Errc::Ok);
  ASSERT_EQ(mmu.ops.size(), 15u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(mmu.ops[i * 5 + 1].b, insns[i]);
    EXPECT_EQ(mmu.ops[i * 5 + 4].kind, MmuOp::SyncIcache);
  }
  EXPECT_EQ(text_word(kText + 0x2004), 3u);
}

TEST_F(PatchingTest, BadAddressesAreRejectedBeforeAnythingIsMapped) {
  EXPECT_EQ(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(kText + 2), 0), Errc::Unaligned);
  EXPECT_EQ(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(kText + kTextSize), 0), Errc::NotText);
  EXPECT_EQ(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(kText - 4), 0), Errc::NotText);
  void* addrs[2] = {reinterpret_cast<void*>(kText), reinterpret_cast<void*>(kText + 2 * kTextSize)};
  const uint32_t insns[2] = {1, 2};
  EXPECT_EQ(aarch64_insn_patch_text(addrs, insns, 2), Errc::NotText);  // all checked first
  EXPECT_TRUE(mmu.ops.empty());
  std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("patching: 0xffff800080000002: address is not 4-byte aligned (caller 0x"));
  char not_text[128];  // at 4K: "patching: 0xffff800080010000: ... [0xffff800080000000-0xffff800080010000)"
  snprintf(not_text, sizeof not_text, "patching: 0x%lx: address is not in the kernel text [0xffff800080000000-0x%lx)",
           kText + kTextSize, kText + kTextSize);
  EXPECT_THAT(log, HasLogLine(not_text));
}

// The alias maps the whole page of the granule that holds the target (4, 16 or 64 KiB of text,
// RW): the write lands at the target's offset in it, the first and last word of a page included,
// and the invalidate is for a level-3 page of this granule.
TEST_F(PatchingTest, TheAliasIsThePageOfTheGranuleHoldingTheTarget) {
  constexpr unsigned kLeafTtl = PAGE_SHIFT == 12 ? 0b0111 : PAGE_SHIFT == 14 ? 0b1011 : 0b1111;
  for (uint64_t off : {PAGE_SIZE, PAGE_SIZE + 0x1010, 3 * PAGE_SIZE - 4}) {
    SCOPED_TRACE(off);
    mmu.ops.clear();
    ASSERT_EQ(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(kText + off), 0xd503201fu), Errc::Ok);  // nop
    EXPECT_EQ(text_word(kText + off), 0xd503201fu);
    ASSERT_EQ(mmu.ops.size(), 5u);
    EXPECT_EQ(Pte{mmu.ops[0].b}.output_address().value(), kTextPa + (off & PAGE_MASK));
    EXPECT_EQ(mmu.ops[1].a, kTextPa + off);
    ASSERT_EQ(mmu.ops[3].kind, MmuOp::TlbiPage);
    EXPECT_EQ(sim_tlbi_va(mmu.ops[3].b), __fix_to_virt(FIX_TEXT_POKE0));
    EXPECT_EQ(sim_tlbi_ttl(mmu.ops[3].b), kLeafTtl);
    EXPECT_EQ(mmu.ops[4].a, kText + off);
  }
  // The neighbours in the same page are untouched.
  EXPECT_EQ(text_word(kText + PAGE_SIZE + 4), 0u);
  EXPECT_EQ(text_word(kText + 3 * PAGE_SIZE - 8), 0u);
  EXPECT_FALSE(fm.is_live(FIX_TEXT_POKE0));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(PatchingTest, ALiveTextPokeSlotIsNotSilentlyReused) {
  ASSERT_EQ(set_fixmap(FIX_TEXT_POKE0, PhysAddr(kRamBase)), Errc::Ok);
  EXPECT_EQ(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(kText), 0), Errc::MapFailed);
  EXPECT_THAT(kernel_log(), HasLogLine("refusing set_fixmap of FIX_TEXT_POKE0"));
}

TEST(InsnEncoding, BranchImmediateRangeAndSign) {
  uint32_t insn = 0;
  ASSERT_TRUE(aarch64_insn_gen_branch_imm(0x1000, 0x1010, &insn));
  EXPECT_EQ(insn, 0x14000004u);
  ASSERT_TRUE(aarch64_insn_gen_branch_imm(0x1010, 0x1000, &insn));
  EXPECT_EQ(insn, 0x17fffffcu);  // b -16
  EXPECT_TRUE(aarch64_insn_gen_branch_imm(0, (1ull << 27) - 4, &insn));
  EXPECT_FALSE(aarch64_insn_gen_branch_imm(0, 1ull << 27, &insn));
  EXPECT_TRUE(aarch64_insn_gen_branch_imm(1ull << 27, 0, &insn));
  EXPECT_FALSE(aarch64_insn_gen_branch_imm(0, 6, &insn));
}

}  // namespace
}  // namespace kernel::test
