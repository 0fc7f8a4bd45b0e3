// A simulated physical memory arena and page-table / text-patching operations that record every descriptor store and
// TLB invalidate, for running the kernel's page-table and fixmap code on the host.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "asm/memory.h"
#include "mm/pgtable_ops.h"
#include "sim_walk.h"

namespace kernel::test {

class SimArena {
 public:
  SimArena(uint64_t base, uint64_t size)
      : base_(base), size_(size), mem_(static_cast<uint8_t*>(std::aligned_alloc(4096, size))) {
    std::memset(mem_.get(), 0, size);
  }
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  bool contains(uint64_t pa, uint64_t len) const { return pa >= base_ && len <= size_ && pa - base_ <= size_ - len; }
  uint8_t* ptr(PhysAddr pa) { return contains(pa.value(), 1) ? mem_.get() + (pa.value() - base_) : nullptr; }
  // Hands out zeroed pages from the top of the arena (page tables for tests).
  PhysAddr alloc_page() {
    top_ -= PAGE_SIZE;
    std::memset(mem_.get() + top_, 0, PAGE_SIZE);
    return PhysAddr(base_ + top_);
  }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  uint64_t base_, size_;
  std::unique_ptr<uint8_t, Free> mem_;
  uint64_t top_ = size_;
};

struct MmuOp {
  enum Kind { SetPte, TlbiPage, WriteInsn, SyncIcache, PublishBarrier } kind;
  uint64_t a;  // SetPte/WriteInsn: physical address written; TlbiPage/SyncIcache: virtual address
  uint64_t b;  // SetPte: new value, old value in c; WriteInsn: the instruction; SyncIcache: length;
               // TlbiPage: the TLBI operand the kernel would issue, the level hint in c
  uint64_t c;
};

class RecordingMmuOps final : public HostPageTableOps, public HostTextPatchOps {
 public:
  explicit RecordingMmuOps(SimArena& arena) : arena_(arena) {}

  Pte* table_ptr(PhysAddr table) override {
    if (!table.is_aligned_to(PAGE_SIZE) || !arena_.contains(table.value(), PAGE_SIZE)) return nullptr;
    if (!in_access_) direct_table_access.push_back(table.value());
    return reinterpret_cast<Pte*>(arena_.ptr(table));
  }
  void set_pte(Pte* entry, Pte value) override {
    uint64_t pa =
        arena_.base() + static_cast<uint64_t>(reinterpret_cast<uint8_t*>(entry) - arena_.ptr(PhysAddr(arena_.base())));
    ops.push_back({MmuOp::SetPte, pa, value.raw, entry->raw});
    *entry = value;
  }
  void publish_barrier() override { ops.push_back({MmuOp::PublishBarrier, 0, 0, 0}); }
  void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) override {
    ops.push_back({MmuOp::TlbiPage, va.value(), tlbi_va_operand(va, level, has_ttl), static_cast<uint64_t>(level)});
  }
  void write_insn(void* alias, uint32_t insn) override {
    uint64_t pa =
        arena_.base() + static_cast<uint64_t>(static_cast<uint8_t*>(alias) - arena_.ptr(PhysAddr(arena_.base())));
    ops.push_back({MmuOp::WriteInsn, pa, insn, 0});
    std::memcpy(alias, &insn, 4);
  }
  void sync_icache(VirtAddr va, uint64_t len) override { ops.push_back({MmuOp::SyncIcache, va.value(), len, 0}); }
  void* access(VirtAddr va, uint64_t len) override {
    // Through the simulated MMU: every page of [va, va+len) must translate, contiguously.
    struct Guard {
      bool& f;
      explicit Guard(bool& flag) : f(flag) { f = true; }
      ~Guard() { f = false; }
    } guard(in_access_);
    WalkResult first = walk_ttbr1(*this, ttbr1, va);
    if (!first.ok || !len) return nullptr;
    for (uint64_t off = PAGE_SIZE - va.page_offset(); off < len; off += PAGE_SIZE) {
      WalkResult w = walk_ttbr1(*this, ttbr1, va.offset(off));
      if (!w.ok || w.pa.value() != first.pa.value() + off) return nullptr;
    }
    if (!arena_.contains(first.pa.value(), len)) return nullptr;
    return arena_.ptr(first.pa);
  }

  PhysAddr ttbr1;
  bool has_ttl = true;  // encode TLBI operands as for a FEAT_TTL core (the strictest case)
  std::vector<MmuOp> ops;
  // Table pages the code reached directly (not through a mapping the simulated MMU translates).
  std::vector<uint64_t> direct_table_access;

 private:
  SimArena& arena_;
  bool in_access_ = false;
};

// Physical address of the level-3 entry for `va` (the tables down to level 2 must exist).
inline uint64_t leaf_entry_pa(RecordingMmuOps& mmu, PhysAddr ttbr1, uint64_t va) {
  PhysAddr t = ttbr1;
  for (unsigned level = 0; level < 3; ++level) {
    Pte* p = mmu.table_ptr(t);
    if (!p) return 0;
    Pte d = p[table_index(va, level)];
    if (!d.is_table_or_page()) return 0;
    t = d.output_address();
  }
  return t.value() + table_index(va, 3) * 8;
}

// Checks the recorded operations for the break-before-make rules: a valid entry is never
// overwritten by a different valid one, and every valid entry that was cleared is followed by a
// TLB invalidate of its address before it is set again (or before the end of the recording).
inline std::vector<std::string> bbm_violations(RecordingMmuOps& mmu) {
  std::vector<std::string> v;
  std::map<uint64_t, bool> pending;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind == MmuOp::PublishBarrier) continue;
    if (op.kind == MmuOp::TlbiPage) {
      // What a FEAT_TTL core invalidates: the page the operand names, if its TTL fits the entry.
      const uint64_t va = tlbi_operand_va(op.b).value();
      const unsigned ttl = tlbi_operand_ttl(op.b);
      if ((op.b >> 48) != 0) {
        v.push_back("TLBI operand 0x" + std::to_string(op.b) + " has RES0 bits [63:48] set");
        continue;
      }
      if (ttl != 0 && ttl != 0b0111) {  // a cleared fixmap/ioremap entry is a level-3 page
        v.push_back("TLBI operand for a level-3 page carries TTL " + std::to_string(ttl));
        continue;
      }
      pending.erase(leaf_entry_pa(mmu, mmu.ttbr1, va));
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

}  // namespace kernel::test
