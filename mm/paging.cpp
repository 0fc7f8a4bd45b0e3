#include "mm/paging.h"

#include "asm/fixmap.h"
#include "mm/memblock.h"

namespace kernel {

namespace {
constexpr unsigned kMaxSegments = 8;
struct PhysRange {
  uint64_t start, end;
};
}  // namespace

Optional<PhysAddr> build_swapper(FixmapTableEnv& env, PhysAddr old_pgd, const KernelSegment* segs, unsigned nsegs,
                       SwapperStats* stats, const char** err) {
  SwapperStats local;
  if (!stats) stats = &local;
  *err = nullptr;
  Optional<PhysAddr> pgd_alloc = env.alloc_table(0, 0);
  if (!pgd_alloc) {
    *err = "no memory for the swapper PGD";
    return nullopt;
  }
  const PhysAddr pgd = *pgd_alloc;
  if (!env.zero_table(pgd)) {
    *err = "could not zero the swapper PGD through FIX_PTE";
    return nullopt;
  }
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
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    if (r.flags & MEMBLOCK_NOMAP) continue;
    uint64_t cur = r.base;
    const uint64_t end = r.end();
    auto map = [&](uint64_t s, uint64_t e, PgProt prot, bool blocks) {
      if (s >= e) return MapError::None;
      return map_range(env, pgd, VirtAddr(linear_va(s)), PhysAddr(s), e - s, prot, blocks, &stats->linear);
    };
    MapError e = MapError::None;
    for (unsigned k = 0; k < nro && e == MapError::None; ++k) {
      const uint64_t s = ro[k].start < cur ? cur : ro[k].start;
      const uint64_t t = ro[k].end > end ? end : ro[k].end;
      if (s >= t) continue;
      e = map(cur, s, PAGE_KERNEL, true);
      if (e == MapError::None) e = map(s, t, PAGE_KERNEL_RO, false);
      if (e == MapError::None) stats->linear_ro_pages += (t - s) / PAGE_SIZE;
      cur = t;
    }
    if (e == MapError::None) e = map(cur, end, PAGE_KERNEL, true);
    if (e != MapError::None) {
      *err = map_error_str(e);
      return nullopt;
    }
  }
  // The kernel image, page by page with its final permissions.
  for (unsigned i = 0; i < nsegs; ++i) {
    MapError e = map_range(env, pgd, segs[i].va, segs[i].pa, segs[i].size, segs[i].prot, false, &stats->image);
    if (e != MapError::None) {
      *err = map_error_str(e);
      return nullopt;
    }
  }
  // The fixmap: share the old top-level entry (bm_pud and below), as Linux does.
  Pte* old = env.ops().table_ptr(old_pgd);
  if (!old) {
    *err = "the old PGD is not reachable";
    return nullopt;
  }
  unsigned idx = table_index(FIXADDR_TOT_START, 0);
  Pte* np = env.map_table(pgd, 0);
  if (!np) {
    *err = "FIX_PGD is unusable";
    return nullopt;
  }
  if (np[idx].none()) env.ops().set_pte(&np[idx], old[idx]);
  env.unmap_table(0);
  return pgd;
}

}  // namespace kernel
