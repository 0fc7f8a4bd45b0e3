#include "sim_walk.h"

namespace kernel {
namespace {

// Descriptor bits (Arm ARM D8.3 "Translation table descriptor formats"), written out here rather
// than taken from the kernel's Pte accessors.
constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }
constexpr uint64_t bits(unsigned hi, unsigned lo) { return ((bit(hi - lo) << 1) - 1) << lo; }
constexpr uint64_t kDescValid = bit(0);  // bits[1:0]: 0bx0 invalid, 0b01 block, 0b11 table/page
constexpr uint64_t kDescType = bit(1);
constexpr unsigned kAttrIndxShift = 2;  // lower attributes: AttrIndx[2:0] bits[4:2]
constexpr uint64_t kApEl0 = bit(6);     // AP[1]: EL0 access
constexpr uint64_t kApRo = bit(7);      // AP[2]: read-only
constexpr uint64_t kAf = bit(10);       // AF
constexpr uint64_t kPxn = bit(53);      // upper attributes: PXN, UXN (two privilege levels, EL1&0)
constexpr uint64_t kUxn = bit(54);
constexpr uint64_t kPxnTable = bit(59);      // table descriptor: PXNTable
constexpr uint64_t kUxnTable = bit(60);      // UXNTable (XNTable)
constexpr uint64_t kApTableNoEl0 = bit(61);  // APTable[0]: no EL0 access below
constexpr uint64_t kApTableRo = bit(62);     // APTable[1]: no write access below

// The output address bits of a descriptor for a 48-bit OA: OA[47:lo] (lo: the granule for a table
// or a page, the block size for a block). At 64 KiB, descriptor bits [15:12] are OA[51:48] (D8.3,
// the 64 KiB formats with FEAT_LPA; without FEAT_LPA the pseudocode AArch64.NextTableBase() and
// AArch64.LeafBase() take them so too under the IMPLEMENTATION DEFINED choice "descriptor[15:12]
// for 64KB granule are OA[51:48]"): with a 48-bit physical address space a nonzero OA[51:48] is
// an Address size fault (D8.2, AArch64.OAOutOfRange()), reported at the level of the descriptor.
// A core may also ignore them; the oracle takes the faulting choice so that the kernel can rely on
// neither. Every other bit between 12 and lo (16 KiB tables and pages: [13:12]; blocks: up to the
// block size) is RES0: not part of the address (the pseudocode aligns it away), ignored by the
// walk, reported in res0_address_bits.
struct Oa {
  uint64_t base;
  bool out_of_range;  // OA[51:48] != 0
  bool res0;          // address bits below the alignment set
};
Oa output_address(uint64_t desc, SimGranule g, unsigned lo) {
  Oa r{desc & bits(47, lo), false, false};
  uint64_t below = lo > 12 ? desc & bits(lo - 1, 12) : 0;
  if (g == SimGranule::k64K) {
    r.out_of_range = (desc & bits(15, 12)) != 0;
    below &= ~bits(15, 12);
  }
  r.res0 = below != 0;
  return r;
}

}  // namespace

WalkResult walk_ttbr1(PageTableOps& ops, PhysAddr ttbr1, VirtAddr va, bool wxn, SimGranule g) {
  const SimGeometry geo = sim_geometry(g);
  WalkResult r;
  const uint64_t v = va.value();
  // T1SZ = 16: the TTBR1 region is VA[63:48] all ones (D8.2, "Translation table base address
  // selection"); anything else is outside it, a level 0 Translation fault.
  if ((v >> 48) != 0xffff) {
    r.fault = "not a TTBR1 address";
    r.level = 0;
    return r;
  }
  // Hierarchical attributes accumulated from table descriptors (D8.4, "Hierarchical control of
  // data access permissions" and "... of instruction execution permissions").
  bool ap_table_ro = false, ap_table_no_el0 = false, pxn_table = false, uxn_table = false;
  // TTBR1_EL1.BADDR is bits [47:1] (bit 0 is CnP), taken aligned to the size of the root table
  // (its entries times 8 bytes: 4 KiB, 16 bytes at 16 KiB, 512 bytes at 64 KiB; pseudocode
  // AArch64.S1TTBaseAddress()).
  const SimLevelBits root = geo.va[geo.start_level];
  PhysAddr table(ttbr1.value() & bits(47, 1) & ~((uint64_t{8} << (root.hi - root.lo + 1)) - 1));
  for (unsigned level = geo.start_level; level <= 3; ++level) {
    r.level = static_cast<int>(level);
    Pte* t = ops.table_ptr(table);
    if (!t) {
      r.fault = "table unreachable";
      return r;
    }
    const uint64_t d = t[sim_index(g, v, level)].raw;
    if (!(d & kDescValid)) {
      r.fault = "translation";
      return r;
    }
    const bool type = d & kDescType;
    if (level < 3 && type) {  // a table descriptor
      const Oa next = output_address(d, g, geo.page_shift);
      if (next.out_of_range) {
        r.fault = "address size";
        return r;
      }
      r.res0_address_bits |= next.res0;
      ap_table_ro |= (d & kApTableRo) != 0;
      ap_table_no_el0 |= (d & kApTableNoEl0) != 0;
      pxn_table |= (d & kPxnTable) != 0;
      uxn_table |= (d & kUxnTable) != 0;
      table = PhysAddr(next.base);
      continue;
    }
    // A leaf: a page (level 3, 0b11) or a block (0b01 at a level that supports one). 0b01 at
    // level 3 is reserved, and a block where the granule has none is a Translation fault.
    if ((level == 3 && !type) || (level < 3 && !(geo.block_levels & (1u << level)))) {
      r.fault = "translation";
      return r;
    }
    const uint64_t size = sim_leaf_size(g, level);
    const Oa oa = output_address(d, g, static_cast<unsigned>(geo.va[level].lo));
    // The output address is checked when the descriptor is read, before its attributes: an
    // Address size fault comes before an Access flag fault (D8.2, AArch64.S1Walk()).
    if (oa.out_of_range) {
      r.fault = "address size";
      return r;
    }
    if (!(d & kAf)) {  // AF = 0 without hardware management (TCR_EL1.HA = 0): Access flag fault
      r.fault = "access flag";
      return r;
    }
    r.res0_address_bits |= oa.res0;
    r.ok = true;
    r.size = size;
    r.leaf = Pte{d};
    r.pa = PhysAddr(oa.base | (v & (size - 1)));
    r.type = static_cast<MemType>((d >> kAttrIndxShift) & 7);
    r.writable = !(d & kApRo) && !ap_table_ro;
    r.el0_access = (d & kApEl0) && !ap_table_no_el0;
    r.el1_exec = !(d & kPxn) && !pxn_table && !(wxn && r.writable);
    // EL0-writable memory is never executable at EL1 (D8.4, "Instruction access permissions":
    // privileged execute-never for memory writable at EL0), whatever PXN says.
    if (r.el0_access && r.writable) r.el1_exec = false;
    r.el0_exec = r.el0_access && !(d & kUxn) && !uxn_table && !(wxn && r.writable);
    return r;
  }
  r.fault = "translation";
  return r;
}

}  // namespace kernel
