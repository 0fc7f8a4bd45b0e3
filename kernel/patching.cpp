#include "kernel/patching.h"

#include "kernel/printk.h"
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

// Called with the lock held and interrupts masked.
Status patch_one(uint64_t a, uint32_t insn) {
  PhysAddr pa = g_text.to_phys(a);
  VirtAddr alias = __set_fixmap_offset(FIX_TEXT_POKE0, pa, FIXMAP_PAGE_NORMAL);  // RW, never executable
  if (alias.is_null())                                                           // set_fixmap said why
    return Error(KERR(Errc::MapFailed, "patching: FIX_TEXT_POKE0 could not be mapped for 0x%lx", a)).mark_reported();
  void* p = g_ops->access(alias, 4);
  if (p) g_ops->write_insn(p, insn);
  (void)clear_fixmap(FIX_TEXT_POKE0);  // the alias is gone (and its TLB entry) before anything runs
  if (!p) return KERR(Errc::Unreachable, "patching: the text-poke alias of 0x%lx is not reachable", a);
  g_ops->sync_icache(VirtAddr(a), 4);
  ++g_patched;
  return {};
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
  IrqSaveGuard guard(g_patch_lock);
  for (unsigned i = 0; i < count; ++i) TRY(patch_one(reinterpret_cast<uint64_t>(addrs[i]), insns[i]));
  return {};
}

uint32_t aarch64_insn_read(const void* addr) { return *static_cast<const volatile uint32_t*>(addr); }

bool aarch64_insn_gen_branch_imm(uint64_t pc, uint64_t target, uint32_t* insn) {
  int64_t off = static_cast<int64_t>(target - pc);
  if ((off & 3) || off < -(int64_t{1} << 27) || off >= (int64_t{1} << 27)) return false;
  *insn = 0x14000000u | (static_cast<uint32_t>(off >> 2) & 0x03ffffffu);  // B imm26 (C6.2.26)
  return true;
}

}  // namespace kernel
