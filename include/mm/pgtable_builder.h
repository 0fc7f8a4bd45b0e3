// Building translation tables: mapping ranges with the largest blocks the alignment allows, on
// the one page-table cursor (mm/pgtable_walker.h). The table pages are reached through a
// TableAccess:
//  - FixmapTableEnv during paging_init, when the new tables are NOT in the linear map yet: each
//    level through its own fixmap slot (FIX_PGD, FIX_PUD, FIX_PMD, FIX_PTE), fresh tables zeroed
//    through FIX_PTE, as Linux does since 4.6;
//  - LinearTableEnv afterwards (ioremap), through the linear map;
//  - DirectTableEnv for walks that only read (ptdump, the W+X check, translate).
#pragma once

#include "kernel/error.h"
#include "kernel/optional.h"
#include "kernel/spinlock.h"
#include "mm/pgtable_walker.h"

namespace kernel {

// Where table pages come from (memblock in paging_init, the buddy allocator for ioremap), and
// the operations that store into them.
class AllocatingTableEnv {
 public:
  using AllocFn = Optional<PhysAddr> (*)();
  AllocatingTableEnv(PageTableOps& ops, AllocFn alloc) : ops_(ops), alloc_(alloc) {}
  Optional<PhysAddr> alloc_table(unsigned, uint64_t) { return alloc_(); }
  PageTableOps& ops() { return ops_; }

 protected:
  PageTableOps& ops_;

 private:
  AllocFn alloc_;
};

// FIX_PGD..FIX_PTE are shared by every user of this env: one at a time, interrupts masked,
// for the env's whole life (Linux takes fixmap_lock around the same slots).
class FixmapTableEnv : public AllocatingTableEnv {
 public:
  FixmapTableEnv(PageTableOps& ops, AllocFn alloc) : AllocatingTableEnv(ops, alloc), guard_(lock()) {}
  Pte* map_table(PhysAddr table, unsigned level);
  void unmap_table(unsigned level);
  bool zero_table(PhysAddr table);

 private:
  static SpinLock& lock();
  IrqSaveGuard guard_;
};

class LinearTableEnv : public AllocatingTableEnv {
 public:
  using AllocatingTableEnv::AllocatingTableEnv;
  Pte* map_table(PhysAddr table, unsigned) { return ops_.table_ptr(table); }
  void unmap_table(unsigned) {}
  bool zero_table(PhysAddr table);
};

// Reads tables that are reachable as they are (the kernel image's, or any after the linear map);
// never allocates.
class DirectTableEnv {
 public:
  explicit DirectTableEnv(PageTableOps& ops) : ops_(ops) {}
  Pte* map_table(PhysAddr table, unsigned) { return ops_.table_ptr(table); }
  void unmap_table(unsigned) {}
  Optional<PhysAddr> alloc_table(unsigned, uint64_t) { return nullopt; }
  bool zero_table(PhysAddr) { return false; }
  PageTableOps& ops() { return ops_; }

 private:
  PageTableOps& ops_;
};

static_assert(TableAccess<FixmapTableEnv> && TableAccess<LinearTableEnv> && TableAccess<DirectTableEnv>);

struct MapStats {
  uint64_t pud_blocks = 0;  // level-1 blocks: 1 GiB (4K only)
  uint64_t pmd_blocks = 0;  // level-2 blocks: 2 MiB, 32 MiB, 512 MiB
  uint64_t ptes = 0;        // pages
  uint64_t tables = 0;      // table pages allocated
};

// Maps [va, va+size) -> [pa, pa+size) with `prot` in the tables rooted at `pgd`. Blocks (where
// the granule has them: block_allowed(), asm/memory.h) are used where both addresses are aligned and allow_blocks is
// set. An existing valid entry with a different value is a conflict (break-before-make is the caller's business); on a
// conflict, stats->ptes counts the pages written before it (in address order from va). Page
// entries are stored alone (write_pte) and made visible with one sync_ptes() before it returns.
// Errors: Errc::Unaligned, OutOfMemory, Conflict, Unreachable. Instantiated for FixmapTableEnv and
// LinearTableEnv.
template <TableAccess Env>
Status map_range(Env& env, PhysAddr pgd, VirtAddr va, PhysAddr pa, uint64_t size, PgProt prot, bool allow_blocks,
                 MapStats* stats = nullptr);

// Clears the level-3 entries of [va, va+size) (pages only) and invalidates them from the TLB:
// the cleared pages of each level-3 table with one flush_tlb_kernel_range (asm/tlbflush.h) after
// the table's last clear, before the walk leaves the table.
template <TableAccess Env>
Status unmap_range(Env& env, PhysAddr pgd, VirtAddr va, uint64_t size);

// CONFIG_DEBUG_WX: reports every writable and executable range, and every physical page that is
// executable through one mapping and writable through another (an alias); returns the number of
// such pages (0: passed).
uint64_t check_wx_pages(PageTableOps& ops, PhysAddr pgd);

}  // namespace kernel
