// The Arm generic timer as the kernel's tick (Linux's drivers/clocksource/arm_arch_timer.c): its
// device-tree node (arm,armv8-timer / arm,armv7-timer) and, per CPU, a periodic interrupt at HZ
// from the EL1 virtual timer. The counter, udelay() and the timestamps are asm/arch.h's and
// kernel/delay.h's; this is the interrupt side.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/error.h"

namespace kernel {

inline constexpr unsigned HZ = 100;  // ticks per second on every CPU

// Linux's enum arch_timer_ppi_nr: the order of the timer node's "interrupts" (arm,arch_timer.yaml).
enum ArchTimerPpi : unsigned {
  ARCH_TIMER_PHYS_SECURE_PPI,     // EL3 / Secure EL1 physical timer
  ARCH_TIMER_PHYS_NONSECURE_PPI,  // Non-secure EL1 physical timer (CNTP_*)
  ARCH_TIMER_VIRT_PPI,            // EL1 virtual timer (CNTV_*)
  ARCH_TIMER_HYP_PPI,             // EL2 physical timer
  ARCH_TIMER_HYP_VIRT_PPI,        // EL2 virtual timer (optional)
  ARCH_TIMER_MAX_TIMER_PPI
};
const char* arch_timer_ppi_name(ArchTimerPpi which);

struct ArchTimerOfInfo {
  int node = -1;
  unsigned nr_ppis = 0;                           // "interrupts" entries read
  unsigned intid[ARCH_TIMER_MAX_TIMER_PPI] = {};  // GIC INTID of each timer; 0 = not described
  uint32_t clock_frequency = 0;                   // 0: none in the tree (firmware sets CNTFRQ_EL0)
};
// The first enabled timer node and its interrupts as GIC INTIDs. Errc::NotFound without a timer
// node; Errc::Invalid (naming the node and its controller) when its interrupts do not go to a GIC
// the kernel drives, or an entry is not a PPI.
Result<ArchTimerOfInfo> arch_timer_of_probe(const void* fdt);

// "62.50MHz", "54.00MHz", "19.20MHz": a rate as Linux's arch_timer banner prints it.
int arch_timer_format_rate(char* buf, size_t len, uint64_t hz);

// ---- The tick (kernel only: drivers/clocksource/arm_arch_timer.cpp) ---------------------------------
// Boot CPU, after irqchip_init(): prints the timer's rate, requests the timer's per-CPU interrupt
// and starts this CPU's tick. Without an interrupt controller it only prints the rate and says the
// tick stays off (the counter, delays and timestamps work all the same).
Status arch_timer_init_tick(const void* fdt);
// Every CPU, after its irqchip_cpu_init(): programs and enables this CPU's timer and its PPI. Safe to
// call again (reprograms the next tick); Errc::NotInitialised before arch_timer_init_tick.
Status arch_timer_cpu_init();
bool arch_timer_ticking();    // the tick interrupt is requested
unsigned arch_timer_intid();  // its INTID (27 for the EL1 virtual timer), 0 when none
// Ticks taken by the CPU in the irqchip layer's slot `cpu` (irq_cpu_index()), and by this CPU.
uint64_t arch_timer_ticks(unsigned cpu);
uint64_t arch_timer_this_cpu_ticks();
uint64_t arch_timer_counts_per_tick();

}  // namespace kernel
