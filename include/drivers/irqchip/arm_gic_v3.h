// GICv3 distributor and redistributor registers, typed: offsets and fields from the GICv3/v4
// architecture specification (IHI 0069), "The GIC Distributor register map", "The GIC
// Redistributor register map" and the register descriptions, by register name. The CPU interface
// is system registers: asm/arch_gicv3.h. Pure values, for the driver and the host tests.
#pragma once

#include <stdint.h>

#include "asm/sysreg_fields.h"
#include "drivers/irqchip/arm_gic.h"

namespace kernel::gic {

// ---- Distributor (the GICv2 registers of arm_gic.h, plus) -----------------------------------------------
inline constexpr uint32_t GICD_IGRPMODR = 0x0d00, GICD_IROUTER = 0x6000, GICD_PIDR2 = 0xffe8;
constexpr uint32_t gicd_irouter(unsigned intid) { return GICD_IROUTER + 8 * intid; }  // SPIs only

// "GICD_CTLR, Distributor Control Register". With a single security state (GICD_CTLR.DS = 1, as
// QEMU's virt machine without secure=on) software sees this layout; Non-secure software of a GIC
// with two security states sees GicdCtlrNs. Both have the Non-secure Group 1 enable at bit 1 and
// affinity routing at bit 4, which is what the kernel sets.
struct GicdCtlrV3 : SysRegBase<GicdCtlrV3> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable_grp0);
  DEF_BIT(1, enable_grp1);
  DEF_BIT(4, are);   // affinity routing: GICD_IROUTER, redistributors, system register CPU interface
  DEF_BIT(6, ds);    // disable security: 1 = a single security state (RAZ to Non-secure software)
  DEF_BIT(31, rwp);  // register write pending: the last CTLR or ICENABLER write is not done yet
};
struct GicdCtlrNs : SysRegBase<GicdCtlrNs> {
  using SysRegBase::SysRegBase;
  DEF_BIT(1, enable_grp1a);
  DEF_BIT(4, are_ns);
  DEF_BIT(31, rwp);
};

// "GICD_IROUTER<n>, Interrupt Routing Registers": where SPI n goes when affinity routing is on.
struct GicdIrouter : SysRegBase<GicdIrouter> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(7, 0, aff0);
  DEF_FIELD(15, 8, aff1);
  DEF_FIELD(23, 16, aff2);
  DEF_BIT(31, interrupt_routing_mode);  // 1: any participating PE; 0: the PE named here
  DEF_FIELD(39, 32, aff3);
  static constexpr GicdIrouter to_cpu(MpidrEl1 m) {
    return GicdIrouter().set_aff0(m.aff0()).set_aff1(m.aff1()).set_aff2(m.aff2()).set_aff3(m.aff3());
  }
};

// "GICD_PIDR2" / "GICR_PIDR2", Peripheral ID2: which GIC architecture the block implements.
struct GicPidr2 : SysRegBase<GicPidr2> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(7, 4, archrev);  // 1: GICv1, 2: GICv2, 3: GICv3, 4: GICv4
};

// ---- Redistributor: an RD_base frame and an SGI_base frame of 64 KiB each; GICv4 adds two more
// (VLPI_base and a reserved one) when GICR_TYPER.VLPIS = 1 -----------------------------------------------
inline constexpr uint64_t kGicrFrameSize = 0x10000;
inline constexpr uint64_t kGicrStrideV3 = 2 * kGicrFrameSize, kGicrStrideV4 = 4 * kGicrFrameSize;
inline constexpr uint32_t GICR_CTLR = 0x0000, GICR_IIDR = 0x0004, GICR_TYPER = 0x0008, GICR_WAKER = 0x0014,
                          GICR_PIDR2 = 0xffe8;
inline constexpr uint64_t GICR_SGI_BASE = kGicrFrameSize;  // offsets below are from SGI_base
inline constexpr uint32_t GICR_IGROUPR0 = 0x0080, GICR_ISENABLER0 = 0x0100, GICR_ICENABLER0 = 0x0180,
                          GICR_ICPENDR0 = 0x0280, GICR_ICACTIVER0 = 0x0380, GICR_IPRIORITYR = 0x0400,
                          GICR_ICFGR0 = 0x0c00, GICR_ICFGR1 = 0x0c04, GICR_IGRPMODR0 = 0x0d00;

// "GICR_CTLR, Redistributor Control Register".
struct GicrCtlr : SysRegBase<GicrCtlr> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable_lpis);
  DEF_BIT(3, rwp);  // a write to GICR_ICENABLER0 (or to CTLR) has not taken effect yet
};

// "GICR_TYPER, Redistributor Type Register" (64 bits): which PE this redistributor serves.
struct GicrTyper : SysRegBase<GicrTyper> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, plpis);
  DEF_BIT(1, vlpis);  // GICv4 direct virtual LPI injection: two more 64 KiB frames
  DEF_BIT(4, last);   // the last redistributor of its region
  DEF_FIELD(23, 8, processor_number);
  DEF_FIELD(63, 32, affinity_value);  // Aff3.Aff2.Aff1.Aff0 of the PE, one byte each
  // MPIDR_EL1's affinity in GICR_TYPER's packing.
  static constexpr uint64_t affinity_of(MpidrEl1 m) {
    return m.aff3() << 24 | m.aff2() << 16 | m.aff1() << 8 | m.aff0();
  }
  constexpr bool serves(MpidrEl1 m) const { return affinity_value() == affinity_of(m); }
  constexpr uint64_t stride() const { return vlpis() ? kGicrStrideV4 : kGicrStrideV3; }
};

// "GICR_WAKER, Redistributor Wake Register": a PE's redistributor stays asleep (its interrupts
// are not forwarded) until software clears ProcessorSleep and waits for ChildrenAsleep to clear.
struct GicrWaker : SysRegBase<GicrWaker> {
  using SysRegBase::SysRegBase;
  DEF_BIT(1, processor_sleep);
  DEF_BIT(2, children_asleep);
};

}  // namespace kernel::gic
