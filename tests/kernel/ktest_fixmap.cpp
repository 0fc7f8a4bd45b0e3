// In-kernel tests of the fixmap on the real MMU.
#include "asm/sections.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "drivers/pl011.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "mm/fixmap.h"
#include "mm/pgtable_builder.h"

namespace kernel {
namespace {

alignas(PAGE_SIZE) volatile uint64_t test_page[PAGE_SIZE / 8] = {0x1122334455667788ULL};

constexpr unsigned kTestSlot = FIX_BTMAP_BEGIN - 3;  // an early_ioremap page nobody uses here

static_assert(fix_to_virt(FIX_FDT).value() == FIXADDR_TOP - uint64_t{FIX_FDT} * PAGE_SIZE);
static_assert(fix_to_virt(FIX_PGD).value() == FIXADDR_TOT_START + PAGE_SIZE);

}  // namespace

KTEST(fixmap, every_live_slot_matches_the_mmu) {
  Fixmap* fm = fixmap_get();
  KASSERT(fm && fm->initialised());
  unsigned live = 0;
  for (unsigned idx = 1; idx < __end_of_fixed_addresses; ++idx) {
    Pte pte = fm->read(idx);
    if (!pte.valid()) continue;
    ++live;
    PhysAddr pa;
    KEXPECT(arch_translate(VirtAddr(__fix_to_virt(idx)), false, &pa));
    KEXPECT_EQ(pa.value(), pte.output_address().value());
  }
  KEXPECT(live >= 2);  // at least the FDT and the early console
}

KTEST(fixmap, set_read_clear_then_fault) {
  test_page[0] = 0x1122334455667788ULL;
  PhysAddr pa = kimg_to_phys(test_page);
  VirtAddr va = set_fixmap_offset(kTestSlot, pa.offset(8));
  KASSERT(!va.is_null());
  KEXPECT_EQ(va.value(), __fix_to_virt(kTestSlot) + 8);
  uint64_t v = 0;
  KEXPECT(probe_read64(VirtAddr(va.value() - 8), &v));
  KEXPECT_EQ(v, 0x1122334455667788ULL);
  // Write through the alias, observe through the image mapping.
  KEXPECT(probe_write64(VirtAddr(va.value() - 8), 0xcafef00dULL));
  KEXPECT_EQ(test_page[0], 0xcafef00dULL);
  KEXPECT(clear_fixmap(kTestSlot) == Errc::Ok);
  // The TLB invalidate really happened: the old translation is gone, the read faults.
  KEXPECT(!probe_read64(VirtAddr(__fix_to_virt(kTestSlot)), &v));
  PhysAddr out;
  KEXPECT(!arch_translate(VirtAddr(__fix_to_virt(kTestSlot)), false, &out));
}

KTEST(fixmap, remapping_a_live_slot_is_refused) {
  PhysAddr a = kimg_to_phys(test_page);
  PhysAddr b = kimg_to_phys(_text);
  KASSERT(set_fixmap(kTestSlot, a) == Errc::Ok);
  KEXPECT(set_fixmap(kTestSlot, a) == Errc::Ok);        // same mapping: harmless
  KEXPECT(set_fixmap(kTestSlot, b) == Errc::SlotLive);  // break-before-make
  PhysAddr pa;
  KEXPECT(arch_translate(VirtAddr(__fix_to_virt(kTestSlot)), false, &pa));
  KEXPECT_EQ(pa.value(), a.value());
  KEXPECT(clear_fixmap(kTestSlot) == Errc::Ok);
  KEXPECT(clear_fixmap(kTestSlot) == Errc::NotMapped);
  KEXPECT(__set_fixmap(FIX_HOLE, a, FIXMAP_PAGE_NORMAL) == Errc::BadIndex);
  KEXPECT(__set_fixmap(__end_of_fixed_addresses, a, FIXMAP_PAGE_NORMAL) == Errc::BadIndex);
}

KTEST(fixmap, console_moved_off_the_earlycon_slot_to_device_memory) {
  // The console left FIX_EARLYCON_MEM_BASE for an ioremap mapping; the slot is clear and unmapped.
  KEXPECT(!fixmap_get()->is_live(FIX_EARLYCON_MEM_BASE));
  PhysAddr pa;
  KEXPECT(!arch_translate(VirtAddr(__fix_to_virt(FIX_EARLYCON_MEM_BASE)), false, &pa));
  VirtAddr regs = earlycon_uart.regs();
  KEXPECT(regs.value() >= VMALLOC_START && regs.value() < VMALLOC_END);
  PhysAddr ttbr1(read_sysreg(ttbr1_el1) & kOutputAddrMask);
  DirectTableEnv env(kernel_mmu_ops);
  const Translation w = translate(env, ttbr1, regs);
  KASSERT(w.ok);
  KEXPECT(w.type == MemType::DeviceNGnRE);
  KEXPECT(!w.el1_exec);
  KEXPECT(!w.el0_access);
  KEXPECT(w.writable);
}

KTEST(fixmap, fdt_window_is_read_only_after_scanning) {
  Pte pte = fixmap_get()->read(FIX_FDT);
  KASSERT(pte.valid());
  VirtAddr va(__fix_to_virt(FIX_FDT));
  PhysAddr pa;
  KEXPECT(arch_translate(va, false, &pa));
  KEXPECT(!arch_translate(va, true, &pa));  // AT S1E1W: permission fault
  KEXPECT(!probe_write64(va, 0));
  uint32_t magic = *va.offset(pte.output_address().page_offset()).as_ptr<volatile uint32_t>();
  (void)magic;
  KEXPECT_EQ(__builtin_bswap32(*reinterpret_cast<const volatile uint32_t*>(
                 VirtAddr(__fix_to_virt(FIX_FDT) + boot_info.dtb_phys.page_offset()).value())),
             0xd00dfeedu);
}

KTEST(fixmap, scoped_mapping_clears_itself) {
  PhysAddr pa = kimg_to_phys(test_page);
  {
    ScopedFixmap m(kTestSlot, pa, FIXMAP_PAGE_RO);
    KASSERT(m.ok());
    uint64_t v;
    KEXPECT(probe_read64(m.va(), &v));
    KEXPECT(!probe_write64(m.va(), 1));  // read-only alias
  }
  uint64_t v;
  KEXPECT(!fixmap_get()->is_live(kTestSlot));
  KEXPECT(!probe_read64(VirtAddr(__fix_to_virt(kTestSlot)), &v));
}

KTEST(mmu, kernel_image_is_w_xor_x) {
  PhysAddr ttbr1(read_sysreg(ttbr1_el1) & kOutputAddrMask);
  unsigned text = 0, wx = 0;
  DirectTableEnv env(kernel_mmu_ops);
  for (uint64_t va = reinterpret_cast<uint64_t>(_text); va < reinterpret_cast<uint64_t>(_end); va += PAGE_SIZE) {
    const Translation w = translate(env, ttbr1, VirtAddr(va));
    if (va == reinterpret_cast<uint64_t>(__stack_guard)) {
      KEXPECT(!w.ok);  // the stack guard page is never mapped
      continue;
    }
    KASSERT(w.ok);
    if (w.writable && w.el1_exec) ++wx;
    bool in_text = va < reinterpret_cast<uint64_t>(_etext);
    bool in_rodata = !in_text && va < reinterpret_cast<uint64_t>(_erodata);
    if (in_text) {
      ++text;
      KEXPECT(!w.writable && w.el1_exec);
    } else {
      KEXPECT(!w.el1_exec);
      KEXPECT(w.writable == !in_rodata);
    }
    KEXPECT(!w.el0_access);
  }
  KEXPECT_EQ(wx, 0u);
  KEXPECT(text > 0);
}

KTEST(mmu, writing_kernel_text_faults) {
  uint64_t v = 0;
  KEXPECT(probe_read64(virt_of(_text), &v));
  KEXPECT(!probe_write64(virt_of(_text), v));
  PhysAddr pa;
  KEXPECT(!arch_translate(virt_of(_text), true, &pa));
}

// rodata=full: text and rodata are read-only through their linear-map alias too, so the only way
// to write kernel text is FIX_TEXT_POKE0. Every page is checked with AT S1E1W; a store to the
// alias of the first text page, of a page in the middle of text and of rodata must fault.
KTEST(mmu, text_and_rodata_are_read_only_through_the_linear_alias) {
  KASSERT(kernel_mmu_ops.linear_map());
  const uint64_t start = reinterpret_cast<uint64_t>(_text), end = reinterpret_cast<uint64_t>(_erodata);
  unsigned writable = 0, pages = 0;
  for (uint64_t va = start; va < end; va += PAGE_SIZE, ++pages) {
    const VirtAddr alias = __va(kimg_to_phys(reinterpret_cast<void*>(va)));
    PhysAddr pa;
    KEXPECT(arch_translate(alias, false, &pa));  // readable...
    KEXPECT_EQ(pa.value(), kimg_to_phys(reinterpret_cast<void*>(va)).value());
    if (arch_translate(alias, true, &pa)) ++writable;  // ...never writable
  }
  KEXPECT_EQ(writable, 0u);
  KEXPECT(pages > 0);
  const uint64_t probes[] = {start, start + ((end - start) / 2 & PAGE_MASK), reinterpret_cast<uint64_t>(_srodata)};
  for (uint64_t va : probes) {
    const VirtAddr alias = __va(kimg_to_phys(reinterpret_cast<void*>(va)));
    uint64_t v = 0;
    KEXPECT(probe_read64(alias, &v));
    KEXPECT(!probe_write64(alias, v));  // same value: harmless if it did go through
  }
}

}  // namespace kernel
