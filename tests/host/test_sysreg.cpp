// The typed system register views (asm/sysreg_fields.h) and the constants head.S writes
// (asm/sysreg_defs.h), checked against values read from real CPUs and against the encodings the
// kernel wrote as raw numbers before they had names.
#include <gtest/gtest.h>

#include "asm/pgtable.h"
#include "asm/sysreg_fields.h"

namespace kernel {
namespace {

// TCR_EL1 without IPS, written out by hand from the Arm ARM's field table for each granule:
// T0SZ = T1SZ = 16, IRGN/ORGN = 0b01, SH = 0b11 for both halves, and TG0 (bits [15:14]) / TG1
// (bits [31:30]): 4K 0b00 / 0b10, 16K 0b10 / 0b01, 64K 0b01 / 0b11.
constexpr uint64_t kTcrNoIps = PAGE_SHIFT == 12 ? 0xb510'3510u : PAGE_SHIFT == 14 ? 0x7510'b510u : 0xf510'7510u;

TEST(SysRegTcr, KernelValueComposedFromFieldsIsTheBootValue) {
  // T0SZ = T1SZ = 16 (48-bit VA), this build's granule, inner-shareable write-back walks.
  EXPECT_EQ(TCR_EL1_VALUE, kTcrNoIps);
  const TcrEl1 tcr = TcrEl1()
                         .set_t0sz(16)
                         .set_irgn0(TCR_RGN_WBWA)
                         .set_orgn0(TCR_RGN_WBWA)
                         .set_sh0(TCR_SH_INNER)
                         .set_tg0(TCR_TG0_GRANULE)
                         .set_t1sz(16)
                         .set_irgn1(TCR_RGN_WBWA)
                         .set_orgn1(TCR_RGN_WBWA)
                         .set_sh1(TCR_SH_INNER)
                         .set_tg1(TCR_TG1_GRANULE);
  EXPECT_EQ(tcr.raw, kTcrNoIps);
}

TEST(SysRegTcr, IpsFromParangeAndEpd0) {
  // head.S: IPS = min(PARange, 48 bits) in bits [34:32].
  TcrEl1 tcr(TCR_EL1_VALUE);
  EXPECT_EQ(tcr.set_ips(ID_AA64MMFR0_EL1_PARANGE_48).raw, (uint64_t{5} << 32 | kTcrNoIps));
  EXPECT_EQ(TcrEl1(TCR_EL1_VALUE).set_ips(2).raw, (uint64_t{2} << 32 | kTcrNoIps));  // 40 bits (Cortex-A53, A72)
  EXPECT_EQ(tcr.ips(), 5u);
  EXPECT_EQ(tcr.t0sz(), 16u);
  EXPECT_EQ(tcr.t1sz(), 16u);
  EXPECT_EQ(tcr.tg1(), PAGE_SHIFT == 12 ? 2u : PAGE_SHIFT == 14 ? 1u : 3u);
  EXPECT_EQ(tcr.tg0(), PAGE_SHIFT == 12 ? 0u : PAGE_SHIFT == 14 ? 2u : 1u);
  EXPECT_FALSE(tcr.epd0());
  // __primary_switched ORs TCR_EPD0 in; replace_ttbr1 clears it with set_epd0(false).
  const TcrEl1 no_ttbr0(tcr.raw | TCR_EPD0);
  EXPECT_TRUE(no_ttbr0.epd0());
  EXPECT_EQ(no_ttbr0.raw, uint64_t{5} << 32 | kTcrNoIps | 0x80);  // EPD0 is bit 7
  EXPECT_EQ(TcrEl1(no_ttbr0).set_epd0(false), tcr);
}

TEST(SysRegSctlr, Res1ValuesAndTheMmuOnValue) {
  EXPECT_EQ(SCTLR_EL1_RES1, 0x30d0'0800u);  // bits 29, 28, 23, 22, 20, 11
  EXPECT_EQ(SCTLR_EL2_RES1, 0x30c5'0830u);  // bits 29, 28, 23, 22, 18, 16, 11, 5, 4
  EXPECT_EQ(SCTLR_EL3_RES1, SCTLR_EL2_RES1);
  EXPECT_EQ(SCTLR_EL1_MMU_ON, 0x30d8'180du);
  const SctlrEl1 on(SCTLR_EL1_MMU_ON);
  EXPECT_TRUE(on.m() && on.c() && on.sa() && on.i() && on.wxn());
  EXPECT_FALSE(on.ee() || on.e0e() || on.a());  // little-endian, no alignment checks
  const SctlrEl1 res1(SCTLR_EL1_RES1);
  EXPECT_TRUE(res1.lsmaoe() && res1.ntlsmd() && res1.span() && res1.eis() && res1.tscxt() && res1.eos());
  EXPECT_FALSE(res1.m());
}

TEST(SysRegMpidr, AffinityFields) {
  const MpidrEl1 cpu1(0x8000'0001);  // bit 31 is RES1
  EXPECT_EQ(cpu1.aff0(), 1u);
  EXPECT_EQ(cpu1.aff1(), 0u);
  EXPECT_EQ(cpu1.aff3(), 0u);
  EXPECT_EQ(cpu1.hwid(), 1u);

  const MpidrEl1 with_aff3(0x0000'0001'0000'0203);
  EXPECT_EQ(with_aff3.aff0(), 3u);
  EXPECT_EQ(with_aff3.aff1(), 2u);
  EXPECT_EQ(with_aff3.aff2(), 0u);
  EXPECT_EQ(with_aff3.aff3(), 1u);
  EXPECT_EQ(with_aff3.hwid(), 0x1'0000'0203u);

  // MT and U are not part of the CPU's identity; the boot log prints hwid().
  const MpidrEl1 smt(0x8100'0100 | (uint64_t{1} << 30));
  EXPECT_TRUE(smt.mt());
  EXPECT_TRUE(smt.u());
  EXPECT_EQ(smt.hwid(), 0x100u);
  EXPECT_EQ(MPIDR_HWID_MASK, 0xff'00ff'ffffu);
  EXPECT_EQ(MPIDR_AFF2_0_MASK, 0xff'ffffu);
}

TEST(SysRegCtr, CortexA72NeedsBothCleanAndInvalidate) {
  const CacheTypeEl0 a72(0x8444'c004);
  EXPECT_EQ(a72.iminline(), 4u);
  EXPECT_EQ(a72.dminline(), 4u);
  EXPECT_EQ(a72.icache_line_bytes(), 64u);
  EXPECT_EQ(a72.dcache_line_bytes(), 64u);
  EXPECT_EQ(a72.l1ip(), 3u);  // PIPT
  EXPECT_EQ(a72.erg(), 4u);
  EXPECT_EQ(a72.cwg(), 4u);
  EXPECT_FALSE(a72.idc());
  EXPECT_FALSE(a72.dic());
}

TEST(SysRegCtr, IdcAndDicSet) {
  const CacheTypeEl0 coherent(0xb444'c004);  // A72's value with IDC and DIC
  EXPECT_TRUE(coherent.idc());
  EXPECT_TRUE(coherent.dic());
  EXPECT_EQ(coherent.dminline(), 4u);
  const CacheTypeEl0 small(0x8003'8003);  // 32-byte D lines (DminLine 3), 32-byte I lines
  EXPECT_EQ(small.dcache_line_bytes(), 32u);
  EXPECT_EQ(small.icache_line_bytes(), 32u);
  EXPECT_FALSE(small.idc());
}

TEST(SysRegPar, FaultBitAndPhysicalAddress) {
  // F = 0: Attr 0xff (Normal WB), bit 11 RES1, SH = inner, PA 0x40201000.
  const ParEl1 ok(0xff00'0000'4020'1980);
  EXPECT_FALSE(ok.f());
  EXPECT_EQ(ok.pa(), 0x40201u);
  EXPECT_EQ(ok.page_address(), 0x4020'1000u);
  // PA[51:48] (FEAT_LPA) is outside the kernel's 48-bit field, as before the typed view.
  EXPECT_EQ(ParEl1(0xff01'0000'4020'1980).page_address(), 0x4020'1000u);
  // F = 1: FST = translation fault, level 3.
  const ParEl1 fault(0x0f);
  EXPECT_TRUE(fault.f());
  EXPECT_EQ(fault.fst(), 0x07u);
}

TEST(SysRegEsr, DataAbortWriteTranslationFaultLevel3) {
  const EsrEl1 esr(0x9600'0047);
  EXPECT_EQ(esr.ec(), EsrEc::DataAbortCurrentEl);
  EXPECT_TRUE(esr.il());
  EXPECT_EQ(esr.iss(), 0x47u);
  EXPECT_TRUE(esr.is_abort());
  EXPECT_TRUE(esr.is_data_abort());
  EXPECT_EQ(esr.fsc(), 0x07u);
  EXPECT_TRUE(esr.wnr());
  EXPECT_FALSE(esr.fnv());
}

TEST(SysRegEsr, OtherClasses) {
  const EsrEl1 iabt(0x8600'000f);  // instruction abort, permission fault level 3
  EXPECT_EQ(iabt.ec(), EsrEc::InstrAbortCurrentEl);
  EXPECT_TRUE(iabt.is_instruction_abort());
  EXPECT_FALSE(iabt.is_data_abort());
  EXPECT_EQ(iabt.fsc(), 0x0fu);

  const EsrEl1 sea(0x9600'0410);  // synchronous external abort, FAR not valid
  EXPECT_TRUE(sea.fnv());
  EXPECT_EQ(sea.fsc(), 0x10u);

  EXPECT_EQ(EsrEl1(0x5e00'0000).ec(), EsrEc::Smc64);  // what el3_smc compares with
  EXPECT_EQ(uint64_t(EsrEl1(0x5e00'0000).ec()), uint64_t{ESR_ELx_EC_SMC64});
  const EsrEl1 brk(0xf200'0800);  // brk #0x800
  EXPECT_EQ(brk.ec(), EsrEc::Brk64);
  EXPECT_EQ(brk.iss(), 0x800u);
  EXPECT_FALSE(brk.is_abort());
  EXPECT_EQ(EsrEl1().set_ec(EsrEc::SError).raw, uint64_t{0x2f} << 26);
}

TEST(SysRegIdRegs, QemuMaxHasLseAtomics) {
  const IdAa64Isar0El1 qemu_max(0x1221'1111'1021'2120);
  EXPECT_EQ(qemu_max.atomic(), 2u);
  EXPECT_TRUE(qemu_max.has_lse());
  const IdAa64Isar0El1 a72(0x0000'0000'0001'1120);
  EXPECT_EQ(a72.atomic(), 0u);
  EXPECT_FALSE(a72.has_lse());
}

TEST(SysRegIdRegs, FeatureFields) {
  EXPECT_EQ(IdAa64Mmfr2El1(uint64_t{1} << 48).ttl(), 1u);
  EXPECT_EQ(IdAa64Mmfr2El1(0x0000'0000'0000'1011).ttl(), 0u);  // A72-like: no FEAT_TTL
  // ECV [63:60] = 1, FGT [59:56] = 1, PARange 48 bits.
  EXPECT_EQ(IdAa64Mmfr0El1(0x1100'0000'0010'1125).fgt(), 1u);
  EXPECT_EQ(IdAa64Mmfr0El1(0x1100'0000'0010'1125).parange(), 5u);
  EXPECT_EQ(IdAa64Mmfr1El1(uint64_t{1} << 40).hcx(), 1u);
  EXPECT_EQ(IdAa64Pfr0El1(0x0100'0000).gic(), 1u);
  // E2H0 is signed: 0b1111 (-1) means no FEAT_E2H0, where HCR_EL2.E2H is RES1.
  EXPECT_EQ(IdAa64Mmfr4El1(0x0f00'0000).e2h0(), -1);
  EXPECT_EQ(IdAa64Mmfr4El1(0x0100'0000).e2h0(), 1);
  EXPECT_EQ(IdAa64Mmfr4El1(0).e2h0(), 0);
  // PMUVer 0 (none) and 0xf (IMPLEMENTATION DEFINED) both mean no architectural PMCR_EL0.
  EXPECT_FALSE(IdAa64Dfr0El1(0x0000).has_pmu());
  EXPECT_FALSE(IdAa64Dfr0El1(0x0f00).has_pmu());
  EXPECT_TRUE(IdAa64Dfr0El1(0x0100).has_pmu());
}

TEST(SysRegMidr, CortexA72AndQemuMax) {
  const MidrEl1 a72(0x410f'd083);
  EXPECT_EQ(a72.implementer(), uint64_t{ARM_CPU_IMP_ARM});
  EXPECT_EQ(a72.partnum(), uint64_t{ARM_CPU_PART_CORTEX_A72});
  EXPECT_EQ(a72.variant(), 0u);
  EXPECT_EQ(a72.architecture(), 0xfu);
  EXPECT_EQ(a72.revision(), 3u);
  const MidrEl1 qemu_max(0x000f'0510);
  EXPECT_EQ(qemu_max.implementer(), 0u);
  EXPECT_EQ(qemu_max.partnum(), 0x051u);
}

TEST(SysRegMair, KernelAttributes) {
  EXPECT_EQ(MAIR_EL1_VALUE, 0xff44'0400u);
  const MairEl1 mair(MAIR_EL1_VALUE);
  EXPECT_EQ(mair.attr(MT_DEVICE_nGnRnE), 0x00);
  EXPECT_EQ(mair.attr(MT_DEVICE_nGnRE), 0x04);
  EXPECT_EQ(mair.attr(MT_NORMAL_NC), 0x44);
  EXPECT_EQ(mair.attr(MT_NORMAL), 0xff);
  EXPECT_EQ(MairEl1().set_attr(MT_NORMAL, 0xff).set_attr(MT_NORMAL_NC, 0x44).set_attr(MT_DEVICE_nGnRE, 0x04), mair);
}

TEST(SysRegHeadConstants, ValuesHeadWritesAreTheOnesItWroteAsNumbers) {
  EXPECT_EQ(CURRENTEL_EL(1), 0x4u);
  EXPECT_EQ(CURRENTEL_EL(3), 0xcu);
  EXPECT_EQ(CurrentEl(0xc).el(), 3u);
  EXPECT_EQ(SCR_EL3_BOOT, 0x531u);  // NS, RES1 [5:4], HCE, RW; SMD = 0
  EXPECT_EQ(SCR_EL3_FGTEN, uint64_t{1} << 27);
  EXPECT_EQ(SCR_EL3_HXEN, uint64_t{1} << 38);
  EXPECT_EQ(INIT_PSTATE_EL1, 0x3c5u);  // EL1h, DAIF masked
  EXPECT_EQ(INIT_PSTATE_EL2, 0x3c9u);  // EL2h, DAIF masked
  EXPECT_EQ(HCR_EL2_RW, uint64_t{1} << 31);
  EXPECT_EQ(CPTR_EL2_BOOT, 0x33ffu);
  EXPECT_EQ(CPTR_EL2_BOOT & CPTR_EL2_TFP, 0u);  // FP/SIMD not trapped
  EXPECT_EQ(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN, 0x3u);
  EXPECT_EQ(CPACR_EL1_FPEN_NO_TRAP, 0x30'0000u);
  EXPECT_EQ(ICC_SRE_ELx_SRE | ICC_SRE_ELx_DFB | ICC_SRE_ELx_DIB | ICC_SRE_ELx_ENABLE, 0xfu);
  EXPECT_EQ(CPUECTLR_EL1_SMPEN, 0x40u);
}

}  // namespace
}  // namespace kernel
