#include "kernel/printk.h"
#include "mm/fixmap.h"

namespace kernel {
namespace {

struct Group {
  const char* name;
  unsigned first;  // lowest index (highest VA)
  unsigned last;   // highest index (lowest VA)
};

unsigned dump_group(const Fixmap& fm, const Group& g, TranslateFn translate, bool show_free) {
  unsigned live = 0, bad = 0, lowest = 0;
  Pte lowest_pte{};
  for (unsigned idx = g.last + 1; idx-- > g.first;) {  // increasing VA
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
      pr_info("fixmap: %-22s va=0x%016lx %4u page%s free\n", g.name, __fix_to_virt(g.last), g.last - g.first + 1,
              g.last == g.first ? " " : "s");
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
  pr_info("fixmap: 0x%016lx-0x%016lx: %u pages, %u permanent; live slots:\n", FIXADDR_TOT_START, FIXADDR_TOP,
          unsigned{__end_of_fixed_addresses}, unsigned{__end_of_permanent_fixed_addresses});
  unsigned bad = 0;
  bad += dump_group(*fm, {"FIX_FDT", FIX_FDT_END, FIX_FDT}, translate, show_free);
  bad += dump_group(*fm, {"FIX_EARLYCON_MEM_BASE", FIX_EARLYCON_MEM_BASE, FIX_EARLYCON_MEM_BASE}, translate, show_free);
  bad += dump_group(*fm, {"FIX_TEXT_POKE0", FIX_TEXT_POKE0, FIX_TEXT_POKE0}, translate, show_free);
  static const char* const kBtmap[FIX_BTMAPS_SLOTS] = {"FIX_BTMAP slot 0", "FIX_BTMAP slot 1", "FIX_BTMAP slot 2",
                                                       "FIX_BTMAP slot 3", "FIX_BTMAP slot 4", "FIX_BTMAP slot 5",
                                                       "FIX_BTMAP slot 6"};
  for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s) {
    unsigned begin = FIX_BTMAP_BEGIN - s * NR_FIX_BTMAPS;
    bad += dump_group(*fm, {kBtmap[s], begin - NR_FIX_BTMAPS + 1, begin}, translate, show_free);
  }
  bad += dump_group(*fm, {"FIX_PTE", FIX_PTE, FIX_PTE}, translate, show_free);
  bad += dump_group(*fm, {"FIX_PMD", FIX_PMD, FIX_PMD}, translate, show_free);
  bad += dump_group(*fm, {"FIX_PUD", FIX_PUD, FIX_PUD}, translate, show_free);
  bad += dump_group(*fm, {"FIX_PGD", FIX_PGD, FIX_PGD}, translate, show_free);
  return bad;
}

}  // namespace kernel
