#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "kernel/printk.h"
#include "mm/fixmap.h"
#include "sim_mmu.h"

namespace kernel::test {

// Checks the recorded operations for the break-before-make rules: a valid entry is never
// overwritten by a different valid one, and every valid entry that was cleared is followed by a
// TLB invalidate of its address before it is set again (or before the end of the recording).
inline std::vector<std::string> bbm_violations(RecordingMmuOps& mmu) {
  std::vector<std::string> v;
  std::map<uint64_t, bool> pending;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind == MmuOp::TlbiPage) {
      pending.erase(leaf_entry_pa(mmu, mmu.ttbr1, op.a));
      continue;
    }
    bool was_valid = op.c & 1, now_valid = op.b & 1;
    char buf[160];
    if (was_valid && now_valid && op.b != op.c) {
      snprintf(buf, sizeof buf, "entry 0x%lx changed 0x%lx -> 0x%lx without a break", op.a, op.c, op.b);
      v.push_back(buf);
    }
    if (now_valid && pending.count(op.a)) {
      snprintf(buf, sizeof buf, "entry 0x%lx set again before its TLB invalidate", op.a);
      v.push_back(buf);
    }
    if (was_valid && !now_valid) pending[op.a] = true;
  }
  for (auto& [pa, _] : pending) v.push_back("entry 0x" + std::to_string(pa) + " cleared, never invalidated");
  return v;
}

inline std::string kernel_log() {
  static char buf[70000];
  log_buffer_copy(buf, sizeof buf);
  return buf;
}

class FixmapTest : public ::testing::Test {
 public:
  static constexpr uint64_t kRamBase = 0x40000000;
  static constexpr uint64_t kRamSize = 64ull << 20;

  FixmapTest() : arena(kRamBase, kRamSize), mmu(arena), fm(mmu) {}

  void SetUp() override {
    log_buffer_reset();
    pgd = arena.alloc_page();
    mmu.ttbr1 = pgd;
    tables.pud = arena.alloc_page();
    tables.pmd = arena.alloc_page();
    for (auto& p : tables.pte) p = arena.alloc_page();
    ASSERT_EQ(fm.init(pgd, tables), FixmapStatus::Ok);
    fixmap_install(&fm);
  }
  void TearDown() override { fixmap_install(nullptr); }

  WalkResult walk(uint64_t va) { return walk_ttbr1(mmu, pgd, VirtAddr(va)); }

  SimArena arena;
  RecordingMmuOps mmu;
  Fixmap fm;
  PhysAddr pgd;
  FixmapTables tables;
};

}  // namespace kernel::test
