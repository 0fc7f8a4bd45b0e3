// The generic timer's device-tree node (pure: compiled for the kernel and the host tests).
#include "drivers/arm_arch_timer.h"

#include "drivers/irqchip/arm_gic.h"
#include "drivers/irqchip/gic_of.h"
#include "drivers/of.h"
#include "drivers/of_irq.h"
#include "kernel/printk.h"

#include <libfdt.h>

namespace kernel {
namespace {

constexpr const char* kTimerCompat[] = {"arm,armv8-timer", "arm,armv7-timer"};

void path_detail(const void* fdt, int node, char* buf, size_t len) {
  if (fdt_get_path(fdt, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
}

}  // namespace

const char* arch_timer_ppi_name(ArchTimerPpi which) {
  switch (which) {
    case ARCH_TIMER_PHYS_SECURE_PPI: return "secure physical";
    case ARCH_TIMER_PHYS_NONSECURE_PPI: return "physical";
    case ARCH_TIMER_VIRT_PPI: return "virtual";
    case ARCH_TIMER_HYP_PPI: return "EL2 physical";
    case ARCH_TIMER_HYP_VIRT_PPI: return "EL2 virtual";
    case ARCH_TIMER_MAX_TIMER_PPI: break;
  }
  return "?";
}

Result<ArchTimerOfInfo> arch_timer_of_probe(const void* fdt) {
  ArchTimerOfInfo info;
  for (const char* c : kTimerCompat) {  // the Pi 3's tree says armv7
    for (int n = fdt_node_offset_by_compatible(fdt, -1, c); n >= 0 && info.node < 0;
         n = fdt_node_offset_by_compatible(fdt, n, c))
      if (of::node_is_enabled(fdt, n)) info.node = n;
  }
  if (info.node < 0) return KERR(Errc::NotFound, "no arm,armv8-timer node in the device tree");
  info.clock_frequency = of::timer_clock_frequency(fdt);
  const int count = of::irq_count(fdt, info.node);
  for (int i = 0; i < count && i < static_cast<int>(ARCH_TIMER_MAX_TIMER_PPI); ++i) {
    const of::IrqSpec spec = TRY(of::irq_parse_one(fdt, info.node, i));
    if (!irqchip::gic_of_is_supported(fdt, spec.controller) || spec.ncells < 2)
      return KERR(Errc::Invalid, "%s: its interrupts go to %s, not to a GIC", Error::detail(),
                  of::first_compatible(fdt, spec.controller))
          .with_detail(path_detail, fdt, info.node);
    if (spec.cells[0] != gic::kDtPpi)
      return KERR(Errc::Invalid, "%s: interrupt %d is not a PPI (<%u %u ...>): a timer is private to its CPU",
                  Error::detail(), i, spec.cells[0], spec.cells[1])
          .with_detail(path_detail, fdt, info.node);
    info.intid[i] = TRY(gic::dt_intid(spec.cells[0], spec.cells[1]));
    info.nr_ppis = static_cast<unsigned>(i + 1);
  }
  return info;
}

int arch_timer_format_rate(char* buf, size_t len, uint64_t hz) {
  return snprintf(buf, len, "%lu.%02luMHz", hz / 1000000, (hz / 10000) % 100);
}

}  // namespace kernel
