// Filling memblock from the device tree: every memory node's reg cells, minus the kernel image,
// the DTB, /memreserve/ entries and /reserved-memory children (no-map ones leave the linear map).
#include <libfdt.h>

#include "drivers/of.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/memblock.h"

namespace kernel {

bool memblock_init_from_fdt(const void* fdt, PhysAddr kernel_phys, uint64_t kernel_size, PhysAddr dtb_phys,
                            uint64_t dtb_size) {
  // The DT spec defaults (2 and 1) apply when the root lacks the cell sizes; say so, since a tree
  // written for other defaults then reads as nonsense.
  if (!fdt_getprop(fdt, 0, "#address-cells", nullptr))
    pr_warn("fdt: / has no #address-cells; using the devicetree specification's default of 2\n");
  if (!fdt_getprop(fdt, 0, "#size-cells", nullptr))
    pr_warn("fdt: / has no #size-cells; using the devicetree specification's default of 1\n");
  for (int node = fdt_first_subnode(fdt, 0); node >= 0; node = fdt_next_subnode(fdt, node)) {
    const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", nullptr));
    if (!type || strcmp(type, "memory") != 0) continue;
    of::Region first;
    char err[160];
    if (!of::read_reg(fdt, node, 0, &first, err, sizeof err)) pr_err("memblock: memory node ignored: %s\n", err);
  }
  of::Region r[MemblockType::kMax];
  int total = 0;
  int n = of::memory_regions(fdt, r, MemblockType::kMax, &total);
  if (total > n) pr_warn("memblock: %d memory regions in the device tree, only %d used\n", total, n);
  for (int i = 0; i < n; ++i) {
    if (r[i].size) pr_info("Memory: DT memory range %d: [mem 0x%016lx-0x%016lx] %lu MiB\n", i, r[i].base,
                           r[i].base + r[i].size - 1, r[i].size >> 20);
    memblock_add(r[i].base, r[i].size, "DT memory");
  }
  if (!memblock.memory.count()) {
    pr_err("memblock: the device tree describes no usable memory (no memory node, or every region empty)\n");
    return false;
  }
  memblock_reserve(kernel_phys.value(), kernel_size, "kernel image");
  memblock_reserve(dtb_phys.value(), dtb_size, "device tree");

  int count = fdt_num_mem_rsv(fdt);
  for (int i = 0; i < count; ++i) {
    uint64_t a, s;
    if (fdt_get_mem_rsv(fdt, i, &a, &s) != 0) break;
    pr_info("Reserved memory: /memreserve/ [0x%016lx-0x%016lx]\n", a, a + s - 1);
    memblock_reserve(a, s, "/memreserve/");
  }
  // Spin-table release addresses: secondary CPUs poll them, so their page must never be reused.
  of::SpinTableCpu st[16];
  int nst = of::spin_table_cpus(fdt, st, 16);
  for (int i = 0; i < nst; ++i) memblock_reserve(st[i].release_addr, 8, "spin-table release address");
  int rm = fdt_path_offset(fdt, "/reserved-memory");
  if (rm >= 0) {
    for (int node = fdt_first_subnode(fdt, rm); node >= 0; node = fdt_next_subnode(fdt, node)) {
      if (!of::node_is_enabled(fdt, node)) continue;
      bool nomap = fdt_getprop(fdt, node, "no-map", nullptr) != nullptr;
      const char* name = fdt_get_name(fdt, node, nullptr);
      for (int i = 0;; ++i) {
        of::Region reg;
        char err[128];
        if (!of::read_reg(fdt, node, i, &reg, err, sizeof err)) {
          if (i == 0 && fdt_getprop(fdt, node, "reg", nullptr))
            pr_warn("Reserved memory: %s: %s\n", name, err);
          break;
        }
        if (!reg.size) continue;
        pr_info("Reserved memory: %s [0x%016lx-0x%016lx]%s\n", name, reg.base, reg.base + reg.size - 1,
                nomap ? " no-map" : "");
        if (nomap) memblock_mark_nomap(reg.base, reg.size);
        memblock_reserve(reg.base, reg.size, name);
      }
    }
  }
  return true;
}

}  // namespace kernel
