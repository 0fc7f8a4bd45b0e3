/*
 * Kernel entry: the arm64 Image header and everything that runs with the MMU off.
 *
 * Boot protocol (Documentation/arch/arm64/booting.rst): x0 = physical address of the DTB,
 * x1..x3 = 0, MMU off, D-cache off, interrupts masked, at EL2 or EL1. The loader may put the
 * image anywhere (flags bit 3), so nothing here may depend on the load address: physical
 * addresses come from adr/adrp (PC-relative), link-time constants only from literal pools of
 * absolute values or symbol differences.
 *
 * The loader's promises are not trusted beyond what booting.rst makes them: whatever PSTATE.SP,
 * DAIF, SCTLR endianness and EL2/EL3 state the CPU arrives with, the first instructions give it
 * a defined one, before any memory access that could depend on them.
 *
 * Register use until start_kernel:
 *   x19 = DTB physical address (x0 at entry)
 *   x20 = exception level at entry (1, 2 or 3)
 *   x21 = physical address of _text
 *
 * Secondary CPUs (docs/smp.md) enter at secondary_entry (PSCI CPU_ON) or secondary_holding_pen
 * (spin-table, and the cores an EL3 entry parks), run the same init_cpu_el and __cpu_enable_mmu
 * as the boot CPU, and call secondary_start_kernel(cpu). Until then:
 *   x19 = logical CPU number (-1 while unknown)
 *   x20 = physical, then virtual, address of secondary_boot_data
 */
#include "asm/boot.h"
#include "asm/memory.h"
#include "asm/pgtable.h"
#include "asm/smp.h"
#include "asm/sysreg_defs.h"		/* every system register value and field below */

/* Call frame information for the two entries into C++ (__primary_switched, __secondary_switched):
 * x30 undefined marks them outermost, so gdb's `bt` from start_kernel or secondary_start_kernel
 * ends there. In .debug_frame, as the C++ code's: nothing is added to the loaded image. */
	.cfi_sections .debug_frame

#if MDCR_EL2_HPMN_SHIFT != 0
#error "el2_setup writes PMCR_EL0.N to MDCR_EL2.HPMN without a shift"
#endif

/* Leaf attributes for the kernel image (see asm/pgtable.h). */
#define PTE_PAGE_BASE    (PTE_VALID_BIT | PTE_TABLE_BIT | PTE_AF_BIT | PTE_SH_INNER | (MT_NORMAL << PTE_ATTRINDX_SHIFT))
#define PTE_UXN          (1 << (PTE_UXN_BIT_SHIFT - 32))   /* in the upper word */
#define PTE_PXN          (1 << (PTE_PXN_BIT_SHIFT - 32))
#define TABLE_DESC       (PTE_VALID_BIT | PTE_TABLE_BIT)

/* Does this CPU implement the build's translation granule for stage 1? ID_AA64MMFR0_EL1.TGran4,
 * TGran16 or TGran64 (Arm ARM, "ID_AA64MMFR0_EL1"; asm/page_def.h gives the field, its signedness
 * and the range that means "supported"). Branches to \fail if not, with x1 = ID_AA64MMFR0_EL1.
 * Clobbers x1, x2. */
	.macro	check_granule, fail
	mrs	x1, id_aa64mmfr0_el1
	.if	ID_AA64MMFR0_EL1_TGRAN_SIGNED
	sbfx	x2, x1, #ID_AA64MMFR0_EL1_TGRAN_SHIFT, #ID_FIELD_WIDTH
	.else
	ubfx	x2, x1, #ID_AA64MMFR0_EL1_TGRAN_SHIFT, #ID_FIELD_WIDTH
	.endif
	cmp	x2, #ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MIN
	b.lt	\fail
	cmp	x2, #ID_AA64MMFR0_EL1_TGRAN_SUPPORTED_MAX
	b.gt	\fail
	.endm

/* A 64-bit constant without a literal-pool load: no data access before SCTLR_ELx.EE is known. */
	.macro	mov_q, reg, val
	movz	\reg, :abs_g3:\val
	movk	\reg, :abs_g2_nc:\val
	movk	\reg, :abs_g1_nc:\val
	movk	\reg, :abs_g0_nc:\val
	.endm

/* \reg = this CPU's MPIDR_EL1 affinity value, Aff3..Aff0 at their MPIDR positions (MT, U and
 * the RES bits cleared): what the device tree's reg and secondary_boot_data hold. */
	.macro	mpidr_hwid, reg, tmp
	mrs	\reg, mpidr_el1
	and	\tmp, \reg, #MPIDR_AFF2_0_MASK
	ubfx	\reg, \reg, #MPIDR_AFF3_SHIFT, #MPIDR_AFF_WIDTH
	orr	\reg, \tmp, \reg, lsl #MPIDR_AFF3_SHIFT
	.endm

/* TTBR0 (the identity map) walks off once the kernel runs at its virtual address (TCR_EL1.EPD0),
 * and whatever they cached dropped from this CPU's TLB. Clobbers x0. */
	.macro	idmap_walks_off
	mrs	x0, tcr_el1
	orr	x0, x0, #TCR_EPD0
	msr	tcr_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	.endm

	.section ".head.text", "ax"
	.globl	_head
_head:
	b	primary_entry			/* code0 */
	.long	0				/* code1 */
	.quad	0				/* text_offset: 0, load at a 2 MiB-aligned base */
	.quad	_kernel_size			/* image_size: from _text to _end, BSS and page tables */
	/* flags (booting.rst): bit 0 = 0 little-endian; bits [2:1] the page size (1 4K, 2 16K, 3 64K);
	 * bit 3 placement anywhere in physical memory (2 MiB aligned) */
	.quad	(IMAGE_FLAGS_PAGE_SIZE << 1) | (1 << 3)
	.quad	0				/* res2 */
	.quad	0				/* res3 */
	.quad	0				/* res4 */
	.ascii	"ARM\x64"			/* magic */
	.long	0				/* res5 (PE header offset) */

/* Everything that runs with the MMU off or turns it on lives in one page, identity-mapped. */
	.section ".idmap.text", "ax"
primary_entry:
	/* Interrupts masked and SP_ELx selected whatever the loader left: an EL1t entry (SPSel = 0)
	 * would otherwise run the kernel on SP_EL0 and take exceptions on an unset SP_EL1. */
	msr	daifset, #0xf
	msr	spsel, #1
	mov	x19, x0
	/* With firmware above the kernel (entry at EL2 or EL1) the CPU that entered boots, whatever
	 * its MPIDR: booting.rst lets the loader pick any CPU, and the firmware holds the others until
	 * each is released by its own MPIDR. At EL3 there is no firmware: every core of the SoC
	 * starts here at reset (a Pi with kernel_old=1 and no armstub), so, as the armstub does, the
	 * core with MPIDR Aff3..Aff0 = 0 boots and every other one waits in the kernel's own holding
	 * pen, from which smp_init releases it. Registers only: no memory access before SCTLR. */
	mrs	x1, CurrentEL
	cmp	x1, #CURRENTEL_EL(3)
	b.ne	2f
	mpidr_hwid x1, x2
	cbnz	x1, secondary_holding_pen
2:	bl	init_cpu_el
	adrp	x21, _text
	/* A load address that is not a multiple of the page would put its low bits into the output
	 * addresses (at 64K bits [15:12] are OA[51:48]) and attributes of every descriptor below.
	 * booting.rst asks for a 2 MiB-aligned base, which is page aligned at every granule; a
	 * loader that breaks that parks here, where gdb names it. */
	tst	x21, #(PAGE_SIZE_ASM - 1)
	b.ne	image_not_page_aligned
	/* Before any table is built in this granule's format: can this CPU walk it at all? */
	check_granule granule_unsupported
	bl	create_page_tables
	b	enable_mmu

/* The boot CPU does not implement this build's granule (x1 = ID_AA64MMFR0_EL1): a TCR_EL1.TG0/TG1
 * naming a granule that is not implemented is read as an IMPLEMENTATION DEFINED implemented one
 * (Arm ARM, "TCR_EL1"), so the walker would take our tables for another format. Say so on the
 * UART the DTB names, with the MMU off: nommu_granule_unsupported(dtb_pa, mmfr0) (drivers/tty/
 * nommu_console.cpp) runs at its physical address, on the boot
 * stack's physical address (16-byte aligned), and never returns. */
granule_unsupported:
	/* The boot stack is NOLOAD, past the loaded image: booting.rst does not promise it is clean,
	 * and a dirty line the loader left there could be written back over our frames (the MMU and
	 * caches are off: our stores go to memory). Drop such lines first, as for the tables. */
	mov	x22, x1
	adrp	x0, init_stack
	adrp	x1, init_stack_top
	add	x1, x1, :lo12:init_stack_top
	bl	dcache_inval_poc
	dsb	sy
	adrp	x0, init_stack_top
	add	x0, x0, :lo12:init_stack_top
	mov	sp, x0
	mov	x0, x19
	mov	x1, x22
	bl	nommu_granule_unsupported
1:	wfe					/* [[noreturn]]: not reached */
	b	1b
	.globl	image_not_page_aligned
image_not_page_aligned:				/* x21 = the physical address of _text */
	wfe
	b	image_not_page_aligned

/*
 * Gives this CPU a defined EL1 world, whatever EL it entered at, and returns there at EL1: the
 * boot CPU and every secondary run this one copy. At EL1, SCTLR_EL1 is written before any memory
 * access (its EE bit is UNKNOWN until then); at EL2 and EL3, el2_setup writes SCTLR_EL2/EL3 first.
 * Sets w20 = the entry EL. Clobbers x0-x2 and x28.
 */
init_cpu_el:
	mov	x28, x30
	mrs	x1, CurrentEL
	cmp	x1, #CURRENTEL_EL(1)
	b.ne	1f
	mov_q	x1, SCTLR_EL1_RES1		/* at EL1: little-endian, MMU and caches off, now */
	msr	sctlr_el1, x1
	isb
1:	adrp	x1, early_vectors		/* physical: nothing may fault unseen, even now */
	add	x1, x1, :lo12:early_vectors
	msr	vbar_el1, x1
	isb
	bl	el2_setup			/* "returns" here at EL1 (an eret from EL2) */
	adrp	x1, early_vectors		/* again at EL1: above, at EL2 with HCR_EL2.E2H = 1 from */
	add	x1, x1, :lo12:early_vectors	/* the firmware, the write went to VBAR_EL2 */
	msr	vbar_el1, x1
	mov	x1, #CPACR_EL1_FPEN_NO_TRAP	/* no FP/SIMD traps (libfdt uses NEON) */
	msr	cpacr_el1, x1
	isb
	ret	x28

/*
 * Secondary CPU entry for PSCI CPU_ON (its entry_point_address, DEN0022 "CPU_ON"): MMU and caches
 * off, at EL2 or EL1 (the firmware chooses: TF-A starts it at EL2 when EL2 is enabled, QEMU at
 * the caller's EL1), x0 = context_id = the logical CPU number smp_init passed. Runs at its
 * physical address.
 */
	.globl	secondary_entry
secondary_entry:
	msr	daifset, #0xf
	msr	spsel, #1
	mov	x19, x0				/* checked against the MPIDR table below */
	bl	init_cpu_el
	b	secondary_startup

/*
 * The holding pen: the spin-table release target (smp_init writes this physical address to the
 * CPU's cpu-release-addr), and where the non-boot cores wait after an EL3 entry. Each CPU gives
 * itself a defined EL1 first, then waits in wfe until secondary_pen_release holds its own MPIDR
 * affinity value: a release address may be shared by several CPUs (APM X-Gene's tree gives all
 * eight the same one), and the latch lets them out one at a time. The latch is read with the MMU
 * off (Non-cacheable): the boot CPU cleans it to PoC before its sev (asm/smp.h).
 */
	.globl	secondary_holding_pen
secondary_holding_pen:
	msr	daifset, #0xf
	msr	spsel, #1
	bl	init_cpu_el
	mpidr_hwid x1, x2
	adrp	x2, secondary_pen_release
	add	x2, x2, :lo12:secondary_pen_release
1:	ldr	x3, [x2]
	cmp	x3, x1
	b.eq	2f
	wfe
	b	1b
2:	movn	x19, #0				/* no context ID: look the MPIDR up */
	b	secondary_startup

/*
 * A secondary at EL1, MMU off, x19 = its logical CPU number from PSCI's context ID, or -1. Finds
 * itself in secondary_boot_data (the context ID must name the entry holding this CPU's own MPIDR;
 * otherwise the MPIDR is looked up), turns the MMU on with the boot CPU's MAIR_EL1, TCR_EL1 and
 * TTBR1_EL1 (paging_init's swapper_pg_dir) and the idmap in TTBR0_EL1, and continues at the
 * kernel's virtual address. The boot CPU cleaned secondary_boot_data to PoC before the release
 * (booting.rst; Arm ARM "Data cache maintenance"): these loads are Non-cacheable.
 */
secondary_startup:
	adrp	x20, secondary_boot_data
	add	x20, x20, :lo12:secondary_boot_data
	mpidr_hwid x1, x2
	ldr	x3, [x20, #BOOT_DATA_NR_CPUS]
	add	x4, x20, #BOOT_DATA_MPIDR
	cmp	x19, x3
	b.hs	1f
	ldr	x5, [x4, x19, lsl #3]
	cmp	x5, x1
	b.eq	3f
1:	mov	x19, #0
2:	cmp	x19, x3
	b.hs	secondary_unknown_park
	ldr	x5, [x4, x19, lsl #3]
	cmp	x5, x1
	b.eq	3f
	add	x19, x19, #1
	b	2b
3:	check_granule secondary_granule_unsupported
	ldr	x0, [x20, #BOOT_DATA_TTBR1]
	ldr	x1, [x20, #BOOT_DATA_TCR]
	ldr	x2, [x20, #BOOT_DATA_MAIR]
	bl	__cpu_enable_mmu
	ldr	x8, =__secondary_switched	/* the high, linked address */
	br	x8

/* A secondary that does not implement the boot CPU's granule (a heterogeneous system): it cannot
 * use swapper_pg_dir, so it never comes online. x19 = its logical CPU, x1 = its ID_AA64MMFR0_EL1,
 * for gdb. There is no MMU-off status slot in secondary_boot_data to report through (the reasons
 * in smp.cpp's g_fail_reason are written with the MMU on): the boot CPU's bounded wait times out
 * and reports "CPU<n>: failed to come online". */
	.globl	secondary_granule_unsupported
secondary_granule_unsupported:
	msr	daifset, #0xf
1:	wfe
	b	1b

/* A CPU whose MPIDR (in x1, for gdb) is not in secondary_boot_data: nothing to run as. */
secondary_unknown_park:
	msr	daifset, #0xf
1:	wfe
	b	1b

/* smp_test_stuck=N: CPU N is started here instead of at the kernel, so it never comes online and
 * the boot CPU's bounded wait times out (a real test of that path). */
	.globl	secondary_park_for_test
secondary_park_for_test:
	msr	daifset, #0xf
1:	wfe
	b	1b

/*
 * Exceptions taken before the MMU is on (and so before the console exists) land here: the CPU
 * parks in early_exception_park with ESR_EL1, ELR_EL1 and FAR_EL1 in x0, x1, x2, where
 * `tools/run-qemu --gdb` shows them. 16 entries of 0x80 bytes, 2 KiB aligned.
 */
	.pushsection ".text", "ax"
	.balign	2048
early_vectors:
	.rept	16
	.balign	128
	b	early_exception_park
	.endr
early_exception_park:
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
1:	wfe
	b	1b

/* A parking table for VBAR_EL2 while EL2 is set up: an exception taken there (an UNDEF on a CPU
 * without a feature the code assumed) parks visibly in el2_exception_park instead of jumping to an
 * UNKNOWN vector. ESR_EL2, ELR_EL2 and FAR_EL2 in x0, x1, x2 for gdb. */
	.balign	2048
el2_park_vectors:
	.rept	16
	.balign	128
	b	el2_exception_park
	.endr
el2_exception_park:
	mrs	x0, esr_el2
	mrs	x1, elr_el2
	mrs	x2, far_el2
1:	wfe
	b	1b
	.popsection

/*
 * Give EL1 a defined world, whatever EL the CPU entered at. Sets w20 = the entry EL.
 *
 * From EL3 (a Raspberry Pi with kernel_old=1 and no armstub, or a loader that jumps to the Image
 * at reset) the kernel does the armstub's work: SMPEN on the cores that need it for coherency,
 * SCTLR_EL2 and the EL3 controls, and a minimal EL3 vector table that lets the kernel set
 * CNTFRQ_EL0 (writable only at the highest EL) once it has read the DT's timer clock-frequency;
 * then it continues as from EL2.
 *
 * From EL2 every EL2 control that could trap or distort EL1 is written (Linux's init_el2 set, as
 * far as it applies to a kernel that does not stay at EL2): reset values are UNKNOWN on silicon,
 * and QEMU hands back friendly ones.
 */
el2_setup:
	mrs	x0, CurrentEL
	lsr	x0, x0, #CURRENTEL_EL_SHIFT
	mov	w20, w0
	cmp	x0, #3
	b.ne	0f
	/* ---- EL3 ---- */
	mov_q	x0, SCTLR_EL3_RES1		/* MMU off, little-endian */
	msr	sctlr_el3, x0
	isb
	msr	cptr_el3, xzr			/* no FP/SIMD traps to EL3 */
	msr	mdcr_el3, xzr			/* no debug or PMU traps to EL3 (reset value UNKNOWN) */
	mrs	x0, midr_el1			/* CPUECTLR_EL1.SMPEN on Cortex-A35/A53/A57/A72 (TRMs) */
	ubfx	x1, x0, #MIDR_IMPLEMENTER_SHIFT, #MIDR_IMPLEMENTER_WIDTH
	cmp	x1, #ARM_CPU_IMP_ARM
	b.ne	3f
	ubfx	x1, x0, #MIDR_PARTNUM_SHIFT, #MIDR_PARTNUM_WIDTH
	cmp	x1, #ARM_CPU_PART_CORTEX_A53
	b.eq	6f
	cmp	x1, #ARM_CPU_PART_CORTEX_A35
	b.eq	6f
	cmp	x1, #ARM_CPU_PART_CORTEX_A57
	b.eq	6f
	cmp	x1, #ARM_CPU_PART_CORTEX_A72
	b.ne	3f
6:	mrs	x0, SYS_CPUECTLR_EL1
	orr	x0, x0, #CPUECTLR_EL1_SMPEN
	msr	SYS_CPUECTLR_EL1, x0
	isb
3:	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_EL1_GIC_SHIFT, #ID_FIELD_WIDTH	/* GIC system registers: let EL2, EL1 use them */
	cbz	x0, 3f
	mov	x0, #(ICC_SRE_ELx_SRE | ICC_SRE_ELx_DFB | ICC_SRE_ELx_DIB | ICC_SRE_ELx_ENABLE)
	msr	SYS_ICC_SRE_EL3, x0
	isb
3:	mov_q	x0, SCTLR_EL2_RES1
	msr	sctlr_el2, x0
	adr	x0, el3_vectors
	msr	vbar_el3, x0
	/* SCR_EL3: NS, RES1 [5:4], HCE, RW (EL2 is AArch64), SMD = 0 (the EL3 service below); and
	 * the enables without which EL2's own accesses to its registers trap to EL3: FGTEn with
	 * FEAT_FGT, HXEn with FEAT_HCX. */
	mov	x0, #SCR_EL3_BOOT
	mrs	x1, id_aa64mmfr0_el1
	ubfx	x1, x1, #ID_AA64MMFR0_EL1_FGT_SHIFT, #ID_FIELD_WIDTH
	cbz	x1, 3f
	orr	x0, x0, #SCR_EL3_FGTEN
3:	mrs	x1, id_aa64mmfr1_el1
	ubfx	x1, x1, #ID_AA64MMFR1_EL1_HCX_SHIFT, #ID_FIELD_WIDTH
	cbz	x1, 3f
	orr	x0, x0, #SCR_EL3_HXEN
3:	msr	scr_el3, x0
	mov	x0, #INIT_PSTATE_EL2		/* EL2h, D A I F masked */
	msr	spsr_el3, x0
	adr	x0, 2f
	msr	elr_el3, x0
	isb
	eret
2:	mov	x0, #2				/* now at EL2 */
0:	cmp	x0, #2
	b.eq	1f
	/* ---- EL1: SCTLR_EL1 was made defined at entry ---- */
	ret
1:	/* ---- EL2 ---- */
	adr	x0, el2_park_vectors		/* until the eret: no UNKNOWN vector */
	msr	vbar_el2, x0
	mov_q	x0, SCTLR_EL2_RES1		/* EL2 stays MMU-off, little-endian */
	msr	sctlr_el2, x0
	isb
	/* Cores without FEAT_E2H0 (ID_AA64MMFR4_EL1.E2H0 negative) have HCR_EL2.E2H RES1: EL1
	 * register names then reach EL2 registers and CNTHCTL/CPTR change layout. This kernel
	 * does not run its EL2 code in that mode: it parks in el2_e2h_res1_unsupported, where gdb
	 * names the reason (docs/architecture-rules.md). */
	mrs	x0, SYS_ID_AA64MMFR4_EL1
	sbfx	x0, x0, #ID_AA64MMFR4_EL1_E2H0_SHIFT, #ID_FIELD_WIDTH	/* signed */
	tbnz	x0, #63, el2_e2h_res1_unsupported
	mov	x0, #HCR_EL2_RW			/* EL1 is AArch64; no other EL2 traps */
	msr	hcr_el2, x0
	isb					/* a changed E2H redirects the EL1 names only after a
						 * context synchronisation (Arm ARM D23.1.2) */
	mrs	x0, midr_el1			/* EL1 reads of MIDR/MPIDR return VPIDR/VMPIDR_EL2 */
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	/* MDCR_EL2: no debug or PMU traps; HPMN = every counter (PMCR_EL0.N) when there is a PMU
	 * (PMCR_EL0 is UNDEFINED without one: ID_AA64DFR0_EL1.PMUVer 0 or 0xf). */
	mov	x1, xzr
	mrs	x0, id_aa64dfr0_el1
	ubfx	x0, x0, #ID_AA64DFR0_EL1_PMUVER_SHIFT, #ID_FIELD_WIDTH
	cbz	x0, 4f
	cmp	x0, #ID_AA64DFR0_EL1_PMUVER_IMP_DEF
	b.eq	4f
	mrs	x0, pmcr_el0
	ubfx	x1, x0, #PMCR_EL0_N_SHIFT, #PMCR_EL0_N_WIDTH
4:	msr	mdcr_el2, x1			/* HPMN = N */
	mov	x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)	/* every other control */
	msr	cnthctl_el2, x0			/* (event stream, ECV, EL1 counter traps) off */
	msr	cntvoff_el2, xzr		/* virtual count == physical count */
	mov	x0, #CPTR_EL2_BOOT		/* TFP = 0 (no FP trap); SVE, SME trapped */
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x0, id_aa64mmfr1_el1
	ubfx	x0, x0, #ID_AA64MMFR1_EL1_HCX_SHIFT, #ID_FIELD_WIDTH	/* HCRX_EL2: reset value UNKNOWN */
	cbz	x0, 4f
	msr	SYS_HCRX_EL2, xzr
4:	mrs	x0, id_aa64mmfr0_el1
	ubfx	x0, x0, #ID_AA64MMFR0_EL1_FGT_SHIFT, #ID_FIELD_WIDTH	/* fine-grained traps, UNKNOWN */
	cbz	x0, 5f
	msr	SYS_HFGRTR_EL2, xzr
	msr	SYS_HFGWTR_EL2, xzr
	msr	SYS_HFGITR_EL2, xzr
	msr	SYS_HDFGRTR_EL2, xzr
	msr	SYS_HDFGWTR_EL2, xzr
5:	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_EL1_GIC_SHIFT, #ID_FIELD_WIDTH	/* GIC system registers present? */
	cbz	x0, 2f
	mrs	x0, SYS_ICC_SRE_EL2
	orr	x0, x0, #ICC_SRE_ELx_SRE
	orr	x0, x0, #ICC_SRE_ELx_ENABLE	/* let EL1 use the GICv3 system registers */
	msr	SYS_ICC_SRE_EL2, x0
	isb
	mrs	x0, SYS_ICC_SRE_EL2		/* ICH_* exist only if SRE stuck (not a legacy-only GIC) */
	tbz	x0, #ICC_SRE_ELx_SRE_SHIFT, 2f
	msr	SYS_ICH_HCR_EL2, xzr		/* no virtual interface */
2:	mov_q	x0, SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	mov	x0, #INIT_PSTATE_EL1		/* EL1h, D A I F masked */
	msr	spsr_el2, x0
	msr	elr_el2, x30			/* "return" to the caller, at EL1 */
	isb
	eret

el2_e2h_res1_unsupported:
	msr	daifset, #0xf
1:	wfe
	b	1b

/*
 * EL3 vectors, installed only when the kernel entered at EL3 (no firmware above it). One service,
 * reached by SMC from EL1: x0 = SMCCC_SIP_SET_CNTFRQ (a SiP fast-call function ID), x1 = frequency
 * in Hz -> CNTFRQ_EL0, x0 = 0. Anything else returns SMCCC NOT_SUPPORTED (-1). EL3 runs with its
 * MMU off, so this code is used at its physical address. Clobbers x0 and x2 (results and scratch
 * under the SMC Calling Convention).
 */
	.pushsection ".text", "ax"
	.balign	2048
el3_vectors:
	.rept	8				/* current EL: not expected, park */
	.balign	128
	b	el3_exception_park
	.endr
	.balign	128				/* lower EL, AArch64, synchronous: SMC */
	b	el3_smc
	.rept	7
	.balign	128
	b	el3_exception_park
	.endr
el3_smc:
	mrs	x2, esr_el3
	lsr	x2, x2, #ESR_ELx_EC_SHIFT
	cmp	x2, #ESR_ELx_EC_SMC64
	b.ne	el3_exception_park		/* a trap to EL3 is a bug here: never eret into it again */
	movz	w2, #(SMCCC_SIP_SET_CNTFRQ >> 16), lsl #16
	movk	w2, #(SMCCC_SIP_SET_CNTFRQ & 0xffff)
	cmp	w0, w2				/* SMCCC: the function ID is W0 */
	b.ne	1f
	msr	cntfrq_el0, x1
	mov	x0, #0
	eret
1:	movn	x0, #0				/* SMCCC NOT_SUPPORTED */
	eret
el3_exception_park:
	mrs	x0, esr_el3
	mrs	x1, elr_el3
1:	wfe
	b	1b
	.popsection

/*
 * Builds two sets of tables with the MMU off, in the build's granule (asm/page_def.h: pages of
 * PAGE_SIZE, levels PT_START_LEVEL..3, PT_LEVEL_BITS of VA per level, PT_ROOT_BITS at the root;
 * Arm ARM D8.2, "Translation process"):
 *  - TTBR1 (init_pg_dir): the kernel image at KIMAGE_VADDR in pages with final permissions:
 *    text RX, rodata R, data/BSS/page tables RW + XN. No page is ever writable and executable.
 *    One table page per level from the root down to level 2, then one pte page per PMD_SIZE
 *    (2 MiB, 32 MiB, 512 MiB) the image spans (linker/kernel.ld: INIT_PTE_PAGES).
 *  - TTBR0 (idmap_pg_dir): one read-only executable page identity-mapping this page, so the
 *    instruction after the MMU-enable write still translates. One table page per level.
 * Only page descriptors at level 3: no block mapping at any granule.
 */
/* Links the table at \next into \tbl's entry for the address in \va at level \level (VA bits
 * [PT_LEVEL_SHIFT(level) + width - 1 : PT_LEVEL_SHIFT(level)], width PT_ROOT_BITS at the root,
 * PT_LEVEL_BITS below it). Clobbers x6, x7. */
	.macro	link_table, tbl, next, va, level
	.if	\level == PT_START_LEVEL
	ubfx	x6, \va, #PT_LEVEL_SHIFT(\level), #PT_ROOT_BITS
	.else
	ubfx	x6, \va, #PT_LEVEL_SHIFT(\level), #PT_LEVEL_BITS
	.endif
	orr	x7, \next, #TABLE_DESC
	str	x7, [\tbl, x6, lsl #3]
	.endm

/* \tbl = a root table, followed by one zeroed table page per level down to level 2: links the
 * chain for \va from the root to level 1 and leaves \tbl = the level-2 (pmd) table. Clobbers
 * \tmp, x6, x7. */
	.macro	link_root_to_pmd, tbl, va, tmp
	.if	PT_START_LEVEL == 0
	add	\tmp, \tbl, #PAGE_SIZE_ASM
	link_table \tbl, \tmp, \va, 0
	mov	\tbl, \tmp
	.endif
	add	\tmp, \tbl, #PAGE_SIZE_ASM
	link_table \tbl, \tmp, \va, 1
	mov	\tbl, \tmp
	.endm

/* dc ivac over both boot table areas, then dsb sy. Clobbers x0-x3, x30. */
	.macro	inval_boot_tables
	adrp	x0, init_pg_dir
	adrp	x1, init_pg_end
	bl	dcache_inval_poc
	adrp	x0, idmap_pg_dir
	adrp	x1, idmap_pg_end
	bl	dcache_inval_poc
	dsb	sy
	.endm

create_page_tables:
	mov	x22, x30
	/* The table areas lie past the loaded file (NOLOAD), so booting.rst does not promise they are
	 * clean: a dirty line left there by the loader could be written back over the tables we are
	 * about to write with the caches off. Invalidate them to PoC first (Linux <= 6.8 does too). */
	inval_boot_tables
	/* Zero both table areas (MMU off: Device memory, so aligned 8-byte stores only: with stage 1
	 * disabled data accesses are Device-nGnRnE, and an unaligned access to Device memory, or a
	 * DC ZVA, takes an Alignment fault; Arm ARM, "The effects of disabling an address translation
	 * stage" and "Alignment of data accesses"). Both areas are whole pages (linker/kernel.ld), so
	 * four stores per loop never run past the end. */
	adrp	x0, init_pg_dir
	adrp	x1, init_pg_end
0:	str	xzr, [x0], #8
	str	xzr, [x0], #8
	str	xzr, [x0], #8
	str	xzr, [x0], #8
	cmp	x0, x1
	b.lo	0b
	adrp	x0, idmap_pg_dir
	adrp	x1, idmap_pg_end
0:	str	xzr, [x0], #8
	str	xzr, [x0], #8
	str	xzr, [x0], #8
	str	xzr, [x0], #8
	cmp	x0, x1
	b.lo	0b

	/* TTBR1: root -> ... -> pmd -> pte pages, all consecutive pages of init_pg_dir. */
	ldr	x5, =KIMAGE_VADDR_ASM
	adrp	x2, init_pg_dir			/* root */
	link_root_to_pmd x2, x5, x3		/* x2 = pmd */
	add	x3, x2, #PAGE_SIZE_ASM		/* first pte page */
	ldr	x8, =_kernel_size
	mov	x9, #((1 << PMD_SHIFT_ASM) - 1)	/* a run of ones: a valid logical immediate */
	add	x8, x8, x9
	lsr	x8, x8, #PMD_SHIFT_ASM		/* number of pte pages (PMD_SIZE each) */
	ubfx	x6, x5, #PMD_SHIFT_ASM, #PT_LEVEL_BITS	/* first pmd index */
	mov	x9, x3
1:	orr	x7, x9, #TABLE_DESC
	str	x7, [x2, x6, lsl #3]
	add	x6, x6, #1
	add	x9, x9, #PAGE_SIZE_ASM
	subs	x8, x8, #1
	b.ne	1b

	/* One pte per page of the image: x10 = offset, x11 = pa. KIMAGE_VADDR is PMD aligned
	 * (linker/kernel.ld), so the pte pages form one array indexed by offset >> PAGE_SHIFT. */
	ldr	x12, =_etext_offset
	ldr	x13, =_erodata_offset
	ldr	x14, =_kernel_size
	ldr	x16, =_stack_guard_offset
	mov	x10, #0
2:	cmp	x10, x16			/* the stack guard page stays unmapped */
	b.eq	6f
	add	x11, x21, x10
	ldr	x7, =PTE_PAGE_BASE
	orr	x7, x7, x11
	cmp	x10, x12
	b.hs	3f
	orr	x7, x7, #PTE_AP_RO_BIT		/* text: read-only, executable at EL1 only */
	orr	x7, x7, #(PTE_UXN << 32)
	b	5f
3:	cmp	x10, x13
	b.hs	4f
	orr	x7, x7, #PTE_AP_RO_BIT		/* rodata: read-only, never executable */
4:	orr	x7, x7, #(PTE_UXN << 32)	/* rodata, data, BSS, tables: XN */
	orr	x7, x7, #(PTE_PXN << 32)
5:	lsr	x15, x10, #PAGE_SHIFT_ASM
	str	x7, [x3, x15, lsl #3]
6:	add	x10, x10, #PAGE_SIZE_ASM
	cmp	x10, x14
	b.lo	2b

	/* TTBR0 identity map of this one page (root -> ... -> pmd -> pte), read-only and executable.
	 * Only this page: a block would also be an executable alias of the data, BSS and page
	 * tables next to it whenever TTBR0 walks are enabled (the TTBR1 switch in paging_init). */
	adrp	x2, idmap_pg_dir		/* root */
	adrp	x4, __idmap_text_start
	link_root_to_pmd x2, x4, x3		/* x2 = pmd */
	add	x3, x2, #PAGE_SIZE_ASM		/* pte page */
	link_table x2, x3, x4, 2
	ubfx	x6, x4, #PAGE_SHIFT_ASM, #PT_LEVEL_BITS
	ldr	x7, =(PTE_PAGE_BASE | PTE_AP_RO_BIT)
	orr	x7, x7, x4
	orr	x7, x7, #(PTE_UXN << 32)
	str	x7, [x3, x6, lsl #3]

	/* The tables were written with the MMU (and so the caches) off, while the walker will read
	 * them through the cache: drop any line a speculative fill brought in meanwhile. The dmb
	 * orders the Device-memory stores above before the invalidates (Arm ARM, "Ordering and
	 * completion of data and instruction cache instructions": without a barrier a DC IVAC may be
	 * performed before an earlier store to the same line). */
	dmb	sy
	inval_boot_tables
	ret	x22

/* dc ivac over [x0, x1): line size from CTR_EL0.DminLine. Clobbers x2, x3. */
dcache_inval_poc:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #CTR_EL0_DMINLINE_SHIFT, #CTR_EL0_MINLINE_WIDTH
	mov	x2, #4
	lsl	x2, x2, x3			/* line size in bytes (DminLine counts words) */
	sub	x3, x2, #1
	bic	x0, x0, x3
0:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	0b
	ret

enable_mmu:
	ldr	x1, =TCR_EL1_VALUE
	mrs	x2, id_aa64mmfr0_el1
	ubfx	x2, x2, #ID_AA64MMFR0_EL1_PARANGE_SHIFT, #ID_FIELD_WIDTH
	cmp	x2, #ID_AA64MMFR0_EL1_PARANGE_48
	mov	x3, #ID_AA64MMFR0_EL1_PARANGE_48
	csel	x2, x2, x3, ls			/* at most 48 bits: IPS = min(PARange, 48 bits) */
	bfi	x1, x2, #TCR_IPS_SHIFT, #TCR_IPS_WIDTH
	adrp	x0, init_pg_dir
	ldr	x2, =MAIR_EL1_VALUE
	bl	__cpu_enable_mmu
	ldr	x8, =__primary_switched		/* the high, linked address */
	br	x8

/*
 * void __cpu_enable_mmu(u64 ttbr1, u64 tcr, u64 mair): MAIR_EL1, TCR_EL1, TTBR0_EL1 = the identity
 * map, TTBR1_EL1 = ttbr1; this CPU's TLB and I-cache dropped; the MMU and caches on. Returns
 * through the identity map, so its caller must live in this page too (the boot CPU's enable_mmu,
 * the secondaries' secondary_startup). Clobbers x3.
 */
__cpu_enable_mmu:
	msr	mair_el1, x2
	msr	tcr_el1, x1
	adrp	x3, idmap_pg_dir
	msr	ttbr0_el1, x3
	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1
	ic	iallu
	dsb	nsh
	isb
	ldr	x3, =SCTLR_EL1_MMU_ON		/* MMU, caches, SP alignment checks, WXN */
	msr	sctlr_el1, x3
	isb
	ic	iallu				/* discard instructions fetched with the MMU off */
	dsb	nsh
	isb
	ret

/*
 * void idmap_cpu_replace_ttbr1(u64 new_ttbr1, u64 empty_table), called at its PHYSICAL address
 * through the identity map: TTBR1 goes to an empty table, the TLB is invalidated, then the new
 * tables are installed. No TTBR1 translation is live while the old and new tables could both be
 * cached (break-before-make for the whole kernel half). Touches no memory.
 */
	.globl	idmap_cpu_replace_ttbr1
idmap_cpu_replace_ttbr1:
	msr	ttbr1_el1, x1
	isb
	tlbi	vmalle1is
	dsb	ish
	isb
	msr	ttbr1_el1, x0
	isb
	ret
	.ltorg
	.globl	__idmap_text_end_marker
__idmap_text_end_marker:

	.text
/* Running at KIMAGE_VADDR with the MMU on. */
__primary_switched:
	.cfi_startproc
	.cfi_undefined x30		/* the outermost frame: a debugger's backtrace ends here */
	ldr	x0, =vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =init_stack_top
	mov	sp, x0
	/* The identity map is no longer needed: stop TTBR0 walks altogether. */
	idmap_walks_off
	/* BSS (which includes the fixmap tables; the stacks are in .stacks) is cleared with the caches on. Its
	 * bounds are page aligned and BSS is never empty (asserted in linker/kernel.ld): 64 bytes per
	 * loop, stored before the compare, never run past the end. */
	ldr	x0, =__bss_start
	ldr	x1, =__bss_stop
0:	stp	xzr, xzr, [x0], #16
	stp	xzr, xzr, [x0], #16
	stp	xzr, xzr, [x0], #16
	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	0b
	/* TPIDR_EL1 = this CPU's PerCpu (kernel/smp.h) from here on: CPU 0's, in BSS, with the
	 * image's overflow stack for entry.S's stack-overflow path. */
	ldr	x0, =per_cpu_area
	ldr	x1, =overflow_stack_top
	str	x1, [x0, #PERCPU_OVERFLOW_STACK_TOP]
	msr	tpidr_el1, x0
	mov	x29, xzr			/* terminate the frame-pointer chain */
	mov	x30, xzr
	mov	x0, x19
	mov	x1, x21
	mov	w2, w20
	bl	start_kernel
	b	arch_halt_asm
	.cfi_endproc

/* A secondary at KIMAGE_VADDR with the MMU on (x19 = logical CPU, x20 = boot data, physical):
 * vectors, the identity map off, its own stack and PerCpu from secondary_boot_data (written by
 * the boot CPU with the caches on; read here through them, coherently). */
__secondary_switched:
	.cfi_startproc
	.cfi_undefined x30		/* the outermost frame of a secondary CPU */
	ldr	x0, =vectors
	msr	vbar_el1, x0
	isb
	idmap_walks_off
	ldr	x20, =secondary_boot_data
	add	x1, x20, #BOOT_DATA_STACK_TOP
	ldr	x0, [x1, x19, lsl #3]
	mov	sp, x0
	add	x1, x20, #BOOT_DATA_PERCPU
	ldr	x0, [x1, x19, lsl #3]
	msr	tpidr_el1, x0
	mov	x29, xzr			/* terminate the frame-pointer chain */
	mov	x30, xzr
	mov	x0, x19
	bl	secondary_start_kernel
	b	arch_halt_asm
	.cfi_endproc

	.globl	arch_halt_asm
arch_halt_asm:
	msr	daifset, #0xf
1:	wfi
	b	1b
	.ltorg

/* Written by the boot CPU and cleaned to PoC; read by secondaries with the MMU off (asm/smp.h).
 * In .data, so the pen latch holds PEN_RELEASE_NONE from the moment the image is loaded: the
 * cores an EL3 entry parks read it before the boot CPU has written anything. */
	.pushsection ".data", "aw"
	.balign	64
	.globl	secondary_boot_data
secondary_boot_data:
	.space	BOOT_DATA_SIZE
	.balign	64
	.globl	secondary_pen_release
secondary_pen_release:
	.quad	PEN_RELEASE_NONE
	.balign	64
	.popsection
