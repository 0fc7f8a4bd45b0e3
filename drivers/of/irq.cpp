#include "drivers/of_irq.h"

#include "drivers/of/fdt_view.h"
#include "kernel/printk.h"

#include <libfdt.h>

// Every lookup goes through drivers/of's reader (drivers/of/fdt_view.h): a node's properties are
// read once, its ancestors' "interrupt-parent" come with the walk to it, and a phandle is found in
// one walk (libfdt's fdt_parent_offset and fdt_node_offset_by_phandle each rescan the tree).
namespace kernel::of {
namespace {

constexpr int kMaxDepth = fdt::kMaxDepth;  // as drivers/of/fdt.cpp: deeper than any real tree

void path_detail(const void* fdt, int node, char* buf, size_t len) {
  if (get_path(fdt, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
}

// #interrupt-cells of a controller, 0 when absent or unusable.
uint32_t interrupt_cells(const void* fdt, int controller) {
  int len = 0;
  auto* p = static_cast<const uint8_t*>(getprop(fdt, controller, "#interrupt-cells", &len));
  return p && len == 4 ? fdt::be32(p) : 0;
}

}  // namespace

int irq_find_parent(const void* fdt, int node) {
  // The node's own "interrupt-parent", then each ancestor's, nearest first: the node and at most
  // kMaxDepth of them.
  uint32_t phandle = 0;
  bool found = false, deep = false;
  const bool seen = fdt::at_node(fdt, node, [&](const fdt::Node& n, const fdt::Bus* stack) {
    fdt::Prop p = n.get(fdt::kInterruptParent);
    for (int level = n.depth, checked = 0; !(p && p.len == 4); ++checked) {
      if (!n.in_tree || level == 0 || checked == kMaxDepth) return;
      if (level > kMaxDepth + 1) {  // deeper than the walk keeps: libfdt's way below
        deep = true;
        return;
      }
      p = stack[--level].interrupt_parent;
    }
    phandle = fdt::be32(p.data);
    found = true;
  });
  if (seen && deep) {
    for (int depth = 0; node >= 0 && depth <= kMaxDepth; ++depth) {
      int len = 0;
      auto* p = static_cast<const uint8_t*>(getprop(fdt, node, "interrupt-parent", &len));
      if (p && len == 4) return node_by_phandle(fdt, fdt::be32(p));
      node = fdt_parent_offset(fdt, node);
    }
    return -FDT_ERR_NOTFOUND;
  }
  if (!seen) {  // not a node offset: libfdt's getprop on it finds nothing, nor a parent
    return -FDT_ERR_NOTFOUND;
  }
  return found ? node_by_phandle(fdt, phandle) : -FDT_ERR_NOTFOUND;
}

int irq_count(const void* fdt, int node) {
  int len = 0;
  if (!getprop(fdt, node, "interrupts", &len) || len <= 0) return 0;
  const int parent = irq_find_parent(fdt, node);
  const uint32_t cells = parent >= 0 ? interrupt_cells(fdt, parent) : 0;
  if (!cells || cells > IrqSpec::kMaxCells) return 0;
  return len / static_cast<int>(4 * cells);
}

Result<IrqSpec> irq_parse_one(const void* fdt, int node, int index) {
  int len = 0;
  auto* p = static_cast<const uint8_t*>(getprop(fdt, node, "interrupts", &len));
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
    spec.cells[i] = fdt::be32(p + 4 * (static_cast<uint32_t>(index) * spec.ncells + i));
  return spec;
}

const char* first_compatible(const void* fdt, int node) {
  int len = 0;
  const char* c = static_cast<const char*>(getprop(fdt, node, "compatible", &len));
  return c && len > 0 && c[len - 1] == '\0' ? c : "";
}

}  // namespace kernel::of
