#include "kernel/patching.h"

#include "kernel/printk.h"
#include "kernel/smp_call.h"
#include "kernel/spinlock.h"
#include "mm/fixmap.h"

namespace kernel {
namespace {
SpinLock g_patch_lock;
TextRegion g_text{};
TextPatchOps* g_ops = nullptr;
uint64_t g_patched = 0;
}  // namespace

void patching_init(const TextRegion& text, TextPatchOps& ops) {
  g_text = text;
  g_ops = &ops;
}
uint64_t patching_count() { return g_patched; }

namespace {

Status check(uint64_t a, void* caller) {
  Status st;
  if (a & 3)
    st = KERR(Errc::Unaligned, "patching: 0x%lx: address is not 4-byte aligned (caller %p)", a, caller);
  else if (a < g_text.start || a + 4 > g_text.end || !g_text.to_phys || !g_ops)
    st = KERR(Errc::NotText, "patching: 0x%lx: address is not in the kernel text [0x%lx-0x%lx) (caller %p)", a,
              g_text.start, g_text.end, caller);
  st.error().report();
  return st;
}

// Called with g_patch_lock held and interrupts masked.
Status patch_one(uint64_t a, uint32_t insn) {
  bool written = false;
  {
    // RW, never executable, serialised on the slot; cleared (broadcast TLBI) at the end of the
    // scope, before the cache maintenance makes the new instruction visible to fetch.
    ScopedFixmap alias(FIX_TEXT_POKE0, g_text.to_phys(a), FIXMAP_PAGE_NORMAL);
    if (!alias.ok())  // set_fixmap said why
      return Error(KERR(Errc::MapFailed, "patching: FIX_TEXT_POKE0 could not be mapped for 0x%lx", a)).mark_reported();
    if (void* p = g_ops->access(alias.va(), 4)) {
      g_ops->write_insn(p, insn);
      written = true;
    }
  }
  if (!written) return KERR(Errc::Unreachable, "patching: the text-poke alias of 0x%lx is not reachable", a);
  g_ops->sync_icache(VirtAddr(a), 4);
  ++g_patched;
  return {};
}

struct PatchBatch {
  void* const* addrs;
  const uint32_t* insns;
  unsigned count;
};

// Runs on one CPU while every other online CPU waits in stop_machine with interrupts masked.
Status patch_batch(void* arg) {
  const auto* b = static_cast<const PatchBatch*>(arg);
  g_patch_lock.lock();  // against a concurrent _nosync user; stop_machine masked interrupts
  Status st;
  for (unsigned i = 0; i < b->count && st.ok(); ++i)
    st = patch_one(reinterpret_cast<uint64_t>(b->addrs[i]), b->insns[i]);
  g_patch_lock.unlock();
  return st;
}

}  // namespace

Status aarch64_insn_patch_text_nosync(void* addr, uint32_t insn) {
  uint64_t a = reinterpret_cast<uint64_t>(addr);
  TRY(check(a, __builtin_return_address(0)));
  IrqSaveGuard guard(g_patch_lock);
  return patch_one(a, insn);
}

Status aarch64_insn_patch_text(void* const addrs[], const uint32_t insns[], unsigned count) {
  for (unsigned i = 0; i < count; ++i) TRY(check(reinterpret_cast<uint64_t>(addrs[i]), __builtin_return_address(0)));
  // Other CPUs may be executing the very instructions: stop them all first (Arm ARM B2.2.5 allows
  // concurrent modification and execution only for a few instructions; a general patch needs
  // every other PE out of the way and an ISB on each before it runs the new code).
  PatchBatch batch{addrs, insns, count};
  return stop_machine(patch_batch, &batch);
}

uint32_t aarch64_insn_read(const void* addr) { return *static_cast<const volatile uint32_t*>(addr); }

bool aarch64_insn_gen_branch_imm(uint64_t pc, uint64_t target, uint32_t* insn) {
  int64_t off = static_cast<int64_t>(target - pc);
  if ((off & 3) || off < -(int64_t{1} << 27) || off >= (int64_t{1} << 27)) return false;
  *insn = 0x14000000u | (static_cast<uint32_t>(off >> 2) & 0x03ffffffu);  // B imm26 (C6.2.26)
  return true;
}

}  // namespace kernel
