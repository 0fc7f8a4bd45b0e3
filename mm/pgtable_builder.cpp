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

Pte* FixmapTableEnv::map_table(PhysAddr table, unsigned level) {
  unsigned slot = kLevelSlot[level];
  if (set_fixmap(slot, table) != FixmapStatus::Ok) return nullptr;
  return static_cast<Pte*>(ops_.access(VirtAddr(__fix_to_virt(slot)), PAGE_SIZE));
}

void FixmapTableEnv::unmap_table(unsigned level) { (void)clear_fixmap(kLevelSlot[level]); }

bool FixmapTableEnv::zero_table(PhysAddr table) {
  // A fresh table page is not reachable any other way yet: zero it through FIX_PTE.
  if (set_fixmap(FIX_PTE, table) != FixmapStatus::Ok) return false;
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

const char* map_error_str(MapError e) {
  switch (e) {
    case MapError::None: return "ok";
    case MapError::OutOfMemory: return "out of memory for page tables";
    case MapError::Unaligned: return "addresses or size not page aligned";
    case MapError::Conflict: return "a different valid mapping is already there";
    case MapError::Unreachable: return "a table page is not reachable";
  }
  return "?";
}

namespace {

struct MapCtx {
  PageTableEnv& env;
  MmuOps& ops;
  PgProt prot;
  bool blocks;
  MapStats* stats;
};

MapError map_level(MapCtx& c, unsigned level, PhysAddr table, uint64_t va, uint64_t end, uint64_t pa) {
  Pte* t = c.env.map_table(table, level);
  if (!t) return MapError::Unreachable;
  MapError err = MapError::None;
  const uint64_t span = uint64_t{1} << kLevelShift[level];
  while (va < end && err == MapError::None) {
    uint64_t next = (va | (span - 1)) + 1;
    if (next > end || next == 0) next = end;
    Pte* e = &t[table_index(va, level)];
    if (level == 3) {
      Pte want = pfn_pte(PhysAddr(pa), c.prot);
      if (e->valid() && e->raw != want.raw) err = MapError::Conflict;
      else {
        c.ops.set_pte(e, want);
        if (c.stats) ++c.stats->ptes;
      }
    } else if (level >= 1 && c.blocks && next - va == span && is_aligned(pa, span) && e->none()) {
      c.ops.set_pte(e, Pte{(pa & kOutputAddrMask) | (c.prot.bits & ~Pte::kTable)});
      if (c.stats) ++(level == 1 ? c.stats->pud_blocks : c.stats->pmd_blocks);
    } else {
      if (e->none()) {
        Optional<PhysAddr> alloc = c.env.alloc_table();
        if (!alloc) {
          err = MapError::OutOfMemory;
          break;
        }
        const PhysAddr nt = *alloc;
        if (!c.env.zero_table(nt)) {
          err = MapError::Unreachable;
          break;
        }
        c.ops.publish_barrier();  // the zeroes before the descriptor that makes them reachable
        c.ops.set_pte(e, Pte::make_table(nt));
        if (c.stats) ++c.stats->tables;
      } else if (!e->is_table_or_page()) {
        err = MapError::Conflict;  // a block where a finer mapping is wanted
        break;
      }
      err = map_level(c, level + 1, e->output_address(), va, next, pa);
    }
    pa += next - va;
    va = next;
  }
  c.env.unmap_table(level);
  return err;
}

}  // namespace

MapError map_range(PageTableEnv& env, MmuOps& ops, PhysAddr pgd, uint64_t va, PhysAddr pa, uint64_t size,
                   PgProt prot, bool allow_blocks, MapStats* stats) {
  if (!is_aligned(va | pa.value() | size, PAGE_SIZE)) return MapError::Unaligned;
  MapCtx c{env, ops, prot, allow_blocks, stats};
  return map_level(c, 0, pgd, va, va + size, pa.value());
}

MapError unmap_range(PageTableEnv& env, MmuOps& ops, PhysAddr pgd, uint64_t va, uint64_t size) {
  MapError err = MapError::None;
  for (uint64_t off = 0; off < size && err == MapError::None; off += PAGE_SIZE) {
    uint64_t v = va + off;
    PhysAddr t = pgd;
    unsigned mapped = 0;
    for (unsigned level = 0; level <= 3; ++level) {
      Pte* tab = env.map_table(t, level);
      if (!tab) {
        err = MapError::Unreachable;
        break;
      }
      mapped = level + 1;
      Pte* e = &tab[table_index(v, level)];
      if (level == 3) {
        if (e->valid()) {
          ops.set_pte(e, Pte{});
          ops.flush_tlb_kernel_page(VirtAddr(v), TlbLevel::L3);
        }
        break;
      }
      if (!e->is_table_or_page()) break;  // nothing mapped here at page granularity
      t = e->output_address();
    }
    while (mapped) env.unmap_table(--mapped);
  }
  return err;
}

namespace {
void walk_table(MmuOps& ops, PhysAddr table, unsigned level, uint64_t va_base, LeafVisitor visit, void* ctx) {
  Pte* t = ops.table_ptr(table);
  if (!t) return;
  const uint64_t span = uint64_t{1} << kLevelShift[level];
  for (unsigned i = 0; i < kPtrsPerTable; ++i) {
    Pte d = t[i];
    if (!d.valid()) continue;
    uint64_t va = va_base + i * span;
    if (level < 3 && d.is_table_or_page()) walk_table(ops, d.output_address(), level + 1, va, visit, ctx);
    else if (level == 3 ? d.is_table_or_page() : (level > 0 && d.is_block())) visit(ctx, va, span, d, level);
  }
}

struct WxCtx {
  uint64_t pages = 0;
  uint64_t run_start = 0, run_end = 0;
};

void flush_wx(WxCtx* w) {
  if (w->run_end > w->run_start)
    pr_warn("mm: W+X mapping at 0x%016lx-0x%016lx (%lu KiB): writable and executable\n", w->run_start,
            w->run_end - 1, (w->run_end - w->run_start) >> 10);
  w->run_start = w->run_end = 0;
}
}  // namespace

void walk_leaves(MmuOps& ops, PhysAddr pgd, LeafVisitor visit, void* ctx) {
  walk_table(ops, pgd, 0, 0xffff000000000000ULL, visit, ctx);
}

namespace {
constexpr bool leaf_writable(Pte d) { return !d.read_only(); }
constexpr bool leaf_executable(Pte d) { return !d.pxn() || (d.el0_access() && !d.uxn()); }

// Physical ranges that are executable somewhere, merged as the walk finds them (in VA order, so
// the kernel text's pages arrive as one run).
struct ExecRanges {
  static constexpr unsigned kMax = 64;
  struct Run {
    uint64_t pa, end, va;
  } run[kMax];
  unsigned count = 0;
  bool overflow = false;
  uint64_t pages = 0;
};

struct AliasCtx {
  const ExecRanges* exec;
  uint64_t pages = 0;
};
}  // namespace

uint64_t check_wx_pages(MmuOps& ops, PhysAddr pgd) {
  WxCtx w;
  ExecRanges ex;
  walk_leaves(
      ops, pgd,
      [](void* c, uint64_t va, uint64_t size, Pte d, unsigned) {
        auto* wx = static_cast<WxCtx*>(c);
        if (!(leaf_writable(d) && leaf_executable(d))) return;
        wx->pages += size / PAGE_SIZE;
        if (wx->run_end != va) flush_wx(wx), wx->run_start = va;
        wx->run_end = va + size;
      },
      &w);
  flush_wx(&w);
  // Aliases: no physical page that is executable through one mapping may be writable through any
  // other (the linear map, the fixmap, ioremap). The MMU checks each mapping on its own, and
  // QEMU does not model the problem at all.
  walk_leaves(
      ops, pgd,
      [](void* c, uint64_t va, uint64_t size, Pte d, unsigned) {
        auto* x = static_cast<ExecRanges*>(c);
        if (!leaf_executable(d)) return;
        const uint64_t pa = d.output_address().value();
        x->pages += size / PAGE_SIZE;
        if (x->count && x->run[x->count - 1].end == pa &&
            x->run[x->count - 1].va + (x->run[x->count - 1].end - x->run[x->count - 1].pa) == va) {
          x->run[x->count - 1].end = pa + size;
        } else if (x->count < ExecRanges::kMax) {
          x->run[x->count++] = {pa, pa + size, va};
        } else {
          x->overflow = true;
        }
      },
      &ex);
  AliasCtx a{&ex};
  walk_leaves(
      ops, pgd,
      [](void* c, uint64_t va, uint64_t size, Pte d, unsigned) {
        auto* ac = static_cast<AliasCtx*>(c);
        if (!leaf_writable(d)) return;
        const uint64_t pa = d.output_address().value();
        for (unsigned i = 0; i < ac->exec->count; ++i) {
          const auto& r = ac->exec->run[i];
          const uint64_t s = pa > r.pa ? pa : r.pa, e = pa + size < r.end ? pa + size : r.end;
          if (s >= e || va - pa == r.va - r.pa) continue;  // the same mapping: a W+X page, counted above
          ac->pages += (e - s) / PAGE_SIZE;
          pr_warn("mm: W+X alias: pa 0x%016lx-0x%016lx is executable at 0x%016lx and writable at 0x%016lx\n", s,
                  e - 1, r.va + (s - r.pa), va + (s - pa));
        }
      },
      &a);
  if (ex.overflow) pr_warn("mm: W+X alias check: more than %u executable ranges, the rest unchecked\n", ExecRanges::kMax);
  if (w.pages || a.pages || ex.overflow)
    pr_warn("mm: Checked W+X mappings: FAILED, %lu W+X pages found, %lu executable pages writable through an alias\n",
            w.pages, a.pages);
  else
    pr_info("mm: Checked W+X mappings: passed, no W+X pages found; no writable alias of the %lu executable pages "
            "(all mappings compared by physical address)\n", ex.pages);
  return w.pages + a.pages + (ex.overflow ? 1 : 0);
}

}  // namespace kernel
