// Architecture services used by generic kernel code (implemented in arch/arm64).
#pragma once

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

struct BootInfo {
  PhysAddr dtb_phys;      // x0 at entry
  PhysAddr phys_base;     // where the loader put _text
  unsigned entry_el = 0;  // 1, 2 or 3
};
extern BootInfo boot_info;

// Kernel image symbols <-> physical addresses (the linear map does not exist yet).
PhysAddr kimg_to_phys(const volatile void* p);
bool phys_in_kernel_image(PhysAddr pa, uint64_t len);
VirtAddr kimg_phys_to_virt(PhysAddr pa);

// Asks the MMU: AT S1E1R / S1E1W. Returns false on a translation/permission fault.
bool arch_translate(VirtAddr va, bool write, PhysAddr* pa);

// Generic timer.
uint64_t arch_counter();
uint64_t arch_counter_freq();
uint64_t arch_uptime_ns();
// Counter ticks in `us` microseconds. With CNTFRQ_EL0 unset (0: firmware that did not program it)
// the counter is assumed to run at 1 GHz, the fastest the architecture allows, so delays err long.
uint64_t arch_us_to_counter(uint64_t us);
// Checks CNTFRQ_EL0 against the device tree (the arm,armv8-timer node's clock-frequency). After an
// EL3 entry, where no firmware set CNTFRQ_EL0, sets it from the DT through head.S's EL3 service.
void arch_timer_init(const void* fdt);
// Busy-waits at least `us` microseconds on the generic timer (CNTPCT_EL0), whatever the CPU speed.
void udelay(uint64_t us);
// After an EL3 entry only: this CPU's CNTFRQ_EL0 (a per-CPU register, writable only at EL3) set
// through head.S's EL3 service. False if the service refused or the value did not stick.
bool arch_set_cntfrq_el3(uint32_t hz);

// Reads memory at va, returning false instead of faulting (exception-table fixup).
bool probe_read64(VirtAddr va, uint64_t* out);
bool probe_write64(VirtAddr va, uint64_t value);

[[noreturn]] void arch_halt();  // masks interrupts, wfi forever

}  // namespace kernel
