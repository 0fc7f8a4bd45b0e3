// Interrupts: the kernel's small generic IRQ layer over the interrupt controller the device tree
// describes (GICv2 or GICv3, drivers/irqchip/). An IRQ number is the controller's INTID: 0..15
// SGIs and 16..31 PPIs (banked: one per CPU), 32..1019 SPIs (shared).
//
// Boot CPU:   irqchip_init(fdt)  -> the controller's one log line, its distributor, this CPU
//             (request the tick: arch_timer_init_tick), then local_irq_enable().
// Other CPUs: irqchip_cpu_init() -> arch_timer_cpu_init() -> local_irq_enable(), each on the CPU
//             itself, with interrupts still masked (drivers/arm_arch_timer.h).
//
// Handlers run in the IRQ exception (handle_arch_irq), on the interrupted stack, with interrupts
// masked; they must not printk (the log buffer has no lock) or sleep.
#pragma once

#include <stdint.h>

#include "kernel/error.h"
#include "kernel/smp_call.h"  // kMaxCpus

namespace kernel {

struct PtRegs;  // arch/arm64/traps.h

// CPUs the irq layer keeps per-CPU state for (a slot each, taken by irqchip_cpu_init in the order
// the CPUs call it: the boot CPU is slot 0), as many as the kernel's cross-calls know.
inline constexpr unsigned kIrqMaxCpus = kMaxCpus;
inline constexpr unsigned kIrqNoCpu = ~0u;

using irq_handler_t = void (*)(unsigned irq, void* ctx);

// Boot CPU, interrupts masked, after ioremap() is up: finds the GIC in the device tree, maps it,
// initialises the distributor and this CPU's interface, and logs one line. Without a supported
// controller it says so in one line ("irq: no supported interrupt controller in the device tree
// (found brcm,bcm2836-l1-intc): interrupts and SMP stay off") and returns Errc::NotFound; every
// error is reported before it is returned.
Status irqchip_init(const void* fdt);
// Every CPU, on itself, interrupts masked: takes the CPU's slot, wakes its redistributor (GICv3)
// or learns its CPU interface number (GICv2), configures its SGIs/PPIs and CPU interface. Safe to
// call again on the same CPU (the SGIs/PPIs it had enabled stay enabled); Errc::NotInitialised
// when there is no controller (before irqchip_init, or on a tree without one).
Status irqchip_cpu_init();
bool irqchip_ready();        // irqchip_init succeeded
const char* irqchip_name();  // "GICv2", "GICv3"; "" without a controller

// This CPU's slot (kIrqNoCpu before its irqchip_cpu_init), the CPUs with a slot, and each one's
// MPIDR_EL1 affinity.
unsigned irq_cpu_index();
unsigned irq_nr_cpus();
uint64_t irq_cpu_mpidr(unsigned cpu);

// An SPI (32..): handler and context, routed to the calling CPU, enabled. Errc::Conflict if the
// IRQ has a handler already, Errc::OutOfRange outside the controller's SPIs.
Status request_irq(unsigned irq, irq_handler_t handler, void* ctx, const char* name);
// An SGI or PPI (0..31): one handler for every CPU; each CPU then enables it for itself.
Status request_percpu_irq(unsigned irq, irq_handler_t handler, void* ctx, const char* name);
Status enable_percpu_irq(unsigned irq);   // on this CPU
Status disable_percpu_irq(unsigned irq);  // on this CPU
// Disables the IRQ (an SGI/PPI on this CPU only) and forgets its handler; its counts go with it.
Status free_irq(unsigned irq);

// SGI `sgi` (0..15) to the CPU whose MPIDR_EL1 affinity is `target_mpidr` (it must have run
// irqchip_cpu_init: GICv2 addresses it by the CPU interface number it read then), or to this CPU.
// The sender's earlier stores are visible to the handler (dsb ishst before the SGI is sent).
Status send_sgi(uint64_t target_mpidr, unsigned sgi);
Status send_sgi_self(unsigned sgi);

// The IRQ exception (arch/arm64/traps.cpp, vector "IRQ, current EL with SP_ELx"): acknowledge,
// dispatch, end of interrupt, until nothing is pending.
void handle_arch_irq(PtRegs* regs);

// Statistics, for the monitor's "interrupts" (Linux's /proc/interrupts).
struct IrqInfo {
  unsigned irq;
  const char* name;
  bool percpu;
  const uint64_t* count;  // kIrqMaxCpus entries, by slot
};
// Calls fn for every IRQ with a handler, in IRQ order. Returns how many.
unsigned irq_for_each(void (*fn)(const IrqInfo& info, void* ctx), void* ctx);
uint64_t irq_count(unsigned irq, unsigned cpu);  // 0 without a handler
uint64_t irq_spurious_count(unsigned cpu);       // IRQ exceptions with nothing to acknowledge
uint64_t irq_unhandled_count(unsigned cpu);      // acknowledged INTIDs with no handler (PPIs, SPIs then disabled)

}  // namespace kernel
