// Inter-processor interrupts: the transport of the kernel's cross-calls (kernel/smp_call.h) on
// the interrupt controller's SGIs (Linux: arch/arm64/kernel/smp.c's IPI_CALL_FUNC).
#pragma once

#include "kernel/error.h"

namespace kernel {

// SGI 0: "run what is queued for you" (smp_call_handle_ipi).
inline constexpr unsigned IPI_CALL_FUNC = 0;

// Boot CPU, after irqchip_init: registers the SGI handler and enables it on this CPU.
Status smp_ipi_init();
// Each secondary CPU, on itself, after its irqchip_cpu_init: enables the SGI there.
Status smp_ipi_cpu_init();
// Once every CPU that will come up is online: cross-calls (and with them stop_machine) start
// using the other CPUs. Before that, or without an interrupt controller, they run locally only.
void smp_cross_calls_start();

}  // namespace kernel
