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
  // The fixmap: share the old root's entry for it (bm_pud and below at 4K; bm_pmd at 64K, whose
  // root is level 1), as Linux does, where the new root holds nothing else there. At 16K the
  // root's entry 1 covers the image too (it is already a table here): Fixmap::attach then links
  // the fixmap's tables under it.
  Pte* old = env.ops().table_ptr(old_pgd);
  if (!old) return KERR(Errc::Unreachable, "the old PGD at pa 0x%lx is not reachable", old_pgd.value());
  const unsigned idx = table_index(FIXADDR_TOT_START, kStartLevel);
  Pte* np = env.map_table(pgd, kStartLevel);
  if (!np) return KERR(Errc::MapFailed, "FIX_PGD is unusable");
  if (np[idx].none()) env.ops().set_pte(&np[idx], old[idx]);
  env.unmap_table(kStartLevel);
  return pgd;
}

}  // namespace kernel
