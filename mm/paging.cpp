#include "mm/paging.h"

#include "asm/fixmap.h"
#include "mm/memblock.h"
#include "mm/pgtable_walker.h"

namespace kernel {

namespace {
constexpr unsigned kMaxSegments = 8;
struct PhysRange {
  uint64_t start, end;
};
}  // namespace

Result<PhysAddr> build_swapper(FixmapTableEnv& env, PhysAddr old_pgd, const KernelSegment* segs, unsigned nsegs,
                               SwapperStats* stats) {
  SwapperStats local;
  if (!stats) stats = &local;
  Optional<PhysAddr> pgd_alloc = env.alloc_table(kStartLevel, 0);
  if (!pgd_alloc) return KERR(Errc::OutOfMemory, "no memory for the swapper PGD");
  const PhysAddr pgd = *pgd_alloc;
  if (!env.zero_table(pgd))
    return KERR(Errc::Unreachable, "could not zero the swapper PGD at pa 0x%lx through FIX_PTE", pgd.value());
  ++stats->linear.tables;
  // The linear map of all RAM except no-map regions, with the largest blocks the alignment allows.
  // The linear alias of every read-only image segment (text, rodata) is mapped read-only, in pages
  // (Linux's rodata=full): a writable alias would let a stray store change kernel text without
  // FIX_TEXT_POKE0, and the same PA would be executable at one VA and writable at another.
  PhysRange ro[kMaxSegments];
  unsigned nro = 0;
  for (unsigned i = 0; i < nsegs && nro < kMaxSegments; ++i)
    if (!prot_writable(segs[i].prot)) ro[nro++] = PhysRange{segs[i].pa.value(), segs[i].pa.value() + segs[i].size};
  for (unsigned i = 1; i < nro; ++i)  // sorted by address (a handful of entries)
    for (unsigned j = i; j > 0 && ro[j].start < ro[j - 1].start; --j) {
      PhysRange t = ro[j];
      ro[j] = ro[j - 1];
      ro[j - 1] = t;
    }
  auto map_linear = [&](uint64_t s, uint64_t e, PgProt prot, bool blocks) -> Status {
    if (s >= e) return {};
    return map_range(env, pgd, VirtAddr(linear_va(s)), PhysAddr(s), e - s, prot, blocks, &stats->linear);
  };
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    if (r.flags & MEMBLOCK_NOMAP) continue;
    uint64_t cur = r.base.value();
    const uint64_t end = r.end().value();
    for (unsigned k = 0; k < nro; ++k) {
      const uint64_t s = ro[k].start < cur ? cur : ro[k].start;
      const uint64_t t = ro[k].end > end ? end : ro[k].end;
      if (s >= t) continue;
      TRY(map_linear(cur, s, PAGE_KERNEL, true));
      TRY(map_linear(s, t, PAGE_KERNEL_RO, false));
      stats->linear_ro_pages += (t - s) / PAGE_SIZE;
      cur = t;
    }
    TRY(map_linear(cur, end, PAGE_KERNEL, true));
  }
  // The kernel image, page by page with its final permissions.
  for (unsigned i = 0; i < nsegs; ++i)
    TRY(map_range(env, pgd, segs[i].va, segs[i].pa, segs[i].size, segs[i].prot, false, &stats->image));
  // The fixmap: link the old tables' entry for it into the new tables at the first level where the
  // new tables hold nothing for it, as Linux does: the old root's entry (bm_pud and below at 4K;
  // bm_pmd at 64K, whose root is level 1) or, at 16K, where the root's entry 1 also covers the image
  // (it is a table of the new tables already), the old level-1 entry (bm_pmd) under it (Linux's
  // map_kernel() for "16k/4 levels"). So the fixmap, and the console in FIX_EARLYCON_MEM_BASE, stay
  // mapped across the TTBR1 switch; Fixmap::attach afterwards only finds its tables again.
  {
    PageTableCursor<FixmapTableEnv> c(env, pgd);
    PhysAddr old_table = old_pgd;
    for (unsigned level = kStartLevel;; ++level) {
      const Pte* old = env.ops().table_ptr(old_table);
      if (!old)
        return KERR(Errc::Unreachable, "the old level-%u table at pa 0x%lx is not reachable", level, old_table.value());
      const Pte want = old[table_index(FIXADDR_TOT_START, level)];
      if (c.seek(FIXADDR_TOT_START, level, false) != SeekStatus::Ok)
        return KERR(Errc::Unreachable, "the new tables' level-%u entry for the fixmap is not reachable", level);
      Pte* e = c.entry();
      if (e->none()) {
        env.ops().set_pte(e, want);
        break;
      }
      if (level + 1 >= kLeafLevel || !e->is_table_or_page() || !want.is_table_or_page())
        return KERR(Errc::Conflict, "the new tables map the fixmap's level-%u entry already (0x%016lx)", level, e->raw);
      old_table = want.output_address();
    }
  }
  return pgd;
}

}  // namespace kernel
