// fixmap_layout: prints, as JSON, the fixmap layout and translation geometry of ONE granule, the
// one this file is compiled for (CONFIG_ARM64_PAGE_SHIFT, set by the kernel_shared_host* library
// it links: tests/docs/granule_table.cmake builds fixmap_layout_4k, _16k and _64k).
//
// Every number comes from the kernel's own headers (asm/page_def.h, asm/memory.h, asm/fixmap.h,
// asm/tlbflush.h, asm/smp.h, mm/page_alloc.h), never from this file: tools/granule-table turns
// the three outputs (plus the kernel ELFs and a QEMU boot of each) into the tables of
// docs/granules.md.
#include <stdint.h>
#include <stdio.h>

#include "asm/fixmap.h"
#include "asm/memory.h"
#include "asm/page_def.h"
#include "asm/smp.h"
#include "asm/tlbflush.h"
#include "mm/page_alloc.h"

using namespace kernel;

namespace {

// The fixmap's static tables (arch/arm64/early_fixmap.cpp: bm_pud, bm_pmd, bm_pte[]) and the level
// each one serves. A static table is needed at a level only if the walk to the fixmap passes a
// table of that level that is not the root (the root is swapper_pg_dir itself). Whether an entry
// above it is already a table (the image's, at 16K where the image and the fixmap share the one
// upper-half root entry) is a run-time fact: the boot log and gdb tell; see docs/granules.md.
constexpr bool level_below_root(unsigned level) { return level > kStartLevel; }

// Does the walk to the kernel image share the root entry (and the level-1 entry) with the fixmap?
constexpr bool same_entry(unsigned level) {
  return (KIMAGE_VADDR >> kLevelShift[level]) == (FIXADDR_TOT_START >> kLevelShift[level]);
}

void hex(const char* key, uint64_t v, bool comma = true) {
  printf("  \"%s\": \"0x%016lx\"%s\n", key, v, comma ? "," : "");
}
void num(const char* key, uint64_t v, bool comma = true) { printf("  \"%s\": %lu%s\n", key, v, comma ? "," : ""); }

}  // namespace

int main() {
  printf("{\n");
  printf("  \"granule\": \"%s\",\n", kGranuleName);
  num("page_shift", PAGE_SHIFT);
  num("page_size", PAGE_SIZE);
  num("va_bits", kVaBits);
  num("bits_per_level", PT_LEVEL_BITS);
  num("levels", kPtLevels);
  num("start_level", kStartLevel);
  num("ptrs_per_table", kPtrsPerTable);
  num("ptrs_per_root", kPtrsPerRoot);
  printf("  \"level_shift\": [");
  for (unsigned l = 0; l < 4; ++l) {
    if (l < kStartLevel)
      printf("null");
    else
      printf("%u", kLevelShift[l]);
    printf(l == 3 ? "" : ", ");
  }
  printf("],\n");
  printf("  \"block_sizes\": {");
  bool first = true;
  for (unsigned l = kStartLevel; l < 3; ++l) {
    if (!block_allowed(l)) continue;
    printf("%s\"%u\": %lu", first ? "" : ", ", l, uint64_t{1} << kLevelShift[l]);
    first = false;
  }
  printf("},\n");
  num("pmd_size", PMD_SIZE);
  num("pud_size", PUD_SIZE);
  num("tcr_tg0", TCR_TG0_GRANULE);
  num("tcr_tg1", TCR_TG1_GRANULE);
  num("image_flags_page_size", IMAGE_FLAGS_PAGE_SIZE);
  printf("  \"mmfr0_field\": \"%s\",\n", ID_AA64MMFR0_EL1_TGRAN_NAME);
  num("mmfr0_field_shift", ID_AA64MMFR0_EL1_TGRAN_SHIFT);
  num("tlbi_ops_per_page", kTlbiOpsPerPage);
  num("tlbi_ttl_granule", kTlbiTtlGranule);
  hex("tlbi_operand_fix_pte_ttl", tlbi_va_operand(fix_to_virt(FIX_PTE), TlbLevel::L3, true));
  hex("tlbi_operand_fix_pte_nottl", tlbi_va_operand(fix_to_virt(FIX_PTE), TlbLevel::L3, false));

  hex("fixaddr_top", FIXADDR_TOP);
  hex("fixaddr_start", FIXADDR_START);
  hex("fixaddr_tot_start", FIXADDR_TOT_START);
  num("fixaddr_size", FIXADDR_SIZE);
  num("fixaddr_tot_size", FIXADDR_TOT_SIZE);
  num("nr_fixed_addresses", __end_of_fixed_addresses);
  num("nr_permanent", __end_of_permanent_fixed_addresses);
  num("nr_fix_btmaps", NR_FIX_BTMAPS);
  num("fix_btmaps_slots", FIX_BTMAPS_SLOTS);
  num("fix_fdt_size", FIX_FDT_SIZE);
  num("fix_fdt_pages", FIX_FDT_SIZE / PAGE_SIZE);
  printf("  \"slots\": [\n");
  const unsigned n = sizeof(kFixmapSlots) / sizeof(kFixmapSlots[0]);
  for (unsigned i = 0; i < n; ++i) {
    const FixmapSlot& s = kFixmapSlots[i];
    printf(
        "    {\"name\": \"%s\", \"first_index\": %u, \"last_index\": %u, \"va\": \"0x%016lx\", "
        "\"end\": \"0x%016lx\", \"pages\": %u, \"bytes\": %lu}%s\n",
        s.name, s.lo, s.hi, __fix_to_virt(s.hi), __fix_to_virt(s.lo) + PAGE_SIZE, s.pages(),
        uint64_t{s.pages()} * PAGE_SIZE, i + 1 == n ? "" : ",");
  }
  printf("  ],\n");

  // The fixmap's own tables: bm_pud (level 1), bm_pmd (level 2), bm_pte[nr_pte_tables] (level 3).
  num("nr_pte_tables", fixmap_layout::nr_pte_tables);
  hex("first_pmd", fixmap_layout::first_pmd);
  printf("  \"static_tables\": [\n");
  printf(
      "    {\"name\": \"bm_pud\", \"level\": 1, \"pages\": %u, \"below_root\": %s, \"shares_image_entry_above\": "
      "%s},\n",
      fixmap_layout::has_bm_pud ? 1u : 0u, level_below_root(1) ? "true" : "false",
      level_below_root(1) && same_entry(0) ? "true" : "false");
  printf(
      "    {\"name\": \"bm_pmd\", \"level\": 2, \"pages\": 1, \"below_root\": %s, \"shares_image_entry_above\": %s},\n",
      level_below_root(2) ? "true" : "false", same_entry(1) ? "true" : "false");
  printf(
      "    {\"name\": \"bm_pte\", \"level\": 3, \"pages\": %u, \"below_root\": true, \"shares_image_entry_above\": "
      "%s}\n",
      fixmap_layout::nr_pte_tables, same_entry(2) ? "true" : "false");
  printf("  ],\n");
  // bm_pud takes a page only where it is used (fixmap_layout::has_bm_pud: 4K).
  const unsigned static_pages = (fixmap_layout::has_bm_pud ? 2 : 1) + fixmap_layout::nr_pte_tables;
  num("static_table_pages", static_pages);
  num("static_table_bytes", static_pages * PAGE_SIZE);

  num("max_order", MAX_ORDER);
  num("max_order_block_size", MAX_ORDER_BLOCK_SIZE);
  num("struct_page_size", sizeof(Page));
  num("stack_align_shift", kStackAlignShift);
  num("stack_size", kStackSize);
  num("stack_map_size", stack_map_size(kStackSize));
  num("overflow_stack_map_size", stack_map_size(kOverflowStackSize));
  num("stack_slot_size", kStackSlotSize);
  num("kstacks_size", KSTACKS_END - KSTACKS_START, false);
  printf("}\n");
  return 0;
}
