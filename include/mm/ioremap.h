// ioremap: device mappings in a virtual area of their own (VMALLOC_START..VMALLOC_END), built
// after paging_init with page tables from the buddy allocator, reached through the linear map.
#pragma once

#include "mm/pgtable_builder.h"

namespace kernel {

class IoremapArea {
 public:
  static constexpr unsigned kMaxAreas = 64;
  IoremapArea(PageTableOps& ops, LinearTableEnv::AllocFn alloc) : env_(ops, alloc) {}
  void init(PhysAddr pgd, uint64_t start, uint64_t end) {
    pgd_ = pgd;
    next_ = start;
    end_ = end;
  }
  // Maps the pages covering [phys, phys+size) as Device-nGnRE; returns the address of phys.
  VirtAddr map(PhysAddr phys, uint64_t size, PgProt prot, void* caller);
  // Unmaps an area returned by map() (any address inside it); reports anything else.
  bool unmap(VirtAddr addr, void* caller);
  unsigned live() const;

 private:
  struct Area {
    uint64_t va = 0;
    uint64_t pages = 0;
    PhysAddr phys;
  };
  LinearTableEnv env_;
  PhysAddr pgd_;
  uint64_t next_ = 0, end_ = 0;
  Area areas_[kMaxAreas];
};

void ioremap_init(IoremapArea* area);
// Device-nGnRE mapping of a device's registers. RAM (memblock memory) is refused: use memremap().
VirtAddr ioremap(PhysAddr phys, uint64_t size);
// RAM, write-back: its linear-map address. Anything that is not RAM is refused: use ioremap().
VirtAddr memremap(PhysAddr phys, uint64_t size);
void iounmap(VirtAddr addr);

}  // namespace kernel
