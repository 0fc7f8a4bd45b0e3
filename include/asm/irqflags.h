// Interrupt masking (PSTATE.DAIF). The host build has no interrupts to mask.
#pragma once

#include "asm/sysreg_defs.h" /* PSR_I_BIT */

namespace kernel {

#if defined(KERNEL_HOST_BUILD)
inline unsigned long arch_local_irq_save() { return 0; }
inline void arch_local_irq_restore(unsigned long) {}
inline void arch_local_irq_enable() {}
inline void arch_local_irq_disable() {}
inline bool arch_irqs_disabled() { return true; }
inline void arch_cpu_relax() {}
#else
inline unsigned long arch_local_irq_save() {
  unsigned long flags;
  asm volatile("mrs %0, daif\n msr daifset, #3" : "=r"(flags)::"memory");  // mask IRQ and FIQ
  return flags;
}
inline void arch_local_irq_restore(unsigned long flags) { asm volatile("msr daif, %0" ::"r"(flags) : "memory"); }
// PSTATE.I only: FIQ stays masked (the kernel puts no interrupt in a group signalled as FIQ).
inline void arch_local_irq_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline void arch_local_irq_disable() { asm volatile("msr daifset, #2" ::: "memory"); }
inline bool arch_irqs_disabled() {
  unsigned long flags;
  asm volatile("mrs %0, daif" : "=r"(flags)::"memory");
  return flags & PSR_I_BIT;  // DAIF reads PSTATE.I at the SPSR position
}
inline void arch_cpu_relax() { asm volatile("yield" ::: "memory"); }
#endif

}  // namespace kernel
