// The tick: each CPU's EL1 timer of the generic timer fires HZ times a second through its PPI.
//
// Which timer. An EL1 kernel has two: the EL1 physical timer (CNTP_*, its "interrupts" entry 1,
// INTID 30) and the EL1 virtual timer (CNTV_*, entry 2, INTID 27). When EL2 is implemented, EL1
// accesses to the physical timer trap to EL2 unless CNTHCTL_EL2.EL1PCEN is 1 (HCR_EL2.E2H = 0;
// Arm ARM, "CNTHCTL_EL2, Counter-timer Hypervisor Control register" and "CNTP_CTL_EL0"), and a
// kernel entered at EL1 cannot know how a hypervisor above it set that bit; the virtual timer has
// no such trap in the base architecture (FEAT_ECV's CNTHCTL_EL2.EL1TVT aside, which head.S leaves
// 0), and a hypervisor gives it to its guest. So the kernel ticks on the virtual timer, as Linux does
// at EL1. After an EL2 entry head.S has set CNTVOFF_EL2 = 0, so virtual and physical count agree,
// and the counter the kernel reads everywhere (arch_counter(): CNTVCT_EL0) is the one this timer
// compares against. Only a tree without the virtual timer's interrupt falls back to the physical
// timer, and only after an EL2 (or EL3) entry, where head.S set EL1PCEN.
//
// The tick is programmed with the compare value (CNTV_CVAL_EL0), each one a period after the last,
// so the ticks do not drift with the handler's latency; missed periods are skipped, not replayed.
// The timer's interrupt is level-sensitive and stays asserted while CNTVCT >= CVAL: the handler
// moves CVAL forward and synchronizes (ISB) before the GIC's end of interrupt, and counts a tick
// only if the timer condition (ISTATUS) was met.
#include "drivers/arm_arch_timer.h"

#include "asm/arch.h"
#include "asm/arch_timer.h"
#include "asm/irqflags.h"
#include "asm/sysreg.h"
#include "drivers/irqchip.h"
#include "drivers/irqchip/arm_gic.h"
#include "kernel/printk.h"

namespace kernel {
namespace {

ArchTimerKind g_kind = ArchTimerKind::Virt;
unsigned g_intid = 0;
uint64_t g_period = 0;  // counter ticks per tick
uint64_t g_ticks[kIrqMaxCpus];

void arch_timer_handler(unsigned, void*) {
  if (!arch_timer_read_ctl(g_kind).istatus()) return;  // not expired (a stale level): nothing to do
  const uint64_t now = arch_timer_read_count(g_kind);
  const uint64_t cval = arch_timer_read_cval(g_kind);
  uint64_t next = cval + g_period;
  if (next <= now) next = cval + ((now - cval) / g_period + 1) * g_period;
  arch_timer_write_cval(g_kind, next);
  isb();  // the condition is false before the GIC's end of interrupt, or the interrupt comes back
  const unsigned cpu = irq_cpu_index();
  if (cpu < kIrqMaxCpus) __atomic_store_n(&g_ticks[cpu], g_ticks[cpu] + 1, __ATOMIC_RELAXED);
}

}  // namespace

Status arch_timer_init_tick(const void* fdt) {
  const uint64_t hz = arch_counter_freq() & 0xffffffff;  // CNTFRQ_EL0[63:32] are RES0
  Result<ArchTimerOfInfo> dt = arch_timer_of_probe(fdt);
  const bool virt = !dt || dt.value().intid[ARCH_TIMER_VIRT_PPI] || boot_info.entry_el < 2;
  char rate[32];
  arch_timer_format_rate(rate, sizeof rate, hz);
  pr_info("arch_timer: cp15 timer running at %s (%s).\n", rate, virt ? "virt" : "phys");
  if (!irqchip_ready()) {
    pr_info("arch_timer: no tick: no interrupt controller (the counter, delays and timestamps work without one)\n");
    return KERR(Errc::NotInitialised, "arch_timer: no interrupt controller").mark_reported();
  }
  if (!dt) {
    dt.error().report();
    pr_err("arch_timer: no tick: the device tree does not say which interrupt the timer raises\n");
    return dt.error();
  }
  const ArchTimerPpi which = virt ? ARCH_TIMER_VIRT_PPI : ARCH_TIMER_PHYS_NONSECURE_PPI;
  if (!dt.value().intid[which] || !hz) {
    Error e = hz ? KERR(Errc::NotFound, "arch_timer: no tick: the timer node has no %s timer interrupt",
                        arch_timer_ppi_name(which))
                 : KERR(Errc::Invalid, "arch_timer: no tick: CNTFRQ_EL0 is 0");
    e.report();
    return e;
  }
  g_kind = virt ? ArchTimerKind::Virt : ArchTimerKind::Phys;
  g_period = hz / HZ;
  const unsigned intid = dt.value().intid[which];
  Status st = request_percpu_irq(intid, arch_timer_handler, nullptr, "arch_timer");
  if (!st) {
    st.error().report();
    return st;
  }
  g_intid = intid;
  st = arch_timer_cpu_init();
  if (!st) {
    st.error().report();
    return st;
  }
  pr_info("arch_timer: %u Hz tick on the EL1 %s timer, INTID %u (PPI %u), %lu counts per tick\n", HZ,
          arch_timer_ppi_name(which), intid, intid - gic::kPpiBase, g_period);
  return {};
}

Status arch_timer_cpu_init() {
  if (!g_intid) return KERR(Errc::NotInitialised, "arch_timer: arch_timer_cpu_init before arch_timer_init_tick");
  const unsigned long flags = arch_local_irq_save();
  arch_timer_write_ctl(g_kind, CntCtl().set_imask(true));  // quiet while it is programmed
  arch_timer_write_cval(g_kind, arch_timer_read_count(g_kind) + g_period);
  arch_timer_write_ctl(g_kind, CntCtl().set_enable(true));
  isb();
  Status st = enable_percpu_irq(g_intid);
  arch_local_irq_restore(flags);
  return st;
}

bool arch_timer_ticking() { return g_intid != 0; }
unsigned arch_timer_intid() { return g_intid; }
uint64_t arch_timer_counts_per_tick() { return g_period; }
uint64_t arch_timer_ticks(unsigned cpu) {
  return cpu < kIrqMaxCpus ? __atomic_load_n(&g_ticks[cpu], __ATOMIC_RELAXED) : 0;
}
uint64_t arch_timer_this_cpu_ticks() { return arch_timer_ticks(irq_cpu_index()); }

}  // namespace kernel
