// In-kernel tests of the boot environment.
#include "asm/sections.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "kernel/kallsyms.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/string.h"

namespace kernel {

KTEST(boot, runs_at_el1_with_vectors_installed) {
  KEXPECT_EQ(CurrentEl::read().el(), 1u);
  KEXPECT_EQ(read_sysreg(vbar_el1), reinterpret_cast<uint64_t>(vectors));
  KEXPECT(boot_info.entry_el >= 1 && boot_info.entry_el <= 3);
}

KTEST(boot, mmu_and_caches_on_with_wxn) {
  const auto sctlr = SctlrEl1::read();
  KEXPECT(sctlr.m());
  KEXPECT(sctlr.c());
  KEXPECT(sctlr.i());
  KEXPECT(sctlr.wxn());
  KEXPECT(TcrEl1::read().epd0());  // the identity map is gone
}

KTEST(boot, timer_counts_up) {
  KEXPECT(arch_counter_freq() > 0);
  uint64_t a = arch_counter();
  for (int i = 0; i < 10000; ++i) asm volatile("" ::: "memory");
  KEXPECT(arch_counter() > a);
}

KTEST(boot, printk_formats) {
  char buf[64];
  snprintf(buf, sizeof buf, "%016lx|%5u|%-4s|%p", 0x9000000UL, 42u, "ab", reinterpret_cast<void*>(0x10));
  KEXPECT(strcmp(buf, "0000000009000000|   42|ab  |0x0000000000000010") == 0);
}

}  // namespace kernel

namespace kernel {

KTEST(boot, kallsyms_names_kernel_functions) {
  const char* name = nullptr;
  uint64_t off = 0, size = 0;
  uint64_t addr = reinterpret_cast<uint64_t>(&start_kernel);
  KASSERT(kallsyms_lookup(addr + 8, &name, &off, &size));
  KEXPECT(strcmp(name, "start_kernel") == 0);
  KEXPECT_EQ(off, 8u);
  KEXPECT(size > 8);
  KEXPECT(!kallsyms_lookup(reinterpret_cast<uint64_t>(&boot_info), &name, &off, &size));  // data
}

}  // namespace kernel
