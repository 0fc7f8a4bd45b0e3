// In-kernel tests of interrupts and time on the boot CPU: the tick counted within a bounded
// wait, an SGI sent to this CPU reaching its handler (and waiting while interrupts are masked),
// spurious acknowledges, the irq layer's refusals, and udelay() against the counter. Every wait
// is bounded on the generic timer. On a tree without a supported interrupt controller (raspi3b)
// the interrupt tests SKIP with the reason, and what must hold there is checked instead.
#include "asm/arch.h"
#include "asm/irqflags.h"
#include "asm/sysreg_fields.h"
#include "drivers/arm_arch_timer.h"
#include "drivers/irqchip.h"
#include "drivers/irqchip/irq_chip.h"
#include "kernel/delay.h"
#include "kernel/ktest.h"

namespace kernel {
namespace {

constexpr const char* kNoIrqchip = "no usable interrupt controller (the boot log's irq: line says why)";
constexpr unsigned kTestSgi = 15;        // the last SGI: not one the kernel's IPIs use
constexpr unsigned kUnusedSgi = 14;      // never requested
constexpr uint64_t kWaitUs = 1'000'000;  // the longest any test waits for an interrupt

// Waits until *v differs from `old`, at most kWaitUs; interrupts must be unmasked.
template <typename Fn>
bool wait_until(Fn done) {
  const uint64_t start = arch_counter(), limit = arch_us_to_counter(kWaitUs);
  while (!done()) {
    if (arch_counter() - start > limit) return false;
    arch_cpu_relax();
  }
  return true;
}

struct SgiProbe {
  unsigned calls = 0;
  unsigned last_irq = 0;
  void* last_ctx = nullptr;
};

void sgi_handler(unsigned irq, void* ctx) {
  auto* p = static_cast<SgiProbe*>(ctx);
  p->last_irq = irq;
  p->last_ctx = ctx;
  __atomic_store_n(&p->calls, p->calls + 1, __ATOMIC_RELEASE);
}

unsigned calls(const SgiProbe& p) { return __atomic_load_n(&p.calls, __ATOMIC_ACQUIRE); }

}  // namespace

KTEST(irq, interrupts_are_on_and_the_boot_cpu_has_slot_0) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  KEXPECT(!arch_irqs_disabled());
  KEXPECT_EQ(irq_cpu_index(), 0u);
  KEXPECT(irq_nr_cpus() >= 1);
  KEXPECT_EQ(irq_cpu_mpidr(0), MpidrEl1::read().hwid());
}

KTEST(irq, without_a_controller_interrupts_stay_masked) {
  if (irqchip_ready()) return t.skip("this tree has a supported interrupt controller");
  KEXPECT(arch_irqs_disabled());
  KEXPECT(irqchip_cpu_init() == Errc::NotInitialised);
  KEXPECT(send_sgi_self(kTestSgi) == Errc::NotInitialised);
  KEXPECT(!arch_timer_ticking());
  KEXPECT(arch_timer_cpu_init() == Errc::NotInitialised);
}

KTEST(irq, the_timer_ticks_on_this_cpu) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  KASSERT(arch_timer_ticking());
  const unsigned cpu = irq_cpu_index();
  // Both counters read with interrupts masked: a tick between the two reads would be in one only.
  unsigned long flags = arch_local_irq_save();
  const uint64_t t0 = arch_timer_this_cpu_ticks(), i0 = irq_count(arch_timer_intid(), cpu), c0 = arch_counter();
  arch_local_irq_restore(flags);
  mdelay(50);  // HZ = 100: about 5 ticks
  // At least one tick, within a bounded wait (an interrupt can be delivered late, never lost).
  KEXPECT(wait_until([&] { return arch_timer_this_cpu_ticks() > t0; }));
  flags = arch_local_irq_save();
  const uint64_t ticks = arch_timer_this_cpu_ticks() - t0, elapsed = arch_counter() - c0;
  const uint64_t counted = irq_count(arch_timer_intid(), cpu) - i0;
  arch_local_irq_restore(flags);
  KEXPECT(ticks >= 1);
  // Never more than one per period that passed (a late tick skips, it does not replay).
  KEXPECT(ticks <= elapsed / arch_timer_counts_per_tick() + 1);
  // Every tick went through the irq layer's count for the timer's PPI.
  KEXPECT(counted >= ticks);
  KEXPECT_EQ(arch_timer_counts_per_tick(), arch_counter_freq() / HZ);
}

KTEST(irq, an_sgi_to_this_cpu_runs_its_handler) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  SgiProbe p;
  KASSERT(request_percpu_irq(kTestSgi, sgi_handler, &p, "ktest-sgi").ok());
  KEXPECT(enable_percpu_irq(kTestSgi).ok());
  const unsigned cpu = irq_cpu_index();
  KEXPECT(send_sgi_self(kTestSgi).ok());
  KEXPECT(wait_until([&] { return calls(p) == 1; }));
  KEXPECT_EQ(p.last_irq, kTestSgi);
  KEXPECT(p.last_ctx == &p);
  // The same through this CPU's MPIDR (the path another CPU's IPI takes).
  KEXPECT(send_sgi(MpidrEl1::read().hwid(), kTestSgi).ok());
  KEXPECT(wait_until([&] { return calls(p) == 2; }));
  KEXPECT_EQ(irq_count(kTestSgi, cpu), 2u);
  // Masked (PSTATE.I), the SGI stays pending: the handler runs only once interrupts are unmasked.
  const unsigned long flags = arch_local_irq_save();
  KEXPECT(send_sgi_self(kTestSgi).ok());
  udelay(2000);
  KEXPECT_EQ(calls(p), 2u);
  arch_local_irq_restore(flags);
  KEXPECT(wait_until([&] { return calls(p) == 3; }));
  KEXPECT(free_irq(kTestSgi).ok());
  KEXPECT_EQ(irq_count(kTestSgi, cpu), 0u);  // forgotten with its handler
}

KTEST(irq, an_acknowledge_with_nothing_signalled_is_spurious) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  SgiProbe p;
  KASSERT(request_percpu_irq(kTestSgi, sgi_handler, &p, "ktest-sgi").ok());
  KEXPECT(enable_percpu_irq(kTestSgi).ok());
  const unsigned cpu = irq_cpu_index();
  irqchip::IrqChip* chip = irqchip::irqchip();
  const uint64_t spurious = irq_spurious_count(cpu);
  const unsigned long flags = arch_local_irq_save();
  // A priority mask of 0 lets no interrupt through: the acknowledge register reads 1023 ("no
  // pending interrupt of sufficient priority") although the SGI is pending. Nothing is dispatched,
  // nothing is EOIed; the entry counts as spurious.
  const uint8_t pmr = chip->set_priority_mask(0);
  KEXPECT(send_sgi_self(kTestSgi).ok());
  udelay(1000);
  handle_arch_irq(nullptr);
  KEXPECT_EQ(irq_spurious_count(cpu), spurious + 1);
  KEXPECT_EQ(calls(p), 0u);
  chip->set_priority_mask(pmr);
  arch_local_irq_restore(flags);
  // With the mask back, the SGI that stayed pending is delivered.
  KEXPECT(wait_until([&] { return calls(p) == 1; }));
  KEXPECT(free_irq(kTestSgi).ok());
}

KTEST(irq, an_sgi_nobody_requested_is_counted_as_unhandled) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  const unsigned cpu = irq_cpu_index();
  const uint64_t before = irq_unhandled_count(cpu);
  KEXPECT(send_sgi_self(kUnusedSgi).ok());
  KEXPECT(wait_until([&] { return irq_unhandled_count(cpu) == before + 1; }));
}

KTEST(irq, cpu_init_again_keeps_the_tick) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  KASSERT(arch_timer_ticking());
  const unsigned cpu = irq_cpu_index();
  KEXPECT(irqchip_cpu_init().ok());
  KEXPECT_EQ(irq_cpu_index(), cpu);  // the same slot, not a new one
  KEXPECT(arch_timer_cpu_init().ok());
  const uint64_t t0 = arch_timer_this_cpu_ticks();
  KEXPECT(wait_until([&] { return arch_timer_this_cpu_ticks() >= t0 + 2; }));
}

KTEST(irq, the_irq_layer_refuses_what_it_cannot_do) {
  if (!irqchip_ready()) return t.skip(kNoIrqchip);
  SgiProbe p;
  KEXPECT(request_percpu_irq(32, sgi_handler, &p, "ktest") == Errc::OutOfRange);  // an SPI
  KEXPECT(request_irq(27, sgi_handler, &p, "ktest") == Errc::OutOfRange);         // a PPI
  KEXPECT(request_irq(5000, sgi_handler, &p, "ktest") == Errc::OutOfRange);       // no such INTID
  KEXPECT(request_percpu_irq(arch_timer_intid(), sgi_handler, &p, "ktest") == Errc::Conflict);
  KEXPECT(request_percpu_irq(kTestSgi, nullptr, &p, "ktest") == Errc::Invalid);
  KEXPECT(enable_percpu_irq(kUnusedSgi) == Errc::Invalid);  // not requested
  KEXPECT(send_sgi_self(16) == Errc::OutOfRange);
  KEXPECT(send_sgi(0xff00ffff, kTestSgi) == Errc::NotFound);  // no CPU with that MPIDR
  KEXPECT(free_irq(kUnusedSgi) == Errc::NotFound);
}

KTEST(irq, udelay_and_mdelay_wait_at_least_as_long_on_the_counter) {
  constexpr uint64_t kDelays[] = {1, 10, 100, 1000};
  for (uint64_t us : kDelays) {
    const uint64_t t0 = arch_counter();
    udelay(us);
    KEXPECT(arch_counter() - t0 >= arch_us_to_counter(us));
  }
  const uint64_t t0 = arch_counter();
  mdelay(2);
  KEXPECT(arch_counter() - t0 >= arch_us_to_counter(2000));
  // The counter read after an ISB never goes backwards.
  uint64_t prev = arch_counter();
  bool monotonic = true;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t now = arch_counter();
    monotonic &= now >= prev;
    prev = now;
  }
  KEXPECT(monotonic);
}

}  // namespace kernel
