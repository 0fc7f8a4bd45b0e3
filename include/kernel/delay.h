// Busy-wait delays on the generic timer (Linux's linux/delay.h): udelay() counts CNTVCT_EL0, read
// after an ISB, against CNTFRQ_EL0 (asm/arch.h), so a delay lasts at least as long as asked
// whatever the CPU's speed, and works before and without interrupts.
#pragma once

#include <stdint.h>

#include "asm/arch.h"

namespace kernel {

inline void mdelay(uint64_t ms) { udelay(ms * 1000); }
inline void ndelay(uint64_t ns) { udelay((ns + 999) / 1000); }  // at least ns: rounded up to 1 us

}  // namespace kernel
