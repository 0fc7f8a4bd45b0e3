// Finding the GIC in the device tree (arm,gic.yaml and arm,gic-v3.yaml bindings): which
// architecture version, where its register frames are as CPU physical addresses (through every
// parent's "ranges", e.g. the Raspberry Pi 4's /soc), and, when the tree has no supported GIC,
// what interrupt controller it has instead. Pure functions of the blob: the kernel's irqchip
// layer and the host tests (tests/host/test_irq.cpp) call them.
#pragma once

#include <stdint.h>

#include "drivers/of.h"
#include "kernel/error.h"

namespace kernel::irqchip {

enum class GicVersion : uint8_t { V2 = 2, V3 = 3 };

struct GicOfInfo {
  static constexpr unsigned kMaxRedistRegions = 8;
  GicVersion version = GicVersion::V2;
  int node = -1;
  const char* compatible = "";  // the compatible string that matched
  const char* model = "";       // what the log calls it: "GIC-400", "Cortex-A15 GIC", "GICv3"
  of::Region dist{};            // distributor (GICD)
  of::Region cpu{};             // GICv2: CPU interface (GICC); GICv3 uses system registers
  unsigned nr_redist_regions = 0;
  of::Region redist[kMaxRedistRegions]{};  // GICv3: redistributor regions (GICR)
  uint64_t redist_stride = 0;              // "redistributor-stride"; 0: from GICR_TYPER
};

// The GIC the kernel drives: the controller the arm,armv8-timer's interrupts go to when it is a
// supported GIC, else the root's interrupt-parent, else the first enabled supported GIC node.
// Supported: arm,gic-v3 (GICv3/v4), arm,gic-400, arm,cortex-a15-gic and arm,cortex-a7-gic (GICv2).
// Errc::NotFound when there is none, its message naming what the tree has instead
// ("no supported interrupt controller in the device tree (found brcm,bcm2836-l1-intc)");
// Errc::Invalid, naming the node, when a GIC's reg is unusable.
Result<GicOfInfo> gic_of_probe(const void* fdt);

// Whether `node` is an enabled GIC this kernel drives (its interrupt specifiers are <type number
// flags>, gic::dt_intid).
bool gic_of_is_supported(const void* fdt, int node);

// The interrupt controller a tree without a supported GIC has, for that message: the first
// compatible of the timer's interrupt-parent, else of the root's, else of the first node with an
// "interrupt-controller" property; "none" when there is no controller at all.
const char* of_describe_interrupt_controller(const void* fdt);

}  // namespace kernel::irqchip
