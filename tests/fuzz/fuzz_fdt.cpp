// libFuzzer target: the kernel's device-tree discovery on arbitrary bytes, exactly as boot uses
// it: fixmap_remap_fdt() on a simulated arena first (header and size checks), then the one-pass
// scan and earlycon selection on a blob whose structure block nobody has checked yet (the boot
// brings its console up before fdt_check_full), the other readers likewise, and, once the
// structure check passed, memblock. The first input byte picks a command line.
#include <cstring>

#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "kernel/printk.h"
#include "mm/fixmap.h"
#include "kernel/setup.h"
#include "mm/memblock.h"
#include "sim_mmu.h"

using namespace kernel;
using namespace kernel::test;

namespace {

constexpr uint64_t kBase = 0x40000000, kSize = 8 << 20, kDtb = kBase + (1 << 20);

struct World {
  SimArena arena{kBase, kSize};
  RecordingMmuOps mmu{arena};
  Fixmap fm{mmu};
  World() {
    PhysAddr pgd = arena.alloc_page();
    mmu.ttbr1 = pgd;
    FixmapTables t;
    t.pud = arena.alloc_page();
    t.pmd = arena.alloc_page();
    for (auto& p : t.pte) p = arena.alloc_page();
    if (fm.init(pgd, t) != Errc::Ok) __builtin_trap();
    fixmap_install(&fm);
  }
};

const char* const kCmdlines[] = {"",
                                 "earlycon",
                                 "earlycon=pl011,0x9000000",
                                 "earlycon=pl011,mmio32,0xfe201000,115200n8",
                                 "earlycon=pl011,",
                                 "earlycon=uart8250,0x1",
                                 "earlycon=pl011,0xffffffffffffffff"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  if (size < 1 || size > (2u << 20)) return 0;
  const char* cmdline = kCmdlines[data[0] % (sizeof kCmdlines / sizeof *kCmdlines)];
  ++data, --size;
  uint8_t* dst = w.arena.ptr(PhysAddr(kDtb));
  std::memset(dst, 0, 2u << 20);
  std::memcpy(dst, data, size);
  log_buffer_reset();
  w.mmu.ops.clear();
  Result<FdtWindow> mapped = fixmap_remap_fdt(PhysAddr(kDtb), PAGE_KERNEL_RO);
  Status valid = mapped ? of::check_header(w.mmu.access(mapped.value().va, mapped.value().size), PhysAddr(kDtb))
                        : Status(mapped.error());
  if (!valid) {
    char why[256];
    if (valid.error().format(why, sizeof why) <= 0) __builtin_trap();  // every refusal must say why
    return 0;
  }
  const FdtWindow m = mapped.value();
  if (m.size > size + (2u << 20)) __builtin_trap();
  const void* fdt = w.mmu.access(m.va, m.size);
  if (!fdt) __builtin_trap();
  of::ScanWithRoom<0, 0> scan;
  (void)of::scan(fdt, &scan);
  EarlyconChoice c = earlycon_select(scan, cmdline);
  char text[320];
  if (!c.found && c.format_error(text, sizeof text) <= 0) __builtin_trap();  // no console must come with a reason
  if (c.found && c.format_source(text, sizeof text) <= 0) __builtin_trap();  // nor a console without its source
  c.format_warning(text, sizeof text);  // the messages format whatever the tree holds
  of::Region r[16];
  int total;
  of::memory_regions(fdt, r, 16, &total);
  of::Reservation res[16];
  of::reservations(fdt, res, 16, &total);
  of::SpinTableCpu st[8];
  of::spin_table_cpus(fdt, st, 8);
  of::psci_conduit(fdt);
  of::machine_model(fdt);
  of::bootargs(fdt);
  if (!of::check_structure(fdt, m.size, PhysAddr(kDtb))) return 0;
  memblock_reset();
  memblock_init_from_fdt(fdt, PhysAddr(0x40200000), 0x100000, PhysAddr(kDtb), m.size);
  PhysAddr cursor, s, e;
  while (memblock_next_free_range(&cursor, &s, &e))
    if (e <= s) __builtin_trap();
  return 0;
}
