// Fixmap slot management (Linux: arch/arm64/mm/fixmap.c), compiled for the kernel and the host.
#include "mm/fixmap.h"

#include <libfdt.h>

#include "kernel/printk.h"
#include "kernel/range.h"
#include "kernel/string.h"
#include "mm/pgtable_walker.h"

namespace kernel {

using fixmap_layout::first_pmd;
using fixmap_layout::nr_pte_tables;

namespace {

// The fixmap's own tables (bm_pud, bm_pmd, bm_pte[]) as the cursor's source of "new" tables: an
// empty entry on the way to the fixmap gets the static table for its level. They are never zeroed
// here: they are zero in BSS before the first attach, and may be live under another root after.
class FixmapAttachAccess {
 public:
  FixmapAttachAccess(PageTableOps& ops, const FixmapTables& t) : ops_(ops), t_(t) {}
  Pte* map_table(PhysAddr table, unsigned) { return ops_.table_ptr(table); }
  void unmap_table(unsigned) {}
  Optional<PhysAddr> alloc_table(unsigned level, uint64_t va) {
    const PhysAddr t = level == 1 ? t_.pud : level == 2 ? t_.pmd : t_.pte[(va - first_pmd) / PMD_SIZE];
    if (t.is_null()) return nullopt;
    return t;
  }
  bool zero_table(PhysAddr) { return true; }
  PageTableOps& ops() { return ops_; }

 private:
  PageTableOps& ops_;
  const FixmapTables& t_;
};

}  // namespace

Status Fixmap::init(PhysAddr pgd, const FixmapTables& tables) {
  tables_ = tables;
  return attach(pgd);
}

Status Fixmap::attach(PhysAddr pgd) {
  FixmapAttachAccess access(ops_, tables_);
  PageTableCursor<FixmapAttachAccess> c(access, pgd);
  Pte* new_pte[nr_pte_tables] = {};
  for (unsigned k = 0; k < nr_pte_tables; ++k) {
    const uint64_t va = first_pmd + k * PMD_SIZE;
    const SeekStatus st = c.seek(va, kLeafLevel, true);
    if (st == SeekStatus::Leaf)
      return KERR(Errc::TableMissing, "fixmap: level-%u entry %u on the way to 0x%lx is 0x%016lx, not a table",
                  c.level(), c.index_at(c.level()), va, c.entry()->raw);
    if (st != SeekStatus::Ok)
      return KERR(Errc::TableMissing,
                  "fixmap: the walk from the PGD at pa 0x%lx to 0x%lx did not reach the fixmap tables (%s)",
                  pgd.value(), va, st == SeekStatus::OutOfMemory ? "no table to install" : "a table is not reachable");
    new_pte[k] = ops_.table_ptr(c.table_at(kLeafLevel));
    if (!new_pte[k])
      return KERR(Errc::TableMissing, "fixmap: the PTE table at pa 0x%lx is not reachable",
                  c.table_at(kLeafLevel).value());
  }
  pgd_ = pgd;
  for (unsigned k = 0; k < nr_pte_tables; ++k) pte_[k] = new_pte[k];
  return {};
}

Pte Fixmap::read(unsigned idx) const {
  if (!initialised() || idx == FIX_HOLE || idx >= __end_of_fixed_addresses) return Pte{};
  return *entry(idx);
}

// Why try_set() said no; a clear of a free slot still stores zero and invalidates.
Status Fixmap::set_failed(unsigned idx, PgProt prot) {
  if (!initialised()) return KERR(Errc::NotInitialised, "the fixmap is not initialised yet (early_fixmap_init)");
  if (idx == FIX_HOLE || idx >= __end_of_fixed_addresses)
    return KERR(Errc::BadIndex, "index is FIX_HOLE or beyond __end_of_fixed_addresses");
  Pte* e = entry(idx);
  if (prot.is_clear()) {
    ops_.write_pte(e, Pte{});
    ops_.flush_tlb_kernel_page(VirtAddr(__fix_to_virt(idx)), TlbLevel::L3);
    return KERR(Errc::NotMapped, "slot is not mapped");
  }
  return KERR(Errc::SlotLive, "slot is live with pa=0x%lx; clear_fixmap() it first (break-before-make)",
              e->output_address().value());
}

// ---- The kernel's fixmap and Linux's API on it -------------------------------------------------

Fixmap* fixmap_detail::g_fixmap = nullptr;

namespace {
using fixmap_detail::g_fixmap;

// The public API reports each failure once, with the slot, the caller and what to do. Out of
// line and cold: the success path of set_fixmap/clear_fixmap stays a few instructions.
[[gnu::noinline, gnu::cold]] void report_failure(Status& st, unsigned idx, PhysAddr phys, PgProt prot, void* caller) {
  const char* op = prot.is_clear() ? "clear_fixmap" : "set_fixmap";
  char name[48], why[200];
  fixmap_slot_name(idx, name, sizeof name);
  st.error().format(why, sizeof why);
  if (st == Errc::NotMapped)
    pr_warn("fixmap: %s of %s (index %u): %s (caller %p)\n", op, name, idx, why, caller);
  else if (st == Errc::SlotLive)
    pr_err("fixmap: refusing %s of %s (index %u) to pa=0x%lx: %s (caller %p)\n", op, name, idx, phys.value(), why,
           caller);
  else
    pr_err("fixmap: %s of index %u (%s) failed: %s (caller %p)\n", op, idx, name, why, caller);
  st.error().mark_reported();
}

[[gnu::noinline, gnu::cold]] Status explain_failure(unsigned idx, PhysAddr phys, PgProt prot, void* caller) {
  Status st = g_fixmap ? g_fixmap->set(idx, phys, prot)
                       : Status(KERR(Errc::NotInitialised, "the fixmap is not initialised yet (early_fixmap_init)"));
  if (!st.ok()) report_failure(st, idx, phys, prot, caller);
  return st;
}
}  // namespace

// Called from the inline __set_fixmap: its return address is in the function that called the API.
Status fixmap_detail::set_failed(unsigned idx, PhysAddr phys, PgProt prot) {
  return explain_failure(idx, phys, prot, __builtin_return_address(0));
}

Status fixmap_set_reported(unsigned idx, PhysAddr phys, PgProt prot, void* caller) {
  Fixmap* fm = g_fixmap;
  if (fm && fm->try_set(idx, phys, prot)) [[likely]]
    return {};
  return explain_failure(idx, phys, prot, caller);
}

SpinLock& fixmap_slot_lock(unsigned idx) {
  static SpinLock locks[__end_of_fixed_addresses];
  return locks[idx < __end_of_fixed_addresses ? idx : FIX_HOLE];
}

void fixmap_install(Fixmap* fm) { g_fixmap = fm; }

VirtAddr fix_to_virt_checked(unsigned idx) {
  if (idx == FIX_HOLE || idx >= __end_of_fixed_addresses) {
    pr_err("fixmap: fix_to_virt: index %u is FIX_HOLE or beyond __end_of_fixed_addresses (%u) (caller %p)\n", idx,
           unsigned{__end_of_fixed_addresses}, __builtin_return_address(0));
    return VirtAddr();
  }
  return VirtAddr(__fix_to_virt(idx));
}

bool virt_to_fix(VirtAddr va, unsigned* idx) {
  uint64_t v = va.value();
  if (v < FIXADDR_TOT_START || v >= FIXADDR_TOP) {
    pr_err("fixmap: virt_to_fix: 0x%lx is outside the fixmap [0x%lx, 0x%lx) (caller %p)\n", v, FIXADDR_TOT_START,
           FIXADDR_TOP, __builtin_return_address(0));
    return false;
  }
  *idx = __virt_to_fix(v);
  return true;
}

const char* fixmap_slot_name(unsigned idx, char* buf, unsigned len) {
  if (idx == FIX_HOLE) {
    snprintf(buf, len, "FIX_HOLE");
    return buf;
  }
  for (const FixmapSlot& s : kFixmapSlots) {
    if (!s.contains(idx)) continue;
    if (s.pages() == 1)
      snprintf(buf, len, "%s", s.name);
    else if (s.lo == FIX_FDT_END)
      snprintf(buf, len, "%s+%u", s.name, s.hi - idx);
    else
      snprintf(buf, len, "%s page %u", s.name, s.hi - idx);
    return buf;
  }
  snprintf(buf, len, "invalid(%u)", idx);
  return buf;
}

// ---- FDT window --------------------------------------------------------------------------------

void fixmap_unmap_fdt() {
  Fixmap* fm = g_fixmap;
  if (!fm) return;
  // Each run of live pages (in one table, at most Fixmap::kMaxRun) is cleared with one
  // invalidate of the run, from the lowest address (FIX_FDT) up.
  unsigned idx = FIX_FDT;
  while (idx >= FIX_FDT_END) {
    if (!fm->is_live(idx)) {
      --idx;
      continue;
    }
    unsigned n = 1;
    while (idx - n >= FIX_FDT_END && fm->is_live(idx - n) && fm->run_in_one_table(idx, n + 1)) ++n;
    (void)fm->clear_run(idx, n);
    idx -= n;
  }
}

namespace {
uint32_t be32(const void* p) {
  auto* b = static_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
}  // namespace

namespace {
Result<FdtWindow> map_fdt(PhysAddr dt_phys, PgProt prot) {
  if (!g_fixmap || !g_fixmap->initialised()) return KERR(Errc::NotInitialised, "the fixmap is not initialised");
  if (dt_phys.is_null())
    return KERR(Errc::Invalid,
                "no device tree: the boot loader passed x0 = 0 (booting.rst: x0 must hold the DTB "
                "address)");
  if (!dt_phys.is_aligned_to(8))
    return KERR(Errc::Unaligned, "device tree at 0x%lx is not 8-byte aligned (booting.rst requires 8-byte alignment)",
                dt_phys.value());

  fixmap_unmap_fdt();
  const uint64_t offset = dt_phys.page_offset();
  if (!g_fixmap->set(FIX_FDT, dt_phys.page_base(), prot).ok())
    return KERR(Errc::MapFailed, "could not map the device tree at FIX_FDT");
  VirtAddr va(__fix_to_virt(FIX_FDT) + offset);
  // An 8-byte aligned blob may start as late as 8 bytes before a page end, so its 40-byte header
  // can straddle two pages: map the second one too in that case.
  if (offset + sizeof(fdt_header) > PAGE_SIZE &&
      !g_fixmap->set(FIX_FDT - 1, dt_phys.page_base().offset(PAGE_SIZE), prot).ok())
    return KERR(Errc::MapFailed, "could not map the device tree header");
  const void* hdr = g_fixmap->ops().access(va, sizeof(fdt_header));
  if (!hdr) return KERR(Errc::Unreachable, "the FDT window is not reachable through the MMU");
  uint32_t magic = be32(hdr);
  if (magic != FDT_MAGIC)
    return KERR(Errc::Invalid, "no device tree at 0x%lx: bad magic 0x%08x (expected 0xd00dfeed)", dt_phys.value(),
                magic);
  uint32_t size = be32(static_cast<const char*>(hdr) + 4);
  if (size > MAX_FDT_SIZE)
    return KERR(Errc::TooLarge, "device tree at 0x%lx is %u bytes; the limit is %lu bytes (2 MiB)", dt_phys.value(),
                size, MAX_FDT_SIZE);
  if (size < sizeof(fdt_header))
    return KERR(Errc::Invalid, "device tree at 0x%lx claims totalsize %u, smaller than its own header", dt_phys.value(),
                size);
  const PhysRange blob = TRY(PhysRange::make(dt_phys, size, "fixmap_remap_fdt", __builtin_return_address(0)));
  const uint64_t pages = blob.pages();
  // The rest in runs (one table, at most Fixmap::kMaxRun pages), each made visible with one
  // dsb ishst; isb; a page a run cannot set goes through set(), which says why.
  for (uint64_t i = 1; i < pages;) {
    const unsigned idx = FIX_FDT - static_cast<unsigned>(i);
    const uint64_t to_table_end = (PMD_SIZE - (__fix_to_virt(idx) & (PMD_SIZE - 1))) / PAGE_SIZE;
    uint64_t n = pages - i < Fixmap::kMaxRun ? pages - i : Fixmap::kMaxRun;
    if (n > to_table_end) n = to_table_end;
    const PhysAddr pa = dt_phys.page_base().offset(i * PAGE_SIZE);
    unsigned done = g_fixmap->set_run(idx, static_cast<unsigned>(n), pa, prot);
    if (done < n) {
      if (!g_fixmap->set(idx - done, pa.offset(uint64_t{done} * PAGE_SIZE), prot).ok())
        return KERR(Errc::MapFailed, "could not map page %lu of the device tree", i + done);
      ++done;
    }
    i += done;
  }
  if (!g_fixmap->ops().access(va, size))
    return KERR(Errc::Unreachable, "the FDT window is not reachable through the MMU");
  return FdtWindow{va, size};
}
}  // namespace

Result<FdtWindow> fixmap_remap_fdt(PhysAddr dt_phys, PgProt prot) {
  Result<FdtWindow> r = map_fdt(dt_phys, prot);
  if (!r.ok()) fixmap_unmap_fdt();
  return r;
}

}  // namespace kernel
