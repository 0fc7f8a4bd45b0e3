// SMP bring-up on arm64 (docs/smp.md): every CPU the device tree lists is given a stack with a
// guard page, started through its enable-method (PSCI CPU_ON, or the spin-table's release address
// and the kernel's holding pen), and waited for at most kSecondaryTimeoutMs on the generic timer.
//
// What a secondary reads with its MMU and data cache off (secondary_boot_data, the pen latch, the
// spin-table release value) is written here with the caches on and cleaned to the Point of
// Coherency before the CPU is released: the secondary's Non-cacheable loads see memory, not this
// CPU's cache (booting.rst, "Secondary CPU"; Arm ARM, "Data cache maintenance instructions").
#include "kernel/smp.h"

#include "asm/arch.h"
#include "asm/ipi.h"
#include "asm/irqflags.h"
#include "asm/atomic.h"
#include "asm/memory.h"
#include "asm/mmu_ops.h"
#include "asm/sections.h"
#include "asm/smp.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/arm_arch_timer.h"
#include "drivers/irqchip.h"
#include "drivers/psci.h"
#include "kernel/printk.h"
#include "kernel/setup.h"
#include "mm/ioremap.h"
#include "mm/page_alloc.h"
#include "mm/pgtable_builder.h"

namespace kernel {
namespace {

SmpOptions g_opt;
uint32_t g_boot_cntfrq = 0;  // the boot CPU's CNTFRQ_EL0, given to secondaries after an EL3 entry

// Why a secondary gave up on itself before it could print (a CPU without the LSE atomics the
// kernel was patched for must not take the printk lock: SWPA would be UNDEFINED there).
const char* volatile g_fail_reason[NR_CPUS];

// DC CVAC over [p, p + size), then DSB SY: the lines are at PoC when this returns, for an observer
// whose accesses are Non-cacheable (Arm ARM, "Data cache maintenance instructions"; Linux's
// dcache_clean_poc). Line size from CTR_EL0.DminLine, the smallest in the system.
void clean_dcache_poc(const volatile void* p, uint64_t size) {
  const uint64_t line = CacheTypeEl0::read().dcache_line_bytes();
  const uint64_t start = reinterpret_cast<uint64_t>(p), end = start + size;
  for (uint64_t a = start & ~(line - 1); a < end; a += line) asm volatile("dc cvac, %0" ::"r"(a) : "memory");
  dsb(sy);
}

void sev() { asm volatile("sev" ::: "memory"); }

// ---- Stacks ------------------------------------------------------------------------------------

Optional<PhysAddr> stack_table_alloc() {
  Page* p = alloc_pages(0);
  if (!p) return nullopt;
  return page_to_phys(p);
}

constexpr unsigned order_of(uint64_t bytes) {
  unsigned o = 0;
  while ((PAGE_SIZE << o) < bytes) ++o;
  return o;
}

// A block from the buddy allocator, mapped RW + XN at `va` in swapper_pg_dir (tables from the buddy
// allocator, through the linear map). The pages around it stay unmapped.
Status map_stack(VirtAddr va, uint64_t size) {
  const unsigned order = order_of(size);
  Page* pg = alloc_pages(order);
  if (!pg) return KERR(Errc::OutOfMemory, "no free %lu KiB block", size >> 10);
  LinearTableEnv env(kernel_mmu_ops, stack_table_alloc);
  MapStats done;
  Status st = map_range(env, swapper_pg_dir, va, page_to_phys(pg), size, PAGE_KERNEL, false, &done);
  if (!st) {
    if (done.ptes) (void)unmap_range(env, swapper_pg_dir, va, done.ptes * PAGE_SIZE);
    free_pages(pg, order);
    return st;
  }
  return {};
}

// CPU n's slot in the stack area (asm/smp.h): an overflow stack and a stack, each 2^STACK_ALIGN_SHIFT
// aligned as entry.S's overflow test needs and mapped in whole pages, with an unmapped guard page
// below the stack. Never freed: a CPU that failed to arrive in time may still arrive late and run
// on it.
Status alloc_cpu_stacks(unsigned cpu) {
  const uint64_t slot = KSTACKS_START + cpu * kStackSlotSize;
  TRY(map_stack(VirtAddr(slot + kOverflowStackOffset), stack_map_size(kOverflowStackSize)));
  TRY(map_stack(VirtAddr(slot + kStackOffset), stack_map_size(kStackSize)));
  PerCpu& pc = per_cpu(cpu);
  pc.overflow_stack_top = slot + kOverflowStackOffset + kOverflowStackSize;
  pc.stack_base = slot + kStackOffset;
  pc.stack_top = slot + kStackOffset + kStackSize;
  return {};
}
static_assert(KSTACKS_END - KSTACKS_START >= NR_CPUS * kStackSlotSize && KSTACKS_START % kStackSlotSize == 0);

// ---- Releasing a CPU ----------------------------------------------------------------------------

// The boot data every secondary reads (asm/smp.h): the boot CPU's own MAIR_EL1, TCR_EL1 (TTBR0
// walks enabled: the secondary turns its MMU on through the identity map) and TTBR1_EL1, and the
// logical CPUs' MPIDRs, stacks and PerCpu areas. Cleaned to PoC (read with the MMU off).
void publish_boot_data(unsigned ncpus) {
  SecondaryBootData& bd = secondary_boot_data;
  bd.ttbr1 = read_sysreg(ttbr1_el1);
  bd.tcr = TcrEl1::read().set_epd0(false).raw;
  bd.mair = read_sysreg(mair_el1);
  bd.nr_cpus = ncpus;
  for (unsigned i = 0; i < NR_CPUS; ++i) {
    bd.mpidr[i] = i < ncpus ? per_cpu(i).hwid : kPenReleaseNone;
    bd.stack_top[i] = per_cpu(i).stack_top;
    bd.percpu[i] = reinterpret_cast<uint64_t>(&per_cpu_area[i]);
  }
  clean_dcache_poc(&bd, sizeof bd);
}

// The pen latch (asm/smp.h): the CPU whose MPIDR it holds leaves secondary_holding_pen.
void set_pen_release(uint64_t hwid) {
  __atomic_store_n(&secondary_pen_release, hwid, __ATOMIC_RELAXED);
  clean_dcache_poc(&secondary_pen_release, sizeof secondary_pen_release);
}

// booting.rst, spin-table: the CPU polls its cpu-release-addr with its caches off; the kernel
// writes the entry's physical address there (little-endian, 64 bits) and cleans the line to PoC,
// then sev. The release address is RAM (memblock reserved it): memremap() gives its linear-map
// address, Normal write-back like every other alias of that RAM (a Device alias through ioremap
// would be a mismatched-attribute alias, Arm ARM "Mismatched memory attributes").
Status spin_table_write(uint64_t release_addr, PhysAddr entry) {
  VirtAddr va = memremap(PhysAddr(release_addr), sizeof(uint64_t));
  if (va.is_null()) return KERR(Errc::Invalid, "cpu-release-addr 0x%lx is not RAM in the linear map", release_addr);
  auto* slot = va.as_ptr<volatile uint64_t>();
  *slot = entry.value();
  clean_dcache_poc(slot, sizeof(uint64_t));
  return {};
}

Status boot_secondary(unsigned cpu) {
  PerCpu& pc = per_cpu(cpu);
  const bool stuck = g_opt.stuck_cpu == static_cast<int>(cpu);
  switch (pc.method) {
    case EnableMethod::Psci:
      // context_id = the logical CPU number: secondary_entry's x0.
      // The Booting state and the boot data complete before the SMC (not a barrier itself).
      asm volatile("dsb ish" ::: "memory");
      return psci_cpu_on(pc.hwid, kimg_to_phys(stuck ? secondary_park_for_test : secondary_entry), cpu);
    case EnableMethod::SpinTable:
      if (!stuck) set_pen_release(pc.hwid);
      TRY(spin_table_write(pc.release_addr, kimg_to_phys(stuck ? secondary_park_for_test : secondary_holding_pen)));
      sev();
      return {};
    case EnableMethod::El3Pen:
      // Already in the pen since reset; a stuck test simply never lets it out.
      if (!stuck) set_pen_release(pc.hwid);
      sev();
      return {};
    case EnableMethod::None: break;
  }
  return KERR(Errc::Invalid, "no enable-method");
}

// Waits for `cpu` to come online, at most timeout_ms on the generic timer (CNTVCT_EL0 read after
// an ISB: arch_counter). A CPU that has not arrived by then is marked Failed, so one that arrives
// later parks itself instead of coming online behind the boot CPU's back.
bool wait_for_cpu(unsigned cpu, unsigned timeout_ms) {
  const uint64_t start = arch_counter(), ticks = arch_us_to_counter(uint64_t{timeout_ms} * 1000);
  while (arch_counter() - start < ticks) {
    const CpuState s = cpu_state(cpu);
    if (s == CpuState::Online) return true;
    if (s == CpuState::Failed) return false;  // it gave up on itself (g_fail_reason)
    arch_cpu_relax();
  }
  if (cpu_state_transition(cpu, CpuState::Booting, CpuState::Failed)) return false;
  return cpu_state(cpu) == CpuState::Online;  // it made it just now
}

void report_timeout(unsigned cpu) {
  const PerCpu& pc = per_cpu(cpu);
  if (pc.method == EnableMethod::SpinTable)
    pr_err("CPU%u: failed to come online (no response in %u ms; enable-method spin-table, release address 0x%lx)\n",
           cpu, kSecondaryTimeoutMs, pc.release_addr);
  else
    pr_err("CPU%u: failed to come online (no response in %u ms; enable-method %s, MPIDR 0x%010lx)\n", cpu,
           kSecondaryTimeoutMs, enable_method_name(pc.method), pc.hwid);
}

// Interrupts masked: WFI still wakes on a pending interrupt, and a CPU with nothing to do sleeps
// instead of spinning (a CPU that failed, or one without an interrupt controller).
[[noreturn]] void cpu_idle() {
  for (;;) asm volatile("wfi" ::: "memory");
}

// An online CPU with its interrupt controller, timer and IPI set up: takes interrupts (the tick,
// cross-calls, stop_machine) between WFIs.
// A CPU that will not run the kernel: its timer off first, or the level-sensitive timer interrupt
// would stay pending and wake WFI (which wakes on a pending interrupt even when it is masked)
// over and over.
[[noreturn]] void park_quiet() {
  asm volatile("msr cntv_ctl_el0, xzr\n isb" ::: "memory");
  cpu_idle();
}

void (*g_idle_work)() = nullptr;

[[noreturn]] void cpu_idle_irqs_on() {
  arch_local_irq_enable();
  for (;;) {
    if (void (*work)() = __atomic_load_n(&g_idle_work, __ATOMIC_ACQUIRE))
      work();
    else
      asm volatile("wfi" ::: "memory");
  }
}

// The per-CPU half of the interrupt phase, on the CPU itself with interrupts masked. False when
// there is no controller (raspi3b): the CPU then stays out of cross-calls.
bool secondary_irq_init(unsigned cpu) {
  if (!irqchip_ready()) return false;
  const char* step = "the interrupt controller's CPU interface";
  Status st = irqchip_cpu_init();
  if (st.ok()) step = "the timer", st = arch_timer_cpu_init();
  if (st.ok()) step = "the IPI", st = smp_ipi_cpu_init();
  if (st.ok()) return true;
  char why[200];
  st.error().format(why, sizeof why);
  pr_err("CPU%u: %s could not be set up: %s\n", cpu, step, why);
  return false;
}

unsigned smp_cpu_id() { return smp_processor_id(); }

}  // namespace

const SmpOptions& smp_options() { return g_opt; }
void smp_set_idle_work(void (*fn)()) { __atomic_store_n(&g_idle_work, fn, __ATOMIC_RELEASE); }

void smp_init() {
  SmpOptions opt;
  opt.psci = psci_conduit() != of::PsciConduit::None;
  opt.el3_pen = boot_info.entry_el == 3;
  smp_parse_cmdline(boot_command_line, &opt);
  g_opt = opt;
  g_boot_cntfrq = static_cast<uint32_t>(arch_counter_freq());

  const uint64_t boot_hwid = MpidrEl1::read().hwid();
  const unsigned possible = smp_setup_cpu_map(initial_boot_params, boot_hwid, opt);
  PerCpu& boot = per_cpu(0);
  boot.mpidr = boot_hwid;
  boot.midr = MidrEl1::read().raw;
  boot.stack_base = reinterpret_cast<uint64_t>(init_stack);
  boot.stack_top = reinterpret_cast<uint64_t>(init_stack_top);
  boot.booted_tpidr = read_sysreg(tpidr_el1);
  boot.cntfrq = arch_counter_freq();
  printk_set_cpu_id(smp_cpu_id);

  pr_info("smp: Bringing up secondary CPUs ...\n");
  if (opt.el3_pen && possible > 1)
    pr_info(
        "smp: entered at EL3 with no firmware: the other CPUs wait in the kernel's holding pen "
        "(head.S secondary_holding_pen) and are released by MPIDR; the device tree's enable-method is not used\n");
  unsigned limit = opt.nosmp ? 1 : (opt.maxcpus < possible ? opt.maxcpus : possible);
  if (limit < possible) {
    if (opt.nosmp)
      pr_info("smp: %s: the %u other CPU%s stay%s offline\n", opt.nosmp_by, possible - 1, possible == 2 ? "" : "s",
              possible == 2 ? "s" : "");
    else if (limit + 1 == possible)
      pr_info("smp: maxcpus=%u: CPU%u stays offline\n", opt.maxcpus, limit);
    else
      pr_info("smp: maxcpus=%u: CPU%u..CPU%u stay offline\n", opt.maxcpus, limit, possible - 1);
  }

  for (unsigned cpu = 1; cpu < limit; ++cpu) {
    if (Status st = alloc_cpu_stacks(cpu); !st) {
      char why[160];
      st.error().format(why, sizeof why);
      pr_err("CPU%u: failed to boot: no stack: %s\n", cpu, why);
      set_cpu_state(cpu, CpuState::Failed);
    }
  }
  publish_boot_data(possible);
  if (limit > 1) printk_show_cpu(true);  // from now on more than one CPU may print

  for (unsigned cpu = 1; cpu < limit; ++cpu) {
    if (cpu_state(cpu) == CpuState::Failed) continue;
    set_cpu_state(cpu, CpuState::Booting);
    if (Status st = boot_secondary(cpu); !st) {
      char why[200];
      st.error().format(why, sizeof why);
      pr_err("CPU%u: failed to boot: %s\n", cpu, why);
      set_cpu_state(cpu, CpuState::Failed);
      continue;
    }
    const bool online = wait_for_cpu(cpu, kSecondaryTimeoutMs);
    if (per_cpu(cpu).method != EnableMethod::Psci) set_pen_release(kPenReleaseNone);
    if (online) {
      set_cpu_online(cpu, true);
    } else if (const char* why = g_fail_reason[cpu]) {
      pr_err("CPU%u: failed to boot: %s; parked\n", cpu, why);
    } else {
      report_timeout(cpu);
    }
  }
  const unsigned n = num_online_cpus();
  pr_info("smp: Brought up 1 node, %u CPU%s\n", n, n == 1 ? "" : "s");
  if (n > 1 && !irqchip_ready())  // the irq: line above said "SMP stay off": what that means here
    pr_info("smp: no interrupt controller: the other CPUs idle with interrupts masked and take no IPIs\n");
  // From now on cross-calls and stop_machine reach the other CPUs (with a controller).
  smp_cross_calls_start();
}

// ---- On the secondary ---------------------------------------------------------------------------

extern "C" [[noreturn]] void secondary_start_kernel(unsigned cpu) {
  PerCpu* me = this_cpu();
  me->mpidr = MpidrEl1::read().hwid();
  me->midr = MidrEl1::read().raw;
  uint64_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  me->booted_sp = sp;
  me->booted_tpidr = read_sysreg(tpidr_el1);

  // Nothing set this CPU's CNTFRQ_EL0 after an EL3 entry (it is per CPU): as the boot CPU did.
  if (boot_info.entry_el == 3 && g_boot_cntfrq) (void)arch_set_cntfrq_el3(g_boot_cntfrq);
  me->cntfrq = arch_counter_freq();
  // The boot CPU patched the kernel for its own features: a CPU without them cannot run it.
  if (arm64_lse_atomics.enabled && !IdAa64Isar0El1::read().has_lse()) {
    g_fail_reason[cpu] = "it lacks the LSE atomics (ID_AA64ISAR0_EL1.Atomic) the kernel was patched for";
    set_cpu_state(cpu, CpuState::Failed);
    cpu_idle();
  }

  crashtest_secondary(boot_command_line, cpu);  // crashtest=stack-overflow-cpu1: this CPU's overflow path

  // The GIC CPU interface or redistributor, the timer PPI and the IPI, before the CPU is online.
  const bool irqs = secondary_irq_init(cpu);
  if (irqchip_ready() && !irqs) {
    // An online CPU that takes no IPIs would make every cross-call wait out its bound and every
    // stop_machine (all text patching) abort: it stays out.
    g_fail_reason[cpu] = "its interrupt controller interface, timer or IPI could not be set up (above)";
    set_cpu_state(cpu, CpuState::Failed);
    park_quiet();
  }

  pr_info("CPU%u: Booted secondary processor 0x%010lx [0x%08lx]\n", cpu, me->mpidr, me->midr);
  if (!cpu_state_transition(cpu, CpuState::Booting, CpuState::Online)) {
    pr_err("CPU%u: arrived after the boot CPU stopped waiting for it; parked\n", cpu);
    park_quiet();
  }
  set_cpu_online(cpu, true);
  if (irqs) cpu_idle_irqs_on();
  cpu_idle();
}

}  // namespace kernel
