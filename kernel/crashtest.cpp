// crashtest=<what>: provoke an unexpected exception on purpose, to see (and test) the fault report.
// Like Linux's LKDTM, for people learning what each fault looks like.
#include "asm/sections.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"

namespace kernel {
namespace {

alignas(16) uint32_t data_ret_insn = 0xd65f03c0;  // "ret", in a data page (never executable)

[[gnu::noinline]] void crash_write_text() { *reinterpret_cast<volatile uint32_t*>(_text + 0x1000) = 0xd503201f; }
[[gnu::noinline]] void crash_exec_data() { reinterpret_cast<void (*)()> (&data_ret_insn)(); }
[[gnu::noinline]] void crash_null() {
  uint64_t addr = 0x8;
  asm volatile("" : "+r"(addr));  // hide the constant from the compiler's bounds checks
  (void)*reinterpret_cast<volatile uint64_t*>(addr);
}
[[gnu::noinline]] void crash_undef() { asm volatile(".inst 0x00000000"); }  // permanently undefined
[[gnu::noinline]] void crash_brk() { asm volatile("brk #0x800"); }
unsigned volatile g_recurse_limit = ~0u;  // volatile: the compiler cannot prove the recursion endless
[[gnu::noinline]] unsigned recurse(unsigned depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth >= g_recurse_limit) return 0;
  return recurse(depth + 1) + frame[0];  // not a tail call: every level keeps its frame
}
[[gnu::noinline]] void crash_stack_overflow() { (void)recurse(0); }
// The same on CPU 1, as it comes up (crashtest_secondary): its own stack, guard page and overflow
// stack, found through its TPIDR_EL1.
constexpr const char* kSecondaryOverflow = "stack-overflow-cpu1";

struct Crash {
  const char* name;
  void (*fn)();
  const char* what;
};
constexpr Crash kCrashes[] = {
    {"write-text", crash_write_text, "write to read-only kernel text"},
    {"exec-data", crash_exec_data, "execute an instruction in a data page"},
    {"null", crash_null, "read from address 0x8"},
    {"undef", crash_undef, "execute an undefined instruction"},
    {"brk", crash_brk, "execute BRK #0x800"},
    {"stack-overflow", crash_stack_overflow, "recurse until the kernel stack overflows"},
};

}  // namespace

void crashtest(const char* cmdline) {
  CmdlineParam p;
  if (!cmdline_find(cmdline, "crashtest", &p)) return;
  if (value_is(p, kSecondaryOverflow)) {  // crashtest_secondary's: CPU 1 would have faulted by now
    pr_err("crashtest=%s: CPU1 is not online (run with two CPUs or more)\n", kSecondaryOverflow);
    return;
  }
  for (const Crash& c : kCrashes) {
    if (value_is(p, c.name)) {
      pr_info("crashtest: about to %s\n", c.what);
      c.fn();
      pr_err("crashtest: %s did not fault\n", c.name);
      return;
    }
  }
  pr_warn(
      "crashtest=%.*s: unknown; choose one of write-text exec-data null undef brk stack-overflow "
      "stack-overflow-cpu1\n",
      static_cast<int>(p.value_len), p.value ? p.value : "");
}

void crashtest_secondary(const char* cmdline, unsigned cpu) {
  CmdlineParam p;
  if (cpu != 1 || !cmdline_find(cmdline, "crashtest", &p) || !value_is(p, kSecondaryOverflow)) return;
  pr_info("crashtest: CPU1 about to recurse until its kernel stack overflows\n");
  crash_stack_overflow();
  pr_err("crashtest: %s did not fault\n", kSecondaryOverflow);
}

}  // namespace kernel
