// The EL1 timers of the Generic Timer (Arm ARM, "The Generic Timer in AArch64 state"), typed:
// the control register layout shared by "CNTV_CTL_EL0, Counter-timer Virtual Timer Control
// register" and "CNTP_CTL_EL0, Counter-timer Physical Timer Control register", and accessors
// for whichever of the two the kernel drives (drivers/clocksource/arm_arch_timer.cpp says why it
// is the virtual one).
#pragma once

#include <stdint.h>

#include "asm/hwreg.h"

namespace kernel {

struct CntCtl : hwreg::SysRegBase<CntCtl> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable);
  DEF_BIT(1, imask);    // 1: the timer condition does not assert the interrupt
  DEF_BIT(2, istatus);  // the timer condition is met (RO): CNTxCT_EL0 >= CNTx_CVAL_EL0
};

enum class ArchTimerKind : uint8_t { Virt, Phys };

#ifndef KERNEL_HOST_BUILD
inline CntCtl arch_timer_read_ctl(ArchTimerKind k) {
  return CntCtl(k == ArchTimerKind::Virt ? read_sysreg(cntv_ctl_el0) : read_sysreg(cntp_ctl_el0));
}
// A write to a timer register takes effect for the instructions after the next context
// synchronization event: callers that depend on it (a handler about to EOI) follow it with isb().
inline void arch_timer_write_ctl(ArchTimerKind k, CntCtl v) {
  if (k == ArchTimerKind::Virt)
    write_sysreg(v.raw, cntv_ctl_el0);
  else
    write_sysreg(v.raw, cntp_ctl_el0);
}
inline uint64_t arch_timer_read_cval(ArchTimerKind k) {
  return k == ArchTimerKind::Virt ? read_sysreg(cntv_cval_el0) : read_sysreg(cntp_cval_el0);
}
inline void arch_timer_write_cval(ArchTimerKind k, uint64_t cval) {
  if (k == ArchTimerKind::Virt)
    write_sysreg(cval, cntv_cval_el0);
  else
    write_sysreg(cval, cntp_cval_el0);
}
// The count the chosen timer compares against (an ISB first, so the read is not taken early:
// Arm ARM, "Reading the generic timer count").
inline uint64_t arch_timer_read_count(ArchTimerKind k) {
  isb();
  return k == ArchTimerKind::Virt ? read_sysreg(cntvct_el0) : read_sysreg(cntpct_el0);
}
#endif

}  // namespace kernel
