// The generic IRQ layer: handlers by INTID, per-CPU slots and counts, dispatch, and the choice of
// driver from the device tree.
#include "drivers/irqchip.h"

#include "asm/irqflags.h"
#include "asm/sysreg_fields.h"
#include "drivers/irqchip/arm_gic.h"
#include "drivers/irqchip/gic_of.h"
#include "drivers/irqchip/irq_chip.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

namespace kernel {

namespace {

struct IrqDesc {
  unsigned irq = 0;
  irq_handler_t handler = nullptr;
  void* ctx = nullptr;
  const char* name = nullptr;
  bool percpu = false;
  uint64_t count[kIrqMaxCpus] = {};
};

struct IrqCpu {
  uint64_t mpidr = 0;
  uint32_t percpu_enabled = 0;  // bit n: SGI/PPI n enabled on this CPU by the kernel
  uint64_t spurious = 0;
  uint64_t unhandled = 0;
};

constexpr unsigned kMaxDescs = 64;

irqchip::IrqChip* g_chip = nullptr;
SpinLock g_lock;  // registration and slots; the IRQ path reads without it
IrqDesc g_descs[kMaxDescs];
IrqDesc* g_desc_of[gic::kMaxIntid];  // published with release, read with acquire
IrqCpu g_cpus[kIrqMaxCpus];
unsigned g_nr_cpus = 0;  // slots taken (published with release after the slot is filled)

// A counter only its own CPU writes: no read-modify-write atomics needed, but the monitor reads it
// from elsewhere, so each access is one untorn 64-bit load or store.
void bump(uint64_t* c) { __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED); }

IrqDesc* desc_of(unsigned irq) {
  return irq < gic::kMaxIntid ? __atomic_load_n(&g_desc_of[irq], __ATOMIC_ACQUIRE) : nullptr;
}

unsigned slot_of(uint64_t mpidr) {
  const unsigned n = __atomic_load_n(&g_nr_cpus, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < n; ++i)
    if (g_cpus[i].mpidr == mpidr) return i;
  return kIrqNoCpu;
}

// This CPU's slot: the one it had, or the next free one.
Result<unsigned> take_slot(uint64_t mpidr) {
  IrqSaveGuard guard(g_lock);
  if (const unsigned cpu = slot_of(mpidr); cpu != kIrqNoCpu) return cpu;
  const unsigned n = g_nr_cpus;
  if (n == kIrqMaxCpus)
    return KERR(Errc::OutOfRange, "irq: CPU 0x%lx: the irq layer keeps state for %u CPUs only", mpidr, kIrqMaxCpus);
  g_cpus[n] = IrqCpu{mpidr, 0, 0, 0};
  __atomic_store_n(&g_nr_cpus, n + 1, __ATOMIC_RELEASE);
  return n;
}

Status no_controller(const char* what) {
  return KERR(Errc::NotInitialised, "irq: %s: no interrupt controller (irqchip_init did not succeed)", what);
}

Status register_desc(unsigned irq, irq_handler_t handler, void* ctx, const char* name, bool percpu) {
  if (!handler) return KERR(Errc::Invalid, "irq: IRQ %u (%s): no handler", irq, name);
  IrqSaveGuard guard(g_lock);
  if (IrqDesc* d = g_desc_of[irq])
    return KERR(Errc::Conflict, "irq: IRQ %u is already requested by \"%s\" (wanted by \"%s\")", irq, d->name, name);
  IrqDesc* free = nullptr;
  for (IrqDesc& d : g_descs)
    if (!d.handler) {
      free = &d;
      break;
    }
  if (!free) return KERR(Errc::OutOfMemory, "irq: IRQ %u (%s): all %u handler slots in use", irq, name, kMaxDescs);
  *free = IrqDesc{irq, handler, ctx, name, percpu, {}};
  __atomic_store_n(&g_desc_of[irq], free, __ATOMIC_RELEASE);
  return {};
}

}  // namespace

namespace irqchip {

IrqChip* irqchip() { return g_chip; }

uint32_t irq_percpu_enabled_mask(unsigned cpu) {
  return cpu < kIrqMaxCpus ? __atomic_load_n(&g_cpus[cpu].percpu_enabled, __ATOMIC_RELAXED) : 0;
}

void generic_handle_irq(unsigned intid) {
  const unsigned cpu = irq_cpu_index();
  IrqDesc* d = desc_of(intid);
  // The handler is read once: free_irq() on another CPU may clear it under our feet.
  const irq_handler_t handler = d ? __atomic_load_n(&d->handler, __ATOMIC_ACQUIRE) : nullptr;
  if (!handler) {
    // Nobody asked for it. A PPI or SPI is disabled so that a level that stays asserted cannot
    // come back for ever; an SGI fires once per send and stays enabled. Counted; printing is not
    // allowed here.
    if (cpu < kIrqMaxCpus) bump(&g_cpus[cpu].unhandled);
    if (!gic::is_sgi(intid)) g_chip->disable(intid);
    return;
  }
  if (cpu < kIrqMaxCpus) bump(&d->count[cpu]);
  handler(intid, d->ctx);
}

void irq_note_spurious() {
  const unsigned cpu = irq_cpu_index();
  if (cpu < kIrqMaxCpus) bump(&g_cpus[cpu].spurious);
}

}  // namespace irqchip

Status irqchip_init(const void* fdt) {
  if (g_chip) return KERR(Errc::Conflict, "irq: irqchip_init called twice");
  Result<irqchip::GicOfInfo> gic = irqchip::gic_of_probe(fdt);
  if (!gic) {
    char why[224];
    gic.error().format(why, sizeof why);
    if (gic.code() == Errc::NotFound)
      pr_info("irq: %s: interrupts and SMP stay off\n", why);
    else
      pr_err("irq: %s: interrupts and SMP stay off\n", why);
    return gic.error().mark_reported();
  }
  Result<irqchip::IrqChip*> chip = gic.value().version == irqchip::GicVersion::V3 ? irqchip::gicv3_probe(gic.value())
                                                                                  : irqchip::gicv2_probe(gic.value());
  if (!chip) {
    chip.error().report();
    pr_err("irq: %s at 0x%08lx unusable: interrupts and SMP stay off\n", gic.value().model, gic.value().dist.base);
    return chip.error();
  }
  g_chip = chip.value();
  Status cpu = irqchip_cpu_init();
  if (!cpu) {
    cpu.error().report();
    pr_err("irq: the boot CPU's %s interface could not be set up: interrupts and SMP stay off\n", g_chip->name());
    g_chip = nullptr;
    return cpu.error();
  }
  return {};
}

Status irqchip_cpu_init() {
  if (!g_chip) return no_controller("irqchip_cpu_init");
  const uint64_t mpidr = MpidrEl1::read().hwid();
  const unsigned cpu = TRY(take_slot(mpidr));
  const unsigned long flags = arch_local_irq_save();
  Status st = g_chip->cpu_init(cpu);
  arch_local_irq_restore(flags);
  return st;
}

bool irqchip_ready() { return g_chip != nullptr; }
const char* irqchip_name() { return g_chip ? g_chip->name() : ""; }

unsigned irq_cpu_index() { return slot_of(MpidrEl1::read().hwid()); }
unsigned irq_nr_cpus() { return __atomic_load_n(&g_nr_cpus, __ATOMIC_ACQUIRE); }
uint64_t irq_cpu_mpidr(unsigned cpu) { return cpu < irq_nr_cpus() ? g_cpus[cpu].mpidr : 0; }

Status request_irq(unsigned irq, irq_handler_t handler, void* ctx, const char* name) {
  if (!g_chip) return no_controller(name);
  if (irq < gic::kSpiBase || irq >= g_chip->nr_irqs())
    return KERR(Errc::OutOfRange, "irq: request_irq(%u, \"%s\"): not an SPI of this %s (32..%u)", irq, name,
                g_chip->name(), g_chip->nr_irqs() - 1);
  const unsigned cpu = irq_cpu_index();
  if (cpu == kIrqNoCpu)
    return KERR(Errc::NotInitialised, "irq: request_irq(%u) on a CPU without irqchip_cpu_init", irq);
  TRY(register_desc(irq, handler, ctx, name, false));
  g_chip->route_spi(irq, cpu);
  Status st = g_chip->enable(irq);
  if (!st) (void)free_irq(irq);
  return st;
}

Status request_percpu_irq(unsigned irq, irq_handler_t handler, void* ctx, const char* name) {
  if (!g_chip) return no_controller(name);
  if (!gic::is_percpu(irq))
    return KERR(Errc::OutOfRange, "irq: request_percpu_irq(%u, \"%s\"): not an SGI or PPI (0..31)", irq, name);
  return register_desc(irq, handler, ctx, name, true);
}

namespace {
Status set_percpu(unsigned irq, bool on) {
  if (!g_chip) return no_controller("enable_percpu_irq");
  IrqDesc* d = desc_of(irq);
  if (!gic::is_percpu(irq) || !d || !d->percpu)
    return KERR(Errc::Invalid, "irq: %s_percpu_irq(%u): not a requested SGI/PPI", on ? "enable" : "disable", irq);
  const unsigned cpu = irq_cpu_index();
  if (cpu == kIrqNoCpu)
    return KERR(Errc::NotInitialised, "irq: %s_percpu_irq(%u) on a CPU without irqchip_cpu_init",
                on ? "enable" : "disable", irq);
  const unsigned long flags = arch_local_irq_save();
  Status st;
  if (on)
    st = g_chip->enable(irq);
  else
    g_chip->disable(irq);
  uint32_t* mask = &g_cpus[cpu].percpu_enabled;
  const bool enabled = on && st.ok();
  __atomic_store_n(mask, enabled ? (*mask | gic::bit_mask(irq)) : (*mask & ~gic::bit_mask(irq)), __ATOMIC_RELAXED);
  arch_local_irq_restore(flags);
  return st;
}
}  // namespace

Status enable_percpu_irq(unsigned irq) { return set_percpu(irq, true); }
Status disable_percpu_irq(unsigned irq) { return set_percpu(irq, false); }

Status free_irq(unsigned irq) {
  if (!g_chip) return no_controller("free_irq");
  IrqDesc* d = desc_of(irq);
  if (!d) return KERR(Errc::NotFound, "irq: free_irq(%u): not requested", irq);
  if (d->percpu) TRY(disable_percpu_irq(irq));
  if (!d->percpu) g_chip->disable(irq);
  IrqSaveGuard guard(g_lock);
  __atomic_store_n(&g_desc_of[irq], nullptr, __ATOMIC_RELEASE);
  // Another CPU may be running the handler right now; a slot is reused only for a new request,
  // which the single-CPU kernel of today never races with.
  __atomic_store_n(&d->handler, nullptr, __ATOMIC_RELEASE);
  return {};
}

Status send_sgi(uint64_t target_mpidr, unsigned sgi) {
  if (!g_chip) return no_controller("send_sgi");
  if (!gic::is_sgi(sgi)) return KERR(Errc::OutOfRange, "irq: send_sgi: SGI %u (0..15)", sgi);
  const unsigned cpu = slot_of(target_mpidr & MPIDR_HWID_MASK);
  if (cpu == kIrqNoCpu)
    return KERR(Errc::NotFound, "irq: send_sgi(0x%lx, %u): that CPU has not run irqchip_cpu_init", target_mpidr, sgi);
  return g_chip->send_sgi(cpu, sgi);
}

Status send_sgi_self(unsigned sgi) {
  if (!g_chip) return no_controller("send_sgi_self");
  if (!gic::is_sgi(sgi)) return KERR(Errc::OutOfRange, "irq: send_sgi_self: SGI %u (0..15)", sgi);
  return g_chip->send_sgi_self(sgi);
}

void handle_arch_irq(PtRegs*) {
  if (!g_chip) panic("IRQ exception with no interrupt controller (PSTATE.I was cleared before irqchip_init)");
  g_chip->handle_irq();
}

unsigned irq_for_each(void (*fn)(const IrqInfo& info, void* ctx), void* ctx) {
  unsigned n = 0;
  for (unsigned irq = 0; irq < gic::kMaxIntid; ++irq) {
    IrqDesc* d = desc_of(irq);
    if (!d) continue;
    fn(IrqInfo{irq, d->name, d->percpu, d->count}, ctx);
    ++n;
  }
  return n;
}

uint64_t irq_count(unsigned irq, unsigned cpu) {
  IrqDesc* d = desc_of(irq);
  return d && cpu < kIrqMaxCpus ? __atomic_load_n(&d->count[cpu], __ATOMIC_RELAXED) : 0;
}
uint64_t irq_spurious_count(unsigned cpu) {
  return cpu < kIrqMaxCpus ? __atomic_load_n(&g_cpus[cpu].spurious, __ATOMIC_RELAXED) : 0;
}
uint64_t irq_unhandled_count(unsigned cpu) {
  return cpu < kIrqMaxCpus ? __atomic_load_n(&g_cpus[cpu].unhandled, __ATOMIC_RELAXED) : 0;
}

}  // namespace kernel
