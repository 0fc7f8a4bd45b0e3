// The GICv3 CPU interface as AArch64 system registers (ICC_*_EL1), typed: each field at its bit
// position from the GICv3/v4 architecture specification (IHI 0069), chapter "AArch64 System
// register descriptions of the CPU interface", by register name. The kernel uses Group 1
// (ICC_IAR1/EOIR1/IGRPEN1/SGI1R): it runs Non-secure, or on a GIC with a single security state.
// Kernel and host (tests/host/test_irq.cpp) both compile this file; only the kernel reads or
// writes the live registers.
#pragma once

#include <stdint.h>

#include "asm/hwreg.h"
#include "asm/sysreg_fields.h"

/* Encodings (op0_op1_CRn_CRm_op2), so that no assembler needs to know the names. */
#define SYS_ICC_PMR_EL1 S3_0_C4_C6_0
#define SYS_ICC_DIR_EL1 S3_0_C12_C11_1
#define SYS_ICC_RPR_EL1 S3_0_C12_C11_3
#define SYS_ICC_SGI1R_EL1 S3_0_C12_C11_5
#define SYS_ICC_IAR1_EL1 S3_0_C12_C12_0
#define SYS_ICC_EOIR1_EL1 S3_0_C12_C12_1
#define SYS_ICC_HPPIR1_EL1 S3_0_C12_C12_2
#define SYS_ICC_BPR1_EL1 S3_0_C12_C12_3
#define SYS_ICC_CTLR_EL1 S3_0_C12_C12_4
#define SYS_ICC_SRE_EL1 S3_0_C12_C12_5
#define SYS_ICC_IGRPEN1_EL1 S3_0_C12_C12_7

namespace kernel {

// "ICC_SRE_EL1, Interrupt Controller System Register Enable register (EL1)".
struct IccSreEl1 : SysRegBase<IccSreEl1> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, sre);  // the system register interface is used (not the memory-mapped GICC_*)
  DEF_BIT(1, dfb);  // FIQ bypass disabled
  DEF_BIT(2, dib);  // IRQ bypass disabled
  SYSREG_READ(IccSreEl1, SYS_ICC_SRE_EL1)
  SYSREG_WRITE(SYS_ICC_SRE_EL1)
};

// "ICC_CTLR_EL1, Interrupt Controller Control Register (EL1)".
struct IccCtlrEl1 : SysRegBase<IccCtlrEl1> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, cbpr);           // one binary point (BPR0) for both groups
  DEF_BIT(1, eoimode);        // 1: EOIR drops priority only, DIR deactivates
  DEF_BIT(6, pmhe);           // priority mask hint enable
  DEF_FIELD(10, 8, pribits);  // priority bits implemented, minus one (RO)
  DEF_FIELD(13, 11, idbits);  // 0: 16-bit INTIDs, 1: 24-bit (RO)
  DEF_BIT(14, seis);          // local SEI generation supported (RO)
  DEF_BIT(15, a3v);           // SGI1R.Aff3 may be non-zero (RO)
  DEF_BIT(18, rss);           // SGI targets with Aff0 16..255 (range selector) supported (RO)
  DEF_BIT(19, extrange);      // extended INTID ranges (RO)
  SYSREG_READ(IccCtlrEl1, SYS_ICC_CTLR_EL1)
  SYSREG_WRITE(SYS_ICC_CTLR_EL1)
};

// "ICC_PMR_EL1, Interrupt Controller Interrupt Priority Mask Register": only interrupts with a
// priority value lower (higher priority) than this are signalled.
struct IccPmrEl1 : SysRegBase<IccPmrEl1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(7, 0, priority);
  SYSREG_READ(IccPmrEl1, SYS_ICC_PMR_EL1)
  SYSREG_WRITE(SYS_ICC_PMR_EL1)
};

// "ICC_BPR1_EL1, Interrupt Controller Binary Point Register 1": how the priority splits into
// group priority (preemption) and subpriority.
struct IccBpr1El1 : SysRegBase<IccBpr1El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(2, 0, binary_point);
  SYSREG_READ(IccBpr1El1, SYS_ICC_BPR1_EL1)
  SYSREG_WRITE(SYS_ICC_BPR1_EL1)
};

// "ICC_IGRPEN1_EL1, Interrupt Controller Interrupt Group 1 Enable register".
struct IccIgrpen1El1 : SysRegBase<IccIgrpen1El1> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, enable);
  SYSREG_READ(IccIgrpen1El1, SYS_ICC_IGRPEN1_EL1)
  SYSREG_WRITE(SYS_ICC_IGRPEN1_EL1)
};

// "ICC_IAR1_EL1, Interrupt Controller Interrupt Acknowledge Register 1": reading it acknowledges
// the highest priority pending Group 1 interrupt (1020..1023: none, "special INTIDs").
struct IccIar1El1 : SysRegBase<IccIar1El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(23, 0, intid);
};

// "ICC_SGI1R_EL1, Interrupt Controller Software Generated Interrupt Group 1 Register". The
// targets are Aff3.Aff2.Aff1.<one of 16 Aff0 values>: TargetList bit n is Aff0 = RS * 16 + n.
struct IccSgi1rEl1 : SysRegBase<IccSgi1rEl1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(15, 0, target_list);
  DEF_FIELD(23, 16, aff1);
  DEF_FIELD(27, 24, intid);
  DEF_FIELD(39, 32, aff2);
  DEF_BIT(40, irm);  // 1: every PE but the sender, targets ignored
  DEF_FIELD(47, 44, rs);
  DEF_FIELD(55, 48, aff3);

  // The value that sends SGI `sgi` to the PE whose MPIDR_EL1 is `mpidr`. Aff0 >= 16 needs a range
  // selector, which only a CPU interface with ICC_CTLR_EL1.RSS = 1 accepts (the caller checks).
  static constexpr IccSgi1rEl1 to_cpu(MpidrEl1 mpidr, unsigned sgi) {
    return IccSgi1rEl1()
        .set_target_list(uint64_t{1} << (mpidr.aff0() % 16))
        .set_rs(mpidr.aff0() / 16)
        .set_aff1(mpidr.aff1())
        .set_aff2(mpidr.aff2())
        .set_aff3(mpidr.aff3())
        .set_intid(sgi);
  }
};

#ifndef KERNEL_HOST_BUILD
// One macro level more than read_sysreg/write_sysreg, so that the SYS_ICC_* encoding, not its
// name, reaches the mrs/msr.
#define gic_read_sysreg(r) read_sysreg(r)
#define gic_write_sysreg(v, r) write_sysreg(v, r)
inline IccIar1El1 gic_read_iar1() { return IccIar1El1(gic_read_sysreg(SYS_ICC_IAR1_EL1)); }
inline void gic_write_eoir1(uint64_t intid) { gic_write_sysreg(intid, SYS_ICC_EOIR1_EL1); }
inline void gic_write_sgi1r(IccSgi1rEl1 v) { gic_write_sysreg(v.raw, SYS_ICC_SGI1R_EL1); }
#endif

}  // namespace kernel
