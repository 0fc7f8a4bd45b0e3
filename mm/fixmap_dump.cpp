#include "kernel/printk.h"
#include "mm/fixmap.h"

namespace kernel {
namespace {

unsigned dump_group(const Fixmap& fm, const FixmapSlot& g, TranslateFn translate, bool show_free) {
  unsigned live = 0, bad = 0, lowest = 0;
  Pte lowest_pte{};
  for (unsigned idx = g.hi + 1; idx-- > g.lo;) {  // increasing VA
    Pte pte = fm.read(idx);
    if (!pte.valid()) continue;
    if (!live) lowest = idx, lowest_pte = pte;
    ++live;
    PhysAddr got;
    VirtAddr va(__fix_to_virt(idx));
    if (translate && (!translate(va, &got) || got != pte.output_address())) {
      pr_err("fixmap: MISMATCH %s index %u va=0x%016lx: descriptor pa=0x%lx, MMU says %s0x%lx\n", g.name, idx,
             va.value(), pte.output_address().value(), translate(va, &got) ? "" : "fault ", got.value());
      ++bad;
    }
  }
  if (!live) {
    if (show_free)
      pr_info("fixmap: %-22s va=0x%016lx %4u page%s free\n", g.name, __fix_to_virt(g.hi), g.hi - g.lo + 1,
              g.hi == g.lo ? " " : "s");
    return 0;
  }
  char prot[32];
  describe_prot(PgProt{lowest_pte.raw & ~kOutputAddrMask}, prot, sizeof prot);
  pr_info("fixmap: %-22s va=0x%016lx pa=0x%016lx %4u page%s %s%s\n", g.name, __fix_to_virt(lowest),
          lowest_pte.output_address().value(), live, live == 1 ? " " : "s", prot,
          translate ? (bad ? " MMU-MISMATCH" : " (MMU-checked)") : "");
  return bad;
}

}  // namespace

unsigned fixmap_dump(TranslateFn translate, bool show_free) {
  Fixmap* fm = fixmap_get();
  if (!fm || !fm->initialised()) {
    pr_err("fixmap: not initialised\n");
    return 0;
  }
  pr_info("fixmap: 0x%016lx-0x%016lx: %u x %s pages, %u permanent; live slots:\n", FIXADDR_TOT_START, FIXADDR_TOP,
          unsigned{__end_of_fixed_addresses}, kGranuleName, unsigned{__end_of_permanent_fixed_addresses});
  unsigned bad = 0;
  for (const FixmapSlot& slot : kFixmapSlots) bad += dump_group(*fm, slot, translate, show_free);
  return bad;
}

}  // namespace kernel
