#include "mm/paging.h"

#include "asm/fixmap.h"
#include "mm/memblock.h"

namespace kernel {

PhysAddr build_swapper(PageTableEnv& env, MmuOps& ops, PhysAddr old_pgd, const KernelSegment* segs, unsigned nsegs,
                       SwapperStats* stats, const char** err) {
  SwapperStats local;
  if (!stats) stats = &local;
  *err = nullptr;
  PhysAddr pgd = env.alloc_table();
  if (pgd.is_null()) {
    *err = "no memory for the swapper PGD";
    return PhysAddr();
  }
  if (!env.zero_table(pgd)) {
    *err = "could not zero the swapper PGD through FIX_PTE";
    return PhysAddr();
  }
  ++stats->linear.tables;
  // The linear map of all RAM except no-map regions, with the largest blocks the alignment allows.
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    if (r.flags & MEMBLOCK_NOMAP) continue;
    MapError e = map_range(env, ops, pgd, linear_va(r.base), PhysAddr(r.base), r.size, PAGE_KERNEL, true,
                           &stats->linear);
    if (e != MapError::None) {
      *err = map_error_str(e);
      return PhysAddr();
    }
  }
  // The kernel image, page by page with its final permissions.
  for (unsigned i = 0; i < nsegs; ++i) {
    MapError e = map_range(env, ops, pgd, segs[i].va, segs[i].pa, segs[i].size, segs[i].prot, false, &stats->image);
    if (e != MapError::None) {
      *err = map_error_str(e);
      return PhysAddr();
    }
  }
  // The fixmap: share the old top-level entry (bm_pud and below), as Linux does.
  Pte* old = ops.table_ptr(old_pgd);
  if (!old) {
    *err = "the old PGD is not reachable";
    return PhysAddr();
  }
  unsigned idx = table_index(FIXADDR_TOT_START, 0);
  Pte* np = env.map_table(pgd, 0);
  if (!np) {
    *err = "FIX_PGD is unusable";
    return PhysAddr();
  }
  if (np[idx].none()) ops.set_pte(&np[idx], old[idx]);
  env.unmap_table(0);
  return pgd;
}

}  // namespace kernel
