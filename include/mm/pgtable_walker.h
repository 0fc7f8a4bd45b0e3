// The one page-table walk of the kernel: a cursor that descends the TTBR1 tables (the build's
// granule: levels kStartLevel..3, asm/memory.h; Arm ARM "Translation process"), keeps each level's table reachable
// while it is positioned under it, installs missing tables on request, and reports every level. Map, unmap, the leaf
// visit (ptdump, the W+X check), translate (the monitor) and fixmap attach are built on it.
//
// How a table page is reached is the TableAccess's business: through the fixmap's FIX_P*D slots
// while paging_init builds tables nobody maps yet, through the linear map afterwards, or directly
// (the kernel image's own tables). The host tests' software MMU (tests/host/sim_walk.h) is written
// separately from the Arm ARM, so it can catch this walker.
#pragma once

#include "asm/memory.h"
#include "kernel/concepts.h"
#include "kernel/optional.h"
#include "mm/pgtable_ops.h"

namespace kernel {

// What the cursor needs from the world: a pointer to a table page at a level (nested: levels are
// mapped kStartLevel..3 and released in reverse), a fresh table for an entry at `level` covering `va`,
// zeroing it, and the page-table operations for stores, barriers and TLB maintenance.
template <typename A>
concept TableAccess = requires(A& a, PhysAddr table, unsigned level, uint64_t va) {
  { a.map_table(table, level) } -> SameAs<Pte*>;
  a.unmap_table(level);
  { a.alloc_table(level, va) } -> SameAs<Optional<PhysAddr>>;
  { a.zero_table(table) } -> SameAs<bool>;
  { a.ops() } -> SameAs<PageTableOps&>;
};

inline constexpr unsigned kLeafLevel = 3;

constexpr uint64_t level_span(unsigned level) { return uint64_t{1} << kLevelShift[level]; }

// A leaf at `level`: a page at level 3, a block where the granule allows one (asm/memory.h).
constexpr bool is_leaf(Pte d, unsigned level) {
  return d.valid() && (level == kLeafLevel ? d.is_table_or_page() : block_allowed(level) && d.is_block());
}

enum class SeekStatus {
  Ok,           // at the requested level
  Leaf,         // stopped above it at a block (a leaf)
  Empty,        // stopped above it at an invalid entry (nothing installed)
  OutOfMemory,  // a table was needed and none could be allocated
  Unreachable,  // a table page could not be reached (or zeroed)
};

template <TableAccess A>
class PageTableCursor {
 public:
  PageTableCursor(A& access, PhysAddr root) : a_(access), root_(root) {}
  ~PageTableCursor() { release(); }
  PageTableCursor(const PageTableCursor&) = delete;
  PageTableCursor& operator=(const PageTableCursor&) = delete;

  // Positions the cursor on the entry for `va` at level `stop`, descending through table
  // descriptors. An invalid entry above `stop` gets a new, zeroed table when `install` is set
  // (zeroing ordered before its publication); otherwise the cursor stops there (Empty). A block
  // above `stop` stops it too (Leaf). Levels whose table covers `va` already stay mapped, so a
  // walk in address order maps each table page once.
  // `stop` is a level of this granule's walk (kStartLevel..3).
  SeekStatus seek(uint64_t va, unsigned stop, bool install, uint64_t* tables_installed = nullptr) {
    // The common case of a walk in address order: the same table at the same level as before.
    if (depth_ == stop - kStartLevel + 1 && stop > kStartLevel && ((va ^ va_) >> kLevelShift[stop - 1]) == 0) {
      va_ = va;
      return SeekStatus::Ok;
    }
    unsigned keep = 0;
    while (keep < depth_ && kStartLevel + keep <= stop && same_table(kStartLevel + keep, va)) ++keep;
    truncate(keep);
    va_ = va;
    if (depth_ == 0) {
      if (!push(root_)) return SeekStatus::Unreachable;
    }
    for (;;) {
      const unsigned level = this->level();
      Pte* e = entry();
      if (level == stop) return SeekStatus::Ok;
      if (!e->valid()) {
        if (!install) return SeekStatus::Empty;
        Optional<PhysAddr> t = a_.alloc_table(level + 1, va);
        if (!t) return SeekStatus::OutOfMemory;
        if (!a_.zero_table(*t)) return SeekStatus::Unreachable;
        a_.ops().publish_barrier();  // the zeroes before the descriptor that makes them reachable
        a_.ops().set_pte(e, Pte::make_table(*t));
        if (tables_installed) ++*tables_installed;
      } else if (!e->is_table_or_page()) {
        return SeekStatus::Leaf;
      }
      if (!push(entry()->output_address())) return SeekStatus::Unreachable;
    }
  }

  unsigned level() const { return kStartLevel + depth_ - 1; }
  unsigned depth() const { return depth_; }  // levels mapped (0 when even the root was unreachable)
  // The entry the cursor is on (valid while the cursor stays under the same tables).
  Pte* entry() { return &tables_[level()][table_index(va_, level())]; }
  // Each level's table and entry on the way down (kStartLevel <= level <= level()).
  PhysAddr table_at(unsigned level) const { return phys_[level]; }
  Pte entry_at(unsigned level) const { return tables_[level][table_index(va_, level)]; }
  unsigned index_at(unsigned level) const { return table_index(va_, level); }
  A& access() { return a_; }

  // Unmaps every level (the destructor does it too).
  void release() { truncate(0); }

 private:
  bool same_table(unsigned level, uint64_t va) const {
    // The table at `level` covers the same region when every index above it is the same.
    const unsigned shift = level == kStartLevel ? 64 : kLevelShift[level - 1];
    return shift == 64 || (va >> shift) == (va_ >> shift);
  }
  bool push(PhysAddr table) {
    const unsigned level = kStartLevel + depth_;
    Pte* t = a_.map_table(table, level);
    if (!t) return false;
    tables_[level] = t;
    phys_[level] = table;
    ++depth_;
    return true;
  }
  void truncate(unsigned depth) {
    while (depth_ > depth) a_.unmap_table(kStartLevel + --depth_);
  }

  A& a_;
  PhysAddr root_;
  uint64_t va_ = 0;
  unsigned depth_ = 0;   // levels mapped: kStartLevel .. kStartLevel + depth_ - 1
  Pte* tables_[4] = {};  // indexed by level
  PhysAddr phys_[4];
};

// Visits every valid leaf (block or page) of the TTBR1 tables that overlaps [first, last] (last
// inclusive, so the top of the address space can be named) in address order:
// visit(va, size, descriptor, level). A run of empty entries is skipped in one step, and so is
// an entry whose next-level table cannot be reached. Returns how many such unreachable tables
// were skipped (a caller that checks the whole address space must not call that a pass), or ~0u
// when even the root table is unreachable.
template <TableAccess A, typename Visit>
unsigned for_each_leaf(A& access, PhysAddr root, uint64_t first, uint64_t last, Visit&& visit) {
  PageTableCursor<A> c(access, root);
  unsigned unreachable = 0;
  uint64_t va = first;
  while (va <= last) {
    const SeekStatus st = c.seek(va, kLeafLevel, false);
    if (c.depth() == 0) return ~0u;
    const unsigned level = c.level();
    if (st == SeekStatus::Unreachable) {  // the table under this entry: skip its whole span
      ++unreachable;
      const uint64_t next = (va & ~(level_span(level) - 1)) + level_span(level);
      if (next <= va) break;
      va = next;
      continue;
    }
    const uint64_t span = level_span(level);
    const Pte* e = c.entry();
    const uint64_t base = va & ~(span - 1);
    uint64_t entries = 1;
    if (!e->valid()) {
      // A run of empty entries in this table is skipped in one step (most of a sparse table).
      const unsigned room = ptrs_per_table(level) - c.index_at(level);
      while (entries < room && !e[entries].valid()) ++entries;
    } else if (is_leaf(*e, level)) {
      visit(base, span, *e, level);
    }
    const uint64_t next = base + entries * span;
    if (next <= va) break;  // wrapped past the top of the address space
    va = next;
  }
  return unreachable;
}

// What one walk found, level by level, and the leaf's attributes with the hierarchical controls
// of the table descriptors above it applied (Arm ARM, "Hierarchical control of data access
// permissions" and "... of instruction execution").
struct Translation {
  bool ok = false;
  unsigned level = 0;   // of the leaf, or of the entry that stopped the walk
  unsigned levels = 0;  // levels reported in entry[] / table[]: kStartLevel .. level (0: none)
  PhysAddr table[4];    // indexed by level; below kStartLevel unused
  Pte entry[4];
  PhysAddr pa;            // with the offset inside the page or block
  bool writable = false;  // at EL1
  bool el1_exec = false;  // with SCTLR_EL1.WXN applied (the kernel sets it)
  bool el0_access = false;
  MemType type = MemType::DeviceNGnRnE;
  const char* fault = nullptr;  // "translation", "table unreachable", "not a TTBR1 address"
};

template <TableAccess A>
Translation translate(A& access, PhysAddr root, VirtAddr va) {
  Translation t;
  const uint64_t v = va.value();
  if (!is_ttbr1_address(v)) {
    t.fault = "not a TTBR1 address";
    return t;
  }
  PageTableCursor<A> c(access, root);
  const SeekStatus st = c.seek(v, kLeafLevel, false);
  if (c.depth() == 0) {
    t.fault = "table unreachable";
    return t;
  }
  t.level = c.level();
  t.levels = t.level - kStartLevel + 1;
  bool ap_ro = false, ap_no_el0 = false, pxn_table = false;
  for (unsigned l = kStartLevel; l <= t.level; ++l) {
    t.table[l] = c.table_at(l);
    t.entry[l] = c.entry_at(l);
    if (l < t.level) {  // a table descriptor: APTable[1] (62) read-only, APTable[0] (61) no EL0
      ap_ro |= (t.entry[l].raw >> 62) & 1;
      ap_no_el0 |= (t.entry[l].raw >> 61) & 1;
      pxn_table |= (t.entry[l].raw & Pte::kPxnTable) != 0;
    }
  }
  if (st == SeekStatus::Unreachable) {  // the entry at t.level points at a table we cannot reach
    t.fault = "table unreachable";
    return t;
  }
  const Pte d = t.entry[t.level];
  if (!is_leaf(d, t.level)) {
    t.fault = "translation";
    return t;
  }
  if (!d.af()) {  // Access flag fault (DFSC 0b0010LL), not a translation fault
    t.fault = "access flag";
    return t;
  }
  const uint64_t span = level_span(t.level);
  t.ok = true;
  t.pa = PhysAddr((d.raw & kOutputAddrMask & ~(span - 1)) | (v & (span - 1)));
  t.type = d.mem_type();
  t.writable = !d.read_only() && !ap_ro;
  t.el0_access = d.el0_access() && !ap_no_el0;
  // SCTLR_EL1.WXN (set by head.S): writable implies execute-never.
  t.el1_exec = !d.pxn() && !pxn_table && !t.writable;
  return t;
}

}  // namespace kernel
