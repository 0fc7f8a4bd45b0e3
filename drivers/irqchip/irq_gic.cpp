// GICv2 (arm,gic-400, arm,cortex-a15-gic, arm,cortex-a7-gic): memory-mapped distributor and CPU
// interface, programmed as the GIC architecture specification v2 (IHI 0048B) describes.
//
// Groups and security. A GIC with the Security Extensions gives Non-secure software (this kernel
// on a Raspberry Pi, below the armstub's EL3) a restricted view: GICD_IGROUPRn is RAZ/WI, so the
// interrupt groups are the firmware's, which must have put the kernel's interrupts in Group 1
// (IHI 0048B "Interrupt grouping" and "GIC Security Extensions"); GICD_CTLR bit 0 and GICC_CTLR bit
// 0 are then the Group 1 enables. Without the Security Extensions (QEMU's virt machine) every
// access sees the Secure view: the kernel leaves every interrupt in Group 0 with GICC_CTLR.FIQEn
// = 0, which signals Group 0 as IRQ and lets GICC_IAR acknowledge it. It does not use Group 1
// there: a Secure-view GICC_IAR read returns 1022 for pending Group 1 interrupts unless
// GICC_CTLR.AckCtl is set, which Arm deprecates. Which view the kernel has is read, not assumed:
// GICD_TYPER.SecurityExtn, then whether GICD_IGROUPR0 takes a write.
//
// EOI mode 0 (GICC_CTLR.EOImodeS/EOImodeNS = 0): one GICC_EOIR write both drops the running
// priority and deactivates the interrupt. Split priority drop and deactivation (EOImode 1 and
// GICC_DIR) is for handing an interrupt to a virtual machine after the drop, which this kernel
// never does.
#include "asm/arch.h"
#include "asm/io.h"
#include "asm/sysreg.h"
#include "drivers/irqchip/arm_gic.h"
#include "drivers/irqchip/irq_chip.h"
#include "kernel/printk.h"
#include "mm/ioremap.h"

namespace kernel::irqchip {
namespace {

using namespace gic;

class GicV2 final : public IrqChip {
 public:
  Status init(const GicOfInfo& info);
  const char* name() const override { return "GICv2"; }
  unsigned nr_irqs() const override { return nr_irqs_; }
  Status cpu_init(unsigned cpu) override;
  void handle_irq() override;
  Status enable(unsigned intid) override;
  void disable(unsigned intid) override { wd(bit_reg(GICD_ICENABLER, intid), bit_mask(intid)); }
  void route_spi(unsigned intid, unsigned cpu) override;
  Status send_sgi(unsigned cpu, unsigned sgi) override;
  Status send_sgi_self(unsigned sgi) override;
  uint8_t set_priority_mask(uint8_t pmr) override;

 private:
  uint32_t rd(uint32_t off) const { return readl_relaxed(dist_.offset(off)); }
  void wd(uint32_t off, uint32_t v) const { writel_relaxed(v, dist_.offset(off)); }
  uint32_t rc(uint32_t off) const { return readl_relaxed(cpu_.offset(off)); }
  void wc(uint32_t off, uint32_t v) const { writel_relaxed(v, cpu_.offset(off)); }
  uint8_t this_cpu_interface() const;
  bool groups_writable() const;
  void write_sgir(GicdSgir sgir) const;

  VirtAddr dist_, cpu_;
  unsigned nr_irqs_ = 0;
  bool ns_view_ = false;              // Non-secure software on a GIC with the Security Extensions
  uint8_t cpu_if_[kIrqMaxCpus] = {};  // each CPU slot's GICD_ITARGETSR bit (0: uniprocessor GIC)
};

GicV2 g_gicv2;

// GICD_ITARGETSR0..7 are banked: every byte reads as the mask of the CPU interface doing the
// read (IHI 0048B "GICD_ITARGETSRn", for SGIs and PPIs). RAZ on a uniprocessor implementation.
uint8_t GicV2::this_cpu_interface() const {
  for (unsigned i = 0; i < 8; ++i) {
    uint32_t m = rd(GICD_ITARGETSR + 4 * i);
    m |= m >> 16;
    m |= m >> 8;
    if (m & 0xff) return static_cast<uint8_t>(m);
  }
  return 0;
}

// Whether this software may program interrupt groups: GICD_IGROUPRn is RAZ/WI to Non-secure
// accesses on a GIC with the Security Extensions. The probe uses this CPU's banked GICD_IGROUPR0
// and leaves it 0 (every SGI and PPI in Group 0), which is what cpu_init writes anyway when it can.
bool GicV2::groups_writable() const {
  if (!GicdTyper(rd(GICD_TYPER)).security_extn()) return true;
  if (rd(GICD_IGROUPR) != 0) return true;
  wd(GICD_IGROUPR, ~0u);
  const bool writable = rd(GICD_IGROUPR) != 0;
  wd(GICD_IGROUPR, 0);
  return writable;
}

Status GicV2::init(const GicOfInfo& info) {
  dist_ = ioremap(PhysAddr(info.dist.base), info.dist.size);
  cpu_ = ioremap(PhysAddr(info.cpu.base), info.cpu.size);
  if (dist_.is_null() || cpu_.is_null())
    return KERR(Errc::MapFailed, "GICv2: could not ioremap the distributor at 0x%lx or the CPU interface at 0x%lx",
                info.dist.base, info.cpu.base);
  const GicdTyper typer(rd(GICD_TYPER));
  nr_irqs_ = typer.nr_irqs();
  ns_view_ = !groups_writable();
  const uint8_t boot_cpu = this_cpu_interface();

  // The distributor is off while its SPIs are set up ("Enabling and disabling the Distributor and
  // CPU interfaces"): every SPI disabled, inactive, not pending, level-sensitive, default priority,
  // routed to the boot CPU, Group 0 where the kernel may choose. request_irq() enables one.
  wd(GICD_CTLR, 0);
  reset_spis([this](uint32_t off, uint32_t v) { wd(off, v); }, nr_irqs_);
  if (!ns_view_)  // Group 0 where the kernel may choose (a Non-secure view cannot: RAZ/WI)
    for (unsigned i = kSpiBase; i < nr_irqs_; i += 32) wd(bit_reg(GICD_IGROUPR, i), 0);
  for (unsigned i = kSpiBase; i < nr_irqs_; i += 4) wd(byte_reg(GICD_ITARGETSR, i), 0x01010101u * boot_cpu);
  // Bit 0: the Group 0 enable in the Secure view, the Group 1 enable in the Non-secure one; either
  // way the group the kernel's interrupts are in.
  wd(GICD_CTLR, GicdCtlr().set_enable_grp0(true).raw);

  pr_info("GICv2: %s at 0x%08lx (dist), 0x%08lx (cpu), %u SPIs, %s\n", info.model, info.dist.base, info.cpu.base,
          typer.nr_spis(),
          !typer.security_extn() ? "no Security Extensions (Group 0 as IRQ)"
          : ns_view_             ? "Non-secure (Group 1; the groups are the firmware's)"
                                 : "Secure (Group 0 as IRQ)");
  return {};
}

Status GicV2::cpu_init(unsigned cpu) {
  cpu_if_[cpu] = this_cpu_interface();
  // This CPU's banked SGIs and PPIs: the PPIs the kernel has not enabled on it off and inactive,
  // the SGIs on (GICD_ISENABLER0[15:0] may be RAO/WI: "whether SGIs are permanently enabled is
  // IMPLEMENTATION DEFINED"), all at the default priority.
  const uint32_t enabled = irq_percpu_enabled_mask(cpu);
  if (!ns_view_) wd(GICD_IGROUPR, 0);
  wd(GICD_ICENABLER, 0xffff0000u & ~enabled);
  wd(GICD_ICACTIVER, 0xffff0000u & ~enabled);
  wd(GICD_ISENABLER, 0x0000ffffu | enabled);
  for (unsigned i = 0; i < kSpiBase; i += 4) wd(byte_reg(GICD_IPRIORITYR, i), priority_x4(kDefaultPriority));
  // Cross-CPU calls need SGIs. None enabled means none this CPU can take: in the Non-secure view,
  // the firmware left them in Group 0 (see enable()).
  if (!(rd(GICD_ISENABLER) & 0xffffu))
    return KERR(Errc::Invalid, "GICv2: no SGI of CPU interface 0x%x can be enabled (GICD_ISENABLER0 = 0x%08x)%s",
                cpu_if_[cpu], rd(GICD_ISENABLER),
                ns_view_ ? ": the firmware left them in Group 0, and this Non-secure kernel takes Group 1 only" : "");

  // The CPU interface: every priority above kDefaultPmr signalled; binary point 0 (the smallest the
  // GIC implements: no subpriority, never preempting since the kernel does not nest interrupts);
  // EOImode 0; the bypass-disable bits as the firmware left them.
  wc(GICC_PMR, kDefaultPmr);
  // A Non-secure write to GICC_PMR is ignored while the Secure value is below 0x80 (IHI 0048B,
  // "Interrupt prioritization", Non-secure accesses to the priority mask): firmware that left it
  // at its reset value 0 masks every interrupt for good, and a read says 0.
  if (rc(GICC_PMR) == 0)
    return KERR(
        Errc::Invalid, "GICv2: GICC_PMR stays 0 after writing 0x%02x: every interrupt masked%s", kDefaultPmr,
        ns_view_ ? " (the firmware must leave the priority mask at 0x80 or above for Non-secure software)" : "");
  wc(GICC_BPR, 0);
  if (ns_view_) {
    const GiccCtlrNs old(rc(GICC_CTLR));
    wc(GICC_CTLR,
       static_cast<uint32_t>(GiccCtlrNs().set_bypass_disable(old.bypass_disable()).set_enable_grp1(true).raw));
  } else {
    const GiccCtlr old(rc(GICC_CTLR));
    wc(GICC_CTLR, static_cast<uint32_t>(GiccCtlr().set_bypass_disable(old.bypass_disable()).set_enable_grp0(true).raw));
  }
  return {};
}

void GicV2::handle_irq() {
  // More than one interrupt may be pending: acknowledge until the GIC says none (1023), a bounded
  // number of times so an interrupt that never goes away cannot keep the CPU here forever.
  for (unsigned n = 0; n < 32; ++n) {
    const GiccIar iar(rc(GICC_IAR));
    const unsigned intid = static_cast<unsigned>(iar.interrupt_id());
    if (is_special_intid(intid)) {
      if (n == 0) irq_note_spurious();  // taken, but nothing (any more) to acknowledge
      return;
    }
    // The handler's loads come after the acknowledge (Device read): what an SGI's sender stored
    // before its dsb + GICD_SGIR write is what the handler sees (Linux: smp_rmb() here).
    dmb(ishld);
    generic_handle_irq(intid);
    wc(GICC_EOIR, static_cast<uint32_t>(iar.raw));  // the whole IAR value: an SGI's CPUID too
  }
}

// Non-secure accesses to the fields of Group 0 interrupts are RAZ/WI (IHI 0048B, "GIC Security
// Extensions"; so are the fields of interrupts a GIC does not implement): an enable bit that reads
// back 0 is an interrupt this kernel will never take.
Status GicV2::enable(unsigned intid) {
  wd(bit_reg(GICD_ISENABLER, intid), bit_mask(intid));
  if (rd(bit_reg(GICD_ISENABLER, intid)) & bit_mask(intid)) return {};
  return KERR(Errc::Invalid, "GICv2: INTID %u stays disabled (GICD_ISENABLER reads 0): not implemented%s", intid,
              ns_view_ ? ", or left in Group 0 by the firmware (this Non-secure kernel takes Group 1 only)" : "");
}

void GicV2::route_spi(unsigned intid, unsigned cpu) {
  // A byte write: GICD_ITARGETSRn are byte-accessible (IHI 0048B "GICD_ITARGETSRn").
  writeb_relaxed(cpu_if_[cpu] ? cpu_if_[cpu] : 1, dist_.offset(byte_reg(GICD_ITARGETSR, intid)));
}

void GicV2::write_sgir(GicdSgir sgir) const {
  // The stores before the SGI must be visible to the CPU that takes it: complete them first.
  dsb(ishst);
  wd(GICD_SGIR, static_cast<uint32_t>(sgir.raw));
}

Status GicV2::send_sgi(unsigned cpu, unsigned sgi) {
  if (cpu == irq_cpu_index()) return send_sgi_self(sgi);
  if (!cpu_if_[cpu])
    return KERR(Errc::NotFound, "GICv2: CPU slot %u has no CPU interface number (a uniprocessor GIC)", cpu);
  write_sgir(GicdSgir::to_targets(cpu_if_[cpu], sgi));
  return {};
}

Status GicV2::send_sgi_self(unsigned sgi) {
  write_sgir(GicdSgir::to_self(sgi));
  return {};
}

uint8_t GicV2::set_priority_mask(uint8_t pmr) {
  const uint8_t old = static_cast<uint8_t>(rc(GICC_PMR));
  wc(GICC_PMR, pmr);
  return old;
}

}  // namespace

Result<IrqChip*> gicv2_probe(const GicOfInfo& info) {
  TRY(g_gicv2.init(info));
  return static_cast<IrqChip*>(&g_gicv2);
}

}  // namespace kernel::irqchip
