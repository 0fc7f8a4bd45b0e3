// early_ioremap over the fixmap's BTMAP slots (Linux: mm/early_ioremap.c, written anew here).
#include "mm/early_ioremap.h"

#include "kernel/range.h"
#include "kernel/smp_call.h"
#include "mm/memblock.h"

#include "kernel/printk.h"
#include "kernel/string.h"

namespace kernel {
namespace {

struct Slot {
  VirtAddr va;  // what early_ioremap returned (slot base + offset); null when free
  PhysAddr phys;
  uint64_t size = 0;
  void* caller = nullptr;
  VirtAddr last_freed;  // to tell "unmapped twice" from "never mapped"
};

Slot g_slots[FIX_BTMAPS_SLOTS];
bool g_reset = false;

constexpr uint64_t slot_base(unsigned s) { return __fix_to_virt(btmap_slot_first(s)); }

static_assert(NR_FIX_BTMAPS <= Fixmap::kMaxRun, "a slot is cleared as one run");

// Page by page through the fixmap's API, which explains each failure with `caller`.
[[gnu::noinline, gnu::cold]] void unmap_pages_reported(unsigned first, uint64_t pages_mask, void* caller) {
  for (unsigned i = 0; i < 64; ++i)
    if (pages_mask >> i & 1) (void)fixmap_set_reported(first - i, PhysAddr(0), FIXMAP_PAGE_CLEAR, caller);
}

// Clears `pages` pages from fixmap index `first` down: zero stored in each, then one invalidate
// covering them all (Fixmap::clear_run). A page that was not live is reported (and cleared and
// invalidated again on the way, which is harmless).
[[gnu::always_inline]] inline void unmap_pages(unsigned first, unsigned pages, void* caller) {
  Fixmap* fm = fixmap_get();
  const uint64_t failed = fm ? fm->clear_run(first, pages) : Fixmap::run_mask(pages);
  if (failed) [[unlikely]]
    unmap_pages_reported(first, failed, caller);
}

// The run stopped at page `from`: the rest page by page through the fixmap's API, which explains
// (with the caller) why a page cannot be set; then the pages mapped so far are undone, page by
// page on this error path.
[[gnu::noinline, gnu::cold]] Status map_rest_reported(unsigned idx, unsigned n, unsigned from, PhysAddr base,
                                                      PgProt prot, void* caller) {
  for (unsigned i = from; i < n; ++i) {
    Status st = fixmap_set_reported(idx - i, base.offset(uint64_t{i} * PAGE_SIZE), prot, caller);
    if (!st.ok()) {
      unmap_pages_reported(idx, Fixmap::run_mask(i), caller);
      return st;  // the fixmap said what and why, with the caller: not again
    }
  }
  return {};
}

inline Result<void*> do_map(PhysAddr phys, uint64_t size, PgProt prot, void* caller) {
  if (g_reset)
    return KERR(Errc::AfterReset,
                "early_ioremap: early_ioremap(0x%lx, 0x%lx) used after the buddy allocator is up; use ioremap() "
                "(caller %p)",
                phys.value(), size, caller);
  // The slots and g_slots are the boot CPU's alone, before any other CPU runs: no lock guards them.
  if (SmpHooks* h = smp_hooks())
    return KERR(Errc::Invalid,
                "early_ioremap: early_ioremap(0x%lx, 0x%lx) on CPU%u with SMP up; early_ioremap is for the boot CPU "
                "before secondaries start: use ioremap() (caller %p)",
                phys.value(), size, h->this_cpu(), caller);
  const PhysRange range = TRY(PhysRange::make(phys, size, "early_ioremap: early_ioremap", caller));
  // RAM is (or will be) Normal memory in the linear map; a Device alias of it is a mismatched
  // attribute alias (Arm ARM B2.8 "Mismatched memory attributes"): loss of coherency at best.
  if (Pte{prot.bits}.mem_type() != MemType::Normal && memblock_overlaps_mapped_memory(phys, size))
    return KERR(Errc::IsRam,
                "early_ioremap: early_ioremap(0x%lx, 0x%lx): the range is RAM (memblock memory), not a device; use "
                "early_memremap() for RAM (caller %p)",
                phys.value(), size, caller);
  const uint64_t offset = phys.page_offset();
  const uint64_t pages = range.pages();
  if (pages > NR_FIX_BTMAPS)
    return KERR(Errc::TooLarge,
                "early_ioremap: early_ioremap(0x%lx, 0x%lx): needs %lu pages (in-page offset 0x%lx included), a slot "
                "holds %u (256 KiB) (caller %p)",
                phys.value(), size, pages, offset, NR_FIX_BTMAPS, caller);
  unsigned s = 0;
  while (s < FIX_BTMAPS_SLOTS && !g_slots[s].va.is_null()) ++s;
  if (s == FIX_BTMAPS_SLOTS)
    return KERR(Errc::NoFreeSlot,
                "early_ioremap: early_ioremap(0x%lx, 0x%lx): no free slot, all %u are in use (caller %p); holders:",
                phys.value(), size, FIX_BTMAPS_SLOTS, caller);
  // Pages go to decreasing fixmap indices, i.e. increasing virtual addresses: one run in one
  // table (the slots share a PMD), with one dsb ishst; isb after the last store.
  const unsigned idx = btmap_slot_first(s);
  Fixmap* fm = fixmap_get();
  const unsigned n = static_cast<unsigned>(pages);
  const unsigned done = fm ? fm->set_run(idx, n, phys.page_base(), prot) : 0;
  if (done != n) [[unlikely]]
    TRY(map_rest_reported(idx, n, done, phys.page_base(), prot, caller));
  Slot& slot = g_slots[s];
  slot.va = VirtAddr(slot_base(s) + offset);
  slot.phys = phys;
  slot.size = size;
  slot.caller = caller;
  return reinterpret_cast<void*>(static_cast<uintptr_t>(slot.va.value()));
}

// Reports a failed mapping once (with the slot holders when none was free). Cold and out of line.
[[gnu::noinline, gnu::cold]] void* report_map_failure(const Result<void*>& r) {
  r.error().report(r == Errc::AfterReset);
  if (r == Errc::NoFreeSlot)
    for (unsigned i = 0; i < FIX_BTMAPS_SLOTS; ++i)
      pr_err("early_ioremap:   slot %u: 0x%lx size 0x%lx by %p\n", i, g_slots[i].phys.value(), g_slots[i].size,
             g_slots[i].caller);
  return nullptr;
}

inline void* report_map(const Result<void*>& r) {
  if (r.ok()) [[likely]]
    return r.value();
  return report_map_failure(r);
}

Status do_unmap(void* addr, uint64_t size, void* caller) {
  VirtAddr va = virt_of(addr);
  unsigned s = 0;
  while (s < FIX_BTMAPS_SLOTS && g_slots[s].va != va) ++s;
  if (va.is_null() || s == FIX_BTMAPS_SLOTS) {
    bool twice = false;
    for (const Slot& sl : g_slots) twice |= !va.is_null() && sl.last_freed == va;
    if (twice)
      return KERR(Errc::AlreadyUnmapped,
                  "early_ioremap: early_iounmap(%p, 0x%lx): already unmapped (unmapped twice?) (caller %p)", addr, size,
                  caller);
    return KERR(Errc::NotMapped,
                "early_ioremap: early_iounmap(%p, 0x%lx): not an address early_ioremap returned (caller %p)", addr,
                size, caller);
  }
  Slot& slot = g_slots[s];
  const uint64_t mapped = slot.size;
  const uint64_t pages = (slot.phys.page_offset() + mapped + PAGE_SIZE - 1) / PAGE_SIZE;
  unmap_pages(btmap_slot_first(s), static_cast<unsigned>(pages), caller);
  slot.last_freed = slot.va;
  slot.va = VirtAddr();
  slot.size = 0;
  slot.caller = nullptr;
  if (mapped != size) [[unlikely]]
    return KERR(Errc::SizeMismatch,
                "early_ioremap: early_iounmap(%p, 0x%lx): size differs from the mapped 0x%lx; unmapping 0x%lx "
                "(caller %p)",
                addr, size, mapped, mapped, caller);
  return {};
}

// The Linux-named calls: map, and report a failure once with the caller.
void* map_reported(PhysAddr phys, uint64_t size, PgProt prot, void* caller) {
  return report_map(do_map(phys, size, prot, caller));
}

void report_unmap(const Status& st) {
  if (!st.ok()) [[unlikely]]
    st.error().report(st == Errc::SizeMismatch);  // the size mismatch is still unmapped: a warning
}

}  // namespace

void* early_ioremap(PhysAddr phys, uint64_t size) {
  return map_reported(phys, size, FIXMAP_PAGE_IO, __builtin_return_address(0));
}
void* early_memremap(PhysAddr phys, uint64_t size) {
  return map_reported(phys, size, FIXMAP_PAGE_NORMAL, __builtin_return_address(0));
}
void* early_memremap_ro(PhysAddr phys, uint64_t size) {
  return map_reported(phys, size, FIXMAP_PAGE_RO, __builtin_return_address(0));
}
void* early_memremap_prot(PhysAddr phys, uint64_t size, PgProt prot) {
  return map_reported(phys, size, prot, __builtin_return_address(0));
}
void early_iounmap(void* addr, uint64_t size) { report_unmap(do_unmap(addr, size, __builtin_return_address(0))); }
void early_memunmap(void* addr, uint64_t size) { report_unmap(do_unmap(addr, size, __builtin_return_address(0))); }

Result<void*> early_remap_checked(PhysAddr phys, uint64_t size, PgProt prot) {
  Result<void*> r = do_map(phys, size, prot, __builtin_return_address(0));
  report_map(r);
  if (!r.ok()) r.error().mark_reported();
  return r;
}
Status early_unmap_checked(void* addr, uint64_t size) {
  Status st = do_unmap(addr, size, __builtin_return_address(0));
  report_unmap(st);
  return st;
}

bool copy_from_early_mem(void* dest, PhysAddr src, uint64_t size) {
  auto* d = static_cast<char*>(dest);
  constexpr uint64_t kChunk = uint64_t{NR_FIX_BTMAPS} * PAGE_SIZE;
  while (size) {
    // Keep each chunk inside one slot, counting the in-page offset.
    uint64_t n = kChunk - src.page_offset();
    if (n > size) n = size;
    void* p = map_reported(src, n, FIXMAP_PAGE_RO, __builtin_return_address(0));
    if (!p) return false;
    Fixmap* fm = fixmap_get();
    const void* through = fm->ops().access(virt_of(p), n);
    if (!through) {
      report_unmap(do_unmap(p, n, __builtin_return_address(0)));
      return false;
    }
    memcpy(d, through, n);
    report_unmap(do_unmap(p, n, __builtin_return_address(0)));
    d += n;
    src = src.offset(n);
    size -= n;
  }
  return true;
}

void early_ioremap_reset() { g_reset = true; }
bool early_ioremap_is_reset() { return g_reset; }

unsigned early_ioremap_check_leaks() {
  unsigned n = 0;
  for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s) {
    const Slot& sl = g_slots[s];
    if (sl.va.is_null()) continue;
    pr_warn("early_ioremap: leak: slot %u still maps 0x%lx (size 0x%lx) at 0x%lx, mapped by %p\n", s, sl.phys.value(),
            sl.size, sl.va.value(), sl.caller);
    ++n;
  }
  if (n) pr_warn("early_ioremap: early ioremap leak of %u area%s detected\n", n, n == 1 ? "" : "s");
  return n;
}

EarlyIoremapSlotInfo early_ioremap_slot(unsigned s) {
  const Slot& sl = g_slots[s];
  return {!sl.va.is_null(), sl.va, sl.phys, sl.size, sl.caller};
}

void early_ioremap_forget_all() {
  for (Slot& s : g_slots) s = Slot{};
  g_reset = false;
}

}  // namespace kernel
