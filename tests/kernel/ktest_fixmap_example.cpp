// docs/fixmap.md's example of using a fixmap slot after boot, compiled and run as a KTAP suite
// (`ktest=fixmap_example`), so the example cannot rot. tests/docs/test_docs.py checks that the doc
// quotes this file verbatim.
#include "asm/arch.h"
#include "kernel/ktest.h"
#include "mm/fixmap.h"
#include "mm/page_alloc.h"

namespace kernel {

// [docs:fixmap-after-boot]
// Reads one 64-bit word of any physical page through a temporary fixmap mapping.
// ScopedFixmap takes the slot's lock with interrupts masked (the slot is global: another CPU, or
// an interrupt handler here, may want it), maps the page, and at scope exit clears the slot with
// its broadcast TLB invalidate, then releases the lock.
Result<uint64_t> peek_phys_u64(PhysAddr pa) {
  ScopedFixmap map(FIX_TEXT_POKE0, pa, FIXMAP_PAGE_NORMAL);  // read-write, never executable
  if (!map.ok()) return KERR(Errc::NotMapped, "peek: cannot map pa 0x%lx", pa.value());
  return *map.va().as_ptr<volatile uint64_t>();  // va() includes pa's offset in its page
}

// The same by hand: lock, set, use, clear, unlock. set_fixmap refuses a slot that is live with
// another page (break-before-make) and says so with the caller's address.
Status poke_phys_u64(PhysAddr pa, uint64_t value) {
  IrqSaveGuard guard(fixmap_slot_lock(FIX_TEXT_POKE0));
  VirtAddr va = set_fixmap_offset(FIX_TEXT_POKE0, pa);
  if (va.is_null()) return KERR(Errc::NotMapped, "poke: cannot map pa 0x%lx", pa.value());
  *va.as_ptr<volatile uint64_t>() = value;
  return clear_fixmap(FIX_TEXT_POKE0);  // zero the PTE, TLBI VAALE1IS, DSB ISH, ISB
}
// [end]

KTEST(fixmap_example, peek_and_poke_a_page_through_a_permanent_slot) {
  Page* page = alloc_pages(0);
  KASSERT(page);
  const PhysAddr pa = page_to_phys(page).offset(0x18);
  *page_address(page).offset(0x18).as_ptr<volatile uint64_t>() = 0x1234'5678'9abc'def0ull;
  Result<uint64_t> v = peek_phys_u64(pa);
  KEXPECT(v.ok());
  KEXPECT_EQ(v.value(), 0x1234'5678'9abc'def0ull);
  KEXPECT(poke_phys_u64(pa, 42).ok());
  KEXPECT_EQ(*page_address(page).offset(0x18).as_ptr<volatile uint64_t>(), 42u);
  KEXPECT(!fixmap_get()->is_live(FIX_TEXT_POKE0));  // both cleared the slot
  free_pages(page, 0);
}

}  // namespace kernel
