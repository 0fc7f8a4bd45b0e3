// Static keys: a branch that costs one NOP while the key is off, and becomes a direct branch when
// it is switched on, by patching the kernel text through FIX_TEXT_POKE0 (Linux: jump labels).
//
//   DEFINE_STATIC_KEY_FALSE(page_poisoning);
//   if (static_branch_unlikely(&page_poisoning)) poison(page);   // a nop until enabled
//   static_key_enable(&page_poisoning);                           // nop -> b, at every site
#pragma once

#include <stdint.h>

namespace kernel {

struct StaticKey {
  const char* name;
  bool enabled;
};

struct JumpEntry {
  uint64_t code;    // address of the nop/branch
  uint64_t target;  // where the branch goes when the key is on
  StaticKey* key;
};

#define DEFINE_STATIC_KEY_FALSE(var) ::kernel::StaticKey var = {#var, false}

#if defined(KERNEL_HOST_BUILD)
inline bool static_branch_unlikely(StaticKey* key) { return __atomic_load_n(&key->enabled, __ATOMIC_RELAXED); }
#else
[[gnu::always_inline]] inline bool static_branch_unlikely(StaticKey* key) {
  asm goto(
      "1: nop\n"
      "  .pushsection __jump_table, \"a\"\n"
      "  .balign 8\n"
      "  .quad 1b, %l[l_yes], %c0\n"
      "  .popsection\n" ::"i"(key)::l_yes);
  return false;
l_yes:
  return true;
}
#endif

// Patch every site of `key` (nop <-> b). Returns the number of sites patched.
unsigned static_key_enable(StaticKey* key);
unsigned static_key_disable(StaticKey* key);
unsigned static_key_sites(const StaticKey* key);
// Of those, the sites in the KTAP suites linked into the image (tests/kernel/, linker/kernel.ld's
// __ktest_text_start..__ktest_text_end); the log lists only the kernel's own sites one by one.
unsigned static_key_sites_in_tests(const StaticKey* key);
bool jump_site_in_tests(uint64_t code);

}  // namespace kernel
