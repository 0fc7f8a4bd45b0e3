// Building translation tables: mapping ranges with the largest blocks the alignment allows, the
// table pages reached through an environment. During paging_init the new tables are NOT in the
// linear map yet, so FixmapTableEnv edits each level through its own fixmap slot (FIX_PGD,
// FIX_PUD, FIX_PMD, FIX_PTE) and zeroes fresh tables through FIX_PTE, as Linux does since 4.6.
// Afterwards LinearTableEnv reaches them through the linear map (ioremap, later users).
#pragma once

#include "kernel/optional.h"
#include "mm/mmu_ops.h"

namespace kernel {

class PageTableEnv {
 public:
  virtual Optional<PhysAddr> alloc_table() = 0;              // a page; empty when out of memory
  virtual Pte* map_table(PhysAddr table, unsigned level) = 0;  // begin editing (levels nest)
  virtual void unmap_table(unsigned level) = 0;              // end editing
  virtual bool zero_table(PhysAddr table) = 0;

 protected:
  ~PageTableEnv() = default;
};

class FixmapTableEnv final : public PageTableEnv {
 public:
  // alloc: where table pages come from (memblock during paging_init).
  using AllocFn = Optional<PhysAddr> (*)();
  FixmapTableEnv(MmuOps& ops, AllocFn alloc) : ops_(ops), alloc_(alloc) {}
  Optional<PhysAddr> alloc_table() override { return alloc_(); }
  Pte* map_table(PhysAddr table, unsigned level) override;
  void unmap_table(unsigned level) override;
  bool zero_table(PhysAddr table) override;

 private:
  MmuOps& ops_;
  AllocFn alloc_;
};

class LinearTableEnv final : public PageTableEnv {
 public:
  using AllocFn = Optional<PhysAddr> (*)();
  LinearTableEnv(MmuOps& ops, AllocFn alloc) : ops_(ops), alloc_(alloc) {}
  Optional<PhysAddr> alloc_table() override { return alloc_(); }
  Pte* map_table(PhysAddr table, unsigned) override { return ops_.table_ptr(table); }
  void unmap_table(unsigned) override {}
  bool zero_table(PhysAddr table) override;

 private:
  MmuOps& ops_;
  AllocFn alloc_;
};

struct MapStats {
  uint64_t pud_blocks = 0;  // 1 GiB
  uint64_t pmd_blocks = 0;  // 2 MiB
  uint64_t ptes = 0;        // 4 KiB
  uint64_t tables = 0;      // table pages allocated
};

enum class MapError { None, OutOfMemory, Unaligned, Conflict, Unreachable };
const char* map_error_str(MapError e);

// Maps [va, va+size) -> [pa, pa+size) with `prot` in the tables rooted at `pgd`. Blocks (1 GiB,
// 2 MiB) are used where both addresses are aligned and allow_blocks is set. An existing valid
// entry with a different value is a conflict (break-before-make is the caller's business).
MapError map_range(PageTableEnv& env, MmuOps& ops, PhysAddr pgd, uint64_t va, PhysAddr pa, uint64_t size,
                   PgProt prot, bool allow_blocks, MapStats* stats = nullptr);

// Clears the level-3 entries of [va, va+size) (pages only) and invalidates each from the TLB.
MapError unmap_range(PageTableEnv& env, MmuOps& ops, PhysAddr pgd, uint64_t va, uint64_t size);

// Visits every leaf of the TTBR1 tables rooted at `pgd` (va, size, descriptor), merged into runs
// of equal attributes and contiguous output addresses when `merge` is set.
using LeafVisitor = void (*)(void* ctx, uint64_t va, uint64_t size, Pte leaf, unsigned level);
void walk_leaves(MmuOps& ops, PhysAddr pgd, LeafVisitor visit, void* ctx);

// CONFIG_DEBUG_WX: reports every writable and executable range, and every physical page that is
// executable through one mapping and writable through another (an alias); returns the number of
// such pages (0: passed).
uint64_t check_wx_pages(MmuOps& ops, PhysAddr pgd);

}  // namespace kernel
