// The /cpus node (include/drivers/of_cpus.h): reg as MPIDR affinity values, enable-method and
// cpu-release-addr, checked against what the binding allows.
#include "drivers/of_cpus.h"

#include "asm/sysreg_defs.h"
#include "kernel/string.h"

#include <libfdt.h>

namespace kernel::of {
namespace {

uint64_t read_cells(const fdt32_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
  return v;
}

bool is_cpu_node(const void* fdt, int node) {
  int len = 0;
  const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", &len));
  return type && len == 4 && memcmp(type, "cpu", 4) == 0;
}

// reg of one CPU node: exactly #address-cells cells (#size-cells is 0), affinity fields only.
Result<uint64_t> cpu_reg(const void* fdt, int node, int ac) {
  int len = 0;
  auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  if (!reg) return KERR(Errc::Invalid, "no \"reg\" (its MPIDR affinity value)");
  if (len != ac * 4)
    return KERR(Errc::Invalid, "\"reg\" is %d bytes; /cpus #address-cells = %d asks for %d", len, ac, ac * 4);
  const uint64_t hwid = read_cells(reg, ac);
  if (hwid & ~uint64_t{MPIDR_HWID_MASK})
    return KERR(Errc::Invalid, "\"reg\" 0x%lx has bits outside the MPIDR affinity fields (mask 0x%lx)", hwid,
                uint64_t{MPIDR_HWID_MASK});
  return hwid;
}

}  // namespace

Result<int> read_cpus(const void* fdt, DtCpu* out, int max, int* total, BadCpuFn bad, void* ctx) {
  *total = 0;
  const int cpus = fdt_path_offset(fdt, "/cpus");
  if (cpus < 0) return KERR(Errc::NotFound, "the device tree has no /cpus node");
  int len = 0;
  auto* acp = static_cast<const fdt32_t*>(fdt_getprop(fdt, cpus, "#address-cells", &len));
  const int ac = acp && len == 4 ? static_cast<int>(fdt32_to_cpu(*acp)) : -1;
  auto* scp = static_cast<const fdt32_t*>(fdt_getprop(fdt, cpus, "#size-cells", &len));
  const int sc = scp && len == 4 ? static_cast<int>(fdt32_to_cpu(*scp)) : -1;
  if ((ac != 1 && ac != 2) || sc != 0)
    return KERR(Errc::Invalid, "/cpus has #address-cells = %d, #size-cells = %d; the binding asks for 1 or 2, and 0",
                ac, sc);
  int n = 0;
  for (int node = fdt_first_subnode(fdt, cpus); node >= 0; node = fdt_next_subnode(fdt, node)) {
    if (!is_cpu_node(fdt, node)) continue;
    const char* name = fdt_get_name(fdt, node, nullptr);
    Result<uint64_t> hwid = cpu_reg(fdt, node, ac);
    if (!hwid) {
      if (bad) bad(ctx, name, hwid.error());
      continue;
    }
    DtCpu c{node, name, hwid.value(), CpuEnableMethod::Missing, nullptr, false, 0};
    int mlen = 0;
    const char* m = static_cast<const char*>(fdt_getprop(fdt, node, "enable-method", &mlen));
    if (m && mlen > 0 && m[mlen - 1] == '\0') {
      c.method_name = m;
      c.method = strcmp(m, "psci") == 0         ? CpuEnableMethod::Psci
                 : strcmp(m, "spin-table") == 0 ? CpuEnableMethod::SpinTable
                                                : CpuEnableMethod::Other;
    }
    int rlen = 0;
    auto* rel = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "cpu-release-addr", &rlen));
    if (rel && (rlen == 8 || rlen == 4)) {  // two cells per the binding; one cell seen in old trees
      c.has_release_addr = true;
      c.release_addr = read_cells(rel, rlen / 4);
    }
    if (n < max) out[n++] = c;
    ++*total;
  }
  return n;
}

const char* cpu_enable_method_name(const DtCpu& c) {
  switch (c.method) {
    case CpuEnableMethod::Psci: return "psci";
    case CpuEnableMethod::SpinTable: return "spin-table";
    case CpuEnableMethod::Other: return c.method_name;
    case CpuEnableMethod::Missing: break;
  }
  return "none";
}

}  // namespace kernel::of
