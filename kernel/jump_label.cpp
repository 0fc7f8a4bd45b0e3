#include "kernel/jump_label.h"

#include "kernel/kallsyms.h"
#include "kernel/patching.h"
#include "kernel/printk.h"

extern "C" {
extern const kernel::JumpEntry __start___jump_table[], __stop___jump_table[];
}

namespace kernel {
namespace {

// Every site of the key in one aarch64_insn_patch_text call, i.e. one stop_machine: once
// secondaries run, one of them may be executing a site. The key reads as changed only when every
// site was patched.
unsigned set_key(StaticKey* key, bool on) {
  constexpr unsigned kMaxSites = 32;
  void* sites[kMaxSites] = {};
  uint32_t insns[kMaxSites] = {}, before[kMaxSites] = {};
  unsigned n = 0;
  bool complete = true;
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e) {
    if (e->key != key) continue;
    uint32_t insn = AARCH64_INSN_NOP;
    if (on && !aarch64_insn_gen_branch_imm(e->code, e->target, &insn)) {
      pr_err("jump_label: %s: site 0x%lx cannot reach 0x%lx with a branch\n", key->name, e->code, e->target);
      complete = false;
      continue;
    }
    if (n == kMaxSites) {
      pr_err("jump_label: %s: more than %u sites; the rest stay as they are\n", key->name, kMaxSites);
      complete = false;
      break;
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
  for (unsigned i = 0; i < n; ++i) {
    char sym[96];
    pr_info("jump_label: %s: %s: 0x%08x -> 0x%08x (%s) via FIX_TEXT_POKE0\n", key->name,
            kallsyms_format(reinterpret_cast<uint64_t>(sites[i]), sym, sizeof sym), before[i], insns[i],
            on ? "b" : "nop");
  }
  if (complete) __atomic_store_n(&key->enabled, on, __ATOMIC_RELEASE);
  return n;
}

}  // namespace

unsigned static_key_enable(StaticKey* key) { return key->enabled ? 0 : set_key(key, true); }
unsigned static_key_disable(StaticKey* key) { return key->enabled ? set_key(key, false) : 0; }

unsigned static_key_sites(const StaticKey* key) {
  unsigned n = 0;
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e) n += e->key == key;
  return n;
}

}  // namespace kernel
