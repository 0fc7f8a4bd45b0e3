// In-kernel tests of SMP bring-up (ktest=smp): every CPU of the device tree (up to maxcpus) came
// online, each wrote its own identity into its PerCpu, each runs on its own stack with an unmapped
// guard page below it, and TPIDR_EL1 is the per-CPU pointer.
#include "asm/arch.h"
#include "asm/mmu_ops.h"
#include "asm/sections.h"
#include "asm/smp.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/of_cpus.h"
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/setup.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "mm/pgtable_builder.h"
#include "mm/pgtable_walker.h"

namespace kernel {
namespace {

const char* find(const char* hay, const char* needle) {
  const size_t n = strlen(needle);
  for (; *hay; ++hay)
    if (strncmp(hay, needle, n) == 0) return hay;
  return nullptr;
}

Translation walk(VirtAddr va) {
  DirectTableEnv env(kernel_mmu_ops);
  return translate(env, swapper_pg_dir, va);
}

bool page_mapped_rw_xn(KTest& t, uint64_t va) {
  const Translation w = walk(VirtAddr(va));
  PhysAddr pa;
  const bool mmu = arch_translate(VirtAddr(va), true, &pa);
  KEXPECT(w.ok == mmu);  // the walker and the MMU (AT S1E1W) agree
  return w.ok && w.writable && !w.el1_exec && w.type == MemType::Normal;
}

bool page_unmapped(KTest& t, uint64_t va) {
  const Translation w = walk(VirtAddr(va));
  PhysAddr pa;
  KEXPECT(!arch_translate(VirtAddr(va), false, &pa));
  return !w.ok;
}

// How many CPUs the device tree offers that this kernel can start (supported enable-method, or
// any after an EL3 entry), the boot CPU included, capped by NR_CPUS and maxcpus.
unsigned expected_online() {
  const SmpOptions& opt = smp_options();
  if (opt.nosmp) return 1;
  of::DtCpu dt[32];
  int total = 0;
  Result<int> n = of::read_cpus(initial_boot_params, dt, 32, &total);
  if (!n) return 1;
  const uint64_t boot = MpidrEl1::read().hwid();
  bool boot_found = false;
  unsigned usable = 0;
  for (int i = 0; i < n.value(); ++i) {
    boot_found |= dt[i].hwid == boot;
    const bool startable = dt[i].hwid == boot || opt.el3_pen ||
                           (dt[i].method == of::CpuEnableMethod::Psci && opt.psci) ||
                           (dt[i].method == of::CpuEnableMethod::SpinTable && dt[i].has_release_addr);
    usable += startable;
  }
  if (!boot_found) return 1;
  unsigned want = usable < NR_CPUS ? usable : NR_CPUS;
  return want < opt.maxcpus ? want : opt.maxcpus;
}

}  // namespace

KTEST(smp, boot_cpu_tpidr_el1_is_its_per_cpu_area) {
  KEXPECT_EQ(read_sysreg(tpidr_el1), reinterpret_cast<uint64_t>(&per_cpu_area[0]));
  KEXPECT_EQ(smp_processor_id(), 0u);
  KEXPECT(this_cpu() == &per_cpu(0));
  KEXPECT(cpu_online(0));
  KEXPECT_EQ(cpu_logical_map(0), MpidrEl1::read().hwid());
  // entry.S's overflow path reads the overflow stack through TPIDR_EL1: the image's, for CPU 0.
  KEXPECT_EQ(this_cpu()->overflow_stack_top, reinterpret_cast<uint64_t>(overflow_stack_top));
}

KTEST(smp, every_cpu_of_the_device_tree_is_online) {
  if (smp_options().stuck_cpu >= 0) return t.skip("smp_test_stuck= keeps a CPU out on purpose");
  const unsigned want = expected_online();
  KEXPECT_EQ(num_online_cpus(), want);
  unsigned cpu, seen = 0;
  for_each_online_cpu(cpu) {
    KEXPECT_EQ(cpu, seen);  // logical numbers are dense: 0..n-1
    KEXPECT(cpu_state(cpu) == CpuState::Online);
    ++seen;
  }
  KEXPECT_EQ(seen, want);
  printk_raw("        # %u CPU%s online of %u in the device tree's map (maxcpus %u)\n", seen, seen == 1 ? "" : "s",
             num_possible_cpus(), smp_options().maxcpus);
}

KTEST(smp, each_cpu_wrote_its_own_mpidr_and_midr) {
  unsigned cpu;
  for_each_online_cpu(cpu) {
    const PerCpu& pc = per_cpu(cpu);
    KEXPECT_EQ(pc.cpu, cpu);
    KEXPECT_EQ(pc.mpidr, cpu_logical_map(cpu));  // written by the CPU itself from MPIDR_EL1
    KEXPECT(pc.midr != 0);
    unsigned other;
    for_each_online_cpu(other) if (other != cpu) KEXPECT(per_cpu(other).mpidr != pc.mpidr);
  }
  // A CPU that is not online has not claimed an identity.
  for (unsigned c = num_online_cpus(); c < NR_CPUS; ++c)
    if (cpu_state(c) == CpuState::Offline) KEXPECT_EQ(per_cpu(c).mpidr, 0u);
}

KTEST(smp, each_cpu_found_tpidr_el1_pointing_at_its_per_cpu_area) {
  unsigned cpu;
  for_each_online_cpu(cpu) KEXPECT_EQ(per_cpu(cpu).booted_tpidr, reinterpret_cast<uint64_t>(&per_cpu_area[cpu]));
}

KTEST(smp, every_cpu_counts_at_the_boot_cpus_frequency) {
  // CNTFRQ_EL0 is per CPU: firmware sets it on each, or (EL3 entry) each secondary through the
  // kernel's EL3 service. Timestamps of lines printed by a secondary depend on it.
  unsigned cpu;
  for_each_online_cpu(cpu) KEXPECT_EQ(per_cpu(cpu).cntfrq, arch_counter_freq());
}

KTEST(smp, stacks_are_distinct_with_an_unmapped_guard_page_below) {
  unsigned cpu;
  for_each_online_cpu(cpu) {
    const PerCpu& pc = per_cpu(cpu);
    KASSERT(pc.stack_top > pc.stack_base);
    // entry.S's overflow test: bit kStackAlignShift - 1 of SP (15; 16 at 64K) is 0 anywhere in
    // the stack, 1 in the guard page.
    constexpr uint64_t bit = kStackAlign / 2;
    KEXPECT_EQ(pc.stack_base % kStackAlign, 0u);
    KEXPECT_EQ((pc.stack_top - 1) & bit, 0u);
    KEXPECT_EQ((pc.stack_base - PAGE_SIZE) & bit, bit);
    KEXPECT_EQ((pc.overflow_stack_top - 1) & bit, 0u);
    for (uint64_t va = pc.stack_base; va < pc.stack_top; va += PAGE_SIZE) KEXPECT(page_mapped_rw_xn(t, va));
    // The page holding the overflow stack's top (at 64K the 16 KiB stack is part of one page).
    KEXPECT(page_mapped_rw_xn(t, align_down(pc.overflow_stack_top - 1, PAGE_SIZE)));
    KEXPECT(page_unmapped(t, pc.stack_base - PAGE_SIZE));  // the guard page
    if (cpu) {
      KEXPECT(pc.booted_sp > pc.stack_base && pc.booted_sp <= pc.stack_top);  // it ran on it
      KEXPECT(pc.stack_base >= KSTACKS_START && pc.stack_top <= KSTACKS_END);
      KEXPECT(page_unmapped(t, align_up(pc.stack_top, PAGE_SIZE)));  // and nothing right above its page
    }
    unsigned other;
    for_each_online_cpu(other) {
      if (other == cpu) continue;
      const PerCpu& o = per_cpu(other);
      KEXPECT(o.stack_top <= pc.stack_base || o.stack_base >= pc.stack_top);
      KEXPECT(o.overflow_stack_top != pc.overflow_stack_top);
    }
  }
}

KTEST(smp, log_lines_name_their_cpu_once_a_second_cpu_runs) {
  if (num_online_cpus() < 2) return t.skip("one CPU: lines carry no CPU prefix");
  // The whole log (64 KiB at most) in pages from the buddy allocator, not in BSS.
  constexpr unsigned kOrder = 4;
  Page* pages = alloc_pages(kOrder);
  KASSERT(pages != nullptr);
  char* log = page_address(pages).as_ptr<char>();
  log_buffer_copy(log, PAGE_SIZE << kOrder);
  char want[64];
  snprintf(want, sizeof want, "[    C1] CPU1: Booted secondary processor 0x%010lx", cpu_logical_map(1));
  KEXPECT(find(log, want) != nullptr);
  KEXPECT(find(log, "[    C0] smp: Brought up 1 node, ") != nullptr);
  // No line of the log starts in the middle of another: every "[    C" follows a timestamp.
  unsigned bad = 0;
  for (const char* p = find(log, "][    C"); p; p = find(p + 1, "][    C")) {
    const char* line = p;
    while (line > log && line[-1] != '\n') --line;
    bad += line[0] != '[' || p - line != 13;  // "[%5lu.%06lu" is 13 characters before "]["
  }
  KEXPECT_EQ(bad, 0u);
  free_pages(pages, kOrder);
}

}  // namespace kernel
