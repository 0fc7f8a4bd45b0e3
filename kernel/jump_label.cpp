#include "kernel/jump_label.h"

#include "kernel/kallsyms.h"
#include "kernel/patching.h"
#include "kernel/printk.h"

extern "C" {
extern const kernel::JumpEntry __start___jump_table[], __stop___jump_table[];
}

namespace kernel {
namespace {

unsigned set_key(StaticKey* key, bool on) {
  unsigned n = 0;
  for (const JumpEntry* e = __start___jump_table; e < __stop___jump_table; ++e) {
    if (e->key != key) continue;
    uint32_t insn = AARCH64_INSN_NOP;
    if (on && !aarch64_insn_gen_branch_imm(e->code, e->target, &insn)) {
      pr_err("jump_label: %s: site 0x%lx cannot reach 0x%lx with a branch\n", key->name, e->code, e->target);
      continue;
    }
    uint32_t before = aarch64_insn_read(reinterpret_cast<void*>(e->code));
    // Through stop_machine: once secondaries run, one of them may be executing this very site.
    void* site = reinterpret_cast<void*>(e->code);
    Status st = aarch64_insn_patch_text(&site, &insn, 1);
    if (!st.ok()) {
      pr_err("jump_label: %s: patching 0x%lx failed (%s)\n", key->name, e->code, errc_name(st.code()));
      st.error().report();
      continue;
    }
    char sym[96];
    pr_info("jump_label: %s: %s: 0x%08x -> 0x%08x (%s) via FIX_TEXT_POKE0\n", key->name,
            kallsyms_format(e->code, sym, sizeof sym), before, insn, on ? "b" : "nop");
    ++n;
  }
  __atomic_store_n(&key->enabled, on, __ATOMIC_RELEASE);
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
