// A simulated physical memory arena and page-table / text-patching operations that record every descriptor store and
// TLB invalidate, for running the kernel's page-table and fixmap code on the host. The translation
// granule is the oracle's (sim_walk.h: SimGranule, its own geometry from the Arm ARM), the build's
// by default; nothing here uses the kernel's geometry constants.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "asm/memory.h"
#include "mm/pgtable_ops.h"
#include "sim_walk.h"

namespace kernel::test {

// Simulated physical memory [base, base + size). The host memory behind it is aligned to the
// build's page (aligned_alloc wants a size that is a multiple of the alignment: rounded up).
class SimArena {
 public:
  SimArena(uint64_t base, uint64_t size)
      : base_(base),
        size_(size),
        mem_(static_cast<uint8_t*>(std::aligned_alloc(PAGE_SIZE, (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)))) {
    std::memset(mem_.get(), 0, size);
  }
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  bool contains(uint64_t pa, uint64_t len) const { return pa >= base_ && len <= size_ && pa - base_ <= size_ - len; }
  uint8_t* ptr(PhysAddr pa) { return contains(pa.value(), 1) ? mem_.get() + (pa.value() - base_) : nullptr; }
  // Hands out zeroed pages of the build's granule from the top of the arena (page tables for
  // tests: one table is one granule page).
  PhysAddr alloc_page() { return alloc(PAGE_SIZE, PAGE_SIZE); }
  // `bytes` zeroed bytes from the top of the arena, at a physical address aligned to `align` (a
  // power of two): tables of another granule than the build's (a 64 KiB table in a 4 KiB build).
  // Aborts when the arena is exhausted.
  PhysAddr alloc(uint64_t bytes, uint64_t align) {
    if (bytes > top_) std::abort();
    const uint64_t pa = (base_ + top_ - bytes) & ~(align - 1);
    if (pa < base_) std::abort();
    top_ = pa - base_;
    std::memset(mem_.get() + top_, 0, bytes);
    return PhysAddr(pa);
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
  enum Kind { SetPte, TlbiPage, WriteInsn, SyncIcache, PublishBarrier, SyncPtes, TlbiAll } kind;
  uint64_t a;  // SetPte/WriteInsn: physical address written; TlbiPage/SyncIcache: virtual address
  uint64_t b;  // SetPte: new value, old value in c; WriteInsn: the instruction; SyncIcache: length;
               // TlbiPage: the TLBI operand the kernel would issue, the level hint in c
  uint64_t c;
  bool synced = true;  // SetPte: by set_pte (dsb ishst; isb after it), false by write_pte (a run)
};

// TLBI VAALE1IS's operand as the Arm ARM defines it ("TLBI VAALE1IS", and "TLB maintenance
// instructions"), decoded here on its own, not with the kernel's helpers:
// Xt[43:0] = VA[55:12] at EVERY granule (the field counts 4 KiB units; at 16 KiB and 64 KiB a
// page's VA[13:12] / VA[15:12] are zero), sign-extended from bit 55 as a TTBR1 address is;
// Xt[47:44] = TTL: TTL[3:2] the granule of the entry (0b00 none given: any level, 0b01 4 KiB,
// 0b10 16 KiB, 0b11 64 KiB), TTL[1:0] its level (sim_ttl() in sim_walk.h); Xt[63:48] RES0.
inline uint64_t sim_tlbi_va(uint64_t op) {
  uint64_t va = (op & ((uint64_t{1} << 44) - 1)) << 12;
  return va >> 55 & 1 ? va | 0xff00'0000'0000'0000ULL : va;
}
inline unsigned sim_tlbi_ttl(uint64_t op) { return static_cast<unsigned>(op >> 44 & 0xf); }

// Does a TLBI by VA whose TTL is `ttl` apply to a cached leaf of granule `g` at `level`? TTL 0b00xx
// gives no information: any entry. Otherwise the granule and the level must both be the entry's
// ("If an incorrect value of the TTL field is specified for the entry being invalidated, then no
// entries are required by the architecture to be invalidated"): a core may keep the entry, so the
// model keeps it. Reserved encodings (TTL[1:0] = 0b00 with a granule: level 0 holds no leaf
// without FEAT_LPA2) match nothing either.
inline bool sim_ttl_matches(unsigned ttl, SimGranule g, unsigned level) {
  if (ttl >> 2 == 0) return true;
  return ttl == sim_ttl(g, level) && (ttl & 3) != 0;
}

class RecordingMmuOps final : public HostPageTableOps, public HostTextPatchOps {
 public:
  // `g`: the granule the simulated MMU walks with (TCR_EL1.TG1); the build's unless a test of the
  // oracle picks another. The kernel's own operations (flush_tlb_kernel_page...) always encode
  // the build's granule.
  explicit RecordingMmuOps(SimArena& arena, SimGranule g = kSimBuildGranule)
      : HostPageTableOps(/*observed=*/true), granule(g), arena_(arena) {}

  // One translation table is one page of the granule.
  Pte* table_ptr(PhysAddr table) override {
    const uint64_t tsize = sim_granule_size(granule);
    if (!table.is_aligned_to(tsize) || !arena_.contains(table.value(), tsize)) return nullptr;
    if (!in_access_) direct_table_access.push_back(table.value());
    return reinterpret_cast<Pte*>(arena_.ptr(table));
  }
  void write_insn(void* alias, uint32_t insn) override {
    uint64_t pa =
        arena_.base() + static_cast<uint64_t>(static_cast<uint8_t*>(alias) - arena_.ptr(PhysAddr(arena_.base())));
    ops.push_back({MmuOp::WriteInsn, pa, insn, 0});
    std::memcpy(alias, &insn, 4);
  }
  void sync_icache(VirtAddr va, uint64_t len) override { ops.push_back({MmuOp::SyncIcache, va.value(), len, 0}); }
  // The CPU accessing [va, va+len) now: through the simulated MMU, and its TLB (below). Every page
  // must translate, contiguously.
  void* access(VirtAddr va, uint64_t len) override {
    struct Guard {
      bool& f;
      explicit Guard(bool& flag) : f(flag) { f = true; }
      ~Guard() { f = false; }
    } guard(in_access_);
    if (unsynced_) {
      char buf[160];
      snprintf(buf, sizeof buf, "access to 0x%lx while %u new entries were stored without dsb ishst; isb", va.value(),
               unsynced_);
      access_violations.push_back(buf);
    }
    uint64_t first = 0;
    if (!len || !translate(va.value(), &first)) return nullptr;
    const uint64_t page = sim_granule_size(granule);
    for (uint64_t off = page - (va.value() & (page - 1)); off < len; off += page) {
      uint64_t pa = 0;
      if (!translate(va.value() + off, &pa) || pa != first + off) return nullptr;
    }
    if (!arena_.contains(first, len)) return nullptr;
    return arena_.ptr(PhysAddr(first));
  }

  const SimGranule granule;
  PhysAddr ttbr1;
  std::vector<MmuOp> ops;
  // Table pages the code reached directly (not through a mapping the simulated MMU translates).
  std::vector<uint64_t> direct_table_access;
  // Accesses made while stores of new entries were not yet made visible (sync_ptes).
  std::vector<std::string> access_violations;
  // flush_tlb_kernel_range() calls: each is one dsb ishst, its TLBIs (recorded as TlbiPage or
  // TlbiAll), one dsb ish; isb.
  unsigned range_flushes = 0;

  // A TLB: access() caches each translation it walks (the leaf: a page or a block) and uses it
  // until a TLBI removes it, as a core may. A clear that is not invalidated, or an operand that
  // misses the entry (wrong VA, wrong TTL, RES0 bits), then shows as a stale translation: the old
  // physical page read through a VA that was cleared and set again.
  bool model_tlb = true;
  struct TlbEntry {
    uint64_t va, size, pa;
    unsigned level;
    SimGranule granule;  // the granule it was walked with: a TTL must name it
  };
  const std::vector<TlbEntry>& tlb() const { return tlb_; }
  // A TLBI VAALE1IS with operand `op` as the model executes it (no recording, no barriers): for
  // tests of the model and of operands built by hand.
  void sim_tlbi(uint64_t op) { tlb_invalidate(op); }

 private:
  void observe_set_pte(Pte* entry, Pte value, bool synced) override {
    uint64_t pa =
        arena_.base() + static_cast<uint64_t>(reinterpret_cast<uint8_t*>(entry) - arena_.ptr(PhysAddr(arena_.base())));
    ops.push_back({MmuOp::SetPte, pa, value.raw, entry->raw, synced});
    if (synced)
      unsynced_ = 0;  // dsb ishst orders every earlier store too
    else if (value.valid())
      ++unsynced_;
  }
  void observe_sync_ptes() override {
    ops.push_back({MmuOp::SyncPtes, 0, 0, 0});
    unsynced_ = 0;
  }
  void observe_publish_barrier() override { ops.push_back({MmuOp::PublishBarrier, 0, 0, 0}); }
  void observe_tlbi_page(VirtAddr va, uint64_t operand, TlbLevel level) override {
    ops.push_back({MmuOp::TlbiPage, va.value(), operand, static_cast<uint64_t>(level)});
    tlb_invalidate(operand);
    unsynced_ = 0;
  }
  // The TLBIs the kernel's choice (tlbi_kernel_range, asm/tlbflush.h) issues for the run, each
  // recorded with the page it is meant for.
  void observe_tlbi_range(VirtAddr start, uint64_t pages, TlbLevel level) override {
    ++range_flushes;
    struct Recorder {
      RecordingMmuOps& m;
      uint64_t va;
      TlbLevel level;
      void page(uint64_t op) {
        m.ops.push_back({MmuOp::TlbiPage, va, op, static_cast<uint64_t>(level)});
        m.tlb_invalidate(op);
        va += PAGE_SIZE;  // the kernel's pages: its operands step by the build's granule
      }
      void all() {
        m.ops.push_back({MmuOp::TlbiAll, 0, 0, 0});
        m.tlb_.clear();
      }
    };
    tlbi_kernel_range(Recorder{*this, start.value(), level}, start, pages, level, has_ttl);
    unsynced_ = 0;
  }

  bool translate(uint64_t va, uint64_t* pa) {
    if (model_tlb)
      for (const TlbEntry& t : tlb_)
        if (va - t.va < t.size) {
          *pa = t.pa + (va - t.va);
          return true;
        }
    WalkResult w = walk_ttbr1(*this, ttbr1, VirtAddr(va), /*wxn=*/true, granule);
    if (!w.ok) return false;
    *pa = w.pa.value();
    if (model_tlb) {
      const uint64_t size = w.size;
      if (tlb_.size() >= kTlbEntries) tlb_.erase(tlb_.begin());  // the oldest goes (never makes a stale hit)
      tlb_.push_back({va & ~(size - 1), size, *pa - (va & (size - 1)), static_cast<unsigned>(w.level), granule});
    }
    return true;
  }
  // What a FEAT_TTL core removes for TLBI VAALE1IS with this operand: the last-level entries
  // translating its VA (any address inside a block or a 16/64 KiB page), if TTL gives no
  // information (0b00xx) or names the entry's granule and level (sim_ttl_matches). RES0 bits set:
  // nothing is guaranteed, so nothing is removed.
  void tlb_invalidate(uint64_t op) {
    if (op >> 48) return;
    const uint64_t va = sim_tlbi_va(op);
    const unsigned ttl = sim_tlbi_ttl(op);
    for (size_t i = 0; i < tlb_.size();) {
      const TlbEntry& t = tlb_[i];
      if (va - t.va < t.size && sim_ttl_matches(ttl, t.granule, t.level))
        tlb_.erase(tlb_.begin() + static_cast<long>(i));
      else
        ++i;
    }
  }

  static constexpr size_t kTlbEntries = 1024;
  SimArena& arena_;
  bool in_access_ = false;
  unsigned unsynced_ = 0;
  std::vector<TlbEntry> tlb_;
};

// Physical address of the level-3 entry for `va` (the tables down to level 2 must exist), with
// the oracle's geometry for the MMU's granule: from the start level (1 at 64 KiB), next-level
// table addresses NLTA[47:page_shift] (D8.3).
inline uint64_t leaf_entry_pa(RecordingMmuOps& mmu, PhysAddr ttbr1, uint64_t va) {
  const SimGeometry geo = sim_geometry(mmu.granule);
  const uint64_t nlta = ((uint64_t{1} << 48) - 1) & ~((uint64_t{1} << geo.page_shift) - 1);
  PhysAddr t = ttbr1;
  for (unsigned level = geo.start_level; level < 3; ++level) {
    Pte* p = mmu.table_ptr(t);
    if (!p) return 0;
    const uint64_t d = p[sim_index(mmu.granule, va, level)].raw;
    if ((d & 3) != 3) return 0;
    t = PhysAddr(d & nlta);
  }
  return t.value() + sim_index(mmu.granule, va, 3) * 8;
}

// Checks the recorded operations for the break-before-make rules: a valid entry is never
// overwritten by a different valid one, and every valid entry that was cleared is followed by a
// TLB invalidate covering it (a TLBI of its page with an operand a FEAT_TTL core honours, or a
// TLBI VMALLE1IS) before it is set again (or before the end of the recording). New entries stored
// as a run (write_pte) must be made visible (sync_ptes, or the barriers of a later set_pte or
// TLB flush) before anything is accessed and before the end.
inline std::vector<std::string> bbm_violations(RecordingMmuOps& mmu) {
  std::vector<std::string> v = mmu.access_violations;
  std::map<uint64_t, bool> pending;
  unsigned unsynced = 0;
  for (const MmuOp& op : mmu.ops) {
    if (op.kind == MmuOp::PublishBarrier || op.kind == MmuOp::WriteInsn || op.kind == MmuOp::SyncIcache) continue;
    if (op.kind == MmuOp::SyncPtes) {
      unsynced = 0;
      continue;
    }
    if (op.kind == MmuOp::TlbiAll) {
      pending.clear();
      unsynced = 0;
      continue;
    }
    if (op.kind == MmuOp::TlbiPage) {
      unsynced = 0;
      // What a FEAT_TTL core invalidates: the page the operand names, if its TTL fits the entry.
      const uint64_t va = sim_tlbi_va(op.b);
      const unsigned ttl = sim_tlbi_ttl(op.b);
      if ((op.b >> 48) != 0) {
        v.push_back("TLBI operand 0x" + std::to_string(op.b) + " has RES0 bits [63:48] set");
        continue;
      }
      // A cleared fixmap/ioremap entry is a level-3 page of the MMU's granule: TTL 0 or
      // {granule, 3} (0b0111 4K, 0b1011 16K, 0b1111 64K).
      if (ttl != 0 && ttl != sim_ttl(mmu.granule, 3)) {
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
    if (op.synced)
      unsynced = 0;
    else if (now_valid)
      ++unsynced;
  }
  for (auto& [pa, _] : pending) v.push_back("entry 0x" + std::to_string(pa) + " cleared, never invalidated");
  if (unsynced) v.push_back(std::to_string(unsynced) + " new entries stored without a dsb ishst; isb after them");
  return v;
}

}  // namespace kernel::test
