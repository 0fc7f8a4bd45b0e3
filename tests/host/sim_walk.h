// The tests' oracle: a software translation table walker for the TTBR1 half (stage 1, EL1&0
// regime, 48-bit VA: TCR_EL1.T1SZ = 16, 48-bit OA, no FEAT_LPA/FEAT_LPA2), for the 4 KiB, 16 KiB
// and 64 KiB translation granules, written from the Arm ARM (DDI 0487: D8.2 "Translation
// process", D8.3 "Translation table descriptor formats", D8.4 "Memory access control")
// independently of the kernel's walker (mm/pgtable_walker.h) and of the kernel's geometry
// (asm/page_def.h, asm/memory.h: kLevelShift, table_index, kOutputAddrMask... are not used here),
// so that it can catch them. The granule is a run-time parameter; the build's granule is only the
// default. Test code only.
#pragma once

#include <stdint.h>

#include "mm/pgtable_ops.h"

namespace kernel {

// The translation granule the oracle walks with (TCR_EL1.TG1).
enum class SimGranule : uint8_t { k4K, k16K, k64K };

// The build's granule (CONFIG_ARM64_PAGE_SHIFT): the default, and nothing else comes from the
// kernel's headers.
inline constexpr SimGranule kSimBuildGranule =
    PAGE_SHIFT == 12 ? SimGranule::k4K : (PAGE_SHIFT == 14 ? SimGranule::k16K : SimGranule::k64K);

// The geometry of one granule, transcribed from the Arm ARM rather than computed:
//
//  D8.2 "Translation process", the tables of input address bits resolved at each level, for a
//  48-bit input address (T1SZ = 16), and the initial lookup level:
//    4 KiB:  L0 VA[47:39]  L1 VA[38:30]  L2 VA[29:21]  L3 VA[20:12]   start L0 (512 entries)
//    16 KiB: L0 VA[47]     L1 VA[46:36]  L2 VA[35:25]  L3 VA[24:14]   start L0 (2 entries)
//    64 KiB: (no L0)       L1 VA[47:42]  L2 VA[41:29]  L3 VA[28:16]   start L1 (64 entries)
//  The bits below the last level's are the offset within the page (VA[11:0], [13:0], [15:0]).
//
//  D8.3 "Translation table descriptor formats", without FEAT_LPA/FEAT_LPA2 (pseudocode
//  AArch64.BlockDescSupported()):
//    block descriptors: 4 KiB at L1 (1 GiB, OA[47:30]) and L2 (2 MiB, OA[47:21]);
//                       16 KiB at L2 only (32 MiB, OA[47:25]);
//                       64 KiB at L2 only (512 MiB, OA[47:29]); an L1 block (4 TiB) needs FEAT_LPA.
//    A block descriptor at a level that does not support one, level 0 included, is a Translation
//    fault at that level.
//    page descriptors (L3): OA[47:12], OA[47:14], OA[47:16];
//    table descriptors: next-level table address NLTA[47:12], [47:14], [47:16] (pseudocode
//    AArch64.NextTableBase()).
//
//  TLBI by VA operands ("TLBI VAALE1IS", TTL field): TTL[3:2] names the granule: 0b01 4 KiB,
//  0b10 16 KiB, 0b11 64 KiB (0b00: no granule/level information).
struct SimLevelBits {
  int hi = -1, lo = -1;  // VA[hi:lo] is the index at this level; lo < 0: the level is not used
};
struct SimGeometry {
  unsigned page_shift;    // the granule: 1 << page_shift bytes, also one translation table
  unsigned start_level;   // initial lookup level for T1SZ = 16
  SimLevelBits va[4];     // per level
  unsigned block_levels;  // bit l set: a block descriptor is supported at level l
  unsigned ttl_tg;        // TTL[3:2] of a TLBI by VA naming this granule
};

constexpr SimGeometry sim_geometry(SimGranule g) {
  switch (g) {
    case SimGranule::k4K: return {12, 0, {{47, 39}, {38, 30}, {29, 21}, {20, 12}}, (1u << 1) | (1u << 2), 0b01};
    case SimGranule::k16K: return {14, 0, {{47, 47}, {46, 36}, {35, 25}, {24, 14}}, 1u << 2, 0b10};
    case SimGranule::k64K: return {16, 1, {{-1, -1}, {47, 42}, {41, 29}, {28, 16}}, 1u << 2, 0b11};
  }
  return {};
}

constexpr uint64_t sim_granule_size(SimGranule g) { return uint64_t{1} << sim_geometry(g).page_shift; }
constexpr const char* sim_granule_name(SimGranule g) {
  return g == SimGranule::k4K ? "4K" : g == SimGranule::k16K ? "16K" : "64K";
}
// The index into the level-`level` table for `va` (VA[hi:lo] of that level).
constexpr unsigned sim_index(SimGranule g, uint64_t va, unsigned level) {
  const SimLevelBits b = sim_geometry(g).va[level];
  return static_cast<unsigned>((va >> b.lo) & ((uint64_t{1} << (b.hi - b.lo + 1)) - 1));
}
// Bytes a leaf (a block, or a page at level 3) at `level` maps: the VA bits below the level's.
constexpr uint64_t sim_leaf_size(SimGranule g, unsigned level) { return uint64_t{1} << sim_geometry(g).va[level].lo; }
// TTL of a TLBI by VA for a leaf of this granule at `level` (1..3).
constexpr unsigned sim_ttl(SimGranule g, unsigned level) { return sim_geometry(g).ttl_tg << 2 | (level & 3); }

// Self-consistency of the transcription above: a full table is one granule page of 8-byte
// descriptors (page_shift - 3 index bits), the levels are adjacent, the last level's bits start
// at the page offset, and the start level's bits end at VA[47].
constexpr bool sim_geometry_consistent(SimGranule g) {
  const SimGeometry s = sim_geometry(g);
  if (s.va[s.start_level].hi != 47 || s.va[3].lo != static_cast<int>(s.page_shift)) return false;
  for (unsigned l = s.start_level + 1; l < 4; ++l)
    if (s.va[l].hi != s.va[l - 1].lo - 1 || s.va[l].hi - s.va[l].lo + 1 != static_cast<int>(s.page_shift) - 3)
      return false;
  return s.va[s.start_level].hi - s.va[s.start_level].lo + 1 <= static_cast<int>(s.page_shift) - 3;
}
static_assert(sim_geometry_consistent(SimGranule::k4K) && sim_geometry_consistent(SimGranule::k16K) &&
              sim_geometry_consistent(SimGranule::k64K));

struct WalkResult {
  bool ok = false;
  int level = -1;         // level of the leaf (a block at 1 or 2, a page at 3) or of the fault
  uint64_t size = 0;      // bytes the leaf maps (its page or block)
  PhysAddr pa;            // output address including the offset within the block/page
  Pte leaf;               // the leaf descriptor
  bool writable = false;  // at EL1, after APTable
  bool el1_exec = false;  // PXN clear, PXNTable clear (and not writable when SCTLR.WXN)
  bool el0_access = false;
  bool el0_exec = false;
  MemType type = MemType::DeviceNGnRnE;
  // A descriptor on the way had address bits the walk ignores set (16 KiB: bits [13:12] of a
  // table or page descriptor; a block's bits between 12 and its size, except OA[51:48] at 64 KiB;
  // bit 16 of a block is nT with FEAT_BBM, which the kernel does not use): the hardware
  // translates anyway (RES0), but the kernel never writes them, so tests may assert it is clear.
  bool res0_address_bits = false;
  // "translation", "access flag", "address size", "not a TTBR1 address", "table unreachable"
  const char* fault = nullptr;
};

// Walks `va` from the table at `ttbr1` (TTBR1_EL1.BADDR) with granule `g`. `ops.table_ptr()`
// must give access to one whole table of that granule (1 << page_shift bytes).
WalkResult walk_ttbr1(PageTableOps& ops, PhysAddr ttbr1, VirtAddr va, bool wxn = true, SimGranule g = kSimBuildGranule);

}  // namespace kernel
