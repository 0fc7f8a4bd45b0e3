#include "kernel/jump_label.h"

#include "asm/irqflags.h"

#include "kernel/kallsyms.h"
#include "kernel/patching.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"
#include "kernel/spinlock.h"

extern "C" {
extern const kernel::JumpEntry __start___jump_table[], __stop___jump_table[];
#if !defined(KERNEL_HOST_BUILD)
extern const char __ktest_text_start[], __ktest_text_end[];  // linker/kernel.ld
#endif
}

namespace kernel {

bool jump_site_in_tests(uint64_t code) {
#if defined(KERNEL_HOST_BUILD)
  (void)code;
  return false;
#else
  return code >= reinterpret_cast<uint64_t>(__ktest_text_start) && code < reinterpret_cast<uint64_t>(__ktest_text_end);
#endif
}

namespace {

SpinLock g_jump_lock;  // one key change at a time (the site arrays below are shared)

// Every site of the key in one aarch64_insn_patch_text call, i.e. one stop_machine: once
// secondaries run, one of them may be executing a site. The key reads as changed only when every
// site was patched.
unsigned set_key(StaticKey* key, bool on) {
  constexpr unsigned kMaxSites = 128;
  static void* sites[kMaxSites];
  static uint32_t insns[kMaxSites], before[kMaxSites];
  unsigned n = 0;
  bool complete = true;
  // All or nothing: a key whose sites were only partly patched would read as unchanged while some
  // sites already behave as changed (for the LSE key, a CPU without LSE would then be admitted).
  if (static_key_sites(key) > kMaxSites) {
    pr_err("jump_label: %s: %u sites, more than the %u one change can patch; nothing patched\n", key->name,
           static_key_sites(key), kMaxSites);
    return 0;
  }
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e) {
    if (e->key != key) continue;
    uint32_t insn = AARCH64_INSN_NOP;
    if (on && !aarch64_insn_gen_branch_imm(e->code, e->target, &insn)) {
      pr_err("jump_label: %s: site 0x%lx cannot reach 0x%lx with a branch\n", key->name, e->code, e->target);
      complete = false;
      continue;
    }
    sites[n] = reinterpret_cast<void*>(e->code);
    insns[n] = insn;
    before[n] = aarch64_insn_read(sites[n]);
    ++n;
  }
  Status st = aarch64_insn_patch_text(sites, insns, n);
  if (!st.ok()) {
    pr_err("jump_label: %s: patching failed (%s); the key stays %s\n", key->name, errc_name(st.code()),
           on ? "off" : "on");
    st.error().report();
    return 0;
  }
  // Each site of the kernel's own code is listed; those in the KTAP suites linked into the image
  // (tests/kernel/, patched alike so that a test runs the kernel's lock code) are counted.
  unsigned in_tests = 0;
  for (unsigned i = 0; i < n; ++i) {
    char sym[96];
    if (jump_site_in_tests(reinterpret_cast<uint64_t>(sites[i]))) {
      ++in_tests;
      continue;
    }
    pr_info("jump_label: %s: %s: 0x%08x -> 0x%08x (%s) via FIX_TEXT_POKE0\n", key->name,
            kallsyms_format(reinterpret_cast<uint64_t>(sites[i]), sym, sizeof sym), before[i], insns[i],
            on ? "b" : "nop");
  }
  if (in_tests)
    pr_info("jump_label: %s: and %u site%s in the KTAP suites (tests/kernel/) -> %s\n", key->name, in_tests,
            in_tests == 1 ? "" : "s", on ? "b" : "nop");
  if (complete) __atomic_store_n(&key->enabled, on, __ATOMIC_RELEASE);
  return n;
}

}  // namespace

// Changing a key patches under stop_machine, which needs interrupts on here and on every other
// CPU; so does the lock (held with interrupts on). From a context with interrupts masked (an
// interrupt handler, a lock holder) it would spin on its own lock or never join the rendezvous:
// refused, with the caller, as Linux's static_key_enable may sleep and cannot be called there.
static bool may_change_keys(const StaticKey* key, void* caller) {
  // Without cross-calls (one CPU, or no interrupt controller: the others idle with interrupts
  // masked and take no IPIs, e.g. raspi3b) stop_machine is this CPU alone, and masking is fine.
  if (!arch_irqs_disabled() || num_online_cpus() <= 1 || !smp_hooks()) return true;
  pr_err("jump_label: %s changed with interrupts masked while %u CPUs run: refused (caller %p)\n", key->name,
         num_online_cpus(), caller);
  return false;
}

unsigned static_key_enable(StaticKey* key) {
  if (!may_change_keys(key, __builtin_return_address(0))) return 0;
  g_jump_lock.lock();
  const unsigned n = key->enabled ? 0 : set_key(key, true);
  g_jump_lock.unlock();
  return n;
}
unsigned static_key_disable(StaticKey* key) {
  if (!may_change_keys(key, __builtin_return_address(0))) return 0;
  g_jump_lock.lock();
  const unsigned n = key->enabled ? set_key(key, false) : 0;
  g_jump_lock.unlock();
  return n;
}

unsigned static_key_sites_in_tests(const StaticKey* key) {
  unsigned n = 0;
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e)
    n += e->key == key && jump_site_in_tests(e->code);
  return n;
}

unsigned static_key_sites(const StaticKey* key) {
  unsigned n = 0;
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e) n += e->key == key;
  return n;
}

}  // namespace kernel
