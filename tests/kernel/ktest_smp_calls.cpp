// KTAP suite smp (continued): cross-calls, the tick on every CPU, the spinlock under contention
// with both atomics, stop_machine patching code other CPUs run, and a shared fixmap slot hammered
// by every CPU. Each case needs an interrupt controller (IPIs) and skips without one.
#include "asm/arch.h"
#include "asm/atomic.h"
#include "asm/irqflags.h"
#include "asm/sysreg_fields.h"
#include "drivers/arm_arch_timer.h"
#include "drivers/irqchip.h"
#include "kernel/delay.h"
#include "kernel/jump_label.h"
#include "kernel/ktest.h"
#include "kernel/patching.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"
#include "kernel/spinlock.h"
#include "mm/fixmap.h"
#include "mm/page_alloc.h"

// A function whose first instruction the patch test rewrites: MOVZ W0, #1 / RET.
asm(R"(
  .pushsection .text, "ax"
  .balign 4
  .global ktest_smp_patch_target
  .type ktest_smp_patch_target, %function
ktest_smp_patch_target:
  mov w0, #1
  ret
  .size ktest_smp_patch_target, . - ktest_smp_patch_target
  .popsection
)");
extern "C" int ktest_smp_patch_target();

namespace kernel {
namespace {

constexpr uint32_t movz_w0(uint32_t imm) { return 0x52800000u | (imm << 5); }  // MOVZ Wd, #imm16 (C6.2.191)

// Polls cond every millisecond for up to `ms`: for events on other vCPUs, whose threads a loaded
// host may not schedule for a while (a fixed delay would make the test a timing test).
template <typename Cond>
bool wait_until(unsigned ms, Cond cond) {
  for (unsigned i = 0; i < ms; ++i) {
    if (cond()) return true;
    mdelay(1);
  }
  return cond();
}

bool have_ipis() { return smp_hooks() != nullptr && num_online_cpus() > 1; }

uint64_t g_answer[NR_CPUS];
void record_mpidr(void*) { g_answer[smp_processor_id()] = MpidrEl1::read().hwid() | (uint64_t{1} << 63); }

// ---- spinlock stress -----------------------------------------------------------------------------
SpinLock g_stress_lock;
uint64_t g_stress_count;
constexpr unsigned kStressRounds = 20000;
void stress(void*) {
  for (unsigned i = 0; i < kStressRounds; ++i) {
    g_stress_lock.lock();
    g_stress_count = g_stress_count + 1;  // a plain read-modify-write: only the lock protects it
    g_stress_lock.unlock();
  }
}
uint64_t run_stress() {
  g_stress_count = 0;
  if (!on_each_cpu(stress, nullptr).ok()) return 0;
  return g_stress_count;
}

// ---- stop_machine patching -------------------------------------------------------------------------
uint32_t g_patch_stop;         // the idle CPUs leave their loop when set
uint32_t g_seen_new[NR_CPUS];  // CPU n has seen the new result
uint32_t g_saw_old_after_new[NR_CPUS];
uint64_t g_calls[NR_CPUS];
void run_patched_code() {
  const unsigned me = smp_processor_id();
  while (!__atomic_load_n(&g_patch_stop, __ATOMIC_ACQUIRE)) {
    const int r = ktest_smp_patch_target();
    ++g_calls[me];
    if (r == 2) g_seen_new[me] = 1;
    if (r != 2 && g_seen_new[me]) ++g_saw_old_after_new[me];
    if (r != 1 && r != 2) ++g_saw_old_after_new[me];  // neither: a torn instruction
  }
}
void wake(void*) {}

// ---- the shared fixmap slot --------------------------------------------------------------------------
constexpr unsigned kHammerRounds = 300;
PhysAddr g_hammer_page[NR_CPUS];
uint32_t g_hammer_bad[NR_CPUS];
uint32_t g_hammer_ok[NR_CPUS];
void hammer(void*) {
  const unsigned me = smp_processor_id();
  for (unsigned i = 0; i < kHammerRounds; ++i) {
    ScopedFixmap m(FIX_TEXT_POKE0, g_hammer_page[me], FIXMAP_PAGE_RO);
    PhysAddr pa;
    const bool mapped = m.ok() && arch_translate(m.va(), false, &pa) && pa == g_hammer_page[me];
    const bool mine = mapped && *reinterpret_cast<volatile uint64_t*>(m.va().value()) == 0xc0de0000u + me;
    if (mine)
      ++g_hammer_ok[me];
    else
      ++g_hammer_bad[me];
  }
}

}  // namespace

KTEST(smp, every_cpu_answers_a_cross_call_with_its_own_mpidr) {
  if (!have_ipis()) return t.skip("no IPIs (one CPU, or no interrupt controller)");
  for (auto& a : g_answer) a = 0;
  unsigned cpu;
  for_each_online_cpu(cpu) {
    KEXPECT(smp_call_function_single(cpu, record_mpidr, nullptr).ok());
    KEXPECT_EQ(g_answer[cpu], cpu_logical_map(cpu) | (uint64_t{1} << 63));
  }
  for (auto& a : g_answer) a = 0;
  KEXPECT(on_each_cpu(record_mpidr, nullptr).ok());
  for_each_online_cpu(cpu) KEXPECT_EQ(g_answer[cpu], cpu_logical_map(cpu) | (uint64_t{1} << 63));
  KEXPECT(smp_call_function_single(NR_CPUS, record_mpidr, nullptr) == Errc::Invalid);
  // Cost, in virtual ns: under QEMU -icount shift=0 one instruction is one ns (all CPUs' together).
  constexpr unsigned kCalls = 50;
  const uint64_t t0 = arch_uptime_ns();
  for (unsigned i = 0; i < kCalls; ++i) (void)smp_call_function_single(1, record_mpidr, nullptr);
  const uint64_t t1 = arch_uptime_ns();
  const uint64_t stops = 20;
  for (unsigned i = 0; i < stops; ++i) (void)stop_machine([](void*) -> Status { return {}; }, nullptr);
  const uint64_t t2 = arch_uptime_ns();
  printk_raw("        # cross-call to CPU1: %lu ns each; stop_machine with %u CPUs: %lu ns each\n", (t1 - t0) / kCalls,
             num_online_cpus(), (t2 - t1) / stops);
}

KTEST(smp, the_timer_ticks_on_every_cpu) {
  if (!have_ipis() || !arch_timer_ticking()) return t.skip("no IPIs or no tick");
  uint64_t before[NR_CPUS];
  const unsigned slots = irq_nr_cpus() < NR_CPUS ? irq_nr_cpus() : NR_CPUS;
  for (unsigned s = 0; s < slots; ++s) before[s] = arch_timer_ticks(s);
  KEXPECT_EQ(irq_nr_cpus(), num_online_cpus());
  // Two ticks on every CPU, waited for up to 2 s: a vCPU thread of a loaded host may not run for a
  // while, so the bound is generous and only a CPU that never ticks fails.
  const bool ticked = wait_until(2000, [&] {
    for (unsigned s = 0; s < slots; ++s)
      if (arch_timer_ticks(s) - before[s] < 2) return false;
    return true;
  });
  KEXPECT(ticked);
  for (unsigned s = 0; s < slots; ++s)
    if (arch_timer_ticks(s) - before[s] < 2)
      printk_raw("        # irq slot %u (MPIDR 0x%lx): %lu ticks in 2 s\n", s, irq_cpu_mpidr(s),
                 arch_timer_ticks(s) - before[s]);
}

KTEST(smp, the_spinlock_holds_under_contention_with_lse_and_ll_sc) {
  if (!have_ipis()) return t.skip("no IPIs");
  const uint64_t want = uint64_t{kStressRounds} * num_online_cpus();
  const bool lse = arm64_lse_atomics.enabled;
  KEXPECT_EQ(run_stress(), want);
  if (!lse) {
    printk_raw("        # LL/SC only: the CPU has no LSE atomics\n");
    return;
  }
  // The same lock with the LDAXR/STXR loop: the static key patched back under stop_machine while
  // the other CPUs are up (they run the patched lock code in their interrupt handlers too).
  KEXPECT(static_key_disable(&arm64_lse_atomics) > 0);
  KEXPECT(!arm64_lse_atomics.enabled);
  KEXPECT_EQ(run_stress(), want);
  KEXPECT(static_key_enable(&arm64_lse_atomics) > 0);
  KEXPECT(arm64_lse_atomics.enabled);
  KEXPECT_EQ(run_stress(), want);
}

KTEST(smp, stop_machine_patches_code_the_other_cpus_are_running) {
  if (!have_ipis()) return t.skip("no IPIs");
  void* site = reinterpret_cast<void*>(&ktest_smp_patch_target);
  KASSERT(aarch64_insn_read(site) == movz_w0(1));
  for (unsigned i = 0; i < NR_CPUS; ++i) g_seen_new[i] = g_saw_old_after_new[i] = 0, g_calls[i] = 0;
  __atomic_store_n(&g_patch_stop, 0u, __ATOMIC_RELEASE);
  smp_set_idle_work(run_patched_code);
  KEXPECT(on_each_cpu(wake, nullptr).ok());  // out of WFI, into the loop
  auto all = [](auto pred) {
    unsigned c;
    for_each_online_cpu(c) if (c != 0 && !pred(c)) return false;
    return true;
  };
  KEXPECT(wait_until(
      2000, [&] { return all([](unsigned c) { return __atomic_load_n(&g_calls[c], __ATOMIC_RELAXED) > 0; }); }));
  const uint64_t stops = stop_machine_count();
  uint32_t insn = movz_w0(2);
  KEXPECT(aarch64_insn_patch_text(&site, &insn, 1).ok());
  KEXPECT_EQ(stop_machine_count(), stops + 1);
  KEXPECT(wait_until(
      2000, [&] { return all([](unsigned c) { return __atomic_load_n(&g_seen_new[c], __ATOMIC_RELAXED) != 0; }); }));
  __atomic_store_n(&g_patch_stop, 1u, __ATOMIC_RELEASE);
  smp_set_idle_work(nullptr);
  KEXPECT(on_each_cpu(wake, nullptr).ok());  // every CPU has left the loop when this returns
  KEXPECT_EQ(ktest_smp_patch_target(), 2);
  unsigned cpu;
  for_each_online_cpu(cpu) {
    if (cpu == 0) continue;
    KEXPECT(g_calls[cpu] > 0);
    KEXPECT_EQ(g_seen_new[cpu], 1u);
    KEXPECT_EQ(g_saw_old_after_new[cpu], 0u);
  }
  insn = movz_w0(1);
  KEXPECT(aarch64_insn_patch_text(&site, &insn, 1).ok());
  KEXPECT_EQ(ktest_smp_patch_target(), 1);
}

KTEST(smp, every_cpu_hammers_one_fixmap_slot_and_the_mmu_agrees) {
  if (!have_ipis()) return t.skip("no IPIs");
  Page* pages[NR_CPUS] = {};
  unsigned cpu;
  for_each_online_cpu(cpu) {
    pages[cpu] = alloc_pages(0);
    KASSERT(pages[cpu]);
    g_hammer_page[cpu] = page_to_phys(pages[cpu]);
    *reinterpret_cast<volatile uint64_t*>(page_address(pages[cpu]).value()) = 0xc0de0000u + cpu;
    g_hammer_ok[cpu] = g_hammer_bad[cpu] = 0;
  }
  KEXPECT(on_each_cpu(hammer, nullptr).ok());
  for_each_online_cpu(cpu) {
    KEXPECT_EQ(g_hammer_ok[cpu], kHammerRounds);
    KEXPECT_EQ(g_hammer_bad[cpu], 0u);
    free_pages(pages[cpu], 0);
  }
  KEXPECT(!fixmap_get()->is_live(FIX_TEXT_POKE0));
}

}  // namespace kernel

namespace kernel {

KTEST(smp, a_static_key_refuses_to_change_with_interrupts_masked) {
  // stop_machine needs this CPU to take part with interrupts on: refused, said, nothing patched.
  if (!have_ipis()) return t.skip("no IPIs");
  const bool was = arm64_lse_atomics.enabled;
  const unsigned long flags = arch_local_irq_save();
  const unsigned n = was ? static_key_disable(&arm64_lse_atomics) : static_key_enable(&arm64_lse_atomics);
  arch_local_irq_restore(flags);
  KEXPECT_EQ(n, 0u);
  KEXPECT_EQ(arm64_lse_atomics.enabled, was);
}

}  // namespace kernel
