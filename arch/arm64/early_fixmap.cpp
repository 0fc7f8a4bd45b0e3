// early_fixmap_init(): the fixmap's statically allocated tables, wired into the swapper tables
// that head.S built (TTBR1_EL1).
#include "kernel/setup.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/fixmap.h"

namespace kernel {
namespace {

// bm_pud is a level-1 table, needed only at 4K (fixmap_layout::has_bm_pud): at 16K the fixmap
// hangs under the image's level-1 table, at 64K the root is level 1. Elsewhere it takes no page.
constexpr bool kHasBmPud = fixmap_layout::has_bm_pud;
alignas(kHasBmPud ? PAGE_SIZE : alignof(Pte)) Pte bm_pud[kHasBmPud ? kPtrsPerTable : 1];
alignas(PAGE_SIZE) Pte bm_pmd[kPtrsPerTable];
alignas(PAGE_SIZE) Pte bm_pte[fixmap_layout::nr_pte_tables][kPtrsPerTable];

Fixmap g_kernel_fixmap(kernel_mmu_ops);

}  // namespace

PhysAddr swapper_pgd_phys() { return PhysAddr(read_sysreg(ttbr1_el1) & kOutputAddrMask); }

void early_fixmap_init() {
  // Before the first clear_fixmap(): whether TLBI may carry the TTL level hint (FEAT_TTL,
  // ID_AA64MMFR2_EL1.TTL; Arm ARM, "ID_AA64MMFR2_EL1, AArch64 Memory Model Feature Register 2").
  kernel_mmu_ops.set_has_ttl(IdAa64Mmfr2El1::read().ttl() != 0);
  FixmapTables tables;
  if (kHasBmPud) tables.pud = kimg_to_phys(bm_pud);  // else null: never asked for
  tables.pmd = kimg_to_phys(bm_pmd);
  for (unsigned k = 0; k < fixmap_layout::nr_pte_tables; ++k) tables.pte[k] = kimg_to_phys(bm_pte[k]);
  Status st = g_kernel_fixmap.init(swapper_pgd_phys(), tables);
  if (!st.ok()) panic_on(st.error(), "early_fixmap_init");
  fixmap_install(&g_kernel_fixmap);
}

}  // namespace kernel
