// Cross-CPU function calls (Linux: smp_call_function_single, on_each_cpu) and stop_machine,
// written once for the kernel and the host. How a CPU is named, interrupted and timed comes from
// SmpHooks: the kernel's (arch/arm64/smp.cpp) sends an SGI, the host tests' run each "CPU" as a
// thread that polls for its IPI.
//
// A call is a static request slot per (caller, target) pair, pushed on the target's lock-free
// list and announced by an IPI; the target's IPI handler runs every request on its list, in the
// order they arrived, with interrupts masked, and marks each done with release ordering. Because
// the slot is static, a caller that stops waiting (a CPU that does not answer within the bound)
// leaves no dangling pointer into its stack: the slot stays busy and the next call says so.
#pragma once

#include <stdint.h>

#include "asm/smp.h"
#include "kernel/error.h"

namespace kernel {

inline constexpr unsigned kMaxCpus = NR_CPUS;  // a request slot per (caller, target) pair

class SmpHooks {
 public:
  virtual unsigned this_cpu() = 0;
  virtual bool cpu_online(unsigned cpu) = 0;
  // Makes `cpu` run smp_call_handle_ipi() soon. The queued request must be visible before the
  // interrupt is: a GICv3 SGI is a system-register write, which no DMB or release orders, so the
  // kernel's hook issues DSB ISHST first (send_sgi does).
  virtual void send_call_ipi(unsigned cpu) = 0;
  virtual bool irqs_disabled() = 0;
  virtual unsigned long irq_save() = 0;
  virtual void irq_restore(unsigned long flags) = 0;
  virtual void cpu_relax() = 0;
  virtual void context_sync() = 0;  // ISB: later instructions are fetched anew
  virtual uint64_t now_ns() = 0;

 protected:
  ~SmpHooks() = default;
};

using SmpCallFn = void (*)(void* arg);

// The hooks cross-calls use (installed by smp_init on the kernel, by each host test).
void smp_call_install(SmpHooks* hooks);
SmpHooks* smp_hooks();

// Runs fn(arg) on `cpu` (directly when it is this CPU) and, with `wait`, returns once it has run.
// Errors: Errc::Invalid (offline or out-of-range CPU, or called with interrupts masked: two CPUs
// calling each other that way would wait forever), Errc::SlotLive (the previous call from this
// CPU to `cpu` never finished), Errc::NotFound (no answer within the bound).
Status smp_call_function_single(unsigned cpu, SmpCallFn fn, void* arg, bool wait = true);
// Runs fn(arg) on every online CPU, this one included (Linux: on_each_cpu), and waits for all.
Status on_each_cpu(SmpCallFn fn, void* arg);
// The IPI handler: runs what was queued for this CPU. Called with interrupts masked.
void smp_call_handle_ipi();

// How long a caller waits for an answer before it reports the CPU (default 1 s).
void smp_call_set_timeout_ns(uint64_t ns);

// stop_machine: every online CPU leaves what it was doing and rendezvouses with interrupts
// masked; when all are there, one CPU (the caller) runs fn(arg) while the others spin; then all
// execute a context synchronisation (ISB) before they return to what they were running, so an
// instruction fn patched is fetched anew everywhere (Arm ARM B2.2.5, "Concurrent modification
// and execution of instructions": no CPU executes the patched location while it is written).
// A CPU that does not join within the bound aborts the whole operation before fn runs
// (Errc::NotFound, reported); fn's own Status is returned otherwise.
using StopFn = Status (*)(void* arg);
Status stop_machine(StopFn fn, void* arg);
// How many stop_machine rendezvous completed (for tests and the monitor).
uint64_t stop_machine_count();

}  // namespace kernel
