// Boot policy: memblock filled from what the device tree describes (drivers/of reads the tree,
// mm/memblock keeps the ranges): every memory node's reg cells, minus the kernel image, the DTB,
// the tree's reservations (no-map ones leave the linear map too) and the spin-table release
// addresses. Compiled for the host too, so the tests and tools/dtb-probe run this very policy.
#include "asm/memory.h"
#include "drivers/of.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/setup.h"
#include "mm/memblock.h"

namespace kernel {

bool memblock_init_from_fdt(const void* fdt, PhysAddr kernel_phys, uint64_t kernel_size, PhysAddr dtb_phys,
                            uint64_t dtb_size) {
  // The DT spec defaults (2 and 1) apply when the root lacks the cell sizes; say so, since a tree
  // written for other defaults then reads as nonsense.
  if (!of::getprop(fdt, 0, "#address-cells"))
    pr_warn("fdt: / has no #address-cells; using the devicetree specification's default of 2\n");
  if (!of::getprop(fdt, 0, "#size-cells"))
    pr_warn("fdt: / has no #size-cells; using the devicetree specification's default of 1\n");
  // One pass: every memory node whose reg cannot be read is reported (whatever its status), and
  // the enabled ones' regions collected.
  of::Region r[MemblockType::kMax];
  of::Scan mem;
  mem.memory = r;
  mem.memory_max = MemblockType::kMax;
  mem.bad_memory = [](const char*, const Error& why) {
    char text[200];
    why.format(text, sizeof text);
    pr_err("memblock: memory node ignored: %s\n", text);
  };
  (void)of::scan(fdt, &mem);
  const int n = mem.memory_count, total = mem.memory_total;
  if (total > n) pr_warn("memblock: %d memory regions in the device tree, only %d used\n", total, n);
  for (int i = 0; i < n; ++i) {
    if (r[i].size)
      pr_info("Memory: DT memory range %d: [mem 0x%016lx-0x%016lx] %lu MiB\n", i, r[i].base, r[i].base + r[i].size - 1,
              r[i].size >> 20);
    (void)memblock_add(PhysAddr(r[i].base), r[i].size, "DT memory");  // a bad range is reported, the rest used
  }
  // The linear map covers 128 TiB of physical addresses (PAGE_OFFSET..LINEAR_MAP_END): RAM above
  // that cannot be mapped there (it would land on the kernel image, vmalloc and the fixmap), so it
  // is not memory to this kernel (Linux's arm64_memblock_init does the same).
  constexpr PhysAddr kLinearLimit(LINEAR_MAP_END - PAGE_OFFSET);
  if (const PhysAddr end = memblock_end_of_DRAM(); end > kLinearLimit) {
    pr_warn("memblock: RAM above 0x%016lx (the 128 TiB the linear map covers) ignored: [0x%016lx-0x%016lx]\n",
            kLinearLimit.value(), kLinearLimit.value(), end.value() - 1);
    memblock_remove(kLinearLimit, end - kLinearLimit);
  }
  if (!memblock.memory.count()) {
    pr_err("memblock: the device tree describes no usable memory (no memory node, or every region empty)\n");
    return false;
  }
  // memblock reports what it cannot take; boot goes on with what it could.
  (void)memblock_reserve(kernel_phys, kernel_size, "kernel image");
  (void)memblock_reserve(dtb_phys, dtb_size, "device tree");

  of::Reservation res[MemblockType::kMax];
  int total_res = 0;
  const int nres = of::reservations(fdt, res, MemblockType::kMax, &total_res, [](const char* node, const Error& why) {
    char text[200];
    why.format(text, sizeof text);
    pr_warn("Reserved memory: %s: %s\n", node, text);
  });
  if (total_res > nres) pr_warn("memblock: %d reservations in the device tree, only %d used\n", total_res, nres);
  for (int i = 0; i < nres; ++i) {
    const of::Reservation& rsv = res[i];
    pr_info("Reserved memory: %s [0x%016lx-0x%016lx]%s\n", rsv.name, rsv.region.base,
            rsv.region.base + rsv.region.size - 1, rsv.nomap ? " no-map" : "");
    if (rsv.nomap) memblock_mark_nomap(PhysAddr(rsv.region.base), rsv.region.size);
    (void)memblock_reserve(PhysAddr(rsv.region.base), rsv.region.size, rsv.name);
  }
  // Spin-table release addresses: secondary CPUs poll them, so their page must never be reused.
  of::SpinTableCpu st[16];
  int nst = of::spin_table_cpus(fdt, st, 16);
  for (int i = 0; i < nst; ++i) (void)memblock_reserve(PhysAddr(st[i].release_addr), 8, "spin-table release address");
  return true;
}

}  // namespace kernel
