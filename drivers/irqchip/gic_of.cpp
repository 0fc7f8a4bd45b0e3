#include "drivers/irqchip/gic_of.h"

#include "drivers/of_irq.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#include <libfdt.h>

namespace kernel::irqchip {
namespace {

struct GicCompat {
  const char* compatible;
  GicVersion version;
  const char* model;
};
constexpr GicCompat kGics[] = {
    {"arm,gic-v3", GicVersion::V3, "GICv3"},
    {"arm,gic-400", GicVersion::V2, "GIC-400"},
    {"arm,cortex-a15-gic", GicVersion::V2, "Cortex-A15 GIC"},
    {"arm,cortex-a7-gic", GicVersion::V2, "Cortex-A7 GIC"},
};

void path_detail(const void* fdt, int node, char* buf, size_t len) {
  if (fdt_get_path(fdt, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
}

const GicCompat* supported(const void* fdt, int node) {
  if (node < 0 || !of::node_is_enabled(fdt, node) || !fdt_getprop(fdt, node, "interrupt-controller", nullptr))
    return nullptr;
  for (const GicCompat& g : kGics)
    if (of::node_is_compatible(fdt, node, g.compatible)) return &g;
  return nullptr;
}

constexpr const char* kTimerCompat[] = {"arm,armv8-timer", "arm,armv7-timer"};  // the Pi 3's says armv7

int timer_node(const void* fdt) {
  for (const char* c : kTimerCompat) {
    for (int n = fdt_node_offset_by_compatible(fdt, -1, c); n >= 0; n = fdt_node_offset_by_compatible(fdt, n, c))
      if (of::node_is_enabled(fdt, n)) return n;
  }
  return -1;
}

// The controllers worth naming, in order of preference (see gic_of_probe).
int candidate(const void* fdt, int which) {
  if (which == 0) {
    const int t = timer_node(fdt);
    return t >= 0 ? of::irq_find_parent(fdt, t) : -1;
  }
  return of::irq_find_parent(fdt, 0);  // the root's
}

Result<of::Region> reg(const void* fdt, int node, int index, const char* what) {
  const of::Region r = TRY(of::node_cpu_address(fdt, node, index));  // its errors name the node
  if (r.size == 0)
    return KERR(Errc::Invalid, "%s: reg entry %d (%s) has size 0", Error::detail(), index, what)
        .with_detail(path_detail, fdt, node);
  return r;
}

Result<GicOfInfo> describe(const void* fdt, int node, const GicCompat& g) {
  GicOfInfo info;
  info.version = g.version;
  info.node = node;
  info.compatible = g.compatible;
  info.model = g.model;
  info.dist = TRY(reg(fdt, node, 0, "distributor"));
  if (g.version == GicVersion::V2) {
    info.cpu = TRY(reg(fdt, node, 1, "CPU interface"));
    return info;
  }
  int len = 0;
  auto* n = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "#redistributor-regions", &len));
  const uint32_t regions = n && len == 4 ? fdt32_to_cpu(*n) : 1;
  if (regions == 0 || regions > GicOfInfo::kMaxRedistRegions)
    return KERR(Errc::Invalid, "%s: #redistributor-regions = %u (this kernel handles 1..%u)", Error::detail(), regions,
                GicOfInfo::kMaxRedistRegions)
        .with_detail(path_detail, fdt, node);
  info.nr_redist_regions = regions;
  for (uint32_t i = 0; i < regions; ++i)
    info.redist[i] = TRY(reg(fdt, node, static_cast<int>(1 + i), "redistributors"));
  auto* s = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "redistributor-stride", &len));
  if (s && len == 8)
    info.redist_stride = uint64_t{fdt32_to_cpu(s[0])} << 32 | fdt32_to_cpu(s[1]);
  else if (s && len == 4)
    info.redist_stride = fdt32_to_cpu(s[0]);
  if (info.redist_stride % 0x10000)
    return KERR(Errc::Invalid, "%s: redistributor-stride 0x%lx is not a multiple of 64 KiB", Error::detail(),
                info.redist_stride)
        .with_detail(path_detail, fdt, node);
  return info;
}

}  // namespace

Result<GicOfInfo> gic_of_probe(const void* fdt) {
  for (int which = 0; which < 2; ++which) {
    const int node = candidate(fdt, which);
    if (const GicCompat* g = supported(fdt, node)) return describe(fdt, node, *g);
  }
  for (const GicCompat& g : kGics) {
    for (int n = fdt_node_offset_by_compatible(fdt, -1, g.compatible); n >= 0;
         n = fdt_node_offset_by_compatible(fdt, n, g.compatible))
      if (supported(fdt, n)) return describe(fdt, n, g);
  }
  return KERR(Errc::NotFound, "no supported interrupt controller in the device tree (found %s)",
              of_describe_interrupt_controller(fdt));
}

bool gic_of_is_supported(const void* fdt, int node) { return supported(fdt, node) != nullptr; }

const char* of_describe_interrupt_controller(const void* fdt) {
  for (int which = 0; which < 2; ++which) {
    const int node = candidate(fdt, which);
    if (node >= 0 && *of::first_compatible(fdt, node)) return of::first_compatible(fdt, node);
  }
  for (int n = fdt_next_node(fdt, -1, nullptr); n >= 0; n = fdt_next_node(fdt, n, nullptr))
    if (fdt_getprop(fdt, n, "interrupt-controller", nullptr) && *of::first_compatible(fdt, n))
      return of::first_compatible(fdt, n);
  return "none";
}

}  // namespace kernel::irqchip
