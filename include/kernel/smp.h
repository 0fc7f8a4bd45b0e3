// Per-CPU state and the CPU numbering (Linux: linux/smp.h, linux/cpumask.h, asm/smp.h).
//
// Logical CPU numbers: the CPU that booted the kernel is 0, the other CPUs the device tree lists
// follow in /cpus order. cpu_logical_map(n) is CPU n's MPIDR affinity value (Aff3..Aff0, the DT's
// reg). Each CPU has a PerCpu, reached through TPIDR_EL1: head.S points the boot CPU's TPIDR_EL1
// at per_cpu_area[0] before start_kernel, and each secondary's at its own before it calls
// secondary_start_kernel(), so this_cpu() and smp_processor_id() work from the first C++ line on.
//
// The host build (KERNEL_HOST_BUILD) has one CPU: this_cpu() is per_cpu_area[0].
#pragma once

#include <stdint.h>

#include "asm/smp.h"

namespace kernel {

enum class CpuState : uint32_t {
  Offline,  // not started (yet, or ever: maxcpus=, nosmp)
  Booting,  // released by the boot CPU, not yet arrived
  Online,   // running the kernel
  Failed,   // could not be started, or did not arrive in time
};
const char* cpu_state_name(CpuState s);

// How a CPU is started. The DT's enable-method, or the kernel's own holding pen after an EL3
// entry (no firmware: every core started at the kernel, and all but one parked themselves).
enum class EnableMethod : uint8_t { None, Psci, SpinTable, El3Pen };
const char* enable_method_name(EnableMethod m);

// Counters other subsystems keep per CPU; add a field here (each CPU writes only its own).
struct PerCpuCounters {
  uint64_t irqs = 0;
  uint64_t timer_ticks = 0;
  uint64_t ipis = 0;
};

struct alignas(64) PerCpu {
  uint64_t overflow_stack_top = 0;  // entry.S (PERCPU_OVERFLOW_STACK_TOP): stack for handle_bad_stack
  uint64_t stack_base = 0;          // the kernel stack [stack_base, stack_top); guard page below
  uint64_t stack_top = 0;
  uint32_t cpu = 0;        // logical number
  uint32_t state_raw = 0;  // CpuState, accessed atomically (cpu_state / the bring-up code)
  uint64_t hwid = 0;       // MPIDR affinity value from the device tree (cpu_logical_map)
  EnableMethod method = EnableMethod::None;
  uint64_t release_addr = 0;  // spin-table: the DT's cpu-release-addr
  char dt_name[24] = {};      // the /cpus child, e.g. "cpu@1"
  // Written by the CPU itself when it starts: what it really is.
  uint64_t mpidr = 0;                        // MPIDR_EL1 affinity fields
  uint64_t midr = 0;                         // MIDR_EL1
  uint64_t booted_sp = 0, booted_tpidr = 0;  // SP and TPIDR_EL1 it found in secondary_start_kernel
  uint64_t cntfrq = 0;                       // CNTFRQ_EL0 once it is online (per CPU: set after an EL3 entry)
  PerCpuCounters counters;
};
static_assert(__builtin_offsetof(PerCpu, overflow_stack_top) == PERCPU_OVERFLOW_STACK_TOP, "entry.S reads it");

// Every logical CPU's area, index = logical number; extern "C" for head.S.
extern "C" PerCpu per_cpu_area[NR_CPUS];

#ifdef KERNEL_HOST_BUILD
inline PerCpu* this_cpu() { return &per_cpu_area[0]; }
#else
// TPIDR_EL1 never changes under a running CPU, so the read may be combined (no volatile).
inline PerCpu* this_cpu() {
  uint64_t v;
  asm("mrs %0, tpidr_el1" : "=r"(v));
  return reinterpret_cast<PerCpu*>(v);
}
#endif
inline unsigned smp_processor_id() { return this_cpu()->cpu; }
inline PerCpu& per_cpu(unsigned cpu) { return per_cpu_area[cpu]; }

CpuState cpu_state(unsigned cpu);
bool cpu_online(unsigned cpu);
unsigned num_online_cpus();
unsigned num_possible_cpus();  // logical CPUs set up from the device tree (the boot CPU at least)
uint64_t cpu_logical_map(unsigned cpu);
// The next online CPU after `prev` (-1: the first); NR_CPUS when there is none.
unsigned next_online_cpu(int prev);
// `unsigned cpu; for_each_online_cpu(cpu) { ... }`
#define for_each_online_cpu(cpu) \
  for ((cpu) = ::kernel::next_online_cpu(-1); (cpu) < NR_CPUS; (cpu) = ::kernel::next_online_cpu(static_cast<int>(cpu)))

// State changes (the bring-up code): a plain store, and compare-and-swap (false: it was not `from`).
void set_cpu_state(unsigned cpu, CpuState s);
bool cpu_state_transition(unsigned cpu, CpuState from, CpuState to);
void set_cpu_online(unsigned cpu, bool online);

// ---- Device tree and command line -> logical CPUs (shared code, host-tested) --------------------

struct SmpOptions {
  unsigned maxcpus = NR_CPUS;  // maxcpus=N: at most N CPUs brought up, the boot CPU included
  bool nosmp = false;          // nosmp (or maxcpus=0): the boot CPU alone
  const char* nosmp_by = "";   // which parameter asked for it, for the log
  int stuck_cpu = -1;          // smp_test_stuck=N: CPU N is sent to a parking loop (tests the timeout)
  bool psci = false;           // the DT has a usable /psci node (a conduit)
  bool el3_pen = false;        // entered at EL3: secondaries wait in the kernel's holding pen
};
// maxcpus=, nosmp and smp_test_stuck= from the command line; a bad value is reported and ignored.
void smp_parse_cmdline(const char* cmdline, SmpOptions* opt);

// Fills per_cpu_area[] for every usable CPU of the device tree: the boot CPU (MPIDR boot_hwid) as
// CPU 0, the others in /cpus order, at most NR_CPUS. A CPU that cannot be started (no or an
// unsupported enable-method, no cpu-release-addr, no PSCI, a duplicate MPIDR) is reported in one
// line and skipped. Returns the number of logical CPUs (1 when the boot CPU is not in the tree:
// then no other CPU is started). The boot CPU is marked Online.
unsigned smp_setup_cpu_map(const void* fdt, uint64_t boot_hwid, const SmpOptions& opt);

// Clears every PerCpu and the masks (host tests; smp_setup_cpu_map starts from this too).
void smp_reset_cpu_map();

// ---- The kernel's bring-up (arch/arm64/smp.cpp) -------------------------------------------------

// Boot phase: starts every secondary CPU the device tree describes, waits for each at most
// kSecondaryTimeoutMs on the generic timer, and reports the result.
void smp_init();
inline constexpr unsigned kSecondaryTimeoutMs = 1000;
// What smp_init was asked for (the in-kernel tests compare against it).
const SmpOptions& smp_options();
// The C++ entry of a secondary CPU, from head.S, on its own stack with TPIDR_EL1 set.
extern "C" [[noreturn]] void secondary_start_kernel(unsigned cpu);

// Work for the idle secondary CPUs (tests): each online CPU that takes interrupts calls fn()
// between WFIs, with interrupts unmasked, until it is set back to nullptr. Wake them with a
// cross-call after setting it.
void smp_set_idle_work(void (*fn)());

}  // namespace kernel
