#include "mm/ioremap.h"

#include "kernel/printk.h"
#include "kernel/range.h"
#include "mm/memblock.h"
#include "mm/paging.h"

namespace kernel {

VirtAddr IoremapArea::map(PhysAddr phys, uint64_t size, PgProt prot, void* caller) {
  Result<PhysRange> range = PhysRange::make(phys, size, "ioremap: ioremap", caller);
  if (!range) {
    range.error().report();
    return VirtAddr();
  }
  const uint64_t offset = phys.page_offset();
  const uint64_t pages = range.value().pages();
  Area* slot = nullptr;
  for (Area& a : areas_)
    if (!a.pages) {
      slot = &a;
      break;
    }
  // One unmapped guard page after each area catches overruns.
  if (!slot || next_ + (pages + 1) * PAGE_SIZE > end_) {
    pr_err("ioremap: ioremap(0x%lx, 0x%lx): out of ioremap space (caller %p)\n", phys.value(), size, caller);
    return VirtAddr();
  }
  uint64_t va = next_;
  MapStats done;
  Status st = map_range(env_, pgd_, VirtAddr(va), phys.page_base(), pages * PAGE_SIZE, prot, false, &done);
  if (!st.ok()) {
    char why[160];
    st.error().format(why, sizeof why);
    pr_err("ioremap: ioremap(0x%lx, 0x%lx) failed: %s (caller %p)\n", phys.value(), size, why, caller);
    // Undo only the pages map_range wrote (in order, from va): not an entry that was already there.
    if (done.ptes) (void)unmap_range(env_, pgd_, VirtAddr(va), done.ptes * PAGE_SIZE);
    return VirtAddr();
  }
  next_ += (pages + 1) * PAGE_SIZE;
  *slot = Area{va, pages, phys.page_base()};
  return VirtAddr(va + offset);
}

bool IoremapArea::unmap(VirtAddr addr, void* caller) {
  for (Area& a : areas_) {
    if (a.pages && addr.value() >= a.va && addr.value() < a.va + a.pages * PAGE_SIZE) {
      (void)unmap_range(env_, pgd_, VirtAddr(a.va), a.pages * PAGE_SIZE);
      a = Area{};
      return true;
    }
  }
  pr_err("ioremap: iounmap(0x%lx): not an ioremap address (caller %p)\n", addr.value(), caller);
  return false;
}

unsigned IoremapArea::live() const {
  unsigned n = 0;
  for (const Area& a : areas_) n += a.pages != 0;
  return n;
}

namespace {
IoremapArea* g_area = nullptr;
}

void ioremap_init(IoremapArea* area) { g_area = area; }

VirtAddr ioremap(PhysAddr phys, uint64_t size) {
  void* caller = __builtin_return_address(0);
  if (!g_area) {
    pr_err("ioremap: ioremap(0x%lx) before the buddy allocator is up: use early_ioremap() (caller %p)\n", phys.value(),
           caller);
    return VirtAddr();
  }
  if (size && memblock_overlaps_mapped_memory(phys, size)) {
    // The linear map already has this RAM as Normal write-back: a Device alias would be a
    // mismatched-attribute alias (Arm ARM B2.8).
    pr_err(
        "ioremap: ioremap(0x%lx, 0x%lx): the range is RAM (memblock memory), not a device; use memremap() for "
        "RAM (caller %p)\n",
        phys.value(), size, caller);
    return VirtAddr();
  }
  return g_area->map(phys, size, PROT_DEVICE_nGnRE, caller);
}

VirtAddr memremap(PhysAddr phys, uint64_t size) {
  // Linux's memremap(MEMREMAP_WB) of RAM: the linear map already maps it, Normal write-back.
  if (!g_area) {
    pr_err("memremap: memremap(0x%lx) before paging_init built the linear map: use early_memremap() (caller %p)\n",
           phys.value(), __builtin_return_address(0));
    return VirtAddr();
  }
  if (Result<PhysRange> r = PhysRange::make(phys, size, "memremap: memremap", __builtin_return_address(0)); !r) {
    r.error().report();
    return VirtAddr();
  }
  if (!memblock_is_mapped_memory(phys, size)) {
    pr_err(
        "memremap: memremap(0x%lx, 0x%lx): not (all) RAM in the linear map; use ioremap() for devices (caller "
        "%p)\n",
        phys.value(), size, __builtin_return_address(0));
    return VirtAddr();
  }
  return VirtAddr(linear_va(phys.value()));
}

void iounmap(VirtAddr addr) {
  if (g_area) g_area->unmap(addr, __builtin_return_address(0));
}

}  // namespace kernel
