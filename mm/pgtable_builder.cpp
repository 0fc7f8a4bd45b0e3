#include "mm/pgtable_builder.h"

#include "asm/fixmap.h"
#include "asm/memory.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/fixmap.h"

namespace kernel {

namespace {
constexpr unsigned kLevelSlot[4] = {FIX_PGD, FIX_PUD, FIX_PMD, FIX_PTE};
}

SpinLock& FixmapTableEnv::lock() {
  static SpinLock l;
  return l;
}

Pte* FixmapTableEnv::map_table(PhysAddr table, unsigned level) {
  unsigned slot = kLevelSlot[level];
  if (!set_fixmap(slot, table).ok()) return nullptr;
  return static_cast<Pte*>(ops_.access(VirtAddr(__fix_to_virt(slot)), PAGE_SIZE));
}

void FixmapTableEnv::unmap_table(unsigned level) { (void)clear_fixmap(kLevelSlot[level]); }

bool FixmapTableEnv::zero_table(PhysAddr table) {
  // A fresh table page is not reachable any other way yet: zero it through FIX_PTE (free while a
  // table above level 3 is being filled: the cursor has not mapped level 3).
  if (!set_fixmap(FIX_PTE, table).ok()) return false;
  void* p = ops_.access(VirtAddr(__fix_to_virt(FIX_PTE)), PAGE_SIZE);
  if (p) memset(p, 0, PAGE_SIZE);
  (void)clear_fixmap(FIX_PTE);
  return p != nullptr;
}

bool LinearTableEnv::zero_table(PhysAddr table) {
  Pte* p = ops_.table_ptr(table);
  if (!p) return false;
  memset(static_cast<void*>(p), 0, PAGE_SIZE);
  return true;
}

namespace {
Error seek_error(SeekStatus s, uint64_t va) {
  if (s == SeekStatus::OutOfMemory) return KERR(Errc::OutOfMemory, "out of memory for page tables mapping 0x%lx", va);
  return KERR(Errc::Unreachable, "a page-table page on the way to 0x%lx is not reachable", va);
}
// A kernel VA range the TTBR1 tables can hold: not empty, not wrapping, both ends in the upper
// half (a TTBR0 address would otherwise index the kernel's tables as if it were one).
Status check_va_range(VirtAddr start, uint64_t size) {
  const uint64_t first = start.value(), last = first + size - 1;
  if (!size) return KERR(Errc::ZeroSize, "page tables: range at 0x%lx of size 0", first);
  if (last < first)
    return KERR(Errc::WrapAround, "page tables: 0x%lx + 0x%lx wraps around the address space", first, size);
  if (!is_ttbr1_address(first) || !is_ttbr1_address(last))
    return KERR(Errc::Invalid, "page tables: [0x%lx-0x%lx] is not a kernel (TTBR1) range", first, last);
  return {};
}

Error conflict(uint64_t va, Pte have) {
  return KERR(Errc::Conflict, "a different valid mapping is already at 0x%lx (0x%016lx)", va, have.raw);
}
}  // namespace

template <TableAccess Env>
Status map_range(Env& env, PhysAddr pgd, VirtAddr start, PhysAddr phys, uint64_t size, PgProt prot, bool allow_blocks,
                 MapStats* stats) {
  if (!is_aligned(start.value() | phys.value() | size, PAGE_SIZE))
    return KERR(Errc::Unaligned, "map 0x%lx -> 0x%lx, 0x%lx bytes: addresses or size not page aligned", start.value(),
                phys.value(), size);
  TRY(check_va_range(start, size));
  MapStats local;
  if (!stats) stats = &local;
  PageTableCursor<Env> c(env, pgd);
  // Counted in bytes left, not against an end address: a range may end at the top of the
  // address space, where start + size is 0.
  uint64_t left = size;
  uint64_t va = start.value(), pa = phys.value();
  unsigned finest = 1;  // a table already where a block could go: map this block's range finer
  uint64_t finer_left = 0;
  bool written = false;  // page entries stored with write_pte, not yet synced
  // Every return below this point first makes the stored pages visible to the walker.
  struct SyncAtExit {
    Env& env;
    bool& written;
    ~SyncAtExit() {
      if (written) env.ops().sync_ptes();
    }
  } sync_at_exit{env, written};
  while (left) {
    if (finer_left == 0) finest = 1;
    // The largest leaf that fits: a block at a level the granule allows (4K: 1 GiB, 2 MiB; 16K:
    // 32 MiB; 64K: 512 MiB) when both addresses are aligned to it, the range covers it, and
    // nothing finer is mapped there already; else a page.
    unsigned target = kLeafLevel;
    if (allow_blocks) {
      for (unsigned l = finest; l < kLeafLevel; ++l) {
        if (!block_allowed(l)) continue;
        const uint64_t span = level_span(l);
        if (is_aligned(va, span) && is_aligned(pa, span) && left >= span) {
          target = l;
          break;
        }
      }
    }
    const SeekStatus st = c.seek(va, target, true, &stats->tables);
    if (st == SeekStatus::Leaf) return conflict(va, *c.entry());  // a block where a finer mapping is wanted
    if (st != SeekStatus::Ok) return seek_error(st, va);
    Pte* e = c.entry();
    const uint64_t span = level_span(target);
    if (target == kLeafLevel) {
      // Every page up to the end of this PTE table (or of the range) in one go.
      const uint64_t pages = left / PAGE_SIZE;
      const uint64_t room = kPtrsPerTable - table_index(va, kLeafLevel);
      const uint64_t n = pages < room ? pages : room;
      // The stores alone: one dsb ishst; isb for all of them before map_range returns. Each
      // descriptor is the previous one plus a page while the table's last output address fits
      // OA[47:PAGE_SHIFT] (nothing carries into the attributes); past that, each is built on its own.
      written = true;
      auto& ops = env.ops();
      Pte want = pfn_pte(PhysAddr(pa), prot);
      const bool incremental = ((pa + (n - 1) * PAGE_SIZE) & ~kOutputAddrMask) == 0;
      for (uint64_t i = 0; i < n; ++i, want.raw += PAGE_SIZE) {
        if (!incremental) [[unlikely]]
          want = pfn_pte(PhysAddr(pa + i * PAGE_SIZE), prot);
        const Pte old = e[i];
        if (old.valid() && old.raw != want.raw) [[unlikely]] {
          stats->ptes += i;  // what was written before the conflict: the caller's rollback
          return conflict(va + i * PAGE_SIZE, old);
        }
        ops.write_pte(&e[i], want);
      }
      stats->ptes += n;
      va += n * PAGE_SIZE;
      pa += n * PAGE_SIZE;
      left -= n * PAGE_SIZE;
      if (finer_left) finer_left = finer_left > n * PAGE_SIZE ? finer_left - n * PAGE_SIZE : 0;
      continue;
    }
    const Pte block{(pa & kOutputAddrMask) | (prot.bits & ~Pte::kTable)};
    if (e->none()) {
      env.ops().set_pte(e, block);
      ++(target == 1 ? stats->pud_blocks : stats->pmd_blocks);
    } else if (e->is_table_or_page()) {
      finest = target + 1;  // keep the tables that are there: map this span with smaller leaves
      finer_left = span;
      continue;
    } else if (e->raw != block.raw) {
      return conflict(va, *e);  // an identical block, like an identical page, is accepted
    }
    va += span;
    pa += span;
    left -= span;
    if (finer_left) finer_left = finer_left > span ? finer_left - span : 0;
  }
  return {};
}

namespace {
// Out of line: once per level-3 table, not per page.
[[gnu::noinline]] void flush_cleared_pages(PageTableOps& ops, uint64_t first, uint64_t pages) {
  if (pages == 1)
    ops.flush_tlb_kernel_page(VirtAddr(first), TlbLevel::L3);
  else
    ops.flush_tlb_kernel_range(VirtAddr(first), pages, TlbLevel::L3);
}
}  // namespace

template <TableAccess Env>
Status unmap_range(Env& env, PhysAddr pgd, VirtAddr start, uint64_t size) {
  TRY(check_va_range(start, size));
  PageTableCursor<Env> c(env, pgd);
  // The cleared entries of one level-3 table (run_pages pages from run_first) are invalidated
  // together: one flush_tlb_kernel_range() after the last store (asm/tlbflush.h), before the
  // cursor leaves the table (a FixmapTableEnv unmaps it then) and before returning.
  uint64_t run_first = 0, run_pages = 0;
  auto flush_run = [&] {
    if (run_pages) flush_cleared_pages(env.ops(), run_first, run_pages);
    run_pages = 0;
  };
  for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
    const uint64_t va = start.value() + off;
    if (run_pages && (va ^ run_first) >> kLevelShift[kLeafLevel - 1]) flush_run();  // another table
    const SeekStatus st = c.seek(va, kLeafLevel, false);
    if (st == SeekStatus::Unreachable) {
      flush_run();
      return seek_error(st, va);
    }
    if (st != SeekStatus::Ok) continue;  // nothing mapped here at page granularity
    Pte* e = c.entry();
    if (!e->valid()) continue;
    env.ops().write_pte(e, Pte{});
    if (!run_pages) run_first = va;
    run_pages = (va - run_first) / PAGE_SIZE + 1;  // a gap of free entries in between is covered too
  }
  flush_run();
  return {};
}

template Status map_range(FixmapTableEnv&, PhysAddr, VirtAddr, PhysAddr, uint64_t, PgProt, bool, MapStats*);
template Status map_range(LinearTableEnv&, PhysAddr, VirtAddr, PhysAddr, uint64_t, PgProt, bool, MapStats*);
template Status unmap_range(FixmapTableEnv&, PhysAddr, VirtAddr, uint64_t);
template Status unmap_range(LinearTableEnv&, PhysAddr, VirtAddr, uint64_t);

namespace {

constexpr bool leaf_writable(Pte d) { return !d.read_only(); }
constexpr bool leaf_executable(Pte d) { return !d.pxn() || (d.el0_access() && !d.uxn()); }

// Physical ranges that are executable somewhere, merged as the walk finds them when both the
// physical and the virtual addresses continue (in VA order, so the text arrives as one run).
struct ExecRanges {
  static constexpr unsigned kMax = 64;
  struct Run {
    uint64_t pa, end, va;
  } run[kMax];
  unsigned count = 0;
  bool overflow = false;
  uint64_t pages = 0;
  uint64_t lowest = ~uint64_t{0}, highest = 0;  // every run lies in [lowest, highest)

  bool may_overlap(uint64_t pa, uint64_t size) const { return pa < highest && pa + size > lowest; }
  void add(uint64_t va, uint64_t pa, uint64_t size) {
    pages += size / PAGE_SIZE;
    if (pa < lowest) lowest = pa;
    if (pa + size > highest) highest = pa + size;
    Run* last = count ? &run[count - 1] : nullptr;
    if (last && last->end == pa && last->va + (last->end - last->pa) == va)
      last->end = pa + size;
    else if (count < kMax)
      run[count++] = {pa, pa + size, va};
    else
      overflow = true;
  }
};

// Consecutive W+X leaves reported as one range.
struct WxRun {
  uint64_t pages = 0, start = 0, end = 0;
  void add(uint64_t va, uint64_t size) {
    pages += size / PAGE_SIZE;
    if (end != va) flush(), start = va;
    end = va + size;
  }
  void flush() {
    if (end > start)
      pr_warn("mm: W+X mapping at 0x%016lx-0x%016lx (%lu KiB): writable and executable\n", start, end - 1,
              (end - start) >> 10);
    start = end = 0;
  }
};

constexpr uint64_t kTtbr1First = 0xffff'0000'0000'0000ULL, kTtbr1Last = ~0ULL;

}  // namespace

uint64_t check_wx_pages(PageTableOps& ops, PhysAddr pgd) {
  DirectTableEnv env(ops);
  WxRun wx;
  ExecRanges ex;
  const unsigned unreachable =
      for_each_leaf(env, pgd, kTtbr1First, kTtbr1Last, [&](uint64_t va, uint64_t size, Pte d, unsigned) {
        const uint64_t pa = d.output_address().value() & ~(size - 1);
        if (!leaf_executable(d)) return;
        ex.add(va, pa, size);
        if (leaf_writable(d)) wx.add(va, size);
      });
  wx.flush();
  // Aliases: no physical page that is executable through one mapping may be writable through any
  // other (the linear map, the fixmap, ioremap). The MMU checks each mapping on its own, and QEMU
  // does not model the problem at all.
  uint64_t alias_pages = 0;
  for_each_leaf(env, pgd, kTtbr1First, kTtbr1Last, [&](uint64_t va, uint64_t size, Pte d, unsigned) {
    if (!leaf_writable(d)) return;
    const uint64_t pa = d.output_address().value() & ~(size - 1);
    if (!ex.may_overlap(pa, size)) return;  // most writable memory is nowhere near the text
    for (unsigned i = 0; i < ex.count; ++i) {
      const auto& r = ex.run[i];
      const uint64_t s = pa > r.pa ? pa : r.pa, e = pa + size < r.end ? pa + size : r.end;
      if (s >= e || va - pa == r.va - r.pa) continue;  // the same mapping: a W+X page, counted above
      alias_pages += (e - s) / PAGE_SIZE;
      pr_warn("mm: W+X alias: pa 0x%016lx-0x%016lx is executable at 0x%016lx and writable at 0x%016lx\n", s, e - 1,
              r.va + (s - r.pa), va + (s - pa));
    }
  });
  if (ex.overflow)
    pr_warn("mm: W+X alias check: more than %u executable ranges, the rest unchecked\n", ExecRanges::kMax);
  if (unreachable)
    pr_warn("mm: W+X check: %u page-table page(s) could not be reached; what they map was not checked\n",
            unreachable == ~0u ? 1u : unreachable);
  if (wx.pages || alias_pages || ex.overflow || unreachable)
    pr_warn("mm: Checked W+X mappings: FAILED, %lu W+X pages found, %lu executable pages writable through an alias\n",
            wx.pages, alias_pages);
  else
    pr_info(
        "mm: Checked W+X mappings: passed, no W+X pages found; no writable alias of the %lu executable pages "
        "(all mappings compared by physical address)\n",
        ex.pages);
  return wx.pages + alias_pages + (ex.overflow || unreachable ? 1 : 0);
}

}  // namespace kernel
