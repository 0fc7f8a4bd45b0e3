// The generic part of paging_init: a new swapper page table with the linear map of all RAM, the
// kernel image segments and the fixmap carried over, every table edited through the fixmap.
#pragma once

#include "asm/memory.h"
#include "mm/pgtable_builder.h"

namespace kernel {

struct KernelSegment {
  const char* name;
  VirtAddr va;
  PhysAddr pa;
  uint64_t size;
  PgProt prot;
};

struct SwapperStats {
  MapStats linear;
  MapStats image;
  uint64_t linear_ro_pages = 0;  // linear alias of the read-only image segments, mapped read-only
};

// Builds the tables in memory from env.alloc_table(). The linear alias of each read-only segment
// (text, rodata) is read-only and mapped in pages; the rest of RAM is RW, XN, in blocks. `old_pgd` is read (through
// table_ptr) for the fixmap's top-level entry, which the new PGD shares. Returns the new PGD or what went wrong.
Result<PhysAddr> build_swapper(FixmapTableEnv& env, PhysAddr old_pgd, const KernelSegment* segs, unsigned nsegs,
                               SwapperStats* stats);

// The linear map: VA = PAGE_OFFSET + PA.
constexpr uint64_t linear_va(uint64_t pa) { return PAGE_OFFSET + pa; }

}  // namespace kernel
