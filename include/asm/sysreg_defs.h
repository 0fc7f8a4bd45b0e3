/*
 * System register field positions and the values the kernel writes, shared by head.S and C++.
 *
 * Plain #defines, so the assembler can use them: every value head.S writes is composed here from
 * named fields, once. The typed C++ views (asm/sysreg_fields.h) declare each field at its bit
 * position and static_assert that position against the constant here, so the two cannot drift.
 * Field positions: Arm ARM (DDI 0487), "AArch64 System Register Descriptions", by register name.
 */
#pragma once

#include "asm/memory.h" /* VA_BITS */

/* A 64-bit constant in C++ (so `1 << 38` is not an int overflow), a plain number for gas. */
#ifdef __ASSEMBLER__
#define SR_U64(x) x
#else
#define SR_U64(x) x##ULL
#endif
#define SR_BIT(n) (SR_U64(1) << (n))
#define SR_VAL(shift, v) ((SR_U64(0) + (v)) << (shift)) /* field value v placed at shift */

/* ID_AA64*_EL1 feature fields are 4 bits wide ("Principles of the ID scheme for fields in ID
 * registers"); 0 means absent unless the register description says the field is signed. */
#define ID_FIELD_WIDTH 4

/* ---- CurrentEL, "CurrentEL, Current Exception Level": EL in bits [3:2] ---- */
#define CURRENTEL_EL_SHIFT 2
#define CURRENTEL_EL(n) ((n) << CURRENTEL_EL_SHIFT)

/* ---- SCTLR_EL1, "SCTLR_EL1, System Control Register (EL1)" ---- */
#define SCTLR_ELx_M_SHIFT 0       /* stage 1 MMU enable */
#define SCTLR_ELx_C_SHIFT 2       /* data cacheability */
#define SCTLR_ELx_SA_SHIFT 3      /* SP alignment check */
#define SCTLR_EL1_EOS_SHIFT 11    /* FEAT_ExS; RES1 in Armv8.0 */
#define SCTLR_ELx_I_SHIFT 12      /* instruction cacheability */
#define SCTLR_ELx_WXN_SHIFT 19    /* writable implies XN */
#define SCTLR_EL1_TSCXT_SHIFT 20  /* FEAT_CSV2; RES1 in Armv8.0 */
#define SCTLR_EL1_EIS_SHIFT 22    /* FEAT_ExS; RES1 in Armv8.0 */
#define SCTLR_EL1_SPAN_SHIFT 23   /* FEAT_PAN; RES1 in Armv8.0 */
#define SCTLR_ELx_EE_SHIFT 25     /* big-endian data at this EL */
#define SCTLR_EL1_NTLSMD_SHIFT 28 /* FEAT_LSMAOC; RES1 in Armv8.0 */
#define SCTLR_EL1_LSMAOE_SHIFT 29 /* FEAT_LSMAOC; RES1 in Armv8.0 */
#define SCTLR_ELx_M SR_BIT(SCTLR_ELx_M_SHIFT)
#define SCTLR_ELx_C SR_BIT(SCTLR_ELx_C_SHIFT)
#define SCTLR_ELx_SA SR_BIT(SCTLR_ELx_SA_SHIFT)
#define SCTLR_ELx_I SR_BIT(SCTLR_ELx_I_SHIFT)
#define SCTLR_ELx_WXN SR_BIT(SCTLR_ELx_WXN_SHIFT)
/* The bits that were RES1 in Armv8.0, written as 1: later features give them names, and 1 keeps
 * the Armv8.0 behaviour (Linux's SCTLR_EL1_RES1 set). EE = 0: little-endian. */
#define SCTLR_EL1_RES1                                                                              \
  (SR_BIT(SCTLR_EL1_LSMAOE_SHIFT) | SR_BIT(SCTLR_EL1_NTLSMD_SHIFT) | SR_BIT(SCTLR_EL1_SPAN_SHIFT) | \
   SR_BIT(SCTLR_EL1_EIS_SHIFT) | SR_BIT(SCTLR_EL1_TSCXT_SHIFT) | SR_BIT(SCTLR_EL1_EOS_SHIFT))
/* What enable_mmu writes: MMU and caches on, SP alignment checks, W^X enforced by hardware too. */
#define SCTLR_EL1_MMU_ON (SCTLR_EL1_RES1 | SCTLR_ELx_M | SCTLR_ELx_C | SCTLR_ELx_SA | SCTLR_ELx_I | SCTLR_ELx_WXN)

/* ---- SCTLR_EL2 / SCTLR_EL3, "SCTLR_EL2, System Control Register (EL2)" (HCR_EL2.E2H = 0) and
 * "SCTLR_EL3": the Armv8.0 RES1 bits 29, 28, 23, 22, 18, 16, 11, 5, 4; the same set in both.
 * Everything else 0: MMU and caches off, little-endian. ---- */
#define SCTLR_EL2_RES1 \
  (SR_BIT(29) | SR_BIT(28) | SR_BIT(23) | SR_BIT(22) | SR_BIT(18) | SR_BIT(16) | SR_BIT(11) | SR_BIT(5) | SR_BIT(4))
#define SCTLR_EL3_RES1 SCTLR_EL2_RES1

/* ---- TCR_EL1, "TCR_EL1, Translation Control Register (EL1)" ---- */
#define TCR_T0SZ_SHIFT 0
#define TCR_EPD0_SHIFT 7 /* no TTBR0 walks */
#define TCR_IRGN0_SHIFT 8
#define TCR_ORGN0_SHIFT 10
#define TCR_SH0_SHIFT 12
#define TCR_TG0_SHIFT 14
#define TCR_T1SZ_SHIFT 16
#define TCR_IRGN1_SHIFT 24
#define TCR_ORGN1_SHIFT 26
#define TCR_SH1_SHIFT 28
#define TCR_TG1_SHIFT 30
#define TCR_IPS_SHIFT 32 /* intermediate physical address size, same encoding as PARange */
#define TCR_IPS_WIDTH 3
#define TCR_EPD0 SR_BIT(TCR_EPD0_SHIFT)
#define TCR_TxSZ(va_bits) (64 - (va_bits))
#define TCR_RGN_WBWA 1 /* IRGNn/ORGNn: Normal write-back, read- and write-allocate */
#define TCR_SH_INNER 3 /* SHn: inner shareable */
/* TCR_TG0_GRANULE / TCR_TG1_GRANULE: asm/page_def.h (TG0 and TG1 encode the granules differently). */
/* Both halves VA_BITS wide with this build's granule, table walks inner-shareable write-back. IPS is
 * added at boot from ID_AA64MMFR0_EL1.PARange, and EPD0 is set once the identity map is done. */
#define TCR_EL1_VALUE                                                                   \
  (SR_VAL(TCR_T0SZ_SHIFT, TCR_TxSZ(VA_BITS)) | SR_VAL(TCR_IRGN0_SHIFT, TCR_RGN_WBWA) |  \
   SR_VAL(TCR_ORGN0_SHIFT, TCR_RGN_WBWA) | SR_VAL(TCR_SH0_SHIFT, TCR_SH_INNER) |        \
   SR_VAL(TCR_TG0_SHIFT, TCR_TG0_GRANULE) | SR_VAL(TCR_T1SZ_SHIFT, TCR_TxSZ(VA_BITS)) | \
   SR_VAL(TCR_IRGN1_SHIFT, TCR_RGN_WBWA) | SR_VAL(TCR_ORGN1_SHIFT, TCR_RGN_WBWA) |      \
   SR_VAL(TCR_SH1_SHIFT, TCR_SH_INNER) | SR_VAL(TCR_TG1_SHIFT, TCR_TG1_GRANULE))

/* ---- MAIR_EL1, "MAIR_EL1, Memory Attribute Indirection Register (EL1)": Attr<n> in bits
 * [8n+7:8n]. The attribute encodings: ---- */
#define MAIR_ATTR_SHIFT(idx) (8 * (idx))
#define MAIR_ATTR_DEVICE_nGnRnE 0x00
#define MAIR_ATTR_DEVICE_nGnRE 0x04
#define MAIR_ATTR_NORMAL_NC 0x44 /* inner and outer Non-cacheable */
#define MAIR_ATTR_NORMAL_WB 0xff /* inner and outer write-back, read/write-allocate, non-transient */
#define MAIR_ATTR(idx, attr) SR_VAL(MAIR_ATTR_SHIFT(idx), attr)

/* ---- CTR_EL0, "CTR_EL0, Cache Type Register": line sizes are log2 of the number of words ---- */
#define CTR_EL0_IMINLINE_SHIFT 0
#define CTR_EL0_DMINLINE_SHIFT 16
#define CTR_EL0_MINLINE_WIDTH 4
#define CTR_EL0_IDC_SHIFT 28 /* no D-cache clean to PoU needed for instruction/data coherence */
#define CTR_EL0_DIC_SHIFT 29 /* no I-cache invalidate to PoU needed */

/* ---- MPIDR_EL1, "MPIDR_EL1, Multiprocessor Affinity Register" ---- */
#define MPIDR_AFF0_SHIFT 0
#define MPIDR_AFF1_SHIFT 8
#define MPIDR_AFF2_SHIFT 16
#define MPIDR_AFF3_SHIFT 32
#define MPIDR_AFF_WIDTH 8
#define MPIDR_AFF2_0_MASK ((SR_BIT(MPIDR_AFF2_SHIFT + MPIDR_AFF_WIDTH) - 1)) /* Aff2..Aff0 */
/* The affinity fields, without MT and U: Linux's MPIDR_HWID_BITMASK, the CPU's identity. */
#define MPIDR_HWID_MASK (MPIDR_AFF2_0_MASK | SR_VAL(MPIDR_AFF3_SHIFT, 0xff))

/* ---- MIDR_EL1, "MIDR_EL1, Main ID Register" ---- */
#define MIDR_PARTNUM_SHIFT 4
#define MIDR_PARTNUM_WIDTH 12
#define MIDR_IMPLEMENTER_SHIFT 24
#define MIDR_IMPLEMENTER_WIDTH 8
#define ARM_CPU_IMP_ARM 0x41
#define ARM_CPU_PART_CORTEX_A53 0xd03 /* part numbers: each core's TRM, "MIDR_EL1" */
#define ARM_CPU_PART_CORTEX_A35 0xd04
#define ARM_CPU_PART_CORTEX_A57 0xd07
#define ARM_CPU_PART_CORTEX_A72 0xd08

/* ---- ID registers: the fields head.S and the kernel test ---- */
#define ID_AA64ISAR0_EL1_ATOMIC_SHIFT 20 /* 2: FEAT_LSE */
#define ID_AA64ISAR0_EL1_ATOMIC_LSE 2
#define ID_AA64MMFR0_EL1_PARANGE_SHIFT 0
#define ID_AA64MMFR0_EL1_PARANGE_48 5  /* 48-bit PA, this kernel's limit */
#define ID_AA64MMFR0_EL1_FGT_SHIFT 56  /* FEAT_FGT */
#define ID_AA64MMFR1_EL1_HCX_SHIFT 40  /* FEAT_HCX */
#define ID_AA64MMFR2_EL1_TTL_SHIFT 48  /* FEAT_TTL */
#define ID_AA64MMFR4_EL1_E2H0_SHIFT 24 /* signed: negative = no FEAT_E2H0, HCR_EL2.E2H is RES1 */
#define ID_AA64PFR0_EL1_GIC_SHIFT 24   /* GIC system register interface */
#define ID_AA64DFR0_EL1_PMUVER_SHIFT 8
#define ID_AA64DFR0_EL1_PMUVER_IMP_DEF 0xf /* a non-architectural PMU: PMCR_EL0 is not there either */
/* Registers older assemblers do not name. */
#define SYS_ID_AA64MMFR4_EL1 S3_0_C0_C7_4 /* RAZ where not implemented */

/* ---- PMCR_EL0, "PMCR_EL0, Performance Monitors Control Register": N = number of counters ---- */
#define PMCR_EL0_N_SHIFT 11
#define PMCR_EL0_N_WIDTH 5

/* ---- CPACR_EL1, "CPACR_EL1, Architectural Feature Access Control Register" ---- */
#define CPACR_EL1_FPEN_SHIFT 20
#define CPACR_EL1_FPEN_NO_TRAP SR_VAL(CPACR_EL1_FPEN_SHIFT, 3) /* FP/SIMD at EL0 and EL1 */

/* ---- ESR_ELx, "ESR_EL1, Exception Syndrome Register (EL1)" ---- */
#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_WIDTH 6
#define ESR_ELx_IL_SHIFT 25
#define ESR_ELx_EC_SMC64 0x17

/* ---- SPSR_ELx, "SPSR_EL2, Saved Program Status Register (EL2)": the PSTATE an eret restores ---- */
#define PSR_MODE_EL1h 0x5 /* M[3:0]: EL1 using SP_EL1 */
#define PSR_MODE_EL2h 0x9
#define PSR_F_BIT SR_BIT(6)
#define PSR_I_BIT SR_BIT(7)
#define PSR_A_BIT SR_BIT(8)
#define PSR_D_BIT SR_BIT(9)
#define PSR_DAIF_MASKED (PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)
#define INIT_PSTATE_EL1 (PSR_DAIF_MASKED | PSR_MODE_EL1h)
#define INIT_PSTATE_EL2 (PSR_DAIF_MASKED | PSR_MODE_EL2h)

/* ---- HCR_EL2, "HCR_EL2, Hypervisor Configuration Register" ---- */
#define HCR_EL2_RW_SHIFT 31 /* EL1 is AArch64 */
#define HCR_EL2_RW SR_BIT(HCR_EL2_RW_SHIFT)

/* ---- MDCR_EL2, "MDCR_EL2, Monitor Debug Configuration Register (EL2)" ---- */
#define MDCR_EL2_HPMN_SHIFT 0 /* counters EL1 may use: all of them, PMCR_EL0.N */

/* ---- CNTHCTL_EL2, "CNTHCTL_EL2, Counter-timer Hypervisor Control register" (E2H = 0) ---- */
#define CNTHCTL_EL2_EL1PCTEN SR_BIT(0) /* EL1 reads the physical counter without a trap */
#define CNTHCTL_EL2_EL1PCEN SR_BIT(1)  /* EL1 uses the physical timer without a trap */

/* ---- CPTR_EL2, "CPTR_EL2, Architectural Feature Trap Register (EL2)" (E2H = 0) ---- */
#define CPTR_EL2_RES1 (SR_BIT(13) | SR_BIT(9) | SR_VAL(0, 0xff))
#define CPTR_EL2_TZ SR_BIT(8)                                      /* trap SVE (RES1 without FEAT_SVE) */
#define CPTR_EL2_TFP SR_BIT(10)                                    /* trap FP/SIMD: left 0 */
#define CPTR_EL2_TSM SR_BIT(12)                                    /* trap SME (RES1 without FEAT_SME) */
#define CPTR_EL2_BOOT (CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM) /* the kernel uses no SVE/SME */

/* ---- SCR_EL3, "SCR_EL3, Secure Configuration Register" ---- */
#define SCR_EL3_NS SR_BIT(0)
#define SCR_EL3_RES1 (SR_BIT(5) | SR_BIT(4))
#define SCR_EL3_SMD SR_BIT(7) /* SMC disabled: left 0 for the EL3 service */
#define SCR_EL3_HCE SR_BIT(8)
#define SCR_EL3_RW SR_BIT(10)    /* EL2 is AArch64 */
#define SCR_EL3_FGTEN SR_BIT(27) /* EL2 may use the FEAT_FGT registers */
#define SCR_EL3_HXEN SR_BIT(38)  /* EL2 may use HCRX_EL2 (FEAT_HCX) */
#define SCR_EL3_BOOT (SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_HCE | SCR_EL3_RW)

/* ---- GIC CPU interface, "ICC_SRE_EL2" / "ICC_SRE_EL3" (GICv3 architecture, IHI 0069) ---- */
#define ICC_SRE_ELx_SRE_SHIFT 0
#define ICC_SRE_ELx_SRE SR_BIT(ICC_SRE_ELx_SRE_SHIFT) /* system register interface, not memory-mapped */
#define ICC_SRE_ELx_DFB SR_BIT(1)                     /* disable FIQ bypass */
#define ICC_SRE_ELx_DIB SR_BIT(2)                     /* disable IRQ bypass */
#define ICC_SRE_ELx_ENABLE SR_BIT(3)                  /* lower ELs may use their ICC_SRE_ELx */
#define SYS_ICC_SRE_EL2 S3_4_C12_C9_5
#define SYS_ICC_SRE_EL3 S3_6_C12_C12_5
#define SYS_ICH_HCR_EL2 S3_4_C12_C11_0

/* ---- EL2 trap registers with a feature-dependent presence (reset values UNKNOWN) ---- */
#define SYS_HCRX_EL2 S3_4_C1_C2_2
#define SYS_HFGRTR_EL2 S3_4_C1_C1_4
#define SYS_HFGWTR_EL2 S3_4_C1_C1_5
#define SYS_HFGITR_EL2 S3_4_C1_C1_6
#define SYS_HDFGRTR_EL2 S3_4_C3_C1_4
#define SYS_HDFGWTR_EL2 S3_4_C3_C1_5

/* ---- CPUECTLR_EL1 (Cortex-A35/A53/A57/A72 TRMs, "CPU Extended Control Register") ---- */
#define SYS_CPUECTLR_EL1 S3_1_C15_C2_1
#define CPUECTLR_EL1_SMPEN SR_BIT(6) /* take part in coherency before the caches are on */
