// The /cpus node (include/drivers/of_cpus.h): reg as MPIDR affinity values, enable-method and
// cpu-release-addr, checked against what the binding allows.
#include "drivers/of_cpus.h"

#include "asm/sysreg_defs.h"
#include "drivers/of/fdt_view.h"
#include "kernel/string.h"

// One walk over the tree (drivers/of/fdt_view.h): /cpus and each of its children are read as the
// walk passes them.
namespace kernel::of {
namespace {

// reg of one CPU node: exactly #address-cells cells (#size-cells is 0), affinity fields only.
Result<uint64_t> cpu_reg(const fdt::Prop& reg, int ac) {
  if (!reg) return KERR(Errc::Invalid, "no \"reg\" (its MPIDR affinity value)");
  if (reg.len != ac * 4)
    return KERR(Errc::Invalid, "\"reg\" is %d bytes; /cpus #address-cells = %d asks for %d", reg.len, ac, ac * 4);
  const uint64_t hwid = fdt::read_cells(reg.data, static_cast<uint32_t>(ac));
  if (hwid & ~uint64_t{MPIDR_HWID_MASK})
    return KERR(Errc::Invalid, "\"reg\" 0x%lx has bits outside the MPIDR affinity fields (mask 0x%lx)", hwid,
                uint64_t{MPIDR_HWID_MASK});
  return hwid;
}

}  // namespace

Result<int> read_cpus(const void* fdt, DtCpu* out, int max, int* total, BadCpuFn bad, void* ctx) {
  *total = 0;
  fdt::View v;
  if (!v.init(fdt)) return KERR(Errc::NotFound, "the device tree has no /cpus node");
  int cpus = -1, ac = -1, sc = -1, n = 0;
  (void)fdt::Walker(v).run([&](const fdt::Node& node, const fdt::Bus* stack) {
    if (!node.in_tree || node.depth == 0) return true;
    if (node.depth == 1) {
      if (cpus >= 0) return false;  // /cpus and its children are behind: done
      if (!v.node_name_is(node.off, "cpus", 4)) return true;
      cpus = node.off;
      // The binding's own rule, not the DT spec's defaults: both must be there.
      const fdt::Prop a = node.get(fdt::kAddressCells), s = node.get(fdt::kSizeCells);
      ac = a && a.len == 4 ? static_cast<int>(fdt::be32(a.data)) : -1;
      sc = s && s.len == 4 ? static_cast<int>(fdt::be32(s.data)) : -1;
      return (ac == 1 || ac == 2) && sc == 0;
    }
    if (node.depth != 2 || stack[1].node != cpus) return true;
    const fdt::Prop type = node.get(fdt::kDeviceType);
    if (!type || type.len != 4 || memcmp(type.data, "cpu", 4) != 0) return true;
    int len = 0;
    const char* name = v.node_name(node.off, &len);
    Result<uint64_t> hwid = cpu_reg(node.get(fdt::kReg), ac);
    if (!hwid) {
      if (bad) bad(ctx, name, hwid.error());
      return true;
    }
    DtCpu c{node.off, name, hwid.value(), CpuEnableMethod::Missing, nullptr, false, 0};
    const fdt::Prop m = node.get(fdt::kEnableMethod);
    if (m && m.len > 0 && m.data[m.len - 1] == '\0') {
      c.method_name = m.str();
      c.method = strcmp(m.str(), "psci") == 0         ? CpuEnableMethod::Psci
                 : strcmp(m.str(), "spin-table") == 0 ? CpuEnableMethod::SpinTable
                                                      : CpuEnableMethod::Other;
    }
    const fdt::Prop rel = node.get(fdt::kCpuReleaseAddr);
    if (rel && (rel.len == 8 || rel.len == 4)) {  // two cells per the binding; one cell seen in old trees
      c.has_release_addr = true;
      c.release_addr = fdt::read_cells(rel.data, static_cast<uint32_t>(rel.len) / 4);
    }
    if (n < max) out[n++] = c;
    ++*total;
    return true;
  });
  if (cpus < 0) return KERR(Errc::NotFound, "the device tree has no /cpus node");
  if ((ac != 1 && ac != 2) || sc != 0)
    return KERR(Errc::Invalid, "/cpus has #address-cells = %d, #size-cells = %d; the binding asks for 1 or 2, and 0",
                ac, sc);
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
