// start_kernel: the C++ side of boot. Each step uses the fixmap until the next one exists.
#include "asm/sections.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/ipi.h"
#include "asm/irqflags.h"
#include "asm/semihosting.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/arm_arch_timer.h"
#include "drivers/earlycon.h"
#include "drivers/irqchip.h"
#include "drivers/of.h"
#include "drivers/pl011.h"
#include "drivers/psci.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/patching.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "mm/ioremap.h"
#include "kernel/setup.h"
#include "mm/mem_info.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/pgtable_builder.h"

#include <libfdt.h>

namespace kernel {

char boot_command_line[2048];
const void* initial_boot_params;  // the DTB, through FIX_FDT
uint32_t initial_boot_params_size;

namespace {

constexpr uint32_t kPl011ClockHz = 48000000;  // QEMU and the Pi firmware both use 48 MHz

PhysAddr g_console_phys;  // the UART's physical address, for the move to ioremap
bool g_console_stuck_reported = false;
// The one pass over the device tree the early boot reads (setup_device_tree), with its index of
// the top two levels (stdout-path lookups).
of::ScanWithRoom<0, 0> g_dt;  // the early boot asks for no memory or reservations

// Virtual time of boot milestones. Under QEMU -icount shift=0 one instruction is one
// nanosecond of virtual time, so these are instruction counts (tools/bench).
uint64_t g_boot_console_ns, g_boot_buddy_ns;

void earlycon_write(const char* s, size_t n) {
  // "First console output": the counter just before the first character of the first log line
  // (the replay of the buffer, oldest line first) is written to the UART's data register.
  if (!g_boot_console_ns && n) g_boot_console_ns = arch_uptime_ns();
  earlycon_uart.write(s, n);
  // A UART that stopped draining drops output at once instead of hanging the CPU; take it off the
  // console list (printk is mid-line here: the report comes from report_stuck_console()).
  if (earlycon_uart.stuck()) console_unregister();
}

// Says so, in the log buffer (replayed via semihosting at exit, or by gdb), when the console UART
// stopped accepting characters.
void report_stuck_console() {
  if (!earlycon_uart.stuck() || g_console_stuck_reported) return;
  g_console_stuck_reported = true;
  pr_err(
      "earlycon: pl011 at MMIO 0x%016lx stopped accepting characters (FR 0x%03x: %s for %lu ms); console "
      "disabled, the log buffer keeps every line\n",
      g_console_phys.value(), earlycon_uart.stuck_flags(),
      (earlycon_uart.stuck_flags() & Pl011::FR_TXFF) ? "transmit FIFO full" : "busy", Pl011::kWaitLimitUs / 1000);
}
void setup_earlycon(const of::Scan& dt) {
  EarlyconChoice c = earlycon_select(dt, boot_command_line);
  // Logged before the console exists and replayed when it registers: a refused earlycon= is said
  // on the console the device tree describes.
  char text[320];
  if (c.format_warning(text, sizeof text) > 0) pr_warn("earlycon: %s\n", text);
  if (!c.found) {
    c.format_error(text, sizeof text);
    pr_err("earlycon: no console: %s\n", text);
    return;
  }
  VirtAddr va = set_fixmap_offset_io(FIX_EARLYCON_MEM_BASE, c.base);
  if (va.is_null()) {
    pr_err("earlycon: could not map the UART at 0x%016lx\n", c.base.value());
    return;
  }
  earlycon_uart.attach(va);
  g_console_phys = c.base;
  // On a Raspberry Pi (found from the DT's gpio node) the PL011 is not on the header pins until
  // the kernel routes it there; elsewhere (QEMU virt) the firmware's UART setup is left alone,
  // unless a speed was asked for on the command line.
  CmdlineParam p;
  bool explicit_cmdline = cmdline_find(boot_command_line, "earlycon", &p) && p.value;
  if (!bcm2835_uart_setup(dt, kPl011ClockHz, c.baud ? c.baud : 115200) && explicit_cmdline && c.baud)
    earlycon_uart.configure(kPl011ClockHz, c.baud);
  console_register("pl011", earlycon_write);
  pr_info("earlycon: pl011 at MMIO 0x%016lx (fixmap 0x%016lx) (options '%.*s')\n", c.base.value(), va.value(),
          c.options.len, c.options.s);
  c.format_source(text, sizeof text);
  pr_info("earlycon: chosen by %s\n", text);
  report_stuck_console();
}

struct ParamSpec {
  const char* name;
  bool takes_value;
};
constexpr ParamSpec kKnownParams[] = {
    {"earlycon", false}, {"halt", true},    {"ktest", false}, {"crashtest", true},
    {"shell", false},    {"maxcpus", true}, {"nosmp", false}, {"smp_test_stuck", true},
};

// Linux's own parameters that boot firmware and distributions put on every command line (the Pi
// firmware prepends console=, coherent_pool= and driver settings to cmdline.txt). They are not
// mistakes, so they are listed once instead of warned about one by one; a "module.param" name is a
// Linux module parameter.
constexpr const char* kLinuxParams[] = {"console", "coherent_pool", "root",   "rootfstype", "rootwait", "ro",
                                        "rw",      "quiet",         "splash", "loglevel",   "cma",      "init",
                                        "elevator"};

void check_cmdline() {
  size_t pos = 0;
  CmdlineParam p;
  char linux_params[320];
  size_t lp = 0;
  bool console_param = false, truncated = false;
  linux_params[0] = '\0';
  while (cmdline_next(boot_command_line, &pos, &p)) {
    bool known = false;
    for (const ParamSpec& s : kKnownParams) known |= param_is(p, s.name);
    if (known) continue;
    bool linux_param = memchr(p.name, '.', p.name_len) != nullptr;
    for (const char* name : kLinuxParams) linux_param |= param_is(p, name);
    if (!linux_param) {
      pr_warn("Unknown kernel command line parameter \"%.*s\", ignored\n", static_cast<int>(p.name_len), p.name);
      continue;
    }
    console_param |= param_is(p, "console");
    const size_t len = static_cast<size_t>((p.value ? p.value + p.value_len : p.name + p.name_len) - p.name);
    if (lp + len + 2 < sizeof linux_params) {
      lp += static_cast<size_t>(snprintf(linux_params + lp, sizeof linux_params - lp, "%s%.*s", lp ? " " : "",
                                         static_cast<int>(len), p.name));
    } else {
      truncated = true;
    }
  }
  if (lp)
    pr_info("Kernel command line: Linux parameters, not used by this kernel: %s%s%s\n", linux_params,
            truncated ? " ..." : "",
            console_param ? " (the console is the PL011 chosen by earlycon= or /chosen/stdout-path)" : "");
  if (cmdline_find(boot_command_line, "halt", &p) && !value_is(p, "idle") && !value_is(p, "off"))
    pr_warn("halt=%.*s: unknown value (expected halt=idle or halt=off); powering off at the end of boot\n",
            static_cast<int>(p.value_len), p.value ? p.value : "");
}

bool mmu_translate(VirtAddr va, PhysAddr* pa) { return arch_translate(va, false, pa); }

}  // namespace

[[noreturn]] void end_of_boot() {
  report_stuck_console();
  CmdlineParam p;
  // The monitor when asked for ("shell"), and by default where nothing can power off and no test
  // harness is attached (a Raspberry Pi: no PSCI, no semihosting).
  bool shell = cmdline_find(boot_command_line, "shell", &p) ||
               (psci_conduit() == of::PsciConduit::None && !semihosting_available() &&
                !cmdline_find(boot_command_line, "halt", &p));
  if (shell && console_active()) monitor_run();
  if (cmdline_find(boot_command_line, "halt", &p) && value_is(p, "idle")) {
    pr_info("halt=idle: idling in wfi (QEMU monitor or gdb can inspect the kernel; Ctrl-a x quits QEMU)\n");
    arch_halt();
  }
  pr_info("reboot: Power down\n");
  machine_exit(0);
}

namespace {

// Who we are and where we were loaded.
void boot_banner(uint64_t phys_base, uint32_t entry_el) {
  const auto mpidr = MpidrEl1::read();
  const auto midr = MidrEl1::read();
  pr_info("Booting fixmap-kernel on physical CPU 0x%010lx [0x%08lx]\n", mpidr.hwid(), midr.raw);
  pr_info("CPU: entered at EL%u, running at EL%lu\n", entry_el, CurrentEl::read().el());
  pr_info("Kernel image: pa 0x%016lx-0x%016lx at va 0x%016lx (%lu KiB)\n", phys_base,
          phys_base + static_cast<uint64_t>(_end - _text) - 1, reinterpret_cast<uint64_t>(_text),
          static_cast<uint64_t>(_end - _text) >> 10);
}

[[noreturn]] void invalid_device_tree(uint64_t dtb_phys, const Error& why) {
  char text[224];
  why.format(text, sizeof text);
  pr_emerg("Error: invalid device tree blob at physical address 0x%lx: %s\n", dtb_phys, text);
  panic("no usable device tree (x0 = 0x%lx)", dtb_phys);
}

// FIX_FDT: the blob the loader passed, its header checked; one pass over the tree finds what the
// early boot needs (g_dt): the machine, the command line, the console. The structure block as a
// whole is checked once the console is up (check_device_tree).
FdtWindow setup_device_tree(uint64_t dtb_phys) {
  Result<FdtWindow> mapped = fixmap_remap_fdt(PhysAddr(dtb_phys), PAGE_KERNEL);
  Status valid =
      mapped ? of::check_header(mapped.value().va.as_ptr<const void>(), PhysAddr(dtb_phys)) : Status(mapped.error());
  if (!valid) invalid_device_tree(dtb_phys, valid.error());
  const FdtWindow fdt = mapped.value();
  initial_boot_params = fdt.va.as_ptr<const void>();
  initial_boot_params_size = fdt.size;
  // Every read of the scan is checked against the header's block bounds (drivers/of/fdt_view.h):
  // a corrupt structure block only ends the pass early, and is reported by check_device_tree().
  (void)of::scan(initial_boot_params, &g_dt);
  of::remember_scan(&g_dt);  // arch_timer_init's question (the timer's clock-frequency) is answered
  pr_info("fdt: 0x%016lx (%u bytes) mapped at 0x%016lx via FIX_FDT\n", dtb_phys, fdt.size, fdt.va.value());
  pr_info("Machine model: %s\n", g_dt.model);
  const char* args = g_dt.bootargs;
  if (strlen(args) >= sizeof boot_command_line)
    pr_warn("Kernel command line: %zu bytes, truncated to %zu\n", strlen(args), sizeof boot_command_line - 1);
  snprintf(boot_command_line, sizeof boot_command_line, "%s", args);
  return fdt;
}

// The whole structure block, checked with the console up (fdt_check_full): a corrupt tree is said
// where it can be read. Until here only the scan read the tree, every read bounds-checked.
void check_device_tree(uint64_t dtb_phys) {
  Status valid = of::check_structure(initial_boot_params, initial_boot_params_size, PhysAddr(dtb_phys));
  if (!valid) invalid_device_tree(dtb_phys, valid.error());
}

// FIX_EARLYCON_MEM_BASE: the console, the timer it waits on, and the firmware interfaces.
void setup_console_and_firmware(const void* blob, uint64_t dtb_phys) {
  arch_timer_init(blob);  // before the console: its bounded waits and the Pi's GPIO delays use the timer
  setup_earlycon(g_dt);
  check_device_tree(dtb_phys);
  pr_info("Kernel command line: %s\n", boot_command_line);
  check_cmdline();
  of::PsciConduit conduit = g_dt.psci;
  psci_init(conduit);
  if (conduit == of::PsciConduit::None) {
    pr_info("psci: no PSCI node in the device tree\n");
  } else {
    uint32_t v = psci_version();
    pr_info("psci: PSCIv%u.%u detected in firmware (conduit %s)\n", v >> 16, v & 0xffff,
            of::psci_conduit_name(conduit));
  }
  pr_info("semihosting: %s\n", semihosting_available() ? "available (test exit codes)" : "not available");
}

// Early scanning is done: the device tree stays mapped, read-only from now on.
void remap_device_tree_read_only(uint64_t dtb_phys) {
  Result<FdtWindow> mapped = fixmap_remap_fdt(PhysAddr(dtb_phys), PAGE_KERNEL_RO);
  if (!mapped) panic_on(mapped.error(), "could not remap the device tree read-only");
  initial_boot_params = mapped.value().va.as_ptr<const void>();
  pr_info("fdt: remapped read-only at 0x%016lx\n", mapped.value().va.value());
  if (unsigned bad = fixmap_dump(mmu_translate))
    panic("fixmap: %u page(s) whose descriptor disagrees with the MMU", bad);
}

// memblock from the device tree, then firmware tables through early_ioremap.
void setup_memory(uint64_t dtb_phys, uint64_t phys_base) {
  const void* blob = initial_boot_params;
  const uint32_t fdt_size = initial_boot_params_size;
  uint64_t kernel_size = reinterpret_cast<uint64_t>(_end) - reinterpret_cast<uint64_t>(_text);
  if (!memblock_init_from_fdt(blob, PhysAddr(phys_base), kernel_size, PhysAddr(dtb_phys), fdt_size))
    panic("no usable memory in the device tree");
  // booting.rst: the DTB must be in RAM. Past its last structure block only padding is read, so a
  // totalsize that runs out of RAM is survivable, but worth saying.
  const PhysAddr dtb(dtb_phys), end = dtb.offset(fdt_size);
  bool inside = false;
  for (unsigned i = 0; i < memblock.memory.count(); ++i)
    inside |= memblock.memory[i].base <= dtb && end <= memblock.memory[i].end();
  if (!inside)
    pr_warn(
        "fdt: the device tree [0x%016lx-0x%016lx] is not entirely in RAM (totalsize %u too large, or the "
        "loader put it outside memory); only its used part is read\n",
        dtb_phys, end.value() - 1, fdt_size);
  memblock_dump();
  firmware_probe(blob);
}

// The final page tables, the buddy allocator, and the console moved off its fixmap slot.
void setup_paging_and_allocator() {
  paging_init();
  print_memory_layout();
  mem_init(kernel_mmu_ops, swapper_pg_dir);
  mem_print_info();
  g_boot_buddy_ns = arch_uptime_ns();
  early_ioremap_reset();
  pr_info("early_ioremap: reset: from now on use ioremap(); permanent fixmap slots stay usable\n");
  if (!console_active()) return;
  VirtAddr io = ioremap(g_console_phys.page_base(), PAGE_SIZE);
  if (io.is_null()) panic("could not ioremap the console UART at 0x%lx", g_console_phys.value());
  VirtAddr old = earlycon_uart.regs();
  earlycon_uart.attach(io.offset(g_console_phys.page_offset()));
  (void)clear_fixmap(FIX_EARLYCON_MEM_BASE);
  pr_info(
      "console: pl011 at MMIO 0x%016lx moved from the earlycon fixmap slot 0x%016lx to ioremap 0x%016lx; "
      "FIX_EARLYCON_MEM_BASE cleared\n",
      g_console_phys.value(), old.value(), earlycon_uart.regs().value());
}

// Interrupts and time on the boot CPU (ioremap is up): the GIC the device tree describes, the
// timer's tick, then PSTATE.I cleared. Without a supported controller (it says why) the kernel
// carries on with interrupts masked, on this CPU alone.
void setup_interrupts_and_time(const void* fdt) {
  if (!irqchip_init(fdt).ok()) {
    (void)arch_timer_init_tick(fdt);  // still says the counter's rate
    return;
  }
  (void)arch_timer_init_tick(fdt);  // reports its own errors; interrupts are useful without a tick
  if (Status st = smp_ipi_init(); !st.ok()) st.error().report();  // without it, cross-calls stay local
  arch_local_irq_enable();
}

// FIX_TEXT_POKE0: text patching (CPU features), and the checks of the finished address space.
void setup_patching_and_check() {
  patching_init(TextRegion{reinterpret_cast<uint64_t>(_text), reinterpret_cast<uint64_t>(_etext),
                           [](uint64_t va) { return kimg_to_phys(reinterpret_cast<void*>(va)); }},
                kernel_text_ops);
  setup_cpu_features();
  if (fixmap_dump(mmu_translate)) panic("fixmap: a slot disagrees with the MMU after paging_init");
  check_wx_pages(kernel_mmu_ops, swapper_pg_dir);
}

void run_requested_tests() {
  crashtest(boot_command_line);
  CmdlineParam kt;
  if (!cmdline_find(boot_command_line, "ktest", &kt)) return;
  unsigned failures = ktest_run_all(kt.value, static_cast<unsigned>(kt.value_len));
  if (failures) {
    pr_err("ktest: %u failure%s\n", failures, failures == 1 ? "" : "s");
    machine_exit(1);
  }
}

}  // namespace
}  // namespace kernel

extern "C" void start_kernel(uint64_t dtb_phys, uint64_t phys_base, uint32_t entry_el) {
  using namespace kernel;
  // Static constructors first: nothing may be assigned before they run.
  for (InitFn* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  boot_info = BootInfo{PhysAddr(dtb_phys), PhysAddr(phys_base), entry_el};
  printk_set_clock(arch_uptime_ns);
  boot_banner(phys_base, entry_el);
  semihosting_probe();

  early_fixmap_init();
  pr_info("fixmap: early_fixmap_init: %sbm_pmd/bm_pte[%u] wired into swapper pgd at pa 0x%lx\n",
          fixmap_layout::has_bm_pud ? "bm_pud/" : "", fixmap_layout::nr_pte_tables, fixmap_get()->pgd().value());
  setup_device_tree(dtb_phys);
  setup_console_and_firmware(initial_boot_params, dtb_phys);
  remap_device_tree_read_only(dtb_phys);
  setup_memory(dtb_phys, phys_base);
  setup_paging_and_allocator();
  setup_interrupts_and_time(initial_boot_params);
  setup_patching_and_check();
  smp_init();
  run_requested_tests();

  early_ioremap_check_leaks();
  uint64_t end_ns = arch_uptime_ns();
  pr_info(
      "bootstat: first console output at %lu ns, buddy allocator online at %lu ns, end of boot at %lu ns "
      "(timer %lu Hz)\n",
      g_boot_console_ns, g_boot_buddy_ns, end_ns, arch_counter_freq());
  pr_info("Boot complete in %lu us\n", end_ns / 1000);
  end_of_boot();
}
