// The host build's page-table and text-patching operations. The kernel uses the arch's final
// classes (asm/mmu_ops.h) and inlines their hot paths; the host does the same for everything that
// touches a descriptor or the TLB: the stores, the barriers and the choice of TLBIs below are
// inline, non-virtual code with the kernel's shape, so the mm code runs (and is measured) on the
// host as it does in the kernel. Only what depends on the simulated machine is virtual: how a
// table page or a kernel VA is reached (an arena, a software MMU).
//
// Host tests watch every operation: a subclass constructed as observed gets each store, barrier
// and TLBI through the observe_* hooks before it takes effect (tests/host/sim_mmu.h records them
// and checks break-before-make). An unobserved subclass (the benchmarks) pays one predictable
// branch per operation for that, where the kernel has the barrier instruction itself.
#pragma once

#include "asm/pgtable.h"
#include "asm/tlbflush.h"
#include "kernel/types.h"

namespace kernel {

class HostPageTableOps {
 public:
  // ---- the simulated machine ----
  virtual Pte* table_ptr(PhysAddr table) = 0;
  virtual void* access(VirtAddr va, uint64_t len) = 0;

  // ---- the kernel's operations (asm/mmu_ops.h has the instructions) ----
  void set_pte(Pte* entry, Pte value) {
    if (observed_) [[unlikely]]
      observed_set_pte(entry, value, true);
    store(entry, value);
    barrier();  // dsb ishst; isb
  }
  void write_pte(Pte* entry, Pte value) {
    if (observed_) [[unlikely]]
      observed_set_pte(entry, value, false);
    store(entry, value);
  }
  void sync_ptes() {
    if (observed_) [[unlikely]]
      observed_sync_ptes();
    barrier();  // dsb ishst; isb
  }
  void publish_barrier() {
    if (observed_) [[unlikely]]
      observed_publish_barrier();
    barrier();  // dmb ishst
  }
  void flush_tlb_kernel_page(VirtAddr va, TlbLevel level) {
    const uint64_t op = tlbi_va_operand(va, level, has_ttl);
    if (observed_) [[unlikely]]
      return observed_tlbi_page(va, op, level);
    Tlbi{}.page(op);  // between dsb ishst and dsb ish; isb
  }
  void flush_tlb_kernel_range(VirtAddr start, uint64_t pages, TlbLevel level) {
    if (observed_) [[unlikely]]
      return observed_tlbi_range(start, pages, level);
    tlbi_kernel_range(Tlbi{}, start, pages, level, has_ttl);
  }

  // FEAT_TTL: TLBI operands carry the level hint (the kernel reads ID_AA64MMFR2_EL1.TTL). Tests
  // encode for such a core, the strictest case.
  bool has_ttl = true;

 protected:
  explicit HostPageTableOps(bool observed = false) : observed_(observed) {}
  ~HostPageTableOps() = default;

  // Called, when observed, instead of or before the operation (a store: `*entry` still holds the
  // old value, and the store follows).
  virtual void observe_set_pte(Pte* /*entry*/, Pte /*value*/, bool /*synced*/) {}
  virtual void observe_sync_ptes() {}
  virtual void observe_publish_barrier() {}
  virtual void observe_tlbi_page(VirtAddr /*va*/, uint64_t /*operand*/, TlbLevel /*level*/) {}
  virtual void observe_tlbi_range(VirtAddr /*start*/, uint64_t /*pages*/, TlbLevel /*level*/) {}

 private:
  // What the instructions do to the C++ program: a store the compiler must emit, a compiler
  // barrier where the kernel has dsb/dmb/isb ("memory" clobbers), a TLBI that consumes its operand.
  struct Tlbi {
    void page(uint64_t op) { asm volatile("" ::"r"(op) : "memory"); }
    void all() { asm volatile("" ::: "memory"); }
  };
  static void store(Pte* entry, Pte value) { *reinterpret_cast<volatile uint64_t*>(entry) = value.raw; }
  static void barrier() { asm volatile("" ::: "memory"); }
  // The observed paths out of line, so the inline code stays a test and a branch.
  [[gnu::noinline, gnu::cold]] void observed_set_pte(Pte* e, Pte v, bool synced) { observe_set_pte(e, v, synced); }
  [[gnu::noinline, gnu::cold]] void observed_sync_ptes() { observe_sync_ptes(); }
  [[gnu::noinline, gnu::cold]] void observed_publish_barrier() { observe_publish_barrier(); }
  [[gnu::noinline, gnu::cold]] void observed_tlbi_page(VirtAddr va, uint64_t op, TlbLevel level) {
    observe_tlbi_page(va, op, level);
  }
  [[gnu::noinline, gnu::cold]] void observed_tlbi_range(VirtAddr start, uint64_t pages, TlbLevel level) {
    observe_tlbi_range(start, pages, level);
  }

  const bool observed_;
};

class HostTextPatchOps {
 public:
  virtual void* access(VirtAddr va, uint64_t len) = 0;
  virtual void write_insn(void* alias, uint32_t insn) = 0;
  virtual void sync_icache(VirtAddr va, uint64_t len) = 0;

 protected:
  ~HostTextPatchOps() = default;
};

}  // namespace kernel
