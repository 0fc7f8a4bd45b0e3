#include "sim_walk.h"

#include "asm/memory.h"

namespace kernel {

WalkResult walk_ttbr1(PageTableOps& ops, PhysAddr ttbr1, VirtAddr va, bool wxn) {
  WalkResult r;
  const uint64_t v = va.value();
  if (!is_ttbr1_address(v)) {  // T1SZ = 16: bits [63:48] must all be ones (D8.2.3)
    r.fault = "not a TTBR1 address";
    r.level = 0;
    return r;
  }
  // Hierarchical attributes accumulated from table descriptors (D8.4.2).
  bool ap_table_ro = false, ap_table_no_el0 = false, pxn_table = false, uxn_table = false;
  PhysAddr table(ttbr1.value() & kOutputAddrMask);
  for (unsigned level = 0; level <= 3; ++level) {
    Pte* t = ops.table_ptr(table);
    if (!t) {
      r.fault = "table unreachable";
      r.level = static_cast<int>(level);
      return r;
    }
    Pte d = t[table_index(v, level)];
    r.level = static_cast<int>(level);
    if (!d.valid()) {
      r.fault = "translation";
      return r;
    }
    bool leaf;
    if (level == 3) {
      if (!d.is_table_or_page()) {  // 0b01 at level 3 is reserved: treated as invalid
        r.fault = "translation";
        return r;
      }
      leaf = true;
    } else if (d.is_block()) {
      if (level == 0) {  // no level-0 blocks with 4 KiB granule and 48-bit OA (before FEAT_LPA2)
        r.fault = "translation";
        return r;
      }
      leaf = true;
    } else {
      leaf = false;
    }
    if (!leaf) {
      ap_table_ro |= (d.raw >> 62) & 1;
      ap_table_no_el0 |= (d.raw >> 61) & 1;
      pxn_table |= (d.raw & Pte::kPxnTable) != 0;
      uxn_table |= (d.raw & Pte::kUxnTable) != 0;
      table = d.output_address();
      continue;
    }
    uint64_t block = uint64_t{1} << kLevelShift[level];
    uint64_t base = d.raw & kOutputAddrMask & ~(block - 1);
    if (!d.af()) {
      r.fault = "access flag";
      return r;
    }
    r.ok = true;
    r.leaf = d;
    r.pa = PhysAddr(base | (v & (block - 1)));
    r.type = d.mem_type();
    r.writable = !d.read_only() && !ap_table_ro;
    r.el0_access = d.el0_access() && !ap_table_no_el0;
    r.el1_exec = !d.pxn() && !pxn_table && !(wxn && r.writable);
    // EL0-writable memory is never executable at EL1 (D8.4.1.3), whatever PXN says.
    if (r.el0_access && r.writable) r.el1_exec = false;
    r.el0_exec = r.el0_access && !d.uxn() && !uxn_table && !(wxn && r.writable);
    return r;
  }
  r.fault = "translation";
  return r;
}

}  // namespace kernel
