// libFuzzer target: random sequences of fixmap and early_ioremap calls (including every kind of
// misuse) on a simulated arena. After each call the software MMU walker must agree with the
// fixmap's own view, early_ioremap's slot accounting must match the live BTMAP pages, and at the
// end the whole recording must respect break-before-make (every clear invalidated).
#include <cstring>

#include "kernel/printk.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "sim_mmu.h"

using namespace kernel;
using namespace kernel::test;

namespace {

constexpr uint64_t kBase = 0x40000000, kSize = 1 << 20;

struct Reader {
  const uint8_t* p;
  size_t n;
  uint64_t take(unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && n; ++i, ++p, --n) v = (v << 8) | *p;
    return v;
  }
};

const PgProt kProts[] = {FIXMAP_PAGE_NORMAL, FIXMAP_PAGE_IO, FIXMAP_PAGE_RO, FIXMAP_PAGE_CLEAR};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One arena for the whole run; each input starts from freshly zeroed fixmap tables.
  static SimArena arena(kBase, kSize);
  static RecordingMmuOps mmu(arena);
  static PhysAddr pgd = arena.alloc_page();
  static FixmapTables t = [] {
    FixmapTables x;
    x.pud = arena.alloc_page();
    x.pmd = arena.alloc_page();
    for (auto& p : x.pte) p = arena.alloc_page();
    return x;
  }();
  for (PhysAddr p : {pgd, t.pud, t.pmd}) std::memset(arena.ptr(p), 0, PAGE_SIZE);
  for (PhysAddr p : t.pte) std::memset(arena.ptr(p), 0, PAGE_SIZE);
  mmu.ops.clear();
  mmu.direct_table_access.clear();
  Fixmap fm(mmu);
  mmu.ttbr1 = pgd;
  if (fm.init(pgd, t) != Errc::Ok) __builtin_trap();
  fixmap_install(&fm);
  early_ioremap_forget_all();
  log_buffer_reset();
  void* live[FIX_BTMAPS_SLOTS] = {};
  uint64_t live_size[FIX_BTMAPS_SLOTS] = {};
  Reader r{data, size};
  for (int step = 0; step < 64 && r.n; ++step) {
    unsigned op = static_cast<unsigned>(r.take(1) % 7);
    if (op == 0) {  // any index, any address, any protection
      unsigned idx = static_cast<unsigned>(r.take(2) % (__end_of_fixed_addresses + 4));
      if (idx >= FIX_BTMAP_END && idx <= FIX_BTMAP_BEGIN) continue;  // early_ioremap owns those pages
      PhysAddr pa(kBase + (r.take(2) << 12) % kSize);
      (void)__set_fixmap(idx, pa, kProts[r.take(1) % 4]);
      if (idx > 0 && idx < __end_of_fixed_addresses) {
        Pte pte = fm.read(idx);
        WalkResult w = walk_ttbr1(mmu, pgd, VirtAddr(__fix_to_virt(idx)));
        if (pte.valid() != w.ok || (w.ok && w.pa != pte.output_address())) __builtin_trap();
      }
    } else if (op == 1) {
      unsigned idx = static_cast<unsigned>(r.take(2) % (__end_of_fixed_addresses + 4));
      if (idx < FIX_BTMAP_END || idx > FIX_BTMAP_BEGIN) (void)clear_fixmap(idx);
    } else if (op == 2 || op == 3) {  // early_ioremap / early_memremap of any size, any offset
      uint64_t pa = (op == 2 ? 0x09000000 : kBase) + r.take(3);
      uint64_t sz = r.take(3);
      if (r.take(1) == 0xff) pa = ~0ull - sz / 2;  // wrap-around
      void* p = op == 2 ? early_ioremap(PhysAddr(pa), sz) : early_memremap(PhysAddr(pa), sz);
      if (p) {
        unsigned s = 0;
        while (s < FIX_BTMAPS_SLOTS && live[s]) ++s;
        if (s == FIX_BTMAPS_SLOTS) __builtin_trap();  // more mappings than slots
        live[s] = p, live_size[s] = sz;
        // Every byte is reachable through the mapping (where the physical range is simulated RAM).
        if (arena.contains(pa, sz) && !mmu.access(virt_of(p), sz)) __builtin_trap();
      }
    } else if (op == 4) {  // unmap something: live, twice, or garbage, with the right or wrong size
      unsigned s = static_cast<unsigned>(r.take(1) % (FIX_BTMAPS_SLOTS + 1));
      if (s < FIX_BTMAPS_SLOTS && live[s]) {
        early_iounmap(live[s], r.take(1) & 1 ? live_size[s] : live_size[s] + 1);
        live[s] = nullptr;
      } else {
        early_iounmap(reinterpret_cast<void*>(r.take(8)), r.take(2));
      }
    } else if (op == 5) {
      uint8_t buf[4096];
      uint64_t n = r.take(2) % sizeof buf;
      (void)copy_from_early_mem(buf, PhysAddr(kBase + r.take(3) % (kSize - sizeof buf)), n);
    } else if (r.take(1) == 0x5a) {
      early_ioremap_reset();
    }
    // Slot accounting: a used slot has exactly its pages live in the BTMAP window.
    for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s) {
      EarlyIoremapSlotInfo info = early_ioremap_slot(s);
      unsigned begin = btmap_slot_first(s);
      uint64_t pages = info.used ? (info.phys.page_offset() + info.size + PAGE_SIZE - 1) / PAGE_SIZE : 0;
      for (unsigned i = 0; i < NR_FIX_BTMAPS; ++i)
        if (fm.is_live(begin - i) != (i < pages) && info.used) __builtin_trap();
    }
  }
  for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s)
    if (live[s]) early_iounmap(live[s], live_size[s]);
  if (!bbm_violations(mmu).empty()) __builtin_trap();
  fixmap_install(nullptr);
  early_ioremap_forget_all();
  return 0;
}
