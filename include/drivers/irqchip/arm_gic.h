// ARM Generic Interrupt Controller: the INTID space, the distributor registers GICv2 and GICv3
// share, and the GICv2 CPU interface, typed. Offsets and fields from the GIC architecture
// specification v2 (IHI 0048B), "Distributor register descriptions" and "CPU interface register
// descriptions"; the GICv3 ones (IHI 0069) are in arm_gic_v3.h. Pure values: the kernel's
// drivers (drivers/irqchip/) and the host tests compile this.
#pragma once

#include <stdint.h>

#include "asm/hwreg.h"
#include "kernel/error.h"

namespace kernel::gic {

using hwreg::SysRegBase;

// ---- INTIDs (IHI 0048B, "Interrupt IDs"; IHI 0069, "INTIDs") --------------------------------------
inline constexpr unsigned kSgiBase = 0, kNrSgis = 16;   // software generated, banked per CPU
inline constexpr unsigned kPpiBase = 16, kNrPpis = 16;  // private peripheral, banked per CPU
inline constexpr unsigned kSpiBase = 32;                // shared peripheral
inline constexpr unsigned kMaxIntid = 1020;             // 1020..1023 are special: never a real interrupt
inline constexpr unsigned kSpurious = 1023;             // "no pending interrupt" (GICC_IAR, ICC_IAR1_EL1)

constexpr bool is_special_intid(unsigned intid) { return intid >= kMaxIntid && intid <= 1023; }
constexpr bool is_sgi(unsigned intid) { return intid < kPpiBase; }
constexpr bool is_percpu(unsigned intid) { return intid < kSpiBase; }  // SGI or PPI: banked
constexpr const char* intid_kind(unsigned intid) { return is_sgi(intid) ? "SGI" : is_percpu(intid) ? "PPI" : "SPI"; }

// The device-tree binding of both GICs (arm,gic.yaml, arm,gic-v3.yaml): an interrupt specifier is
// <type number flags>; type 0 is an SPI numbered from 0, type 1 a PPI numbered from 0.
inline constexpr uint32_t kDtSpi = 0, kDtPpi = 1;
inline Result<unsigned> dt_intid(uint32_t type, uint32_t number) {
  if (type == kDtSpi && number < kMaxIntid - kSpiBase) return kSpiBase + number;
  if (type == kDtPpi && number < kNrPpis) return kPpiBase + number;
  return KERR(Errc::Invalid, "interrupt specifier <%u %u>: not a GIC SPI (type 0, 0..987) or PPI (type 1, 0..15)", type,
              number);
}

// ---- Registers with one bit, two bits or one byte per INTID ------------------------------------------
// Bit n of register base + 4 * (n / 32): IGROUPR, ISENABLER, ICENABLER, ISPENDR, ICPENDR,
// ISACTIVER, ICACTIVER (and GICv3's IGRPMODR).
constexpr uint32_t bit_reg(uint32_t base, unsigned intid) { return base + 4 * (intid / 32); }
constexpr uint32_t bit_mask(unsigned intid) { return 1u << (intid % 32); }
// Byte n: IPRIORITYR, ITARGETSR.
constexpr uint32_t byte_reg(uint32_t base, unsigned intid) { return base + intid; }
// Two bits 2 * (n % 16) of register base + 4 * (n / 16): ICFGR.
constexpr uint32_t cfg_reg(uint32_t base, unsigned intid) { return base + 4 * (intid / 16); }

// ---- Distributor, GICv2 and GICv3 (IHI 0048B "Distributor register map"; IHI 0069 "The GIC
// Distributor register map") ----------------------------------------------------------------------
inline constexpr uint32_t GICD_CTLR = 0x000, GICD_TYPER = 0x004, GICD_IIDR = 0x008, GICD_IGROUPR = 0x080,
                          GICD_ISENABLER = 0x100, GICD_ICENABLER = 0x180, GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280,
                          GICD_ISACTIVER = 0x300, GICD_ICACTIVER = 0x380, GICD_IPRIORITYR = 0x400,
                          GICD_ITARGETSR = 0x800, GICD_ICFGR = 0xc00, GICD_SGIR = 0xf00, GICD_CPENDSGIR = 0xf10;

// "GICD_TYPER, Interrupt Controller Type Register" (the GICv3 fields too).
struct GicdTyper : SysRegBase<GicdTyper> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(4, 0, it_lines_number);  // 32 * (N + 1) INTIDs, at most 1020
  DEF_FIELD(7, 5, cpu_number);       // GICv2: CPU interfaces - 1 (GICv3 with ARE: not meaningful)
  DEF_BIT(10, security_extn);        // two security states (GICv3: RAZ when GICD_CTLR.DS = 1)
  DEF_FIELD(15, 11, lspi);           // GICv2: lockable SPIs
  DEF_BIT(17, lpis);                 // GICv3: LPIs supported
  DEF_FIELD(23, 19, id_bits);        // GICv3: INTID bits - 1
  // INTIDs below this exist: SGIs, PPIs and the SPIs.
  constexpr unsigned nr_irqs() const {
    const unsigned n = 32 * (static_cast<unsigned>(it_lines_number()) + 1);
    return n > kMaxIntid ? kMaxIntid : n;
  }
  constexpr unsigned nr_spis() const { return nr_irqs() - kSpiBase; }
};

// "GICD_CTLR" of GICv2, as Secure software (or any software, on a GIC without the Security
// Extensions) sees it. Non-secure software sees one bit: bit 0, the Group 1 enable.
struct GicdCtlr : SysRegBase<GicdCtlr> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable_grp0);
  DEF_BIT(1, enable_grp1);
};

// "GICD_SGIR, Software Generated Interrupt Register" (GICv2; write-only).
enum class SgirFilter : uint64_t { TargetList = 0, AllButSelf = 1, Self = 2 };
struct GicdSgir : SysRegBase<GicdSgir> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(3, 0, sgiintid);
  DEF_BIT(15, nsatt);                  // Secure writes only: send the SGI only if it is Group 1
  DEF_FIELD(23, 16, cpu_target_list);  // one bit per CPU interface (GICD_ITARGETSR numbering)
  DEF_ENUM_FIELD(SgirFilter, 25, 24, target_list_filter);
  static constexpr GicdSgir to_targets(uint8_t cpu_interfaces, unsigned sgi) {
    return GicdSgir()
        .set_target_list_filter(SgirFilter::TargetList)
        .set_cpu_target_list(cpu_interfaces)
        .set_sgiintid(sgi);
  }
  static constexpr GicdSgir to_self(unsigned sgi) {
    return GicdSgir().set_target_list_filter(SgirFilter::Self).set_sgiintid(sgi);
  }
};

// ---- GICv2 CPU interface (IHI 0048B, "CPU interface register map") ----------------------------------
inline constexpr uint32_t GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_BPR = 0x08, GICC_IAR = 0x0c, GICC_EOIR = 0x10,
                          GICC_RPR = 0x14, GICC_HPPIR = 0x18, GICC_IIDR = 0xfc;

// "GICC_CTLR, CPU Interface Control Register", Secure (or no Security Extensions) view.
struct GiccCtlr : SysRegBase<GiccCtlr> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable_grp0);
  DEF_BIT(1, enable_grp1);
  DEF_BIT(2, ackctl);  // GICC_IAR may acknowledge Group 1 too (deprecated by Arm)
  DEF_BIT(3, fiqen);   // 1: Group 0 is signalled as FIQ; 0: as IRQ
  DEF_BIT(4, cbpr);
  DEF_FIELD(8, 5, bypass_disable);  // FIQBypDisGrp0, IRQBypDisGrp0, FIQBypDisGrp1, IRQBypDisGrp1
  DEF_BIT(9, eoimode_s);            // 1: GICC_EOIR drops priority only, GICC_DIR deactivates
  DEF_BIT(10, eoimode_ns);
};
// The same register as Non-secure software sees it on a GIC with the Security Extensions.
struct GiccCtlrNs : SysRegBase<GiccCtlrNs> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable_grp1);
  DEF_FIELD(6, 5, bypass_disable);  // FIQBypDisGrp1, IRQBypDisGrp1
  DEF_BIT(9, eoimode_ns);
};

// "GICC_IAR, Interrupt Acknowledge Register". The whole value goes back to GICC_EOIR.
struct GiccIar : SysRegBase<GiccIar> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(9, 0, interrupt_id);
  DEF_FIELD(12, 10, cpuid);  // SGIs: the CPU interface that sent it
};

// Priorities: lower is more urgent. The kernel gives every interrupt one priority and unmasks
// everything above the lowest values (as Linux: GICD_INT_DEF_PRI, DEFAULT_PMR_VALUE). Both have
// their low bits clear, so they survive a GIC that implements only 4 priority bits (the fewest
// Non-secure software can see: IHI 0048B "Interrupt prioritization").
inline constexpr uint8_t kDefaultPriority = 0xa0;
inline constexpr uint8_t kDefaultPmr = 0xf0;
inline constexpr uint32_t priority_x4(uint8_t p) { return 0x01010101u * p; }

// The distributor's SPI state both versions reset the same way, with the distributor off (its
// registers sit at the same offsets in IHI 0048B and IHI 0069): every SPI disabled, inactive, not
// pending, level-sensitive (Int_config[1] = 0) and at the default priority. Groups and routing
// are each version's own. `wd(offset, value)` writes a distributor register.
template <typename WriteDist>
void reset_spis(WriteDist wd, unsigned nr_irqs) {
  for (unsigned i = kSpiBase; i < nr_irqs; i += 32) {
    wd(bit_reg(GICD_ICENABLER, i), ~0u);
    wd(bit_reg(GICD_ICACTIVER, i), ~0u);
    wd(bit_reg(GICD_ICPENDR, i), ~0u);
  }
  for (unsigned i = kSpiBase; i < nr_irqs; i += 16) wd(cfg_reg(GICD_ICFGR, i), 0);
  for (unsigned i = kSpiBase; i < nr_irqs; i += 4) wd(byte_reg(GICD_IPRIORITYR, i), priority_x4(kDefaultPriority));
}

}  // namespace kernel::gic
