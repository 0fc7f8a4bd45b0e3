// Interrupts in the device tree (Linux's of_irq): which controller a node's interrupts go to and
// the cells of each "interrupts" entry, as the Devicetree Specification's "Interrupts and
// Interrupt Mapping" chapter defines them. What the cells mean belongs to the controller's own
// binding (the GIC's: drivers/irqchip/arm_gic.h, gic::dt_intid). Pure functions of the blob,
// compiled for the kernel and the host tests.
#pragma once

#include <stdint.h>

#include "kernel/error.h"

namespace kernel::of {

// The interrupt controller `node`'s interrupts go to: the "interrupt-parent" phandle of the node
// or of its nearest ancestor that has one. < 0 when there is none.
int irq_find_parent(const void* fdt, int node);

// One "interrupts" entry: its controller and #interrupt-cells cells.
struct IrqSpec {
  static constexpr unsigned kMaxCells = 4;
  int controller = -1;
  uint32_t ncells = 0;
  uint32_t cells[kMaxCells] = {};
};

// Entries in `node`'s "interrupts" (0 when it has none, or no controller to size them by).
int irq_count(const void* fdt, int node);
// The index-th entry of `node`'s "interrupts". Errc::NotFound past the last entry; Errc::Invalid
// (naming the node) when the controller is missing or its #interrupt-cells unusable.
Result<IrqSpec> irq_parse_one(const void* fdt, int node, int index);

// The first "compatible" string of `node` ("" when it has none).
const char* first_compatible(const void* fdt, int node);

}  // namespace kernel::of
