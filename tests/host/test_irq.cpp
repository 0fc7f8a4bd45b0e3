// Interrupts and time, what can run on the host: the GIC register encodings the drivers write
// (GICD_SGIR, ICC_SGI1R_EL1 from an MPIDR, GICR_TYPER's affinity match, GICD_IROUTER, GICD_TYPER),
// and the device-tree side on real trees: QEMU's virt with a GICv2 and with a GICv3 (dumped by
// tools/install-deps), Debian's Raspberry Pi 4/400/CM4 trees (the GIC-400 behind /soc ranges) and
// the Pi 3's (no GIC: the message names its bcm2836-l1-intc), plus edited copies for the corner
// cases (several redistributor regions, a stride, a disabled GIC, timer interrupts that are SPIs).
#include <gtest/gtest.h>
#include <libfdt.h>

#include <string>
#include <vector>

#include "asm/arch_gicv3.h"
#include "drivers/arm_arch_timer.h"
#include "drivers/irqchip/arm_gic.h"
#include "drivers/irqchip/arm_gic_v3.h"
#include "drivers/irqchip/gic_of.h"
#include "drivers/of_irq.h"
#include "dtb_files.h"

namespace kernel::test {
namespace {

using irqchip::GicVersion;

std::string message(const Error& e) {
  char buf[320];
  e.format(buf, sizeof buf);
  return buf;
}

// A writable copy of a DTB with room for edits.
std::vector<char> editable(const std::vector<char>& dtb) {
  std::vector<char> b(dtb.size() + 4096);
  EXPECT_EQ(fdt_open_into(dtb.data(), b.data(), static_cast<int>(b.size())), 0);
  return b;
}

void set_cells(std::vector<char>& b, const char* path, const char* prop, std::vector<uint32_t> cells) {
  for (uint32_t& c : cells) c = cpu_to_fdt32(c);
  const int node = fdt_path_offset(b.data(), path);
  ASSERT_GE(node, 0) << path;
  ASSERT_EQ(fdt_setprop(b.data(), node, prop, cells.data(), static_cast<int>(4 * cells.size())), 0);
}

// ---- Register encodings --------------------------------------------------------------------------------

TEST(GicRegisters, SgirTargetsAListOrTheSender) {
  // GICD_SGIR: TargetListFilter [25:24], CPUTargetList [23:16], NSATT [15], SGIINTID [3:0].
  EXPECT_EQ(gic::GicdSgir::to_self(15).raw, 0x0200000fu);
  EXPECT_EQ(gic::GicdSgir::to_targets(0x02, 3).raw, 0x00020003u);
  EXPECT_EQ(gic::GicdSgir::to_targets(0x81, 0).raw, 0x00810000u);
  EXPECT_FALSE(gic::GicdSgir::to_self(1).nsatt());  // group 0 SGIs (Secure view); ignored Non-secure
}

TEST(GicRegisters, Sgi1rNamesTheTargetByItsAffinity) {
  // Aff0 < 16: TargetList bit Aff0, RS 0; INTID [27:24]; Aff1 [23:16], Aff2 [39:32], Aff3 [55:48].
  EXPECT_EQ(IccSgi1rEl1::to_cpu(MpidrEl1(0x80000000), 1).raw, 0x0100'0001u);  // CPU 0 (bit 31 is RES1)
  EXPECT_EQ(IccSgi1rEl1::to_cpu(MpidrEl1(0x0103), 7).raw, 0x0701'0008u);      // Aff1 1, Aff0 3
  const IccSgi1rEl1 far = IccSgi1rEl1::to_cpu(MpidrEl1(0x05'0002'0000), 0);   // Aff3 5, Aff2 2
  EXPECT_EQ(far.raw, 0x0005'0002'0000'0001u);
  EXPECT_EQ(far.aff3(), 5u);
  EXPECT_EQ(far.aff2(), 2u);
  // Aff0 >= 16 needs the range selector: Aff0 = RS * 16 + bit.
  const IccSgi1rEl1 hi = IccSgi1rEl1::to_cpu(MpidrEl1(0x11), 2);
  EXPECT_EQ(hi.rs(), 1u);
  EXPECT_EQ(hi.target_list(), 1u << 1);
  EXPECT_EQ(hi.raw, 0x0000'1000'0200'0002u);
  EXPECT_FALSE(hi.irm());
}

TEST(GicRegisters, RedistributorTyperMatchesTheMpidrAffinity) {
  // GICR_TYPER.Affinity_Value [63:32] is Aff3.Aff2.Aff1.Aff0; MPIDR keeps Aff3 at [39:32].
  const MpidrEl1 cpu(0x8000'0000 | 0x01'0002'0304ull);
  EXPECT_EQ(gic::GicrTyper::affinity_of(cpu), 0x01020304u);
  const gic::GicrTyper typer(0x01020304ull << 32 | 1 << 4);  // Last
  EXPECT_TRUE(typer.serves(cpu));
  EXPECT_TRUE(typer.last());
  EXPECT_FALSE(typer.serves(MpidrEl1(0x01'0002'0305ull)));
  EXPECT_FALSE(typer.serves(MpidrEl1(0x0002'0304ull)));  // Aff3 differs
  EXPECT_EQ(typer.stride(), 0x20000u);                   // RD_base + SGI_base
  EXPECT_EQ(gic::GicrTyper(1 << 1).stride(), 0x40000u);  // VLPIS: GICv4's two more frames
  EXPECT_TRUE(gic::GicrWaker(1 << 2).children_asleep());
  EXPECT_EQ(gic::GicrWaker(0x6).set_processor_sleep(false).raw, 0x4u);
}

TEST(GicRegisters, IrouterAndDistributorControl) {
  EXPECT_EQ(gic::GicdIrouter::to_cpu(MpidrEl1(0x8000'0000 | 0x01'0002'0304ull)).raw, 0x01'0002'0304u);
  EXPECT_FALSE(gic::GicdIrouter::to_cpu(MpidrEl1(0x8000'0000)).interrupt_routing_mode());
  EXPECT_EQ(gic::gicd_irouter(32), 0x6100u);
  // The enable the driver writes: ARE + the Non-secure Group 1 enable, the same bits in both views.
  EXPECT_EQ(gic::GicdCtlrV3().set_are(true).set_enable_grp1(true).raw, 0x12u);
  EXPECT_EQ(gic::GicdCtlrNs().set_are_ns(true).set_enable_grp1a(true).raw, 0x12u);
  EXPECT_TRUE(gic::GicdCtlrV3(0x80000000).rwp());
  EXPECT_EQ(gic::GicrCtlr::rwp_bits.lo, 3u);
}

TEST(GicRegisters, TyperCountsInterruptsAndCapsAt1020) {
  EXPECT_EQ(gic::GicdTyper(7).nr_irqs(), 256u);  // QEMU virt's GICv3
  EXPECT_EQ(gic::GicdTyper(7).nr_spis(), 224u);
  EXPECT_EQ(gic::GicdTyper(6).nr_spis(), 192u);    // QEMU raspi4b's GIC-400
  EXPECT_EQ(gic::GicdTyper(31).nr_irqs(), 1020u);  // 1020..1023 are special, never interrupts
  EXPECT_EQ(gic::GicdTyper(31).nr_spis(), 988u);
  EXPECT_TRUE(gic::GicdTyper(1 << 10).security_extn());
}

TEST(GicRegisters, AcknowledgeAndPerInterruptRegisters) {
  const gic::GiccIar iar(0x0c05);
  EXPECT_EQ(iar.interrupt_id(), 5u);
  EXPECT_EQ(iar.cpuid(), 3u);  // an SGI from CPU interface 3
  EXPECT_TRUE(gic::is_special_intid(1023) && gic::is_special_intid(1020) && !gic::is_special_intid(1019));
  EXPECT_EQ(gic::bit_reg(gic::GICD_ISENABLER, 33), 0x104u);
  EXPECT_EQ(gic::bit_mask(33), 2u);
  EXPECT_EQ(gic::byte_reg(gic::GICD_IPRIORITYR, 27), 0x41bu);
  EXPECT_EQ(gic::cfg_reg(gic::GICD_ICFGR, 32), 0xc08u);
  EXPECT_EQ(gic::priority_x4(gic::kDefaultPriority), 0xa0a0a0a0u);
  EXPECT_STREQ(gic::intid_kind(3), "SGI");
  EXPECT_STREQ(gic::intid_kind(27), "PPI");
  EXPECT_STREQ(gic::intid_kind(32), "SPI");
  // GICv2 CPU interface control: bypass bits kept, EOImode 0, FIQEn 0, the group enable.
  EXPECT_EQ(gic::GiccCtlr().set_bypass_disable(0xf).set_enable_grp0(true).raw, 0x1e1u);
  EXPECT_EQ(gic::GiccCtlrNs().set_bypass_disable(0x3).set_enable_grp1(true).raw, 0x61u);
}

TEST(GicRegisters, DeviceTreeSpecifiersToIntids) {
  EXPECT_EQ(gic::dt_intid(gic::kDtPpi, 11).value(), 27u);  // the virtual timer
  EXPECT_EQ(gic::dt_intid(gic::kDtPpi, 14).value(), 30u);  // the physical timer
  EXPECT_EQ(gic::dt_intid(gic::kDtSpi, 0).value(), 32u);
  EXPECT_EQ(gic::dt_intid(gic::kDtSpi, 987).value(), 1019u);
  EXPECT_EQ(gic::dt_intid(gic::kDtSpi, 988), Errc::Invalid);
  EXPECT_EQ(gic::dt_intid(gic::kDtPpi, 16), Errc::Invalid);
  EXPECT_EQ(gic::dt_intid(2, 0), Errc::Invalid);  // an LPI/extended type: not handled
  EXPECT_NE(message(gic::dt_intid(gic::kDtPpi, 16).error()).find("<1 16>"), std::string::npos);
}

// ---- The device tree ---------------------------------------------------------------------------------

TEST(GicOf, QemuVirtDefaultsToAGicV2) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(dtb.data());
  ASSERT_TRUE(r.ok()) << message(r.error());
  EXPECT_EQ(r.value().version, GicVersion::V2);
  EXPECT_STREQ(r.value().compatible, "arm,cortex-a15-gic");
  EXPECT_STREQ(r.value().model, "Cortex-A15 GIC");
  EXPECT_EQ(r.value().dist.base, 0x08000000u);
  EXPECT_EQ(r.value().dist.size, 0x10000u);
  EXPECT_EQ(r.value().cpu.base, 0x08010000u);
  EXPECT_EQ(r.value().nr_redist_regions, 0u);
}

TEST(GicOf, QemuVirtGicV3HasItsRedistributorRegion) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-gicv3.dtb");
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(dtb.data());
  ASSERT_TRUE(r.ok()) << message(r.error());
  EXPECT_EQ(r.value().version, GicVersion::V3);
  EXPECT_STREQ(r.value().model, "GICv3");
  EXPECT_EQ(r.value().dist.base, 0x08000000u);
  ASSERT_EQ(r.value().nr_redist_regions, 1u);
  EXPECT_EQ(r.value().redist[0].base, 0x080a0000u);
  EXPECT_EQ(r.value().redist[0].size, 0xf60000u);  // room for 123 redistributors of 128 KiB
  EXPECT_EQ(r.value().redist_stride, 0u);
}

TEST(GicOf, SeveralRedistributorRegionsAndAStride) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-gicv3.dtb");
  std::vector<char> b = editable(dtb);
  set_cells(b, "/intc@8000000", "reg",
            {0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000, 0, 0x10000000, 0, 0x80000});
  set_cells(b, "/intc@8000000", "#redistributor-regions", {2});
  set_cells(b, "/intc@8000000", "redistributor-stride", {0, 0x40000});
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(b.data());
  ASSERT_TRUE(r.ok()) << message(r.error());
  ASSERT_EQ(r.value().nr_redist_regions, 2u);
  EXPECT_EQ(r.value().redist[1].base, 0x10000000u);
  EXPECT_EQ(r.value().redist[1].size, 0x80000u);
  EXPECT_EQ(r.value().redist_stride, 0x40000u);
  // A region the reg property does not have, and a stride that is not whole frames.
  set_cells(b, "/intc@8000000", "#redistributor-regions", {3});
  EXPECT_EQ(irqchip::gic_of_probe(b.data()), Errc::Invalid);
  set_cells(b, "/intc@8000000", "#redistributor-regions", {2});
  set_cells(b, "/intc@8000000", "redistributor-stride", {0, 0x1000});
  r = irqchip::gic_of_probe(b.data());
  EXPECT_EQ(r, Errc::Invalid);
  EXPECT_NE(message(r.error()).find("/intc@8000000: redistributor-stride 0x1000"), std::string::npos)
      << message(r.error());
}

TEST(GicOf, ADisabledGicIsNotUsed) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  std::vector<char> b = editable(dtb);
  const int gic = fdt_path_offset(b.data(), "/intc@8000000");
  ASSERT_GE(gic, 0);
  ASSERT_EQ(fdt_setprop_string(b.data(), gic, "status", "disabled"), 0);
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(b.data());
  EXPECT_EQ(r, Errc::NotFound);
  EXPECT_EQ(message(r.error()), "no supported interrupt controller in the device tree (found arm,cortex-a15-gic)");
}

struct PiCase {
  const char* dtb;
};
class GicOfRaspberryPi4 : public ::testing::TestWithParam<PiCase> {};

TEST_P(GicOfRaspberryPi4, FindsTheGic400BehindSocRanges) {
  LOAD_DTB_OR_FAIL(dtb, GetParam().dtb);
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(dtb.data());
  ASSERT_TRUE(r.ok()) << message(r.error());
  EXPECT_EQ(r.value().version, GicVersion::V2);
  EXPECT_STREQ(r.value().model, "GIC-400");
  // reg <0x40041000 0x1000>, <0x40042000 0x2000> on the bus; /soc maps 0x40000000 to 0xff800000.
  EXPECT_EQ(r.value().dist.base, 0xff841000u);
  EXPECT_EQ(r.value().dist.size, 0x1000u);
  EXPECT_EQ(r.value().cpu.base, 0xff842000u);
  EXPECT_EQ(r.value().cpu.size, 0x2000u);
  Result<ArchTimerOfInfo> t = arch_timer_of_probe(dtb.data());
  ASSERT_TRUE(t.ok()) << message(t.error());
  EXPECT_EQ(t.value().intid[ARCH_TIMER_VIRT_PPI], 27u);
  EXPECT_EQ(t.value().intid[ARCH_TIMER_PHYS_NONSECURE_PPI], 30u);
  EXPECT_EQ(t.value().clock_frequency, 0u);  // the armstub sets CNTFRQ_EL0 (54 MHz)
}
INSTANTIATE_TEST_SUITE_P(Debian, GicOfRaspberryPi4,
                         ::testing::Values(PiCase{"broadcom/bcm2711-rpi-4-b.dtb"},
                                           PiCase{"broadcom/bcm2711-rpi-400.dtb"},
                                           PiCase{"broadcom/bcm2711-rpi-cm4-io.dtb"}),
                         ::kernel::test::DtbParamName());

TEST(GicOf, RaspberryPi3HasNoGicAndSaysWhatItHas) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2837-rpi-3-b.dtb");
  Result<irqchip::GicOfInfo> r = irqchip::gic_of_probe(dtb.data());
  EXPECT_EQ(r, Errc::NotFound);
  // The timer's interrupt-parent, the per-CPU controller (not the root's bcm2836-armctrl-ic).
  EXPECT_EQ(message(r.error()), "no supported interrupt controller in the device tree (found brcm,bcm2836-l1-intc)");
  EXPECT_STREQ(irqchip::of_describe_interrupt_controller(dtb.data()), "brcm,bcm2836-l1-intc");
  Result<ArchTimerOfInfo> t = arch_timer_of_probe(dtb.data());
  EXPECT_EQ(t, Errc::Invalid);
  EXPECT_NE(message(t.error()).find("/timer: its interrupts go to brcm,bcm2836-l1-intc, not to a GIC"),
            std::string::npos)
      << message(t.error());
}

TEST(ArchTimerOf, QemuVirtTimerPpis) {
  for (const char* name : {"qemu-virt.dtb", "qemu-virt-gicv3.dtb"}) {
    LOAD_DTB_OR_FAIL(dtb, name);
    Result<ArchTimerOfInfo> t = arch_timer_of_probe(dtb.data());
    ASSERT_TRUE(t.ok()) << name << ": " << message(t.error());
    EXPECT_EQ(t.value().nr_ppis, 4u) << name;
    EXPECT_EQ(t.value().intid[ARCH_TIMER_PHYS_SECURE_PPI], 29u) << name;
    EXPECT_EQ(t.value().intid[ARCH_TIMER_PHYS_NONSECURE_PPI], 30u) << name;
    EXPECT_EQ(t.value().intid[ARCH_TIMER_VIRT_PPI], 27u) << name;
    EXPECT_EQ(t.value().intid[ARCH_TIMER_HYP_PPI], 26u) << name;
    EXPECT_EQ(t.value().intid[ARCH_TIMER_HYP_VIRT_PPI], 0u) << name;  // QEMU 7.2 lists four
  }
}

TEST(ArchTimerOf, TwoEntriesHaveNoVirtualTimerAndAnSpiIsRefused) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  std::vector<char> b = editable(dtb);
  set_cells(b, "/timer", "interrupts", {1, 13, 0x104, 1, 14, 0x104});
  Result<ArchTimerOfInfo> t = arch_timer_of_probe(b.data());
  ASSERT_TRUE(t.ok()) << message(t.error());
  EXPECT_EQ(t.value().nr_ppis, 2u);
  EXPECT_EQ(t.value().intid[ARCH_TIMER_VIRT_PPI], 0u);
  set_cells(b, "/timer", "interrupts", {1, 13, 0x104, 0, 14, 0x4});
  t = arch_timer_of_probe(b.data());
  EXPECT_EQ(t, Errc::Invalid);
  EXPECT_NE(message(t.error()).find("/timer: interrupt 1 is not a PPI (<0 14 ...>)"), std::string::npos)
      << message(t.error());
  const int timer = fdt_path_offset(b.data(), "/timer");
  ASSERT_EQ(fdt_setprop_string(b.data(), timer, "status", "disabled"), 0);
  EXPECT_EQ(arch_timer_of_probe(b.data()), Errc::NotFound);
}

TEST(ArchTimerOf, RateAsLinuxPrintsIt) {
  char buf[32];
  arch_timer_format_rate(buf, sizeof buf, 62'500'000);
  EXPECT_STREQ(buf, "62.50MHz");  // QEMU
  arch_timer_format_rate(buf, sizeof buf, 54'000'000);
  EXPECT_STREQ(buf, "54.00MHz");  // Raspberry Pi 4
  arch_timer_format_rate(buf, sizeof buf, 19'200'000);
  EXPECT_STREQ(buf, "19.20MHz");  // Raspberry Pi 3
  arch_timer_format_rate(buf, sizeof buf, 1'000'000'000);
  EXPECT_STREQ(buf, "1000.00MHz");  // Armv8.6's fixed 1 GHz
}

TEST(OfIrq, InterruptParentIsInheritedAndCellsFollowTheController) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2711-rpi-4-b.dtb");
  const void* fdt = dtb.data();
  const int uart = fdt_path_offset(fdt, "/soc/serial@7e201000");
  ASSERT_GE(uart, 0);
  const int gic = of::irq_find_parent(fdt, uart);  // from the root's interrupt-parent
  ASSERT_GE(gic, 0);
  EXPECT_STREQ(of::first_compatible(fdt, gic), "arm,gic-400");
  EXPECT_EQ(of::irq_count(fdt, uart), 1);
  Result<of::IrqSpec> s = of::irq_parse_one(fdt, uart, 0);
  ASSERT_TRUE(s.ok()) << message(s.error());
  EXPECT_EQ(s.value().ncells, 3u);
  EXPECT_EQ(s.value().cells[0], gic::kDtSpi);
  EXPECT_EQ(gic::dt_intid(s.value().cells[0], s.value().cells[1]).value(), 32u + s.value().cells[1]);
  EXPECT_EQ(of::irq_parse_one(fdt, uart, 1), Errc::NotFound);
  EXPECT_EQ(of::irq_parse_one(fdt, 0, 0), Errc::NotFound);  // the root has no "interrupts"
}

}  // namespace
}  // namespace kernel::test
