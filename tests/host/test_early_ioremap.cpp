// early_ioremap on the simulated arena: Linux's slot semantics and every misuse.
#include <cstring>
#include <set>

#include "fixmap_fixture.h"
#include "kernel/smp_call.h"
#include "mm/early_ioremap.h"
#include "mm/ioremap.h"
#include "mm/memblock.h"
#include "mm/paging.h"

namespace kernel::test {
namespace {

class EarlyIoremapTest : public FixmapTest {
 protected:
  void SetUp() override {
    FixmapTest::SetUp();
    early_ioremap_forget_all();
  }
  void TearDown() override {
    early_ioremap_forget_all();
    FixmapTest::TearDown();
  }
  static uint64_t va(void* p) { return reinterpret_cast<uint64_t>(p); }
  static uint64_t slot_base(unsigned s) { return __fix_to_virt(btmap_slot_first(s)); }
  // The TTL of a TLBI for a level-3 page of this granule: {granule, 3} (0b0111 at 4K, 0b1011 at
  // 16K, 0b1111 at 64K).
  static constexpr unsigned kLeafTtl = PAGE_SHIFT == 12 ? 0b0111 : PAGE_SHIFT == 14 ? 0b1011 : 0b1111;
};

std::string format(const char* fmt, auto... args) {
  char b[256];
  snprintf(b, sizeof b, fmt, args...);
  return b;
}

TEST_F(EarlyIoremapTest, FirstFreeSlotOffsetKeptIncreasingVa) {
  PhysAddr pa(kRamBase + 0x10000 + 0x123);
  void* p = early_memremap(pa, 3 * PAGE_SIZE);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(va(p), slot_base(0) + 0x123);
  for (uint64_t i = 0; i < 4; ++i) {  // offset 0x123 + 3 pages spans 4 pages
    WalkResult w = walk(slot_base(0) + i * PAGE_SIZE);
    ASSERT_TRUE(w.ok) << i;
    EXPECT_EQ(w.pa.value(), kRamBase + 0x10000 + i * PAGE_SIZE);
    EXPECT_EQ(w.type, MemType::Normal);
  }
  EXPECT_FALSE(walk(slot_base(0) + 4 * PAGE_SIZE).ok);
  void* q = early_ioremap(PhysAddr(0x09000000), 0x1000);
  EXPECT_EQ(va(q), slot_base(1));
  EXPECT_EQ(walk(va(q)).type, MemType::DeviceNGnRE);
  void* r = early_memremap_ro(PhysAddr(kRamBase), 8);
  EXPECT_FALSE(walk(va(r)).writable);
  early_memunmap(p, 3 * PAGE_SIZE);
  // Slot 0 is free again and is the first free one.
  void* s = early_memremap(PhysAddr(kRamBase), 8);
  EXPECT_EQ(va(s), slot_base(0));
  early_iounmap(q, 0x1000);
  early_memunmap(r, 8);
  early_memunmap(s, 8);
  for (unsigned i = 0; i < FIX_BTMAPS_SLOTS; ++i) EXPECT_FALSE(early_ioremap_slot(i).used);
  for (unsigned idx = FIX_BTMAP_END; idx <= FIX_BTMAP_BEGIN; ++idx) ASSERT_FALSE(fm.is_live(idx));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(EarlyIoremapTest, SizeLimitCountsTheOffset) {
  void* full = early_memremap(PhysAddr(kRamBase), 256 << 10);
  ASSERT_NE(full, nullptr);
  early_memunmap(full, 256 << 10);
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase + 1), 256 << 10, FIXMAP_PAGE_NORMAL), Errc::TooLarge);
  // At 4K: "needs 65 pages (in-page offset 0x1 included), a slot holds 64 (256 KiB)".
  EXPECT_THAT(kernel_log(), HasLogLine(format("needs %u pages (in-page offset 0x1 included), a slot holds %u (256 KiB)",
                                              NR_FIX_BTMAPS + 1, NR_FIX_BTMAPS)));
}

// A slot is 256 KiB at every granule: 64 pages at 4K, 16 at 16K, 4 at 64K. The limit is in pages
// and counts the in-page offset, which at 16K and 64K includes the 4 KiB units below the page.
TEST_F(EarlyIoremapTest, ASlotIs256KiBInPagesOfTheGranule) {
  EXPECT_EQ(NR_FIX_BTMAPS, PAGE_SHIFT == 12 ? 64u : PAGE_SHIFT == 14 ? 16u : 4u);
  EXPECT_EQ(NR_FIX_BTMAPS * PAGE_SIZE, 256u << 10);
  EXPECT_EQ(slot_base(1) - slot_base(0), 256u << 10);  // slot 1 right above slot 0
  // From an offset inside a page (at every granule): the most that fits fills the slot to its
  // last byte; one byte more needs one page more.
  for (uint64_t off : {uint64_t{0x800}, PAGE_SIZE - 8}) {
    SCOPED_TRACE(off);
    const uint64_t fits = NR_FIX_BTMAPS * PAGE_SIZE - off;
    void* p = early_memremap(PhysAddr(kRamBase + 0x100000 + off), fits);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(va(p), slot_base(0) + off);
    for (unsigned i = 0; i < NR_FIX_BTMAPS; ++i)
      EXPECT_EQ(walk(slot_base(0) + i * PAGE_SIZE).pa.value(), kRamBase + 0x100000 + i * PAGE_SIZE) << i;
    EXPECT_NE(mmu.access(virt_of(p), fits), nullptr);
    early_memunmap(p, fits);
    log_buffer_reset();
    EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase + 0x100000 + off), fits + 1, FIXMAP_PAGE_NORMAL), Errc::TooLarge);
    EXPECT_THAT(kernel_log(), HasLogLine(format("needs %u pages (in-page offset 0x%lx included), a slot holds %u",
                                                NR_FIX_BTMAPS + 1, off, NR_FIX_BTMAPS)));
  }
  // 256 KiB from a 4 KiB boundary: at 4K page aligned, a whole slot; at 16K/64K 4 KiB into a
  // page, one page too many.
  void* p = early_memremap(PhysAddr(kRamBase + 0x1000), 256 << 10);
  if (PAGE_SIZE == 0x1000) {
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(va(p), slot_base(0));
    early_memunmap(p, 256 << 10);
  } else {
    EXPECT_EQ(p, nullptr);
    EXPECT_THAT(kernel_log(), HasLogLine(format("needs %u pages (in-page offset 0x1000 included)", NR_FIX_BTMAPS + 1)));
  }
  // A device register 4 KiB into a page of the granule: the page that holds it is mapped, the
  // returned address keeps the offset.
  void* dev = early_ioremap(PhysAddr(0x0900'1000), 0x1000);
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(va(dev), slot_base(0) + (0x1000 & (PAGE_SIZE - 1)));
  const WalkResult w = walk(va(dev));
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa.value(), 0x0900'1000u);
  EXPECT_EQ(w.size, PAGE_SIZE);
  EXPECT_EQ(w.type, MemType::DeviceNGnRE);
  EXPECT_FALSE(walk(slot_base(0) + PAGE_SIZE).ok);  // one page, whatever its size
  early_iounmap(dev, 0x1000);
  for (unsigned idx = FIX_BTMAP_END; idx <= FIX_BTMAP_BEGIN; ++idx) ASSERT_FALSE(fm.is_live(idx));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(EarlyIoremapTest, EveryMisuseIsReported) {
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase), 0, FIXMAP_PAGE_IO), Errc::ZeroSize);
  EXPECT_EQ(early_remap_checked(PhysAddr(0xffff'ffff'ffff'f000ull), 0x2000, FIXMAP_PAGE_IO), Errc::WrapAround);

  void* maps[FIX_BTMAPS_SLOTS];
  for (unsigned i = 0; i < FIX_BTMAPS_SLOTS; ++i) ASSERT_NE(maps[i] = early_memremap(PhysAddr(kRamBase), 64), nullptr);
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase), 64, FIXMAP_PAGE_NORMAL), Errc::NoFreeSlot);
  for (unsigned i = 0; i < FIX_BTMAPS_SLOTS; ++i) early_memunmap(maps[i], 64);

  int dummy;
  EXPECT_EQ(early_unmap_checked(&dummy, 8), Errc::NotMapped);
  EXPECT_EQ(early_unmap_checked(maps[0], 64), Errc::AlreadyUnmapped);  // unmapped above already

  void* p = early_memremap(PhysAddr(kRamBase), 2 * PAGE_SIZE);
  EXPECT_EQ(early_unmap_checked(p, PAGE_SIZE), Errc::SizeMismatch);  // different size: reported, the whole mapping goes
  EXPECT_FALSE(early_ioremap_slot(0).used);
  EXPECT_FALSE(walk(slot_base(0) + PAGE_SIZE).ok);

  early_ioremap_reset();
  EXPECT_EQ(early_remap_checked(PhysAddr(0x09000000), 8, FIXMAP_PAGE_IO), Errc::AfterReset);

  std::string log = kernel_log();
  for (const std::string& msg :
       {std::string("early_ioremap(0x40000000, 0): size 0 (caller 0x"),
        std::string("wraps around the end of the physical address space"),
        std::string("no free slot, all 7 are in use (caller 0x"), std::string("slot 6: 0x40000000 size 0x40 by 0x"),
        std::string("not an address early_ioremap returned (caller 0x"),
        std::string("already unmapped (unmapped twice?)"),
        format("size differs from the mapped 0x%lx; unmapping 0x%lx", 2 * PAGE_SIZE, 2 * PAGE_SIZE),  // 0x2000 at 4K
        std::string("used after the buddy allocator is up; use ioremap()")})
    EXPECT_THAT(log, HasLogLine(msg));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// A full slot is mapped as one run: NR_FIX_BTMAPS stores (64 at 4K, 4 at 64K), then one dsb ishst; isb (SyncPtes) after
// the last, before anything is accessed through it.
TEST_F(EarlyIoremapTest, AFullSlotIsMappedAsOneRunMadeVisibleOnce) {
  mmu.ops.clear();
  void* p = early_memremap(PhysAddr(kRamBase + 0x100000), 256 << 10);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mmu.ops.size(), NR_FIX_BTMAPS + 1u);
  for (unsigned i = 0; i < NR_FIX_BTMAPS; ++i) {
    const MmuOp& op = mmu.ops[i];
    ASSERT_EQ(op.kind, MmuOp::SetPte) << i;
    EXPECT_FALSE(op.synced);
    EXPECT_EQ(op.a, leaf_entry_pa(mmu, pgd, slot_base(0) + i * PAGE_SIZE)) << "increasing VA";
    EXPECT_EQ(Pte{op.b}.output_address().value(), kRamBase + 0x100000 + i * PAGE_SIZE);
  }
  EXPECT_EQ(mmu.ops.back().kind, MmuOp::SyncPtes);
  ASSERT_NE(mmu.access(virt_of(p), 256 << 10), nullptr);
  early_memunmap(p, 256 << 10);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// The unmap of a full slot: NR_FIX_BTMAPS clears (64 at 4K), then one flush_tlb_kernel_range (one
// dsb ishst before its TLBIs, one dsb ish; isb after) whose TLBIs cover every page, each issued
// after the last clear. A slot is within kTlbiMaxPageOps: one TLBI VAALE1IS per page, level 3 of
// this granule, no TLBI VMALLE1IS.
TEST_F(EarlyIoremapTest, UnmapOfAFullSlotInvalidatesEveryPageAfterTheLastClear) {
  void* p = early_memremap(PhysAddr(kRamBase + 0x100000), 256 << 10);
  ASSERT_NE(p, nullptr);
  void* q = early_ioremap(PhysAddr(0x0900'0000), 256 << 10);  // slot 1, a Device mapping
  ASSERT_NE(q, nullptr);
  for (void* m : {p, q}) {
    const uint64_t base = va(m);
    mmu.ops.clear();
    mmu.range_flushes = 0;
    early_iounmap(m, 256 << 10);
    ASSERT_EQ(mmu.ops.size(), 2u * NR_FIX_BTMAPS);
    EXPECT_EQ(mmu.range_flushes, 1u);
    std::set<uint64_t> cleared, invalidated;
    for (unsigned i = 0; i < NR_FIX_BTMAPS; ++i) {
      const MmuOp& st = mmu.ops[i];
      ASSERT_EQ(st.kind, MmuOp::SetPte) << i;
      EXPECT_EQ(st.b, 0u);
      EXPECT_TRUE(Pte{st.c}.valid());
      cleared.insert(st.a);
    }
    for (unsigned i = NR_FIX_BTMAPS; i < 2 * NR_FIX_BTMAPS; ++i) {
      const MmuOp& inv = mmu.ops[i];
      ASSERT_EQ(inv.kind, MmuOp::TlbiPage) << i;  // all after the last clear
      EXPECT_EQ(sim_tlbi_va(inv.b), inv.a) << "the operand names the page it is for";
      EXPECT_EQ(sim_tlbi_ttl(inv.b), kLeafTtl);
      invalidated.insert(leaf_entry_pa(mmu, pgd, sim_tlbi_va(inv.b)));
    }
    EXPECT_EQ(invalidated, cleared);
    EXPECT_EQ(mmu.ops[NR_FIX_BTMAPS].a, base);
    EXPECT_EQ(mmu.ops.back().a, base + (NR_FIX_BTMAPS - 1) * PAGE_SIZE);
    EXPECT_TRUE(bbm_violations(mmu).empty());
  }
}

// The simulated TLB caches what was accessed through a slot; after an unmap and a mapping of
// other memory at the same slot, every page reads the new memory, never the old.
TEST_F(EarlyIoremapTest, ASetAfterAnUnmapNeverSeesAStaleTlbEntry) {
  const PhysAddr a(kRamBase + 0x200000), b(kRamBase + 0x300000);
  for (uint64_t i = 0; i < NR_FIX_BTMAPS; ++i) {
    std::memset(arena.ptr(a.offset(i * PAGE_SIZE)), 0xa0 + static_cast<int>(i % 16), PAGE_SIZE);
    std::memset(arena.ptr(b.offset(i * PAGE_SIZE)), 0x10 + static_cast<int>(i % 16), PAGE_SIZE);
  }
  for (unsigned round = 0; round < 3; ++round) {
    const PhysAddr pa = round % 2 ? b : a;
    void* p = early_memremap(pa, 256 << 10);
    ASSERT_EQ(va(p), slot_base(0));
    for (uint64_t i = 0; i < NR_FIX_BTMAPS; ++i) {
      const auto* byte = static_cast<const uint8_t*>(mmu.access(VirtAddr(va(p) + i * PAGE_SIZE + 7), 1));
      ASSERT_NE(byte, nullptr);
      EXPECT_EQ(*byte, *arena.ptr(pa.offset(i * PAGE_SIZE))) << "round " << round << " page " << i;
    }
    EXPECT_GE(mmu.tlb().size(), NR_FIX_BTMAPS) << "the accesses filled the TLB";
    early_memunmap(p, 256 << 10);
    for (const auto& t : mmu.tlb())
      EXPECT_FALSE(t.va >= slot_base(0) && t.va < slot_base(0) + (256 << 10))
          << "stale entry at 0x" << std::hex << t.va;
  }
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// The oracle itself: a clear without its invalidate is caught twice, by the recording (BBM) and
// by the TLB, which still hands out the old page after the slot was set to another.
TEST_F(EarlyIoremapTest, TheOraclesCatchAClearWithoutItsInvalidate) {
  const unsigned idx = btmap_slot_first(0);
  std::memcpy(arena.ptr(PhysAddr(kRamBase)), "old", 4);
  std::memcpy(arena.ptr(PhysAddr(kRamBase + PAGE_SIZE)), "new", 4);
  ASSERT_EQ(set_fixmap(idx, PhysAddr(kRamBase)), Errc::Ok);
  ASSERT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(__fix_to_virt(idx)), 4)), "old");
  Pte* e = reinterpret_cast<Pte*>(arena.ptr(PhysAddr(leaf_entry_pa(mmu, pgd, __fix_to_virt(idx)))));
  mmu.write_pte(e, Pte{});  // the bug: no flush_tlb_kernel_*
  ASSERT_EQ(set_fixmap(idx, PhysAddr(kRamBase + PAGE_SIZE)), Errc::Ok);
  EXPECT_STREQ(static_cast<const char*>(mmu.access(VirtAddr(__fix_to_virt(idx)), 4)), "old") << "a stale translation";
  EXPECT_THAT(bbm_violations(mmu), ::testing::Contains(::testing::HasSubstr("set again before its TLB invalidate")));
}

// A slot page that is live with another mapping stops the run there: the fixmap refuses and says
// why (break-before-make), the pages mapped before it are undone (and invalidated), the live
// one is left as it was.
TEST_F(EarlyIoremapTest, ALivePageInTheSlotStopsTheRunAndIsReported) {
  // 16 pages with page 5 live at 4K and 16K; the whole slot (4 pages) with page 2 live at 64K.
  const unsigned pages = NR_FIX_BTMAPS < 16 ? NR_FIX_BTMAPS : 16, live_page = pages < 8 ? pages - 2 : 5;
  const unsigned live = btmap_slot_first(0) - live_page;
  ASSERT_EQ(set_fixmap(live, PhysAddr(kRamBase + 7 * PAGE_SIZE)), Errc::Ok);
  log_buffer_reset();
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase + 0x100000), pages * PAGE_SIZE, FIXMAP_PAGE_NORMAL), Errc::SlotLive);
  // At 4K: "... FIX_BTMAP slot 0 page 5 (index 958) to pa=0x40105000: slot is live with pa=0x40007000".
  EXPECT_THAT(
      kernel_log(),
      HasLogLine(format("fixmap: refusing set_fixmap of FIX_BTMAP slot 0 page %u (index %u) to pa=0x%lx: slot "
                        "is live with pa=0x%lx",
                        live_page, live, kRamBase + 0x100000 + live_page * PAGE_SIZE, kRamBase + 7 * PAGE_SIZE)));
  for (unsigned i = 0; i < pages; ++i) EXPECT_EQ(fm.is_live(btmap_slot_first(0) - i), i == live_page) << i;
  EXPECT_EQ(walk(__fix_to_virt(live)).pa.value(), kRamBase + 7 * PAGE_SIZE);
  EXPECT_FALSE(early_ioremap_slot(0).used);
  EXPECT_TRUE(bbm_violations(mmu).empty());
  ASSERT_EQ(clear_fixmap(live), Errc::Ok);
}

// A page cleared behind early_ioremap's back: the unmap still clears and invalidates the whole
// slot, and says which page was not mapped, with the caller.
TEST_F(EarlyIoremapTest, AnUnmapReportsAPageThatWasNotMapped) {
  const unsigned pages = NR_FIX_BTMAPS < 8 ? NR_FIX_BTMAPS : 8;  // 8 pages; the whole slot (4) at 64K
  void* p = early_memremap(PhysAddr(kRamBase), pages * PAGE_SIZE);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(clear_fixmap(btmap_slot_first(0) - 3), Errc::Ok);
  log_buffer_reset();
  early_memunmap(p, pages * PAGE_SIZE);
  // At 4K: "... FIX_BTMAP slot 0 page 3 (index 960): slot is not mapped (caller 0x".
  EXPECT_THAT(kernel_log(), HasLogLine(format("fixmap: clear_fixmap of FIX_BTMAP slot 0 page 3 (index %u): slot is "
                                              "not mapped (caller 0x",
                                              btmap_slot_first(0) - 3)));
  for (unsigned i = 0; i < pages; ++i) EXPECT_FALSE(fm.is_live(btmap_slot_first(0) - i));
  EXPECT_FALSE(early_ioremap_slot(0).used);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

// Cross-calls installed means secondaries run: early_ioremap's slots have no lock, so any use
// then is refused, whichever CPU asks.
class SmpUp final : public SmpHooks {
 public:
  unsigned this_cpu() override { return 2; }
  bool cpu_online(unsigned) override { return true; }
  void send_call_ipi(unsigned) override {}
  bool irqs_disabled() override { return false; }
  unsigned long irq_save() override { return 0; }
  void irq_restore(unsigned long) override {}
  void cpu_relax() override {}
  void context_sync() override {}
  uint64_t now_ns() override { return 0; }
};

TEST_F(EarlyIoremapTest, RefusedOnceSecondaryCpusRun) {
  SmpUp smp;
  smp_call_install(&smp);
  EXPECT_EQ(early_remap_checked(PhysAddr(0x09000000), 8, FIXMAP_PAGE_IO), Errc::Invalid);
  smp_call_install(nullptr);
  EXPECT_FALSE(early_ioremap_slot(0).used);
  EXPECT_THAT(kernel_log(), HasLogLine("early_ioremap(0x9000000, 0x8) on CPU2 with SMP up; early_ioremap is for the "
                                       "boot CPU before secondaries start: use ioremap() (caller 0x"));
}

TEST_F(EarlyIoremapTest, LeaksAreReportedWithTheirCaller) {
  void* p = early_ioremap(PhysAddr(0x09000000), 0x1000);
  ASSERT_NE(p, nullptr);
  void* caller = early_ioremap_slot(0).caller;
  EXPECT_NE(caller, nullptr);
  EXPECT_EQ(early_ioremap_check_leaks(), 1u);
  char expect[160];
  snprintf(expect, sizeof expect, "leak: slot 0 still maps 0x9000000 (size 0x1000) at 0x%lx, mapped by %p",
           slot_base(0), caller);
  EXPECT_THAT(kernel_log(), HasLogLine(expect));
  EXPECT_THAT(kernel_log(), HasLogLine("early ioremap leak of 1 area detected"));
  early_iounmap(p, 0x1000);
  EXPECT_EQ(early_ioremap_check_leaks(), 0u);
}

TEST_F(EarlyIoremapTest, CopyFromEarlyMemCrossesSlotChunks) {
  std::vector<uint8_t> pattern(600 << 10);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
  PhysAddr src(kRamBase + (4 << 20) + 0x321);
  std::memcpy(arena.ptr(src), pattern.data(), pattern.size());
  std::vector<uint8_t> out(pattern.size());
  ASSERT_TRUE(copy_from_early_mem(out.data(), src, out.size()));
  EXPECT_EQ(out, pattern);
  for (unsigned i = 0; i < FIX_BTMAPS_SLOTS; ++i) EXPECT_FALSE(early_ioremap_slot(i).used);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(EarlyIoremapTest, ScopedMappingUnmapsItself) {
  {
    ScopedEarlyMemremap m(PhysAddr(kRamBase + 0x40), 16);
    ASSERT_TRUE(m);
    EXPECT_TRUE(early_ioremap_slot(0).used);
    EXPECT_FALSE(walk(va(m.get())).writable);
  }
  EXPECT_FALSE(early_ioremap_slot(0).used);
  EXPECT_EQ(early_ioremap_check_leaks(), 0u);
}

}  // namespace
}  // namespace kernel::test

namespace kernel::test {
namespace {

// Device mappings of RAM make a mismatched-attribute alias of the linear map's Normal mapping
// (Arm ARM B2.8): early_ioremap and ioremap refuse RAM and name the call to use instead. QEMU
// never objects to such an alias, so only this test can.
class RamIsNotADeviceTest : public EarlyIoremapTest {
 protected:
  void SetUp() override {
    EarlyIoremapTest::SetUp();
    memblock_reset();
    (void)memblock_add(PhysAddr(kRamBase), kRamSize, "ram");
    memblock_mark_nomap(PhysAddr(kRamBase + 0x100000), 0x100000);  // firmware's no-map carve-out
  }
  void TearDown() override {
    memblock_reset();
    EarlyIoremapTest::TearDown();
  }
};

TEST_F(RamIsNotADeviceTest, EarlyIoremapOfRamIsRefusedWithAMessage) {
  log_buffer_reset();
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase + 0x3000), 0x100, FIXMAP_PAGE_IO), Errc::IsRam);
  EXPECT_THAT(kernel_log(),
              HasLogLine("early_ioremap(0x40003000, 0x100): the range is RAM (memblock memory), not a device; "
                         "use early_memremap() for RAM"));
  // A range that only ends in RAM is refused too.
  EXPECT_EQ(early_remap_checked(PhysAddr(kRamBase - 0x1000), 0x2000, FIXMAP_PAGE_IO), Errc::IsRam);
  // early_memremap is the right call for RAM, early_ioremap for devices and for no-map RAM.
  void* ram = early_memremap(PhysAddr(kRamBase + 0x3000), 0x100);
  EXPECT_NE(ram, nullptr);
  void* dev = early_ioremap(PhysAddr(0x0900'0000), 0x1000);
  EXPECT_NE(dev, nullptr);
  void* nomap = early_ioremap(PhysAddr(kRamBase + 0x100000), 0x1000);
  EXPECT_NE(nomap, nullptr);
  early_memunmap(ram, 0x100);
  early_iounmap(dev, 0x1000);
  early_iounmap(nomap, 0x1000);
}

TEST_F(RamIsNotADeviceTest, IoremapRefusesRamAndMemremapRefusesDevices) {
  static SimArena* arena_for_tables;
  arena_for_tables = &arena;
  IoremapArea area(mmu, []() -> Optional<PhysAddr> { return arena_for_tables->alloc_page(); });
  area.init(pgd, VMALLOC_START, VMALLOC_END);
  ioremap_init(&area);
  log_buffer_reset();
  EXPECT_TRUE(ioremap(PhysAddr(kRamBase + 0x5000), PAGE_SIZE).is_null());
  // At 4K: "ioremap(0x40005000, 0x1000): ...".
  EXPECT_THAT(kernel_log(), HasLogLine(format("ioremap(0x40005000, 0x%lx): the range is RAM (memblock memory), not a "
                                              "device; use memremap() for RAM",
                                              PAGE_SIZE)));
  EXPECT_EQ(area.live(), 0u);
  VirtAddr uart = ioremap(PhysAddr(0x0900'0000), PAGE_SIZE);
  EXPECT_FALSE(uart.is_null());
  EXPECT_EQ(walk(uart.value()).type, MemType::DeviceNGnRE);
  iounmap(uart);
  // memremap: RAM through the linear map; a device or no-map RAM is refused.
  EXPECT_EQ(memremap(PhysAddr(kRamBase + 0x5010), 0x20).value(), linear_va(kRamBase + 0x5010));
  EXPECT_TRUE(memremap(PhysAddr(0x0900'0000), 0x1000).is_null());
  EXPECT_TRUE(memremap(PhysAddr(kRamBase + 0x100000), 0x1000).is_null());
  EXPECT_TRUE(memremap(PhysAddr(kRamBase + kRamSize - 0x1000), 0x2000).is_null());  // runs past RAM
  EXPECT_THAT(kernel_log(), HasLogLine("not (all) RAM in the linear map; use ioremap() for devices"));
  ioremap_init(nullptr);
}

}  // namespace
}  // namespace kernel::test
