// Typed views of the AArch64 system registers the kernel reads or writes. Each field sits at its
// bit position from the Arm ARM (DDI 0487) register description named in the comment, chapter
// "AArch64 System Register Descriptions". The values head.S writes are composed once, in
// asm/sysreg_defs.h; the static_asserts below tie every field position and composed value there
// to the fields here. Kernel and host (tests/host/test_sysreg.cpp) both compile this file.
#pragma once

#include <stdint.h>

#include "asm/hwreg.h"
#include "asm/sysreg_defs.h"

namespace kernel {

using hwreg::SysRegBase;

// "CurrentEL, Current Exception Level".
struct CurrentEl : SysRegBase<CurrentEl> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(3, 2, el);
  SYSREG_READ(CurrentEl, CurrentEL)
};

// "SCTLR_EL1, System Control Register (EL1)". The Armv8.0 RES1 bits have names since Armv8.1+.
struct SctlrEl1 : SysRegBase<SctlrEl1> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, m);        // stage 1 translation enabled
  DEF_BIT(1, a);        // alignment checks
  DEF_BIT(2, c);        // data accesses cacheable
  DEF_BIT(3, sa);       // SP alignment check at EL1
  DEF_BIT(4, sa0);      // SP alignment check at EL0
  DEF_BIT(11, eos);     // exception exit is context synchronizing (FEAT_ExS)
  DEF_BIT(12, i);       // instruction fetches cacheable
  DEF_BIT(19, wxn);     // writable implies execute-never
  DEF_BIT(20, tscxt);   // EL0 access to SCXTNUM_EL0 trapped (FEAT_CSV2)
  DEF_BIT(22, eis);     // exception entry is context synchronizing (FEAT_ExS)
  DEF_BIT(23, span);    // PSTATE.PAN left unchanged on exception entry (FEAT_PAN)
  DEF_BIT(24, e0e);     // EL0 big-endian
  DEF_BIT(25, ee);      // EL1 big-endian (and translation table walks)
  DEF_BIT(28, ntlsmd);  // no trap of A32 load/store multiple to Device memory (FEAT_LSMAOC)
  DEF_BIT(29, lsmaoe);  // A32 load/store multiple atomicity and ordering (FEAT_LSMAOC)
  SYSREG_READ(SctlrEl1, sctlr_el1)
};

// "TCR_EL1, Translation Control Register (EL1)".
struct TcrEl1 : SysRegBase<TcrEl1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(5, 0, t0sz);     // TTBR0 region is 2^(64 - T0SZ) bytes
  DEF_BIT(7, epd0);          // no translation table walks through TTBR0
  DEF_FIELD(9, 8, irgn0);    // inner cacheability of TTBR0 walks
  DEF_FIELD(11, 10, orgn0);  // outer cacheability of TTBR0 walks
  DEF_FIELD(13, 12, sh0);    // shareability of TTBR0 walks
  DEF_FIELD(15, 14, tg0);    // TTBR0 granule: 0 = 4K, 1 = 64K, 2 = 16K
  DEF_FIELD(21, 16, t1sz);
  DEF_BIT(22, a1);  // ASID from TTBR1 instead of TTBR0
  DEF_BIT(23, epd1);
  DEF_FIELD(25, 24, irgn1);
  DEF_FIELD(27, 26, orgn1);
  DEF_FIELD(29, 28, sh1);
  DEF_FIELD(31, 30, tg1);  // TTBR1 granule: 1 = 16K, 2 = 4K, 3 = 64K (not TG0's encoding)
  DEF_FIELD(34, 32, ips);  // intermediate physical address size, PARange encoding
  DEF_BIT(36, as);         // 16-bit ASIDs
  DEF_BIT(37, tbi0);       // top byte ignored, TTBR0
  DEF_BIT(38, tbi1);
  SYSREG_READ(TcrEl1, tcr_el1)
  SYSREG_WRITE(tcr_el1)
};

// "MAIR_EL1, Memory Attribute Indirection Register (EL1)": Attr<n> at [8n+7:8n], selected by a
// descriptor's AttrIndx.
struct MairEl1 : SysRegBase<MairEl1> {
  using SysRegBase::SysRegBase;
  constexpr uint8_t attr(unsigned idx) const { return static_cast<uint8_t>(raw >> MAIR_ATTR_SHIFT(idx)); }
  constexpr MairEl1& set_attr(unsigned idx, uint8_t a) {
    raw = (raw & ~(uint64_t{0xff} << MAIR_ATTR_SHIFT(idx))) | uint64_t{a} << MAIR_ATTR_SHIFT(idx);
    return *this;
  }
};

// "CTR_EL0, Cache Type Register". The minimum line sizes are log2 of a number of 4-byte words.
struct CacheTypeEl0 : SysRegBase<CacheTypeEl0> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(3, 0, iminline);    // smallest I-cache line
  DEF_FIELD(15, 14, l1ip);      // L1 I-cache policy
  DEF_FIELD(19, 16, dminline);  // smallest D-cache line
  DEF_FIELD(23, 20, erg);       // exclusives reservation granule
  DEF_FIELD(27, 24, cwg);       // cache writeback granule
  DEF_BIT(28, idc);             // D-cache clean to PoU not required for I/D coherence
  DEF_BIT(29, dic);             // I-cache invalidate to PoU not required for I/D coherence
  constexpr uint64_t dcache_line_bytes() const { return uint64_t{4} << dminline(); }
  constexpr uint64_t icache_line_bytes() const { return uint64_t{4} << iminline(); }
  SYSREG_READ(CacheTypeEl0, ctr_el0)
};

// "PAR_EL1, Physical Address Register": the result of an AT instruction. The layout depends on F.
struct ParEl1 : SysRegBase<ParEl1> {
  using SysRegBase::SysRegBase;
  DEF_BIT(0, f);          // 1: the translation aborted, FST says why
  DEF_FIELD(6, 1, fst);   // F = 1: fault status, as in ESR_ELx.DFSC
  DEF_FIELD(47, 12, pa);  // F = 0: PA[47:12] (this kernel's 48-bit limit, no FEAT_LPA)
  constexpr uint64_t page_address() const { return raw & pa_bits.mask(); }
  SYSREG_READ(ParEl1, par_el1)
};

// "ESR_EL1, Exception Syndrome Register (EL1)": exception classes, "ISS encoding for an exception".
enum class EsrEc : uint32_t {
  Unknown = 0x00,
  Wfx = 0x01,
  FpAsimd = 0x07,
  IllegalState = 0x0e,
  Svc64 = 0x15,
  Hvc64 = 0x16,
  Smc64 = 0x17,
  SysReg = 0x18,
  InstrAbortLowerEl = 0x20,
  InstrAbortCurrentEl = 0x21,
  PcAlignment = 0x22,
  DataAbortLowerEl = 0x24,
  DataAbortCurrentEl = 0x25,
  SpAlignment = 0x26,
  SError = 0x2f,
  BreakpointLowerEl = 0x30,
  BreakpointCurrentEl = 0x31,
  SoftwareStepLowerEl = 0x32,
  SoftwareStepCurrentEl = 0x33,
  WatchpointLowerEl = 0x34,
  WatchpointCurrentEl = 0x35,
  Brk64 = 0x3c,
};

struct EsrEl1 : SysRegBase<EsrEl1> {
  using SysRegBase::SysRegBase;
  DEF_ENUM_FIELD(EsrEc, 31, 26, ec);
  DEF_BIT(25, il);        // 32-bit instruction
  DEF_FIELD(24, 0, iss);  // instruction-specific syndrome
  // ISS of an Instruction or Data Abort ("ISS encoding for an exception from a Data Abort").
  DEF_FIELD(5, 0, fsc);  // DFSC/IFSC: fault status
  DEF_BIT(6, wnr);       // data abort caused by a write
  DEF_BIT(10, fnv);      // FAR not valid
  constexpr bool is_data_abort() const { return ec() == EsrEc::DataAbortLowerEl || ec() == EsrEc::DataAbortCurrentEl; }
  constexpr bool is_instruction_abort() const {
    return ec() == EsrEc::InstrAbortLowerEl || ec() == EsrEc::InstrAbortCurrentEl;
  }
  constexpr bool is_abort() const { return is_instruction_abort() || is_data_abort(); }
  SYSREG_READ(EsrEl1, esr_el1)
};

// "MPIDR_EL1, Multiprocessor Affinity Register".
struct MpidrEl1 : SysRegBase<MpidrEl1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(7, 0, aff0);
  DEF_FIELD(15, 8, aff1);
  DEF_FIELD(23, 16, aff2);
  DEF_BIT(24, mt);  // multithreaded: Aff0 is a thread
  DEF_BIT(30, u);   // uniprocessor system
  DEF_FIELD(39, 32, aff3);
  constexpr uint64_t hwid() const { return raw & MPIDR_HWID_MASK; }  // the affinity fields only
  SYSREG_READ(MpidrEl1, mpidr_el1)
};

// "MIDR_EL1, Main ID Register".
struct MidrEl1 : SysRegBase<MidrEl1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(3, 0, revision);        // the "p" of rNpM
  DEF_FIELD(15, 4, partnum);        // e.g. 0xd08 = Cortex-A72 (with implementer 0x41)
  DEF_FIELD(19, 16, architecture);  // 0xf: defined by the ID registers
  DEF_FIELD(23, 20, variant);       // the "r" of rNpM
  DEF_FIELD(31, 24, implementer);   // 0x41 = Arm Ltd
  SYSREG_READ(MidrEl1, midr_el1)
};

// ID registers ("ID_AA64ISAR0_EL1, AArch64 Instruction Set Attribute Register 0", and so on):
// only the fields the kernel looks at.
struct IdAa64Isar0El1 : SysRegBase<IdAa64Isar0El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(23, 20, atomic);  // 2: FEAT_LSE, 3: FEAT_LSE128
  constexpr bool has_lse() const { return atomic() >= ID_AA64ISAR0_EL1_ATOMIC_LSE; }
  SYSREG_READ(IdAa64Isar0El1, id_aa64isar0_el1)
};
struct IdAa64Mmfr0El1 : SysRegBase<IdAa64Mmfr0El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(3, 0, parange);
  DEF_FIELD(59, 56, fgt);
};
struct IdAa64Mmfr1El1 : SysRegBase<IdAa64Mmfr1El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(43, 40, hcx);
};
struct IdAa64Mmfr2El1 : SysRegBase<IdAa64Mmfr2El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(51, 48, ttl);  // FEAT_TTL: TLBI by VA honours the level hint
  SYSREG_READ(IdAa64Mmfr2El1, id_aa64mmfr2_el1)
};
struct IdAa64Mmfr4El1 : SysRegBase<IdAa64Mmfr4El1> {
  using SysRegBase::SysRegBase;
  DEF_SIGNED_FIELD(27, 24, e2h0);  // < 0: no FEAT_E2H0, HCR_EL2.E2H is RES1
};
struct IdAa64Pfr0El1 : SysRegBase<IdAa64Pfr0El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(27, 24, gic);
};
struct IdAa64Dfr0El1 : SysRegBase<IdAa64Dfr0El1> {
  using SysRegBase::SysRegBase;
  DEF_FIELD(11, 8, pmuver);
  constexpr bool has_pmu() const { return pmuver() != 0 && pmuver() != ID_AA64DFR0_EL1_PMUVER_IMP_DEF; }
};

// ---- The fields behind head.S's constants --------------------------------------------------------

static_assert(CurrentEl::el_bits.lo == CURRENTEL_EL_SHIFT);
static_assert(SctlrEl1::m_bits.lo == SCTLR_ELx_M_SHIFT && SctlrEl1::c_bits.lo == SCTLR_ELx_C_SHIFT &&
              SctlrEl1::sa_bits.lo == SCTLR_ELx_SA_SHIFT && SctlrEl1::i_bits.lo == SCTLR_ELx_I_SHIFT &&
              SctlrEl1::wxn_bits.lo == SCTLR_ELx_WXN_SHIFT && SctlrEl1::ee_bits.lo == SCTLR_ELx_EE_SHIFT);
static_assert(SctlrEl1().set_lsmaoe(1).set_ntlsmd(1).set_span(1).set_eis(1).set_tscxt(1).set_eos(1).raw ==
                  SCTLR_EL1_RES1,
              "SCTLR_EL1_RES1 is the Armv8.0 RES1 set, by name");
static_assert(SctlrEl1(SCTLR_EL1_RES1).set_m(1).set_c(1).set_sa(1).set_i(1).set_wxn(1).raw == SCTLR_EL1_MMU_ON);
static_assert(TcrEl1::t0sz_bits.lo == TCR_T0SZ_SHIFT && TcrEl1::epd0_bits.lo == TCR_EPD0_SHIFT &&
              TcrEl1::irgn0_bits.lo == TCR_IRGN0_SHIFT && TcrEl1::orgn0_bits.lo == TCR_ORGN0_SHIFT &&
              TcrEl1::sh0_bits.lo == TCR_SH0_SHIFT && TcrEl1::tg0_bits.lo == TCR_TG0_SHIFT &&
              TcrEl1::t1sz_bits.lo == TCR_T1SZ_SHIFT && TcrEl1::irgn1_bits.lo == TCR_IRGN1_SHIFT &&
              TcrEl1::orgn1_bits.lo == TCR_ORGN1_SHIFT && TcrEl1::sh1_bits.lo == TCR_SH1_SHIFT &&
              TcrEl1::tg1_bits.lo == TCR_TG1_SHIFT && TcrEl1::ips_bits.lo == TCR_IPS_SHIFT &&
              TcrEl1::ips_bits.width() == TCR_IPS_WIDTH);
static_assert(CacheTypeEl0::iminline_bits.lo == CTR_EL0_IMINLINE_SHIFT &&
              CacheTypeEl0::dminline_bits.lo == CTR_EL0_DMINLINE_SHIFT &&
              CacheTypeEl0::dminline_bits.width() == CTR_EL0_MINLINE_WIDTH &&
              CacheTypeEl0::idc_bits.lo == CTR_EL0_IDC_SHIFT && CacheTypeEl0::dic_bits.lo == CTR_EL0_DIC_SHIFT);
static_assert(MpidrEl1::aff0_bits.lo == MPIDR_AFF0_SHIFT && MpidrEl1::aff1_bits.lo == MPIDR_AFF1_SHIFT &&
              MpidrEl1::aff2_bits.lo == MPIDR_AFF2_SHIFT && MpidrEl1::aff3_bits.lo == MPIDR_AFF3_SHIFT &&
              MpidrEl1::aff3_bits.width() == MPIDR_AFF_WIDTH);
static_assert(MPIDR_AFF2_0_MASK ==
              (MpidrEl1::aff0_bits.mask() | MpidrEl1::aff1_bits.mask() | MpidrEl1::aff2_bits.mask()));
static_assert(MPIDR_HWID_MASK == (MPIDR_AFF2_0_MASK | MpidrEl1::aff3_bits.mask()));
static_assert(MidrEl1::partnum_bits.lo == MIDR_PARTNUM_SHIFT && MidrEl1::partnum_bits.width() == MIDR_PARTNUM_WIDTH &&
              MidrEl1::implementer_bits.lo == MIDR_IMPLEMENTER_SHIFT &&
              MidrEl1::implementer_bits.width() == MIDR_IMPLEMENTER_WIDTH);
static_assert(IdAa64Isar0El1::atomic_bits.lo == ID_AA64ISAR0_EL1_ATOMIC_SHIFT &&
              IdAa64Mmfr0El1::parange_bits.lo == ID_AA64MMFR0_EL1_PARANGE_SHIFT &&
              IdAa64Mmfr0El1::fgt_bits.lo == ID_AA64MMFR0_EL1_FGT_SHIFT &&
              IdAa64Mmfr1El1::hcx_bits.lo == ID_AA64MMFR1_EL1_HCX_SHIFT &&
              IdAa64Mmfr2El1::ttl_bits.lo == ID_AA64MMFR2_EL1_TTL_SHIFT &&
              IdAa64Mmfr4El1::e2h0_bits.lo == ID_AA64MMFR4_EL1_E2H0_SHIFT &&
              IdAa64Pfr0El1::gic_bits.lo == ID_AA64PFR0_EL1_GIC_SHIFT &&
              IdAa64Dfr0El1::pmuver_bits.lo == ID_AA64DFR0_EL1_PMUVER_SHIFT);
static_assert(IdAa64Isar0El1::atomic_bits.width() == ID_FIELD_WIDTH &&
              IdAa64Mmfr2El1::ttl_bits.width() == ID_FIELD_WIDTH && IdAa64Pfr0El1::gic_bits.width() == ID_FIELD_WIDTH &&
              IdAa64Dfr0El1::pmuver_bits.width() == ID_FIELD_WIDTH);
static_assert(EsrEl1::ec_bits.lo == ESR_ELx_EC_SHIFT && EsrEl1::ec_bits.width() == ESR_ELx_EC_WIDTH &&
              EsrEl1::il_bits.lo == ESR_ELx_IL_SHIFT && uint32_t(EsrEc::Smc64) == ESR_ELx_EC_SMC64);

}  // namespace kernel
