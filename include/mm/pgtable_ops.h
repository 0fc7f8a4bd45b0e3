// The two small interfaces through which generic memory-management code touches the machine:
//
//  - PageTableOps: reach a table page, store a descriptor with the barriers that make it visible
//    to the walker, order a new table's zeroing before its publication, invalidate a TLB entry,
//    and get a CPU pointer for a kernel VA;
//  - TextPatchOps: write an instruction through a writable alias and make the text coherent for
//    instruction fetch (text patching).
//
// In the kernel both are the arch's final classes (asm/mmu_ops.h): every call is direct and the
// hot ones (the stores, barriers and TLBIs) are inlined. On the host (mm/host_ops.h) the same
// operations are inline, non-virtual code too; only reaching a table page or a VA is virtual, for
// the tests' simulated arena, and tests observe every operation so they can check that each
// cleared entry was followed by an invalidate covering it. The concepts below are the contract
// both sides meet.
#pragma once

#include "asm/pgtable.h"
#include "asm/tlbflush.h"
#include "kernel/concepts.h"
#include "kernel/types.h"

#ifdef KERNEL_HOST_BUILD
#include "mm/host_ops.h"
namespace kernel {
using PageTableOps = HostPageTableOps;
using TextPatchOps = HostTextPatchOps;
}  // namespace kernel
#else
#include "asm/mmu_ops.h"
namespace kernel {
using PageTableOps = ArchPageTableOps;
using TextPatchOps = ArchTextPatchOps;
}  // namespace kernel
#endif

namespace kernel {

template <typename T>
concept PageTableOpsLike = requires(T& ops, PhysAddr pa, Pte* entry, Pte value, VirtAddr va, TlbLevel level,
                                    uint64_t len) {
  // A pointer through which the table page at `pa` can be read and written now, or nullptr.
  { ops.table_ptr(pa) } -> SameAs<Pte*>;
  // Stores a descriptor and makes it visible to the table walker (dsb ishst; isb).
  ops.set_pte(entry, value);
  // A run of stores: write_pte() each, then one sync_ptes() (dsb ishst; isb) for new valid
  // entries, or one flush_tlb_kernel_range() for cleared ones, before the run is used.
  ops.write_pte(entry, value);
  ops.sync_ptes();
  // Orders earlier stores (a zeroed table) before later ones (the descriptor publishing it).
  ops.publish_barrier();
  // After an entry was invalidated: dsb ishst, the inner-shareable TLBI of that page, dsb ish,
  // isb (asm/tlbflush.h).
  ops.flush_tlb_kernel_page(va, level);
  // After a run of `len` pages from `va` was invalidated: the same barriers once around the
  // TLBIs tlbi_kernel_range() chooses (asm/tlbflush.h).
  ops.flush_tlb_kernel_range(va, len, level);
  // A CPU pointer for [va, va + len): the address itself in the kernel, translated on the host.
  { ops.access(va, len) } -> SameAs<void*>;
};

template <typename T>
concept TextPatchOpsLike = requires(T& ops, void* alias, uint32_t insn, VirtAddr va, uint64_t len) {
  { ops.access(va, len) } -> SameAs<void*>;
  ops.write_insn(alias, insn);
  // dc cvau (unless CTR_EL0.IDC), dsb ish, ic ivau (unless CTR_EL0.DIC), dsb ish, isb.
  ops.sync_icache(va, len);
};

static_assert(PageTableOpsLike<PageTableOps>, "the page-table operations of this build");
static_assert(TextPatchOpsLike<TextPatchOps>, "the text-patching operations of this build");

}  // namespace kernel
