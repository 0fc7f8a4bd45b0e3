// The oracle's own tests: the software MMU (sim_walk.h, sim_mmu.h) against hand-built tables, for
// the 4 KiB, 16 KiB and 64 KiB translation granules in every build (whatever the build's granule:
// the tables here are allocated at the walked granule's alignment). Every descriptor is written
// with literal bit values and every index is a literal computed from the Arm ARM (DDI 0487):
//
//  D8.2 "Translation process": input address bits resolved per level, 48-bit VA (T1SZ = 16):
//    4 KiB:  L0 VA[47:39]  L1 VA[38:30]  L2 VA[29:21]  L3 VA[20:12]  initial lookup level 0
//    16 KiB: L0 VA[47]     L1 VA[46:36]  L2 VA[35:25]  L3 VA[24:14]  initial lookup level 0
//    64 KiB:               L1 VA[47:42]  L2 VA[41:29]  L3 VA[28:16]  initial lookup level 1
//  D8.3 "Translation table descriptor formats" (48-bit OA, no FEAT_LPA/FEAT_LPA2):
//    bits[1:0]: 0bx0 invalid; 0b11 table (L0-L2) or page (L3); 0b01 block (L1-L2) or reserved (L3);
//    blocks: 4 KiB L1 (1 GiB) and L2 (2 MiB); 16 KiB L2 (32 MiB); 64 KiB L2 (512 MiB);
//    lower attributes: AttrIndx[2:0] bits[4:2], AP[2:1] bits[7:6], SH bits[9:8], AF bit[10];
//    upper attributes: PXN bit[53], UXN bit[54];
//    table descriptors: PXNTable bit[59], UXNTable bit[60], APTable bits[62:61];
//    next-level table address NLTA[47:12] / [47:14] / [47:16].
//  TLBI VAALE1IS: Xt[43:0] = VA[55:12], Xt[47:44] = TTL = {TG: 0b01 4K, 0b10 16K, 0b11 64K; level}.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "sim_mmu.h"

namespace kernel::test {
namespace {

// The test's own copy of each granule's facts (above), and the literal indices of kVa.
constexpr uint64_t kVa = 0xffff'a5a5'c3c3'0000ull;

struct Granule4K {
  static constexpr SimGranule kGranule = SimGranule::k4K;
  static constexpr const char* kName = "4K";
  static constexpr uint64_t kPage = 0x1000;
  static constexpr unsigned kStart = 0;
  static constexpr int kShift[4] = {39, 30, 21, 12};  // lowest VA bit each level resolves
  static constexpr unsigned kRootEntries = 512;
  static constexpr unsigned kIdx[4] = {0x14b, 0x97, 0x1e, 0x30};      // kVa's index at each level
  static constexpr uint64_t kBlock[3] = {0, 0x4000'0000, 0x20'0000};  // 0: no block at the level
  static constexpr unsigned kTtlL3 = 0b0111, kTtlL2 = 0b0110;
};
struct Granule16K {
  static constexpr SimGranule kGranule = SimGranule::k16K;
  static constexpr const char* kName = "16K";
  static constexpr uint64_t kPage = 0x4000;
  static constexpr unsigned kStart = 0;
  static constexpr int kShift[4] = {47, 36, 25, 14};
  static constexpr unsigned kRootEntries = 2;
  static constexpr unsigned kIdx[4] = {0x1, 0x25a, 0x2e1, 0x70c};
  static constexpr uint64_t kBlock[3] = {0, 0, 0x200'0000};
  static constexpr unsigned kTtlL3 = 0b1011, kTtlL2 = 0b1010;
};
struct Granule64K {
  static constexpr SimGranule kGranule = SimGranule::k64K;
  static constexpr const char* kName = "64K";
  static constexpr uint64_t kPage = 0x1'0000;
  static constexpr unsigned kStart = 1;
  static constexpr int kShift[4] = {-1, 42, 29, 16};
  static constexpr unsigned kRootEntries = 64;
  static constexpr unsigned kIdx[4] = {0, 0x29, 0xd2e, 0x3c3};
  static constexpr uint64_t kBlock[3] = {0, 0, 0x2000'0000};
  static constexpr unsigned kTtlL3 = 0b1111, kTtlL2 = 0b1110;
};

// Descriptor bits (D8.3), literal.
constexpr uint64_t kTableDesc = 0b11;
// A page: 0b11, AttrIndx 3 (Normal in this kernel's MAIR) 0xc, SH inner 0x300, AF 0x400; AP 00
// (EL1 read/write, no EL0), PXN = UXN = 0.
constexpr uint64_t kPageAttrs = 0x70f;
constexpr uint64_t kBlockAttrs = 0x70d;  // the same as a block: bits[1:0] = 0b01
constexpr uint64_t kAf = 1ull << 10;
constexpr uint64_t kAp1El0 = 1ull << 6, kAp2Ro = 1ull << 7;
constexpr uint64_t kPxn = 1ull << 53, kUxn = 1ull << 54;
constexpr uint64_t kPxnTable = 1ull << 59, kUxnTable = 1ull << 60;
constexpr uint64_t kApTableNoEl0 = 1ull << 61, kApTableRo = 1ull << 62;

constexpr uint64_t kArenaBase = 0x2000'0000;        // aligned to every block size the tests map in it
constexpr uint64_t kData = kArenaBase + 0x10'0000;  // a page of any granule, inside the arena

template <typename G>
class SimMmu : public ::testing::Test {
 protected:
  SimMmu() : arena(kArenaBase, 8ull << 20), mmu(arena, G::kGranule) {}
  void SetUp() override {
    root = table();
    mmu.ttbr1 = root;
  }

  // A zeroed translation table of the walked granule: one granule page, aligned to it.
  PhysAddr table() { return arena.alloc(G::kPage, G::kPage); }
  uint64_t* entries(PhysAddr t) { return reinterpret_cast<uint64_t*>(arena.ptr(t)); }
  unsigned index(uint64_t va, unsigned level) {
    const int hi = level == G::kStart ? 47 : G::kShift[level - 1] - 1;
    return static_cast<unsigned>((va >> G::kShift[level]) & ((1ull << (hi - G::kShift[level] + 1)) - 1));
  }
  // The table at `level` for `va`, creating tables from the root down (table descriptors 0b11).
  PhysAddr table_at(unsigned level, uint64_t va = kVa) {
    PhysAddr t = root;
    for (unsigned l = G::kStart; l < level; ++l) {
      uint64_t& e = entries(t)[index(va, l)];
      if (!(e & 1)) e = table().value() | kTableDesc;
      t = PhysAddr(e & 0x0000'ffff'ffff'f000ull & ~(G::kPage - 1));
    }
    return t;
  }
  uint64_t& entry(unsigned level, uint64_t va = kVa) { return entries(table_at(level, va))[index(va, level)]; }
  WalkResult walk(uint64_t va, bool wxn = true) { return walk_ttbr1(mmu, root, VirtAddr(va), wxn, G::kGranule); }

  SimArena arena;
  RecordingMmuOps mmu;
  PhysAddr root;
};

// The granule in KiB, digits only: CTest's gtest discovery names a typed test Suite.Test<N> only
// when N is a number (CMake's GoogleTestAddTests), so the names read SimMmu.Test<4>, <16>, <64>.
struct GranuleNames {
  template <typename G>
  static std::string GetName(int) {
    std::string n = G::kName;  // "4K", "16K", "64K"
    return n.substr(0, n.size() - 1);
  }
};
using Granules = ::testing::Types<Granule4K, Granule16K, Granule64K>;
TYPED_TEST_SUITE(SimMmu, Granules, GranuleNames);

// The oracle's transcription of the geometry agrees with the test's.
TYPED_TEST(SimMmu, GeometryIsTheArmArmTable) {
  using G = TypeParam;
  const SimGeometry s = sim_geometry(G::kGranule);
  EXPECT_EQ(sim_granule_size(G::kGranule), G::kPage);
  EXPECT_EQ(s.start_level, G::kStart);
  for (unsigned l = G::kStart; l < 4; ++l) {
    EXPECT_EQ(s.va[l].lo, G::kShift[l]) << "level " << l;
    EXPECT_EQ(sim_index(G::kGranule, kVa, l), G::kIdx[l]) << "level " << l;
    EXPECT_EQ(this->index(kVa, l), G::kIdx[l]) << "the test's own helper, level " << l;
  }
  EXPECT_EQ(1u << (s.va[G::kStart].hi - s.va[G::kStart].lo + 1), G::kRootEntries);
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(((s.block_levels >> l) & 1) != 0, G::kBlock[l] != 0) << "level " << l;
  EXPECT_EQ(sim_ttl(G::kGranule, 3), G::kTtlL3);
  EXPECT_EQ(sim_ttl(G::kGranule, 2), G::kTtlL2);
}

// A page: the tables at kVa's literal indices, the last byte of the page translated.
TYPED_TEST(SimMmu, PageDescriptorAtLevel3) {
  using G = TypeParam;
  PhysAddr t = this->root;
  for (unsigned l = G::kStart; l < 3; ++l) {
    const PhysAddr next = this->table();
    this->entries(t)[G::kIdx[l]] = next.value() | kTableDesc;
    t = next;
  }
  this->entries(t)[G::kIdx[3]] = kData | kPageAttrs;
  const WalkResult w = this->walk(kVa + G::kPage - 1, /*wxn=*/false);
  ASSERT_TRUE(w.ok) << w.fault;
  EXPECT_EQ(w.level, 3);
  EXPECT_EQ(w.size, G::kPage);
  EXPECT_EQ(w.pa.value(), kData + G::kPage - 1);
  EXPECT_EQ(w.leaf.raw, kData | kPageAttrs);
  EXPECT_EQ(w.type, MemType::Normal);
  EXPECT_TRUE(w.writable);
  EXPECT_TRUE(w.el1_exec);
  EXPECT_FALSE(w.el0_access);
  EXPECT_FALSE(w.res0_address_bits);
  // The walk read one table per level from the initial lookup level: 4, 4, 3.
  EXPECT_EQ(this->mmu.direct_table_access.size(), 4 - G::kStart);
  EXPECT_EQ(this->mmu.direct_table_access.front(), this->root.value());
  // The next page is not mapped: a Translation fault at level 3.
  const WalkResult n = this->walk(kVa + G::kPage);
  EXPECT_STREQ(n.fault, "translation");
  EXPECT_EQ(n.level, 3);
}

// A block at each level that supports one, the offset within the block kept.
TYPED_TEST(SimMmu, BlockDescriptorsWhereTheGranuleHasThem) {
  using G = TypeParam;
  constexpr uint64_t kOa = 0x1'4000'0000ull;  // 5 GiB: aligned to every block size
  unsigned blocks = 0;
  for (unsigned l = 1; l < 3; ++l) {
    if (!G::kBlock[l]) continue;
    ++blocks;
    const uint64_t va = kVa + (uint64_t{l} << 44);  // another root entry (4K, 64K) or L1 entry (16K)
    this->entry(l, va) = kOa | kBlockAttrs;
    const uint64_t off = (va & (G::kBlock[l] - 1)) + 0x1234;
    const WalkResult w = this->walk(va + 0x1234);
    ASSERT_TRUE(w.ok) << "level " << l << ": " << w.fault;
    EXPECT_EQ(w.level, static_cast<int>(l));
    EXPECT_EQ(w.size, G::kBlock[l]);
    EXPECT_EQ(w.pa.value(), kOa + off);
    EXPECT_FALSE(w.res0_address_bits);
  }
  EXPECT_EQ(blocks, G::kStart == 0 && G::kPage == 0x1000 ? 2u : 1u);
}

// A block descriptor where the granule has none (level 0 always; level 1 at 16K and, without
// FEAT_LPA, at 64K), and 0b01 at level 3 (reserved): Translation faults at that level.
TYPED_TEST(SimMmu, BlockDescriptorsWhereTheGranuleHasNoneFault) {
  using G = TypeParam;
  this->entry(3) = kData | kBlockAttrs;
  const WalkResult w3 = this->walk(kVa);
  EXPECT_STREQ(w3.fault, "translation");
  EXPECT_EQ(w3.level, 3);
  // Now blocks above, replacing the tables that led there.
  unsigned forbidden = 0;
  for (unsigned l = G::kStart; l < 3; ++l) {
    if (G::kBlock[l]) continue;
    ++forbidden;
    const uint64_t va = kVa - (uint64_t{l} << 47);        // VA[47] differs: another root entry (16K)
    this->entry(l, va) = 0x1'0000'0000ull | kBlockAttrs;  // the address does not matter: no block here
    const WalkResult w = this->walk(va);
    EXPECT_FALSE(w.ok) << "level " << l;
    EXPECT_STREQ(w.fault, "translation") << "level " << l;
    EXPECT_EQ(w.level, static_cast<int>(l));
  }
  EXPECT_EQ(forbidden, G::kPage == 0x4000 ? 2u : 1u);  // 4K: L0; 16K: L0, L1; 64K: L1 (the root)
}

// The root table: its entries are VA[47:39] (512), VA[47] (2) or VA[47:42] (64). At 16K the two
// entries split the TTBR1 half at VA[47]; an empty one faults at the initial lookup level.
TYPED_TEST(SimMmu, TheRootTableIsIndexedByTheTopVaBits) {
  using G = TypeParam;
  constexpr uint64_t kLow = 0xffff'0000'0000'0000ull;   // VA[47] = 0: root entry 0
  constexpr uint64_t kHigh = 0xffff'8000'0000'0000ull;  // VA[47] = 1: the middle entry
  constexpr uint64_t kTop = 0xffff'ffff'ffff'0000ull;   // the last entry
  EXPECT_EQ(this->index(kHigh, G::kStart), G::kRootEntries / 2);
  EXPECT_EQ(sim_index(G::kGranule, kHigh, G::kStart), G::kRootEntries / 2);
  EXPECT_EQ(sim_index(G::kGranule, kTop, G::kStart), G::kRootEntries - 1);
  {
    const WalkResult w = this->walk(kHigh);
    EXPECT_STREQ(w.fault, "translation");
    EXPECT_EQ(w.level, static_cast<int>(G::kStart)) << "the walk starts at level 0, 0, 1";
  }
  this->entry(3, kLow) = kData | kPageAttrs;
  this->entry(3, kHigh) = (kData + G::kPage) | kPageAttrs;
  EXPECT_EQ(this->entries(this->root)[0] & 3, 3u);
  EXPECT_EQ(this->entries(this->root)[G::kRootEntries / 2] & 3, 3u);
  EXPECT_EQ(this->walk(kLow + 8).pa.value(), kData + 8);
  EXPECT_EQ(this->walk(kHigh + 8).pa.value(), kData + G::kPage + 8);
  EXPECT_FALSE(this->walk(kTop).ok);
  this->entry(3, kTop) = (kData + 2 * G::kPage) | kPageAttrs;
  EXPECT_EQ(this->entries(this->root)[G::kRootEntries - 1] & 3, 3u);
  EXPECT_EQ(this->walk(kTop + 8).pa.value(), kData + 2 * G::kPage + 8);
  if (G::kRootEntries == 2) {
    // At 16K the root holds two entries: the rest of its page is never read. Filled with copies
    // of entry 0 (whose tables do not map kTop or kHigh), a wider index would be caught.
    for (unsigned i = 2; i < G::kPage / 8; ++i) this->entries(this->root)[i] = this->entries(this->root)[0];
    EXPECT_EQ(this->walk(kHigh + 8).pa.value(), kData + G::kPage + 8);
    EXPECT_EQ(this->walk(kTop + 8).pa.value(), kData + 2 * G::kPage + 8);
    this->entries(this->root)[1] = 0;
    EXPECT_FALSE(this->walk(kHigh).ok);
    EXPECT_FALSE(this->walk(kTop).ok);
  }
  EXPECT_EQ(this->walk(kLow + 8).pa.value(), kData + 8);
  EXPECT_STREQ(this->walk(0x0000'8000'0000'0000ull).fault, "not a TTBR1 address");
}

// APTable and PXNTable/UXNTable at any table level restrict everything below them (D8.4,
// "Hierarchical control of data access permissions", "... of instruction execution permissions").
TYPED_TEST(SimMmu, HierarchicalControlsInTableDescriptors) {
  using G = TypeParam;
  this->entry(3) = kData | kPageAttrs | kAp1El0 | kAp2Ro;  // read-only at EL1 and EL0, executable
  WalkResult w = this->walk(kVa, /*wxn=*/false);
  ASSERT_TRUE(w.ok);
  EXPECT_FALSE(w.writable);
  EXPECT_TRUE(w.el0_access);
  EXPECT_TRUE(w.el1_exec);
  EXPECT_TRUE(w.el0_exec);
  uint64_t& top = this->entries(this->root)[G::kIdx[G::kStart]];
  uint64_t& l2 = this->entry(2);
  top |= kApTableNoEl0;  // APTable[0]: no EL0 access below
  w = this->walk(kVa, false);
  EXPECT_FALSE(w.el0_access);
  EXPECT_FALSE(w.el0_exec);
  EXPECT_TRUE(w.el1_exec);
  top &= ~kApTableNoEl0;
  l2 |= kUxnTable;
  w = this->walk(kVa, false);
  EXPECT_TRUE(w.el0_access);
  EXPECT_FALSE(w.el0_exec);
  EXPECT_TRUE(w.el1_exec);
  l2 = (l2 & ~kUxnTable) | kPxnTable;
  w = this->walk(kVa, false);
  EXPECT_FALSE(w.el1_exec);
  EXPECT_TRUE(w.el0_exec);
  l2 &= ~kPxnTable;
  // A writable page: APTable[1] makes it read-only, from the root or from level 2.
  this->entry(3) = kData | kPageAttrs | kPxn | kUxn;
  EXPECT_TRUE(this->walk(kVa, false).writable);
  top |= kApTableRo;
  EXPECT_FALSE(this->walk(kVa, false).writable);
  top &= ~kApTableRo;
  l2 |= kApTableRo;
  EXPECT_FALSE(this->walk(kVa, false).writable);
  EXPECT_TRUE(this->walk(kVa, false).ok) << "a hierarchical control restricts, it does not fault the walk";
}

// AF = 0 in a page or a block: an Access flag fault at the leaf's level.
TYPED_TEST(SimMmu, AccessFlagFault) {
  using G = TypeParam;
  this->entry(3) = kData | (kPageAttrs & ~kAf);
  WalkResult w = this->walk(kVa);
  EXPECT_STREQ(w.fault, "access flag");
  EXPECT_EQ(w.level, 3);
  const uint64_t va = kVa + (1ull << 44);
  this->entry(2, va) = (kArenaBase & ~(G::kBlock[2] - 1)) | (kBlockAttrs & ~kAf);
  w = this->walk(va);
  EXPECT_STREQ(w.fault, "access flag");
  EXPECT_EQ(w.level, 2);
}

// Descriptor address bits below the granule (D8.3; pseudocode AArch64.NextTableBase() and
// AArch64.LeafBase()):
//  - 4K: bits[11:2] of a table descriptor are attributes/IGNORED, never address bits;
//  - 16K: the next-level table address is descriptor[47:14], the page address descriptor[47:14]:
//    bits[13:12] are RES0 and the walk ignores them (reported in res0_address_bits);
//  - 64K: bits[15:12] are OA[51:48] (with FEAT_LPA, and without it when the IMPLEMENTATION DEFINED
//    choice "descriptor[15:12] for 64KB granule are OA[51:48]" is made); with a 48-bit PA a
//    nonzero OA[51:48] is an Address size fault. The oracle takes that choice: a kernel that
//    leaves them set works on no core that makes it.
TYPED_TEST(SimMmu, TableAndPageAddressBitsBelowTheGranule) {
  using G = TypeParam;
  this->entry(3) = kData | kPageAttrs;
  uint64_t& l2 = this->entry(2);
  const uint64_t good = l2;
  ASSERT_TRUE(this->walk(kVa).ok);
  l2 = good | 0xffc;  // bits[11:2] of a table descriptor: ignored at every granule
  EXPECT_TRUE(this->walk(kVa).ok);
  EXPECT_FALSE(this->walk(kVa).res0_address_bits);
  if constexpr (G::kPage == 0x4000) {
    l2 = good | 0x3000;
    WalkResult w = this->walk(kVa + 4);
    ASSERT_TRUE(w.ok) << w.fault;
    EXPECT_EQ(w.pa.value(), kData + 4);
    EXPECT_TRUE(w.res0_address_bits);
    l2 = good;
    this->entry(3) = kData | 0x3000 | kPageAttrs;
    w = this->walk(kVa + 4);
    ASSERT_TRUE(w.ok) << w.fault;
    EXPECT_EQ(w.pa.value(), kData + 4) << "the page address is descriptor[47:14]";
    EXPECT_TRUE(w.res0_address_bits);
  } else if constexpr (G::kPage == 0x1'0000) {
    for (uint64_t b : {0x1000ull, 0x8000ull}) {
      l2 = good | b;
      WalkResult w = this->walk(kVa);
      EXPECT_STREQ(w.fault, "address size") << std::hex << b;
      EXPECT_EQ(w.level, 2);
      l2 = good;
      this->entry(3) = kData | b | kPageAttrs;
      w = this->walk(kVa);
      EXPECT_STREQ(w.fault, "address size") << std::hex << b;
      EXPECT_EQ(w.level, 3);
      this->entry(3) = kData | kPageAttrs;
    }
    // A block too: its bits[15:12] are OA[51:48].
    const uint64_t va = kVa + (1ull << 44);
    this->entry(2, va) = 0x2000'0000ull | 0x2000 | kBlockAttrs;
    EXPECT_STREQ(this->walk(va).fault, "address size");
  } else {
    // 4K: bits[11:0] of a page descriptor are attributes; the address is descriptor[47:12].
    this->entry(3) = kData | kPageAttrs;
    EXPECT_EQ(this->walk(kVa + 4).pa.value(), kData + 4);
  }
  // A block's bits between 12 and its size are RES0 at 4K and 16K (and at 64K above bit 15):
  // ignored, reported.
  const uint64_t va = kVa + (2ull << 44);
  this->entry(2, va) = 0x2000'0000ull | 0x10'0000ull | kBlockAttrs;  // bit 20: below 2M, 32M, 512M
  const WalkResult w = this->walk(va);
  ASSERT_TRUE(w.ok) << w.fault;
  EXPECT_EQ(w.pa.value(), 0x2000'0000ull + (va & (G::kBlock[2] - 1)));
  EXPECT_TRUE(w.res0_address_bits);
}

// TLBI VAALE1IS operands: VA[55:12] in Xt[43:0] at every granule, TTL in Xt[47:44].
TYPED_TEST(SimMmu, TlbiOperandDecode) {
  using G = TypeParam;
  const uint64_t op = 0xffa'5a5c'3c30ull | uint64_t{G::kTtlL3} << 44;  // literal VA[55:12] of kVa
  EXPECT_EQ(sim_tlbi_va(op), kVa) << "sign-extended from VA[55]";
  EXPECT_EQ(sim_tlbi_ttl(op), G::kTtlL3);
  EXPECT_EQ(sim_ttl(G::kGranule, 3), G::kTtlL3);
  EXPECT_TRUE(sim_ttl_matches(G::kTtlL3, G::kGranule, 3));
  EXPECT_FALSE(sim_ttl_matches(G::kTtlL3, G::kGranule, 2));
  EXPECT_TRUE(sim_ttl_matches(0, G::kGranule, 3));
  EXPECT_TRUE(sim_ttl_matches(0b0011, G::kGranule, 2)) << "TTL[3:2] = 0b00: no information";
  EXPECT_FALSE(sim_ttl_matches(G::kTtlL3 & 0b1100, G::kGranule, 3)) << "level 0: reserved without LPA2";
  for (SimGranule other : {SimGranule::k4K, SimGranule::k16K, SimGranule::k64K}) {
    if (other != G::kGranule) {
      EXPECT_FALSE(sim_ttl_matches(sim_ttl(other, 3), G::kGranule, 3)) << sim_granule_name(other);
    }
  }
}

// The TLB model keeps a page's translation until a TLBI whose VA is in the page and whose TTL is 0
// or names the entry's granule and level.
TYPED_TEST(SimMmu, TheTlbHonoursOnlyAMatchingTtl) {
  using G = TypeParam;
  this->entry(3) = kData | kPageAttrs;
  std::memcpy(this->arena.ptr(PhysAddr(kData)), "old", 4);
  std::memcpy(this->arena.ptr(PhysAddr(kData + G::kPage)), "new", 4);
  ASSERT_STREQ(static_cast<const char*>(this->mmu.access(VirtAddr(kVa), 4)), "old");
  ASSERT_EQ(this->mmu.tlb().size(), 1u);
  EXPECT_EQ(this->mmu.tlb()[0].size, G::kPage);
  EXPECT_EQ(this->mmu.tlb()[0].level, 3u);
  this->entry(3) = (kData + G::kPage) | kPageAttrs;  // behind the TLB's back
  EXPECT_STREQ(static_cast<const char*>(this->mmu.access(VirtAddr(kVa), 4)), "old");
  const uint64_t va_field = 0xffa'5a5c'3c30ull;  // VA[55:12] of kVa
  // Misses: the other granules' level-3 TTLs, this granule's level 2, the next page, RES0 bits,
  // and (16K/64K) the VA counted in pages rather than in 4 KiB units.
  for (unsigned ttl : {0b0111u, 0b1011u, 0b1111u})
    if (ttl != G::kTtlL3) this->mmu.sim_tlbi(va_field | uint64_t{ttl} << 44);
  this->mmu.sim_tlbi(va_field | uint64_t{G::kTtlL2} << 44);
  this->mmu.sim_tlbi((va_field + G::kPage / 0x1000) | uint64_t{G::kTtlL3} << 44);
  this->mmu.sim_tlbi(va_field | uint64_t{G::kTtlL3} << 44 | 1ull << 48);
  if (G::kPage != 0x1000) this->mmu.sim_tlbi(((kVa >> G::kShift[3]) & ((1ull << 44) - 1)) | uint64_t{G::kTtlL3} << 44);
  ASSERT_EQ(this->mmu.tlb().size(), 1u);
  EXPECT_STREQ(static_cast<const char*>(this->mmu.access(VirtAddr(kVa), 4)), "old");
  // The right one.
  this->mmu.sim_tlbi(va_field | uint64_t{G::kTtlL3} << 44);
  EXPECT_TRUE(this->mmu.tlb().empty());
  EXPECT_STREQ(static_cast<const char*>(this->mmu.access(VirtAddr(kVa), 4)), "new");
  // TTL 0 (no hint) removes it too, named by any 4 KiB unit inside the page.
  this->mmu.sim_tlbi(va_field + (G::kPage / 0x1000 - 1));
  EXPECT_TRUE(this->mmu.tlb().empty());
}

// A block in the TLB: any VA inside it names it; TTL {granule, 2} removes it, {granule, 3} does not.
TYPED_TEST(SimMmu, TheTlbHoldsABlockUntilALevel2Tlbi) {
  using G = TypeParam;
  const uint64_t va = kVa & ~(G::kBlock[2] - 1);
  this->entry(2, va) = kArenaBase | kBlockAttrs;  // the arena's base is aligned to every block size
  ASSERT_NE(this->mmu.access(VirtAddr(va + 0x10'0000), 8), nullptr);
  ASSERT_EQ(this->mmu.tlb().size(), 1u);
  EXPECT_EQ(this->mmu.tlb()[0].size, G::kBlock[2]);
  EXPECT_EQ(this->mmu.tlb()[0].level, 2u);
  const uint64_t inside = ((va + 0x5'0000) >> 12) & ((1ull << 44) - 1);
  this->mmu.sim_tlbi(inside | uint64_t{G::kTtlL3} << 44);
  EXPECT_EQ(this->mmu.tlb().size(), 1u);
  this->mmu.sim_tlbi(inside | uint64_t{G::kTtlL2} << 44);
  EXPECT_TRUE(this->mmu.tlb().empty());
}

// leaf_entry_pa and bbm_violations use the MMU's granule: the level-3 entry is found from the
// initial lookup level, and a TLBI of it must carry {granule, 3}.
TYPED_TEST(SimMmu, BreakBeforeMakeCheckerFollowsTheGranule) {
  using G = TypeParam;
  uint64_t& e = this->entry(3);
  e = kData | kPageAttrs;
  const uint64_t epa = leaf_entry_pa(this->mmu, this->root, kVa);
  EXPECT_EQ(reinterpret_cast<uint64_t*>(this->arena.ptr(PhysAddr(epa))), &e);
  // A recorded clear and its TLBI, as the kernel's operations would record them.
  this->mmu.ops.push_back({MmuOp::SetPte, epa, 0, kData | kPageAttrs, true});
  this->mmu.ops.push_back({MmuOp::TlbiPage, kVa, 0xffa'5a5c'3c30ull | uint64_t{G::kTtlL3} << 44, 3});
  EXPECT_TRUE(bbm_violations(this->mmu).empty());
  for (unsigned ttl : {0b0111u, 0b1011u, 0b1111u}) {
    if (ttl == G::kTtlL3) continue;
    this->mmu.ops.back().b = 0xffa'5a5c'3c30ull | uint64_t{ttl} << 44;
    EXPECT_FALSE(bbm_violations(this->mmu).empty()) << "TTL " << ttl << " names another granule";
  }
}

}  // namespace
}  // namespace kernel::test
