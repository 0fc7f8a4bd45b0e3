// GICv3 (arm,gic-v3): a memory-mapped distributor with affinity routing, one redistributor per
// CPU, and the CPU interface as system registers (ICC_*_EL1), programmed as the GICv3/v4
// architecture specification (IHI 0069) describes.
//
// Groups: every interrupt is Non-secure Group 1 (GICD_IGROUPRn / GICR_IGROUPR0 = 1, IGRPMODR = 0),
// acknowledged through ICC_IAR1_EL1 and enabled by ICC_IGRPEN1_EL1. With a single security state
// (GICD_CTLR.DS = 1: QEMU's virt machine without secure=on) the kernel owns those registers; with
// two, they are Secure-only and RAZ/WI to this Non-secure kernel, and the firmware must have put
// the kernel's interrupts in Non-secure Group 1 (IHI 0069 "Interrupt grouping"; Linux expects the
// same). The writes are done either way: they are the configuration the kernel relies on.
//
// EOI mode 0 (ICC_CTLR_EL1.EOImode = 0): an ICC_EOIR1_EL1 write both drops the running priority
// and deactivates the interrupt; ICC_DIR_EL1 is not used (split deactivation is for interrupts
// forwarded to virtual machines).
#include "asm/arch.h"
#include "asm/arch_gicv3.h"
#include "asm/io.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/irqchip/arm_gic_v3.h"
#include "drivers/irqchip/irq_chip.h"
#include "kernel/printk.h"
#include "mm/ioremap.h"

namespace kernel::irqchip {
namespace {

using namespace gic;

// A register write pending bit or a redistributor waking up must settle in microseconds; give
// them a second (on the generic timer) before declaring the GIC broken.
constexpr uint64_t kWaitLimitUs = 1'000'000;

// The value the kernel writes to GICD_CTLR reads the same in both views it may have (arm_gic_v3.h).
constexpr uint32_t kGicdCtlrEnable = static_cast<uint32_t>(GicdCtlrV3().set_are(true).set_enable_grp1(true).raw);
static_assert(kGicdCtlrEnable == GicdCtlrNs().set_are_ns(true).set_enable_grp1a(true).raw);

class GicV3 final : public IrqChip {
 public:
  Status init(const GicOfInfo& info);
  const char* name() const override { return "GICv3"; }
  unsigned nr_irqs() const override { return nr_irqs_; }
  Status cpu_init(unsigned cpu) override;
  void handle_irq() override;
  Status enable(unsigned intid) override;
  void disable(unsigned intid) override;
  void route_spi(unsigned intid, unsigned cpu) override;
  Status send_sgi(unsigned cpu, unsigned sgi) override;
  Status send_sgi_self(unsigned sgi) override;
  uint8_t set_priority_mask(uint8_t pmr) override;

 private:
  uint32_t rd(uint32_t off) const { return readl_relaxed(dist_.offset(off)); }
  void wd(uint32_t off, uint32_t v) const { writel_relaxed(v, dist_.offset(off)); }
  Status wait_rwp(VirtAddr ctlr, uint32_t rwp_bit, const char* what) const;
  Status dist_rwp() const {
    return wait_rwp(dist_.offset(GICD_CTLR), static_cast<uint32_t>(GicdCtlrV3::rwp_bits.mask()), "distributor");
  }
  Status redist_rwp(VirtAddr rd_base) const {
    return wait_rwp(rd_base.offset(GICR_CTLR), static_cast<uint32_t>(GicrCtlr::rwp_bits.mask()), "redistributor");
  }
  // Calls fn(RD_base, GICR_TYPER) for every redistributor until it returns true; true if one did.
  template <typename Fn>
  bool for_each_redist(Fn fn) const;
  Status send(MpidrEl1 target, unsigned sgi) const;

  VirtAddr dist_;
  unsigned nr_irqs_ = 0;
  GicOfInfo info_;
  VirtAddr redist_[GicOfInfo::kMaxRedistRegions];
  VirtAddr rd_[kIrqMaxCpus];      // each CPU slot's RD_base
  bool rss_ = false;              // ICC_CTLR_EL1.RSS: SGIs reach Aff0 16..255
  bool single_security_ = false;  // GICD_CTLR.DS = 1: the kernel owns the interrupt groups
};

GicV3 g_gicv3;

Status GicV3::wait_rwp(VirtAddr ctlr, uint32_t rwp_bit, const char* what) const {
  const uint64_t start = arch_counter(), limit = arch_us_to_counter(kWaitLimitUs);
  while (readl_relaxed(ctlr) & rwp_bit) {
    if (arch_counter() - start > limit)
      return KERR(Errc::Invalid, "GICv3: the %s's register write pending bit (RWP) stayed set for %lu ms", what,
                  kWaitLimitUs / 1000);
    asm volatile("yield");
  }
  return {};
}

// Redistributors lie one after another in each region, 128 KiB apart (256 KiB with GICv4's
// virtual LPI frames, or the tree's redistributor-stride); GICR_TYPER.Last ends a region.
template <typename Fn>
bool GicV3::for_each_redist(Fn fn) const {
  for (unsigned r = 0; r < info_.nr_redist_regions; ++r) {
    for (uint64_t off = 0; off + kGicrStrideV3 <= info_.redist[r].size;) {
      const VirtAddr rd_base = redist_[r].offset(off);
      const unsigned rev = static_cast<unsigned>(GicPidr2(readl_relaxed(rd_base.offset(GICR_PIDR2))).archrev());
      if (rev != 3 && rev != 4) break;  // no redistributor here
      const GicrTyper typer(readq_relaxed(rd_base.offset(GICR_TYPER)));
      if (fn(rd_base, typer)) return true;
      if (typer.last()) break;
      off += info_.redist_stride ? info_.redist_stride : typer.stride();
    }
  }
  return false;
}

Status GicV3::init(const GicOfInfo& info) {
  info_ = info;
  if (IdAa64Pfr0El1(read_sysreg(id_aa64pfr0_el1)).gic() == 0)
    return KERR(Errc::Invalid,
                "GICv3: the device tree has one, but this CPU has no GIC system register interface "
                "(ID_AA64PFR0_EL1.GIC = 0)");
  dist_ = ioremap(PhysAddr(info.dist.base), info.dist.size);
  if (dist_.is_null())
    return KERR(Errc::MapFailed, "GICv3: could not ioremap the distributor at 0x%lx", info.dist.base);
  const unsigned rev = static_cast<unsigned>(GicPidr2(rd(GICD_PIDR2)).archrev());
  if (rev != 3 && rev != 4)
    return KERR(Errc::Invalid, "GICv3: the distributor at 0x%lx says it is architecture revision %u (GICD_PIDR2)",
                info.dist.base, rev);
  for (unsigned r = 0; r < info.nr_redist_regions; ++r) {
    redist_[r] = ioremap(PhysAddr(info.redist[r].base), info.redist[r].size);
    if (redist_[r].is_null())
      return KERR(Errc::MapFailed, "GICv3: could not ioremap the redistributors at 0x%lx", info.redist[r].base);
  }
  unsigned redists = 0;
  for_each_redist([&](VirtAddr, GicrTyper) {
    ++redists;
    return false;
  });
  if (!redists) return KERR(Errc::NotFound, "GICv3: no redistributor at 0x%lx", info.redist[0].base);

  const GicdTyper typer(rd(GICD_TYPER));
  nr_irqs_ = typer.nr_irqs();
  single_security_ = GicdCtlrV3(rd(GICD_CTLR)).ds();

  // The groups off (and RWP settled) while the SPIs are set up, the other bits as they are (ARE may
  // already be 1, from firmware, and is not to go back to 0 under a running system); then affinity
  // routing and the Non-secure Group 1 enable; then every SPI routed to the boot CPU (GICD_IROUTER
  // needs ARE).
  wd(GICD_CTLR, static_cast<uint32_t>(GicdCtlrV3(rd(GICD_CTLR)).set_enable_grp0(false).set_enable_grp1(false).raw));
  TRY(dist_rwp());
  reset_spis([this](uint32_t off, uint32_t v) { wd(off, v); }, nr_irqs_);
  for (unsigned i = kSpiBase; i < nr_irqs_; i += 32) {  // Non-secure Group 1
    wd(bit_reg(GICD_IGROUPR, i), ~0u);
    wd(bit_reg(GICD_IGRPMODR, i), 0);
  }
  TRY(dist_rwp());
  wd(GICD_CTLR, kGicdCtlrEnable);
  TRY(dist_rwp());
  if (!GicdCtlrV3(rd(GICD_CTLR)).are())
    return KERR(Errc::Invalid, "GICv3: affinity routing (GICD_CTLR.ARE) does not stay set");
  const uint64_t route = GicdIrouter::to_cpu(MpidrEl1::read()).raw;
  for (unsigned i = kSpiBase; i < nr_irqs_; ++i) writeq_relaxed(route, dist_.offset(gicd_irouter(i)));

  pr_info("GICv3: %u SPIs, distributor at 0x%08lx, redistributors at 0x%08lx (%u CPU%s), %s\n", typer.nr_spis(),
          info.dist.base, info.redist[0].base, redists, redists == 1 ? "" : "s",
          single_security_ ? "single security state" : "Non-secure");
  return {};
}

Status GicV3::cpu_init(unsigned cpu) {
  const MpidrEl1 mpidr = MpidrEl1::read();
  VirtAddr rd_base;
  if (!for_each_redist([&](VirtAddr base, GicrTyper typer) {
        if (!typer.serves(mpidr)) return false;
        rd_base = base;
        return true;
      }))
    return KERR(Errc::NotFound, "GICv3: no redistributor has the affinity of CPU 0x%lx (GICR_TYPER)", mpidr.hwid());
  rd_[cpu] = rd_base;

  // Wake the redistributor: clear ProcessorSleep, wait for ChildrenAsleep to clear (IHI 0069
  // "Power management"); until then it does not forward this CPU's interrupts.
  const VirtAddr waker = rd_base.offset(GICR_WAKER);
  writel_relaxed(static_cast<uint32_t>(GicrWaker(readl_relaxed(waker)).set_processor_sleep(false).raw), waker);
  const uint64_t start = arch_counter(), limit = arch_us_to_counter(kWaitLimitUs);
  while (GicrWaker(readl_relaxed(waker)).children_asleep()) {
    if (arch_counter() - start > limit)
      return KERR(Errc::Invalid, "GICv3: CPU 0x%lx's redistributor did not wake (GICR_WAKER.ChildrenAsleep)",
                  mpidr.hwid());
    asm volatile("yield");
  }

  // This CPU's SGIs and PPIs, in the SGI_base frame: Non-secure Group 1; the PPIs the kernel has not
  // enabled here off and inactive; the SGIs on; default priority.
  const VirtAddr sgi = rd_base.offset(GICR_SGI_BASE);
  const uint32_t enabled = irq_percpu_enabled_mask(cpu);
  writel_relaxed(~0u, sgi.offset(GICR_IGROUPR0));
  writel_relaxed(0, sgi.offset(GICR_IGRPMODR0));
  writel_relaxed(0xffff0000u & ~enabled, sgi.offset(GICR_ICENABLER0));
  TRY(redist_rwp(rd_base));
  writel_relaxed(0xffff0000u & ~enabled, sgi.offset(GICR_ICACTIVER0));
  writel_relaxed(0x0000ffffu | enabled, sgi.offset(GICR_ISENABLER0));
  for (unsigned i = 0; i < kSpiBase; i += 4)
    writel_relaxed(priority_x4(kDefaultPriority), sgi.offset(byte_reg(GICR_IPRIORITYR, i)));
  // Cross-CPU calls need SGIs: none enabled means none this CPU can take (see enable()).
  if (!(readl_relaxed(sgi.offset(GICR_ISENABLER0)) & 0xffffu))
    return KERR(Errc::Invalid, "GICv3: no SGI of CPU 0x%lx can be enabled (GICR_ISENABLER0 = 0x%08x)%s", mpidr.hwid(),
                readl_relaxed(sgi.offset(GICR_ISENABLER0)),
                single_security_ ? "" : ": the firmware did not make them Non-secure Group 1");

  // The CPU interface. ICC_SRE_EL1.SRE selects the system registers (ICC_SRE_EL2.Enable, set by
  // head.S after an EL2 entry, lets EL1 write it); it must read back 1 before any other ICC_*
  // access. Then the priority mask, binary point 0, EOImode 0, and the Group 1 enable.
  if (!IccSreEl1::read().sre()) {
    IccSreEl1::read().set_sre(true).write();
    isb();
  }
  if (!IccSreEl1::read().sre())
    return KERR(Errc::Invalid,
                "GICv3: ICC_SRE_EL1.SRE does not stay set (a higher exception level keeps the memory-mapped "
                "interface)");
  IccPmrEl1().set_priority(kDefaultPmr).write();
  isb();
  // With SCR_EL3.FIQ = 1, a Non-secure write is ignored while the Secure value is below 0x80 (IHI
  // 0069, "ICC_PMR_EL1"): a mask that stays 0 lets nothing through.
  if (IccPmrEl1::read().priority() == 0)
    return KERR(Errc::Invalid, "GICv3: ICC_PMR_EL1 stays 0 after writing 0x%02x: every interrupt masked", kDefaultPmr);
  IccBpr1El1().set_binary_point(0).write();
  IccCtlrEl1 ctlr = IccCtlrEl1::read();
  ctlr.set_eoimode(false).write();
  rss_ = ctlr.rss();
  isb();
  IccIgrpen1El1().set_enable(true).write();
  isb();
  return {};
}

void GicV3::handle_irq() {
  for (unsigned n = 0; n < 32; ++n) {
    const unsigned intid = static_cast<unsigned>(gic_read_iar1().intid());
    if (is_special_intid(intid)) {
      if (n == 0) irq_note_spurious();
      return;
    }
    // A system register read is not a memory access a DMB orders: complete the acknowledge before
    // the handler's loads, so it sees what an SGI's sender stored before its dsb + ICC_SGI1R_EL1.
    dsb(sy);
    generic_handle_irq(intid);
    // Priority drop and deactivation; the ISB makes it take effect before the next acknowledge.
    gic_write_eoir1(intid);
    isb();
  }
}

// Non-secure accesses to the fields of Group 0 and Secure Group 1 interrupts are RAZ/WI (IHI 0069,
// "Interrupt grouping and security"), as are those of unimplemented INTIDs: an enable that reads
// back 0 is an interrupt this kernel will never take.
Status GicV3::enable(unsigned intid) {
  VirtAddr reg = dist_.offset(bit_reg(GICD_ISENABLER, intid));
  if (is_percpu(intid)) {
    const unsigned cpu = irq_cpu_index();
    if (cpu >= kIrqMaxCpus || rd_[cpu].is_null())
      return KERR(Errc::NotInitialised, "GICv3: INTID %u: this CPU has no redistributor set up", intid);
    reg = rd_[cpu].offset(GICR_SGI_BASE + GICR_ISENABLER0);
  }
  writel_relaxed(bit_mask(intid), reg);
  if (readl_relaxed(reg) & bit_mask(intid)) return {};
  return KERR(
      Errc::Invalid, "GICv3: INTID %u stays disabled (GICD/GICR_ISENABLER reads 0): not implemented%s", intid,
      single_security_ ? "" : ", or not Non-secure Group 1 (the firmware's choice in a two-security-state GIC)");
}

void GicV3::disable(unsigned intid) {
  // The disable has taken effect (no further signalling) when RWP reads 0; a GIC that never clears
  // it was reported at init, so the result is not checked again here, where nothing can be printed.
  if (is_percpu(intid)) {
    const unsigned cpu = irq_cpu_index();
    if (cpu < kIrqMaxCpus && !rd_[cpu].is_null()) {
      writel_relaxed(bit_mask(intid), rd_[cpu].offset(GICR_SGI_BASE + GICR_ICENABLER0));
      (void)redist_rwp(rd_[cpu]);
    }
    return;
  }
  wd(bit_reg(GICD_ICENABLER, intid), bit_mask(intid));
  (void)dist_rwp();
}

void GicV3::route_spi(unsigned intid, unsigned cpu) {
  writeq_relaxed(GicdIrouter::to_cpu(MpidrEl1(irq_cpu_mpidr(cpu))).raw, dist_.offset(gicd_irouter(intid)));
}

Status GicV3::send(MpidrEl1 target, unsigned sgi) const {
  if (target.aff0() >= 16 && !rss_)
    return KERR(Errc::OutOfRange,
                "GICv3: CPU 0x%lx has Aff0 >= 16, which this CPU interface cannot target (ICC_CTLR_EL1.RSS = 0)",
                target.hwid());
  // Complete the sender's stores before the SGI exists; the ISB makes the write take effect now.
  dsb(ishst);
  gic_write_sgi1r(IccSgi1rEl1::to_cpu(target, sgi));
  isb();
  return {};
}

Status GicV3::send_sgi(unsigned cpu, unsigned sgi) { return send(MpidrEl1(irq_cpu_mpidr(cpu)), sgi); }
Status GicV3::send_sgi_self(unsigned sgi) { return send(MpidrEl1::read(), sgi); }

uint8_t GicV3::set_priority_mask(uint8_t pmr) {
  const uint8_t old = static_cast<uint8_t>(IccPmrEl1::read().priority());
  IccPmrEl1().set_priority(pmr).write();
  isb();
  return old;
}

}  // namespace

Result<IrqChip*> gicv3_probe(const GicOfInfo& info) {
  TRY(g_gicv3.init(info));
  return static_cast<IrqChip*>(&g_gicv3);
}

}  // namespace kernel::irqchip
