// Interrupt masking (PSTATE.DAIF). The host build has no interrupts to mask.
#pragma once

namespace kernel {

#if defined(KERNEL_HOST_BUILD)
inline unsigned long arch_local_irq_save() { return 0; }
inline void arch_local_irq_restore(unsigned long) {}
inline void arch_cpu_relax() {}
#else
inline unsigned long arch_local_irq_save() {
  unsigned long flags;
  asm volatile("mrs %0, daif\n msr daifset, #3" : "=r"(flags)::"memory");  // mask IRQ and FIQ
  return flags;
}
inline void arch_local_irq_restore(unsigned long flags) { asm volatile("msr daif, %0" ::"r"(flags) : "memory"); }
inline void arch_cpu_relax() { asm volatile("yield" ::: "memory"); }
#endif

}  // namespace kernel
