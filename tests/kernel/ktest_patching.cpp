// In-kernel tests of text patching and of the protections that make it necessary.
#include "asm/sections.h"
#include "asm/sysreg_fields.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/atomic.h"
#include "asm/sysreg.h"
#include "kernel/jump_label.h"
#include "kernel/ktest.h"
#include "kernel/patching.h"
#include "kernel/spinlock.h"
#include "mm/fixmap.h"

extern "C" {
int ktest_patch_me();  // mov w0, #7; ret
bool probe_exec_asm(uint64_t va);
}
asm(R"(
  .text
  .balign 4
  .globl ktest_patch_me
ktest_patch_me:
  mov w0, #7
  ret
)");

namespace kernel {
namespace {

DEFINE_STATIC_KEY_FALSE(ktest_key);

[[gnu::noinline]] int keyed() {
  if (static_branch_unlikely(&ktest_key)) return 2;
  return 1;
}

constexpr uint32_t kRet = 0xd65f03c0;
alignas(16) uint32_t data_ret = kRet;

bool alias_gone() {
  uint64_t v;
  PhysAddr pa;
  return !fixmap_get()->is_live(FIX_TEXT_POKE0) && !probe_read64(VirtAddr(__fix_to_virt(FIX_TEXT_POKE0)), &v) &&
         !arch_translate(VirtAddr(__fix_to_virt(FIX_TEXT_POKE0)), false, &pa);
}

}  // namespace

KTEST(patching, patched_code_behaves_differently) {
  KEXPECT_EQ(ktest_patch_me(), 7);
  uint32_t orig = aarch64_insn_read(reinterpret_cast<void*>(&ktest_patch_me));
  KEXPECT_EQ(orig, 0x528000e0u);  // mov w0, #7
  KASSERT(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(&ktest_patch_me), 0x52800540u) == Errc::Ok);
  KEXPECT_EQ(ktest_patch_me(), 42);  // mov w0, #42: the I-cache saw the new instruction
  KEXPECT(alias_gone());
  PhysAddr pa;
  KEXPECT(!arch_translate(virt_of(reinterpret_cast<void*>(&ktest_patch_me)), true, &pa));  // text still RO
  KEXPECT(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(&ktest_patch_me), orig) == Errc::Ok);
  KEXPECT_EQ(ktest_patch_me(), 7);
}

KTEST(patching, static_key_turns_a_nop_into_a_branch) {
  KEXPECT_EQ(static_key_sites(&ktest_key), 1u);
  KEXPECT_EQ(keyed(), 1);
  KEXPECT_EQ(static_key_enable(&ktest_key), 1u);
  KEXPECT_EQ(keyed(), 2);
  KEXPECT(alias_gone());
  KEXPECT_EQ(static_key_disable(&ktest_key), 1u);
  KEXPECT_EQ(keyed(), 1);
}

KTEST(patching, rejects_unaligned_and_non_text_addresses) {
  KEXPECT(aarch64_insn_patch_text_nosync(reinterpret_cast<char*>(&ktest_patch_me) + 2, 0) == Errc::Unaligned);
  KEXPECT(aarch64_insn_patch_text_nosync(&data_ret, 0) == Errc::NotText);
  KEXPECT(aarch64_insn_patch_text_nosync(reinterpret_cast<void*>(__fix_to_virt(FIX_TEXT_POKE0)), 0) == Errc::NotText);
  KEXPECT_EQ(data_ret, kRet);
}

KTEST(patching, lse_choice_follows_the_cpu) {
  bool lse = IdAa64Isar0El1::read().has_lse();
  KEXPECT_EQ(arm64_lse_atomics.enabled, lse);
  SpinLock l;
  l.lock();
  KEXPECT(l.is_locked());
  l.unlock();
  KEXPECT(!l.is_locked());
  uint32_t word = 5;
  KEXPECT_EQ(arch_xchg_acquire(&word, 9), 5u);
  KEXPECT_EQ(word, 9u);
}

KTEST(patching, test_sites_are_told_apart_from_the_kernels) {
  // This very function's lock is a site in the tests' range; the fixmap slot locks are not.
  KEXPECT(jump_site_in_tests(reinterpret_cast<uint64_t>(&ktest_patching_test_sites_are_told_apart_from_the_kernels)));
  KEXPECT(!jump_site_in_tests(reinterpret_cast<uint64_t>(&static_key_enable)));
  const unsigned all = static_key_sites(&arm64_lse_atomics), tests = static_key_sites_in_tests(&arm64_lse_atomics);
  KEXPECT(tests > 0);
  KEXPECT(tests < all);
  SpinLock l;
  l.lock();
  l.unlock();
  KEXPECT(!l.is_locked());
}

KTEST(faults, executing_data_stack_or_fixmap_faults) {
  KEXPECT(!probe_exec_asm(reinterpret_cast<uint64_t>(&data_ret)));  // .data: XN
  alignas(16) uint32_t stack_ret[4] = {kRet, kRet, kRet, kRet};
  asm volatile("" ::"r"(stack_ret) : "memory");
  KEXPECT(!probe_exec_asm(reinterpret_cast<uint64_t>(stack_ret)));  // stack: XN
  // A text page mapped through the fixmap is still not executable there.
  VirtAddr alias = set_fixmap_offset(FIX_TEXT_POKE0, kimg_to_phys(reinterpret_cast<void*>(&ktest_patch_me)));
  KASSERT(!alias.is_null());
  KEXPECT(!probe_exec_asm(alias.value()));
  KEXPECT(clear_fixmap(FIX_TEXT_POKE0) == Errc::Ok);
  // ...while the real text is.
  KEXPECT(probe_exec_asm(reinterpret_cast<uint64_t>(&ktest_patch_me)));
}

KTEST(faults, reading_a_cleared_fixmap_slot_faults) {
  VirtAddr va = set_fixmap_offset(FIX_TEXT_POKE0, kimg_to_phys(_text));
  KASSERT(!va.is_null());
  uint64_t v = 0;
  KEXPECT(probe_read64(va, &v));
  KEXPECT(clear_fixmap(FIX_TEXT_POKE0) == Errc::Ok);
  KEXPECT(!probe_read64(va, &v));
}

}  // namespace kernel

namespace kernel {

KTEST(faults, stack_guard_page_is_unmapped) {
  PhysAddr pa;
  KEXPECT(!arch_translate(virt_of(__stack_guard), false, &pa));
  KEXPECT(arch_translate(virt_of(init_stack), true, &pa));
  uint64_t v;
  KEXPECT(!probe_read64(virt_of(__stack_guard + 64), &v));
  uint64_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  KEXPECT(sp >= reinterpret_cast<uint64_t>(init_stack) && sp < reinterpret_cast<uint64_t>(init_stack) + 32768);
  KEXPECT(!(sp & (1u << 15)));  // what the exception entry's overflow check relies on
}

}  // namespace kernel
