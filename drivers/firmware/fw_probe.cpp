// Firmware interfaces read before the linear map exists, through early_ioremap/early_memremap:
//  - QEMU's fw_cfg device (DT "qemu,fw-cfg-mmio"): signature, feature bits and the file directory;
//  - spin-table CPU release addresses (DT enable-method "spin-table", e.g. the Raspberry Pi).
#include <libfdt.h>

#include "asm/arch.h"
#include "drivers/of.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "mm/early_ioremap.h"

namespace kernel {
namespace {

// fw_cfg MMIO layout (QEMU docs/specs/fw_cfg.rst): data at +0, selector (big-endian 16-bit) at +8.
constexpr uint16_t FW_CFG_SIGNATURE = 0x0000, FW_CFG_ID = 0x0001, FW_CFG_FILE_DIR = 0x0019;

struct FwCfg {
  volatile uint8_t* base;
  void select(uint16_t key) {
    *reinterpret_cast<volatile uint16_t*>(base + 8) = static_cast<uint16_t>((key >> 8) | (key << 8));
  }
  void read(void* out, unsigned n) {
    auto* o = static_cast<uint8_t*>(out);
    for (unsigned i = 0; i < n; ++i) o[i] = base[0];
  }
  uint32_t read_be32() {
    uint8_t b[4];
    read(b, 4);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
};

void probe_fw_cfg(const void* fdt) {
  int node = fdt_node_offset_by_compatible(fdt, -1, "qemu,fw-cfg-mmio");
  if (node < 0) return;
  Result<of::Region> found = of::node_cpu_address(fdt, node, 0);
  if (!found) {
    char why[200];
    found.error().format(why, sizeof why);
    pr_warn("fw_cfg: %s\n", why);
    return;
  }
  const of::Region r = found.value();
  void* p = early_ioremap(PhysAddr(r.base), r.size ? r.size : 0x18);
  if (!p) return;
  FwCfg fw{static_cast<volatile uint8_t*>(p)};
  char sig[5] = {};
  fw.select(FW_CFG_SIGNATURE);
  fw.read(sig, 4);
  uint32_t features = 0;
  fw.select(FW_CFG_ID);
  fw.read(&features, 4);
  uint32_t files = 0;
  if (memcmp(sig, "QEMU", 4) == 0) {
    fw.select(FW_CFG_FILE_DIR);
    files = fw.read_be32();
  }
  pr_info("fw_cfg: MMIO 0x%lx via early_ioremap at %p: signature \"%s\", features 0x%x, %u files\n", r.base, p, sig,
          features, files);
  early_iounmap(p, r.size ? r.size : 0x18);
}

void probe_spin_tables(const void* fdt) {
  of::SpinTableCpu st[16];
  int n = of::spin_table_cpus(fdt, st, 16);
  for (int i = 0; i < n; ++i) {
    uint64_t value = 0;
    if (!copy_from_early_mem(&value, PhysAddr(st[i].release_addr), sizeof value)) continue;
    // After an EL3 entry no firmware polls it: the CPU waits in the kernel's holding pen instead.
    pr_info("smp: %s: spin-table release address 0x%lx holds 0x%lx (%s)\n", st[i].name, st[i].release_addr, value,
            boot_info.entry_el == 3 ? "not used: entered at EL3, the CPU waits in the kernel's pen"
                                    : "the CPU waits in firmware for smp_init");
  }
}

}  // namespace

void firmware_probe(const void* fdt) {
  probe_fw_cfg(fdt);
  probe_spin_tables(fdt);
}

}  // namespace kernel
