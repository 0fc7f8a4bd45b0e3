// The arm64 side of cross-calls: SmpHooks on TPIDR_EL1's per-CPU area, DAIF, the generic counter
// and an SGI per call (see include/asm/ipi.h).
#include "asm/ipi.h"

#include "asm/arch.h"
#include "asm/irqflags.h"
#include "drivers/irqchip.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"

namespace kernel {
namespace {

class ArchSmpHooks final : public SmpHooks {
 public:
  unsigned this_cpu() override { return smp_processor_id(); }
  bool cpu_online(unsigned cpu) override { return cpu < NR_CPUS && kernel::cpu_online(cpu); }
  void send_call_ipi(unsigned cpu) override {
    // send_sgi orders the queued request before the SGI (DSB ISHST) and reports its own failures.
    (void)send_sgi(cpu_logical_map(cpu), IPI_CALL_FUNC);
  }
  bool irqs_disabled() override { return arch_irqs_disabled(); }
  unsigned long irq_save() override { return arch_local_irq_save(); }
  void irq_restore(unsigned long flags) override { arch_local_irq_restore(flags); }
  void cpu_relax() override { arch_cpu_relax(); }
  void context_sync() override { asm volatile("isb" ::: "memory"); }
  uint64_t now_ns() override { return arch_uptime_ns(); }
};

ArchSmpHooks g_arch_hooks;

void ipi_call_func(unsigned, void*) {
  ++kernel::this_cpu()->counters.ipis;
  smp_call_handle_ipi();
}

}  // namespace

Status smp_ipi_init() {
  TRY(request_percpu_irq(IPI_CALL_FUNC, ipi_call_func, nullptr, "IPI function call"));
  return enable_percpu_irq(IPI_CALL_FUNC);
}

Status smp_ipi_cpu_init() { return enable_percpu_irq(IPI_CALL_FUNC); }

void smp_cross_calls_start() {
  if (irqchip_ready()) smp_call_install(&g_arch_hooks);
}

}  // namespace kernel
