// The tests' oracle: a software translation table walker for the TTBR1 half (stage 1, EL1&0
// regime, 4 KiB granule, 48-bit VA), written from the Arm ARM (D8.2 "Translation process", D8.3
// descriptor formats, D8.4 "Memory access control") independently of the kernel's cursor
// (mm/pgtable_walker.h), so that it can catch it. Test code only.
#pragma once

#include "mm/pgtable_ops.h"

namespace kernel {

struct WalkResult {
  bool ok = false;
  int level = -1;         // level of the leaf (1: 1 GiB block, 2: 2 MiB block, 3: page) or of the fault
  PhysAddr pa;            // output address including the offset within the block/page
  Pte leaf;               // the leaf descriptor
  bool writable = false;  // at EL1, after APTable
  bool el1_exec = false;  // PXN clear, PXNTable clear (and not writable when SCTLR.WXN)
  bool el0_access = false;
  bool el0_exec = false;
  MemType type = MemType::DeviceNGnRnE;
  const char* fault = nullptr;  // "translation", "address size", "not a TTBR1 address", "table unreachable"
};

WalkResult walk_ttbr1(PageTableOps& ops, PhysAddr ttbr1, VirtAddr va, bool wxn = true);

}  // namespace kernel
