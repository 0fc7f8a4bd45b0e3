// A small monitor on the PL011: look inside the running kernel (fixmap slots, page tables, memory,
// early_ioremap state), translate addresses level by level, and patch an instruction live.
// Polled receive; the line editor of kernel/line_editor.h (cursor movement, history, Ctrl-C/U).
#include "kernel/setup.h"
#include "asm/mmu_ops.h"
#include "asm/arch.h"
#include "asm/sysreg.h"
#include "drivers/irqchip.h"
#include "drivers/irqchip/arm_gic.h"
#include "drivers/pl011.h"
#include "drivers/psci.h"
#include "kernel/kallsyms.h"
#include "kernel/line_editor.h"
#include "kernel/panic.h"
#include "kernel/patching.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/pgtable_builder.h"
#include "mm/pgtable_walker.h"

extern "C" {
int monitor_poke_target();  // mov w0, #7; ret
}
asm(R"(
  .text
  .balign 4
  .globl monitor_poke_target
monitor_poke_target:
  mov w0, #7
  ret
)");

namespace kernel {

namespace {

#define mprintf(...) printk_raw(__VA_ARGS__)

char getc_blocking() {
  char c;
  while (!earlycon_uart.getc(&c)) asm volatile("yield");
  return c;
}

void echo(const char* s, unsigned n, void*) { mprintf("%.*s", static_cast<int>(n), s); }
LineEditor g_editor(echo, nullptr);

// One command line; false when there is nothing to run (cancelled, too long: said here).
bool readline(const char* prompt, char* buf, unsigned cap) {
  mprintf("%s", prompt);
  g_editor.begin(prompt);
  for (;;) {
    switch (g_editor.feed(getc_blocking())) {
      case LineEditor::Action::More: continue;
      case LineEditor::Action::Done: snprintf(buf, cap, "%s", g_editor.line()); return true;
      case LineEditor::Action::Cancelled: return false;
      case LineEditor::Action::TooLong:
        mprintf("monitor: line longer than %u characters: not run\n", LineEditor::kMaxLen);
        return false;
    }
  }
}

// An address argument; a bad one is reported with the command's name and false returned.
bool parse_arg(const char* cmd, const char* what, const char* s, uint64_t* v) {
  Result<uint64_t> r = parse_u64_strict(s);
  if (r) {
    *v = r.value();
    return true;
  }
  char why[160];
  r.error().format(why, sizeof why);
  mprintf("%s: bad %s: %s\n", cmd, what, why);
  return false;
}

bool mmu_translate(VirtAddr va, PhysAddr* pa) { return arch_translate(va, false, pa); }

// ---- commands ---------------------------------------------------------------------------------

void cmd_help(int, char**) {
  mprintf(
      "commands:\n"
      "  help                   this list\n"
      "  fixmap                 every fixmap slot: name, va, pa, attributes, live or free\n"
      "  ptdump [start [end]]   kernel page tables as ranges with attributes\n"
      "  meminfo                memblock map and buddy allocator free lists\n"
      "  early_ioremap          the 7 early_ioremap slots\n"
      "  translate <va>         walk the page tables for a virtual address, level by level\n"
      "  interrupts             per-CPU interrupt counts, as Linux's /proc/interrupts\n"
      "  poke-demo              patch a live instruction through FIX_TEXT_POKE0, before/after\n"
      "  cpus                   every logical CPU: MPIDR, MIDR, state, enable-method\n"
      "  log                    replay the kernel log buffer\n"
      "  poweroff | reboot      PSCI SYSTEM_OFF / SYSTEM_RESET\n");
}

void cmd_fixmap(int, char**) { fixmap_dump(mmu_translate, true); }

struct PtdumpCtx {
  uint64_t lo, hi;
  uint64_t start = 0, end = 0, pa = 0, attrs = 0;
  unsigned lines = 0;
};

void ptdump_flush(PtdumpCtx* c) {
  if (c->end <= c->start) return;
  char prot[32];
  describe_prot(PgProt{c->attrs}, prot, sizeof prot);
  uint64_t size = c->end - c->start;
  mprintf("0x%016lx-0x%016lx %8lu%s  %-24s -> 0x%lx\n", c->start, c->end - 1,
          size >= (1ull << 30)   ? size >> 30
          : size >= (1ull << 20) ? size >> 20
                                 : size >> 10,
          size >= (1ull << 30)   ? "G"
          : size >= (1ull << 20) ? "M"
                                 : "K",
          prot, c->pa);
  ++c->lines;
}

void cmd_ptdump(int argc, char** argv) {
  PtdumpCtx c;
  c.lo = 0xffff000000000000ull;
  c.hi = ~0ull;
  if (argc > 3) return (void)mprintf("usage: ptdump [start [end]] (addresses, 0x for hex)\n");
  if (argc > 1 && !parse_arg("ptdump", "start", argv[1], &c.lo)) return;
  if (argc > 2 && !parse_arg("ptdump", "end", argv[2], &c.hi)) return;
  if (c.hi < c.lo)
    return (void)mprintf("ptdump: end 0x%lx is below start 0x%lx: give the lower address first\n", c.hi, c.lo);
  if (c.hi < 0xffff000000000000ull)
    return (void)mprintf("ptdump: 0x%lx-0x%lx is not in the kernel (TTBR1) half, 0xffff000000000000 and up\n", c.lo,
                         c.hi);
  if (c.lo < 0xffff000000000000ull) c.lo = 0xffff000000000000ull;  // the kernel (TTBR1) half only
  mprintf("---[ kernel page tables (swapper_pg_dir at pa 0x%lx) ]---\n", swapper_pg_dir.value());
  DirectTableEnv env(kernel_mmu_ops);
  PtdumpCtx* x = &c;
  const unsigned unreachable =
      for_each_leaf(env, swapper_pg_dir, c.lo, c.hi, [x](uint64_t va, uint64_t size, Pte d, unsigned) {
        uint64_t attrs = (d.raw & ~kOutputAddrMask) | Pte::kTable;  // blocks and pages print alike
        uint64_t pa = d.output_address().value() & ~(size - 1);
        if (va == x->end && attrs == x->attrs && pa == x->pa + (x->end - x->start)) {
          x->end = va + size;
          return;
        }
        ptdump_flush(x);
        x->start = va, x->end = va + size, x->pa = pa, x->attrs = attrs;
      });
  ptdump_flush(&c);
  if (unreachable) mprintf("ptdump: %u page-table page(s) could not be reached and are not shown\n", unreachable);
  mprintf("---[ %u range%s ]---\n", c.lines, c.lines == 1 ? "" : "s");
}

void cmd_meminfo(int, char**) {
  memblock_dump();
  buddy_print_stats();
}

void cmd_early_ioremap(int, char**) {
  mprintf("early_ioremap: %s\n",
          early_ioremap_is_reset() ? "reset (the buddy allocator is up: use ioremap())" : "active");
  for (unsigned s = 0; s < FIX_BTMAPS_SLOTS; ++s) {
    EarlyIoremapSlotInfo i = early_ioremap_slot(s);
    if (i.used)
      mprintf("  slot %u: va 0x%lx -> pa 0x%lx, 0x%lx bytes, by %p\n", s, i.va.value(), i.phys.value(), i.size,
              i.caller);
    else
      mprintf("  slot %u: free (va 0x%lx, 256 KiB)\n", s, __fix_to_virt(btmap_slot_first(s)));
  }
}

void cmd_translate(int argc, char** argv) {
  uint64_t va;
  if (argc != 2) return (void)mprintf("usage: translate <virtual address> (0x for hex)\n");
  if (!parse_arg("translate", "address", argv[1], &va)) return;
  if (!is_ttbr1_address(va)) return (void)mprintf("translate: 0x%lx is not a kernel (TTBR1) address\n", va);
  DirectTableEnv env(kernel_mmu_ops);
  const Translation t = translate(env, swapper_pg_dir, VirtAddr(va));
  if (!t.levels)
    return (void)mprintf("  L%u: table at pa 0x%lx is not reachable\n", kStartLevel, swapper_pg_dir.value());
  for (unsigned level = kStartLevel; level <= t.level; ++level) {
    const Pte d = t.entry[level];
    mprintf("  L%u table pa 0x%lx [%3u] = 0x%016lx ", level, t.table[level].value(), table_index(va, level), d.raw);
    if (!d.valid()) return (void)mprintf("invalid: translation fault, level %u\n", level);
    if (level < t.level) {
      mprintf("table -> pa 0x%lx\n", d.output_address().value());
      continue;
    }
    if (!t.ok) return (void)mprintf("%s fault, level %u\n", t.fault, level);
    char prot[32];
    describe_prot(PgProt{d.raw & ~kOutputAddrMask}, prot, sizeof prot);
    mprintf("%s, %s\n", level == kLeafLevel ? "page" : "block", prot);
  }
  if (t.ok) {
    mprintf("  => pa 0x%lx\n", t.pa.value());
  } else if (t.levels && t.level < kLeafLevel && t.entry[t.level].is_table_or_page()) {
    return (void)mprintf("  L%u: table at pa 0x%lx is not reachable\n", t.level + 1,
                         t.entry[t.level].output_address().value());
  } else {
    return;
  }
  PhysAddr at;
  if (arch_translate(VirtAddr(va), false, &at))
    mprintf("  MMU (AT S1E1R): pa 0x%lx %s\n", at.value(), at == t.pa ? "(agrees)" : "(DISAGREES)");
  else
    mprintf("  MMU (AT S1E1R): fault (DISAGREES)\n");
}

// Linux's /proc/interrupts: one row per IRQ with a handler, a column per CPU (the irq layer's
// slots, numbered in the order the CPUs set up their interrupt controller interface), then the
// controller, the INTID's kind and the handler's name; then the entries that acknowledged nothing
// and the interrupts nobody had asked for.
void cmd_interrupts(int, char**) {
  if (!irqchip_ready()) return (void)mprintf("interrupts: no interrupt controller: interrupts are off\n");
  const unsigned ncpus = irq_nr_cpus();
  mprintf("     ");
  for (unsigned c = 0; c < ncpus; ++c) mprintf("       CPU%-2u", c);
  mprintf("\n");
  struct Ctx {
    unsigned ncpus;
  } ctx{ncpus};
  irq_for_each(
      [](const IrqInfo& i, void* p) {
        const unsigned n = static_cast<Ctx*>(p)->ncpus;
        mprintf("%4u:", i.irq);
        for (unsigned c = 0; c < n; ++c) mprintf(" %11lu", __atomic_load_n(&i.count[c], __ATOMIC_RELAXED));
        mprintf("  %s %4u %s  %s\n", irqchip_name(), i.irq, gic::intid_kind(i.irq), i.name);
      },
      &ctx);
  mprintf(" Spu:");
  for (unsigned c = 0; c < ncpus; ++c) mprintf(" %11lu", irq_spurious_count(c));
  mprintf("  spurious: nothing to acknowledge\n");
  mprintf(" Unh:");
  for (unsigned c = 0; c < ncpus; ++c) mprintf(" %11lu", irq_unhandled_count(c));
  mprintf("  no handler (PPIs and SPIs then disabled)\n");
  mprintf("MPIDR");
  for (unsigned c = 0; c < ncpus; ++c) mprintf(" 0x%09lx", irq_cpu_mpidr(c));
  mprintf("\n");
}

void cmd_poke_demo(int, char**) {
  void* target = reinterpret_cast<void*>(&monitor_poke_target);
  char sym[96];
  uint32_t before = aarch64_insn_read(target);
  mprintf("poke-demo: %s at 0x%lx: insn 0x%08x, returns %d\n",
          kallsyms_format(reinterpret_cast<uint64_t>(target), sym, sizeof sym), reinterpret_cast<uint64_t>(target),
          before, monitor_poke_target());
  Status st = aarch64_insn_patch_text_nosync(target, 0x52800540u);  // mov w0, #42
  if (!st.ok()) {
    char why[160];
    st.error().format(why, sizeof why);
    return (void)mprintf("poke-demo: %s\n", why);
  }
  mprintf("poke-demo: patched through FIX_TEXT_POKE0 (va 0x%lx, now %s): insn 0x%08x, returns %d\n",
          __fix_to_virt(FIX_TEXT_POKE0), fixmap_get()->is_live(FIX_TEXT_POKE0) ? "live!" : "clear again",
          aarch64_insn_read(target), monitor_poke_target());
  PhysAddr pa;
  mprintf("poke-demo: the text page is still %s\n",
          arch_translate(virt_of(target), true, &pa) ? "WRITABLE" : "read-only");
  (void)aarch64_insn_patch_text_nosync(target, before);
  mprintf("poke-demo: restored: insn 0x%08x, returns %d\n", aarch64_insn_read(target), monitor_poke_target());
}

void cmd_log(int, char**) {
  // Snapshot the length first: printing appends to the very buffer being replayed.
  size_t end = log_buffer_size();
  char chunk[512];
  for (size_t pos = 0; pos < end;) {
    size_t n = log_buffer_read(pos, chunk, end - pos < sizeof chunk ? end - pos : sizeof chunk);
    if (!n) break;
    earlycon_uart.write(chunk, n);  // straight to the UART: a replay must not grow the log
    pos += n;
  }
}

// Interrupts taken by the CPU with this MPIDR, over every IRQ with a handler (0 without a slot).
uint64_t irqs_of(uint64_t mpidr) {
  struct Sum {
    unsigned slot;
    uint64_t total;
  } sum{kIrqNoCpu, 0};
  for (unsigned s = 0; s < irq_nr_cpus(); ++s)
    if (irq_cpu_mpidr(s) == mpidr) sum.slot = s;
  if (sum.slot == kIrqNoCpu) return 0;
  irq_for_each(
      [](const IrqInfo& info, void* ctx) {
        auto* p = static_cast<Sum*>(ctx);
        p->total += info.count[p->slot];
      },
      &sum);
  return sum.total;
}

void cmd_cpus(int, char**) {
  mprintf("CPU  MPIDR         MIDR        state    enable-method            DT node       IRQs      IPIs\n");
  for (unsigned cpu = 0; cpu < num_possible_cpus(); ++cpu) {
    const PerCpu& pc = per_cpu(cpu);
    char method[40];
    const char* boot = cpu == 0 ? " (boot)" : "";
    if (pc.method == EnableMethod::SpinTable)
      snprintf(method, sizeof method, "spin-table 0x%lx%s", pc.release_addr, boot);
    else
      snprintf(method, sizeof method, "%s%s", enable_method_name(pc.method), boot);
    // MIDR as the CPU itself read it; 0 until it has run (offline, failed).
    mprintf("%3u  0x%010lx  0x%08lx  %-7s  %-23s  %-8s  %8lu  %8lu\n", cpu, cpu_logical_map(cpu), pc.midr,
            cpu_state_name(cpu_state(cpu)), method, pc.dt_name, irqs_of(cpu_logical_map(cpu)), pc.counters.ipis);
  }
  mprintf("%u of %u CPU%s online; this is CPU%u\n", num_online_cpus(), num_possible_cpus(),
          num_possible_cpus() == 1 ? "" : "s", smp_processor_id());
}

void cmd_poweroff(int, char**) {
  mprintf("reboot: Power down\n");
  machine_exit(0);
}

void cmd_reboot(int, char**) {
  mprintf("reboot: Restarting system\n");
  psci_system_reset();
  mprintf("reboot: PSCI SYSTEM_RESET unavailable (conduit %s)\n", of::psci_conduit_name(psci_conduit()));
}

struct Command {
  const char* name;
  void (*fn)(int, char**);
};
constexpr Command kCommands[] = {
    {"help", cmd_help},
    {"fixmap", cmd_fixmap},
    {"ptdump", cmd_ptdump},
    {"meminfo", cmd_meminfo},
    {"early_ioremap", cmd_early_ioremap},
    {"translate", cmd_translate},
    {"interrupts", cmd_interrupts},
    {"poke-demo", cmd_poke_demo},
    {"cpus", cmd_cpus},
    {"log", cmd_log},
    {"poweroff", cmd_poweroff},
    {"reboot", cmd_reboot},
};

}  // namespace

[[noreturn]] void monitor_run() {
  mprintf("\nfixmap-kernel monitor: type 'help' for commands\n");
  char line[LineEditor::kMaxLen + 1];
  for (;;) {
    if (!readline("fixmap-kernel> ", line, sizeof line)) continue;
    char* argv[8];
    int argc = 0;
    for (char* p = line; *p && argc < 8;) {
      while (*p == ' ') *p++ = '\0';
      if (!*p) break;
      argv[argc++] = p;
      while (*p && *p != ' ') ++p;
    }
    if (!argc) continue;
    bool found = false;
    for (const Command& c : kCommands) {
      if (strcmp(argv[0], c.name) == 0) {
        c.fn(argc, argv);
        found = true;
      }
    }
    if (!found) mprintf("unknown command '%s'; type 'help' for the list\n", argv[0]);
  }
}

}  // namespace kernel
