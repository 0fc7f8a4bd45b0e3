#include "drivers/of_irq.h"

#include "kernel/printk.h"

#include <libfdt.h>

namespace kernel::of {
namespace {

constexpr int kMaxDepth = 32;  // as drivers/of/fdt.cpp: deeper than any real tree

void path_detail(const void* fdt, int node, char* buf, size_t len) {
  if (fdt_get_path(fdt, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
}

// #interrupt-cells of a controller, 0 when absent or unusable.
uint32_t interrupt_cells(const void* fdt, int controller) {
  int len = 0;
  auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, controller, "#interrupt-cells", &len));
  return p && len == 4 ? fdt32_to_cpu(*p) : 0;
}

}  // namespace

int irq_find_parent(const void* fdt, int node) {
  for (int depth = 0; node >= 0 && depth <= kMaxDepth; ++depth) {
    int len = 0;
    auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "interrupt-parent", &len));
    if (p && len == 4) return fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(*p));
    node = fdt_parent_offset(fdt, node);
  }
  return -FDT_ERR_NOTFOUND;
}

int irq_count(const void* fdt, int node) {
  int len = 0;
  if (!fdt_getprop(fdt, node, "interrupts", &len) || len <= 0) return 0;
  const int parent = irq_find_parent(fdt, node);
  const uint32_t cells = parent >= 0 ? interrupt_cells(fdt, parent) : 0;
  if (!cells || cells > IrqSpec::kMaxCells) return 0;
  return len / static_cast<int>(4 * cells);
}

Result<IrqSpec> irq_parse_one(const void* fdt, int node, int index) {
  int len = 0;
  auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "interrupts", &len));
  if (!p || len <= 0)
    return KERR(Errc::NotFound, "%s: no \"interrupts\" property", Error::detail()).with_detail(path_detail, fdt, node);
  IrqSpec spec;
  spec.controller = irq_find_parent(fdt, node);
  if (spec.controller < 0)
    return KERR(Errc::Invalid, "%s: \"interrupts\" but no interrupt-parent in the node or above it", Error::detail())
        .with_detail(path_detail, fdt, node);
  spec.ncells = interrupt_cells(fdt, spec.controller);
  if (!spec.ncells || spec.ncells > IrqSpec::kMaxCells)
    return KERR(Errc::Invalid, "%s: its interrupt controller has #interrupt-cells %u (expected 1..4)", Error::detail(),
                spec.ncells)
        .with_detail(path_detail, fdt, node);
  const int count = len / static_cast<int>(4 * spec.ncells);
  if (index < 0 || index >= count)
    return KERR(Errc::NotFound, "%s: \"interrupts\" has %d entries, no entry %d", Error::detail(), count, index)
        .with_detail(path_detail, fdt, node);
  for (uint32_t i = 0; i < spec.ncells; ++i)
    spec.cells[i] = fdt32_to_cpu(p[static_cast<uint32_t>(index) * spec.ncells + i]);
  return spec;
}

const char* first_compatible(const void* fdt, int node) {
  int len = 0;
  const char* c = static_cast<const char*>(fdt_getprop(fdt, node, "compatible", &len));
  return c && len > 0 && c[len - 1] == '\0' ? c : "";
}

}  // namespace kernel::of
