// Logical CPUs: the per-CPU areas, the online mask, and the policy that turns the device tree's
// /cpus and the command line (maxcpus=, nosmp, smp_test_stuck=) into cpu_logical_map. Shared by
// the kernel and the host tests; the bring-up itself is arch/arm64/smp.cpp.
#include "kernel/smp.h"

#include "drivers/of_cpus.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"

namespace kernel {

extern "C" {
// In BSS (constant-initialised: no constructor runs over what head.S wrote): CPU 0's
// overflow_stack_top is set by head.S before start_kernel (the image's overflow stack).
constinit PerCpu per_cpu_area[NR_CPUS];
}

namespace {

uint32_t g_online_mask = 0;  // bit n: CPU n online
unsigned g_possible = 1;

constexpr const char* kStateNames[] = {"offline", "booting", "online", "failed"};

// Parses a decimal number (the whole value); false for anything else.
bool parse_uint(const CmdlineParam& p, unsigned* out) {
  if (!p.value || !p.value_len || p.value_len > 9) return false;
  unsigned v = 0;
  for (size_t i = 0; i < p.value_len; ++i) {
    if (p.value[i] < '0' || p.value[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(p.value[i] - '0');
  }
  *out = v;
  return true;
}

void report_bad_cpu(void*, const char* name, const Error& why) {
  char text[200];
  why.format(text, sizeof text);
  pr_warn("smp: %s: %s; skipped\n", name, text);
}

}  // namespace

const char* cpu_state_name(CpuState s) {
  const auto i = static_cast<unsigned>(s);
  return i < 4 ? kStateNames[i] : "?";
}

const char* enable_method_name(EnableMethod m) {
  switch (m) {
    case EnableMethod::Psci: return "psci";
    case EnableMethod::SpinTable: return "spin-table";
    case EnableMethod::El3Pen: return "el3-pen";
    case EnableMethod::None: break;
  }
  return "none";
}

CpuState cpu_state(unsigned cpu) {
  if (cpu >= NR_CPUS) return CpuState::Offline;
  return static_cast<CpuState>(__atomic_load_n(&per_cpu_area[cpu].state_raw, __ATOMIC_ACQUIRE));
}

void set_cpu_state(unsigned cpu, CpuState s) {
  __atomic_store_n(&per_cpu_area[cpu].state_raw, static_cast<uint32_t>(s), __ATOMIC_RELEASE);
}

bool cpu_state_transition(unsigned cpu, CpuState from, CpuState to) {
  uint32_t expected = static_cast<uint32_t>(from);
  return __atomic_compare_exchange_n(&per_cpu_area[cpu].state_raw, &expected, static_cast<uint32_t>(to), false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

void set_cpu_online(unsigned cpu, bool online) {
  if (online)
    __atomic_fetch_or(&g_online_mask, 1u << cpu, __ATOMIC_RELEASE);
  else
    __atomic_fetch_and(&g_online_mask, ~(1u << cpu), __ATOMIC_RELEASE);
}

bool cpu_online(unsigned cpu) {
  return cpu < NR_CPUS && (__atomic_load_n(&g_online_mask, __ATOMIC_ACQUIRE) >> cpu) & 1;
}

unsigned num_online_cpus() {
  return static_cast<unsigned>(__builtin_popcount(__atomic_load_n(&g_online_mask, __ATOMIC_ACQUIRE)));
}

unsigned num_possible_cpus() { return g_possible; }

uint64_t cpu_logical_map(unsigned cpu) { return cpu < NR_CPUS ? per_cpu_area[cpu].hwid : ~uint64_t{0}; }

unsigned next_online_cpu(int prev) {
  for (unsigned c = static_cast<unsigned>(prev + 1); c < NR_CPUS; ++c)
    if (cpu_online(c)) return c;
  return NR_CPUS;
}

void smp_reset_cpu_map() {
  for (unsigned i = 0; i < NR_CPUS; ++i) {
    const uint64_t overflow = per_cpu_area[i].overflow_stack_top;  // head.S's, for CPU 0
    per_cpu_area[i] = PerCpu{};
    per_cpu_area[i].overflow_stack_top = overflow;
    per_cpu_area[i].cpu = i;
  }
  __atomic_store_n(&g_online_mask, 0u, __ATOMIC_RELEASE);
  g_possible = 1;
}

void smp_parse_cmdline(const char* cmdline, SmpOptions* opt) {
  CmdlineParam p;
  if (cmdline_find(cmdline, "nosmp", &p)) {
    if (p.value)
      pr_warn("smp: nosmp takes no value (\"nosmp=%.*s\"); taken as nosmp\n", static_cast<int>(p.value_len), p.value);
    opt->nosmp = true;
    opt->nosmp_by = "nosmp";
  }
  if (cmdline_find(cmdline, "maxcpus", &p)) {
    unsigned n;
    if (!parse_uint(p, &n)) {
      pr_warn("smp: maxcpus=%.*s: not a number (expected maxcpus=N, N >= 0); ignored\n", static_cast<int>(p.value_len),
              p.value ? p.value : "");
    } else if (n == 0) {
      opt->nosmp = true;  // as Linux: maxcpus=0 disables SMP
      if (!*opt->nosmp_by) opt->nosmp_by = "maxcpus=0";
    } else {
      opt->maxcpus = n;
    }
  }
  if (cmdline_find(cmdline, "smp_test_stuck", &p)) {
    unsigned n;
    if (!parse_uint(p, &n) || n == 0 || n >= NR_CPUS)
      pr_warn("smp: smp_test_stuck=%.*s: expected a secondary CPU's logical number, 1..%d; ignored\n",
              static_cast<int>(p.value_len), p.value ? p.value : "", NR_CPUS - 1);
    else
      opt->stuck_cpu = static_cast<int>(n);
  }
}

unsigned smp_setup_cpu_map(const void* fdt, uint64_t boot_hwid, const SmpOptions& opt) {
  smp_reset_cpu_map();
  PerCpu& boot = per_cpu_area[0];
  boot.hwid = boot_hwid;
  snprintf(boot.dt_name, sizeof boot.dt_name, "?");
  set_cpu_state(0, CpuState::Online);
  set_cpu_online(0, true);

  // Room for more than NR_CPUS, so the ones past the limit can be named.
  constexpr int kMaxDt = 64;
  of::DtCpu dt[kMaxDt];
  int total = 0;
  Result<int> found = of::read_cpus(fdt, dt, kMaxDt, &total, report_bad_cpu, nullptr);
  if (!found) {
    char text[200];
    found.error().format(text, sizeof text);
    pr_warn("smp: %s: only the boot CPU runs\n", text);
    return 1;
  }
  const int n = found.value();
  int boot_index = -1;
  for (int i = 0; i < n; ++i)
    if (dt[i].hwid == boot_hwid && boot_index < 0) boot_index = i;  // a later duplicate is reported below
  if (boot_index < 0) {
    // Linux does the same: without the boot CPU in the tree, the numbering cannot be trusted.
    pr_warn("smp: the boot CPU (MPIDR 0x%010lx) is not in /cpus: no other CPU is started\n", boot_hwid);
    return 1;
  }
  snprintf(boot.dt_name, sizeof boot.dt_name, "%s", dt[boot_index].name);
  boot.method = opt.el3_pen                                               ? EnableMethod::El3Pen
                : dt[boot_index].method == of::CpuEnableMethod::Psci      ? EnableMethod::Psci
                : dt[boot_index].method == of::CpuEnableMethod::SpinTable ? EnableMethod::SpinTable
                                                                          : EnableMethod::None;
  unsigned next = 1, ignored = 0;
  const char* first_ignored = nullptr;
  for (int i = 0; i < n; ++i) {
    const of::DtCpu& c = dt[i];
    if (i == boot_index) continue;
    bool duplicate = false;
    for (int j = 0; j < i; ++j) duplicate |= dt[j].hwid == c.hwid;
    if (duplicate) {
      pr_warn("smp: %s: MPIDR 0x%010lx is listed twice in /cpus; skipped\n", c.name, c.hwid);
      continue;
    }
    if (next >= NR_CPUS) {
      if (!ignored++) first_ignored = c.name;
      continue;
    }
    EnableMethod method = EnableMethod::None;
    if (opt.el3_pen) {
      method = EnableMethod::El3Pen;  // nothing above the kernel implements the DT's method
    } else if (c.method == of::CpuEnableMethod::Missing) {
      pr_warn("smp: %s (MPIDR 0x%010lx): no enable-method in the device tree; skipped\n", c.name, c.hwid);
      continue;
    } else if (c.method == of::CpuEnableMethod::Other) {
      pr_warn("smp: %s (MPIDR 0x%010lx): enable-method \"%s\" is not supported (psci, spin-table); skipped\n", c.name,
              c.hwid, c.method_name);
      continue;
    } else if (c.method == of::CpuEnableMethod::Psci) {
      if (!opt.psci) {
        pr_warn("smp: %s (MPIDR 0x%010lx): enable-method psci, but no /psci node with a method (hvc, smc); skipped\n",
                c.name, c.hwid);
        continue;
      }
      method = EnableMethod::Psci;
    } else {
      if (!c.has_release_addr) {
        pr_warn("smp: %s (MPIDR 0x%010lx): enable-method spin-table without a 64-bit cpu-release-addr; skipped\n",
                c.name, c.hwid);
        continue;
      }
      if (c.release_addr & 7) {
        pr_warn("smp: %s (MPIDR 0x%010lx): cpu-release-addr 0x%lx is not 8-byte aligned; skipped\n", c.name, c.hwid,
                c.release_addr);
        continue;
      }
      method = EnableMethod::SpinTable;
    }
    PerCpu& pc = per_cpu_area[next];
    pc.hwid = c.hwid;
    pc.method = method;
    pc.release_addr = c.method == of::CpuEnableMethod::SpinTable && c.has_release_addr ? c.release_addr : 0;
    snprintf(pc.dt_name, sizeof pc.dt_name, "%s", c.name);
    ++next;
  }
  if (ignored) {
    const unsigned after = ignored - 1 + static_cast<unsigned>(total - n);  // read_cpus kept kMaxDt
    pr_warn("smp: the device tree lists %d CPUs; NR_CPUS is %d: %s and the %u after it are ignored\n", total, NR_CPUS,
            first_ignored, after);
  }
  g_possible = next;
  return next;
}

}  // namespace kernel
