/*
 * Exception vectors (Arm ARM D1.10.2: 16 entries of 0x80 bytes, table aligned to 2 KiB).
 * Every entry saves the full register state as a struct pt_regs (arch/arm64/traps.h) and calls
 * do_exception(regs, kind). If it returns (an exception-table fixup), the state is restored.
 */
#include "asm/smp.h"

#define S_FRAME_SIZE 304	/* sizeof(PtRegs) */
#define S_SP 248
#define S_ELR 256
#define S_ESR 272
#define S_STACKFRAME 288

	.macro	ventry kind
	.align	7
	sub	sp, sp, #S_FRAME_SIZE
	.if \kind >= 4 && \kind <= 7
	/* Stack overflow check without a free register (the Linux trick): bit STACK_ALIGN_SHIFT - 1
	 * of SP (15, or 16 with 64 KiB pages) is 0 inside the 2^STACK_ALIGN_SHIFT-aligned stacks and
	 * 1 in the guard page below each (asm/smp.h; linker/kernel.ld for the boot CPU, the stack
	 * slots for the secondaries). */
	add	sp, sp, x0			/* sp' = sp + x0 */
	sub	x0, sp, x0			/* x0 = sp */
	tbnz	x0, #(STACK_ALIGN_SHIFT - 1), 9f
	sub	x0, sp, x0			/* x0 = original x0 */
	sub	sp, sp, x0			/* sp = sp */
	.endif
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	el1_entry_common
	.if \kind >= 4 && \kind <= 7
	/* TPIDR_EL1 is this CPU's PerCpu (kernel/smp.h) and must stay so. The scratch register that
	 * keeps the overflowing SP is TPIDR_EL0: EL0's software thread ID, which this kernel (no EL0,
	 * no thread-local storage) never uses otherwise; SP_EL0 would do as well, but stays free for
	 * a future `current` pointer as in Linux. */
9:	msr	tpidr_el0, x0			/* the overflowing SP */
	mrs	x0, tpidr_el1
	ldr	x0, [x0, #PERCPU_OVERFLOW_STACK_TOP]	/* this CPU's overflow stack */
	mov	sp, x0
	mrs	x0, tpidr_el0
	b	handle_bad_stack
	.endif
	.endm

	.text
	.align	11
	.globl	vectors
vectors:
	ventry	0	/* current EL, SP_EL0: synchronous */
	ventry	1	/* IRQ */
	ventry	2	/* FIQ */
	ventry	3	/* SError */
	ventry	4	/* current EL, SP_ELx: synchronous */
	ventry	5
	ventry	6
	ventry	7
	ventry	8	/* lower EL, AArch64 */
	ventry	9
	ventry	10
	ventry	11
	ventry	12	/* lower EL, AArch32 */
	ventry	13
	ventry	14
	ventry	15

el1_entry_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	add	x1, sp, #S_FRAME_SIZE
	stp	x30, x1, [sp, #240]		/* x30, and sp before the exception */
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #S_ELR]
	mrs	x1, esr_el1
	mrs	x2, far_el1
	stp	x1, x2, [sp, #S_ESR]
	/* A frame record {fp, elr} so that backtraces continue through the exception. */
	ldr	x1, [sp, #S_ELR]
	stp	x29, x1, [sp, #S_STACKFRAME]
	add	x29, sp, #S_STACKFRAME
	mov	x1, x0
	mov	x0, sp
	bl	do_exception
	ldp	x1, x2, [sp, #S_ELR]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #S_FRAME_SIZE
	eret

/*
 * Accessors that may fault on purpose. An __ex_table entry {insn, fixup} sends a synchronous
 * exception at `insn` to `fixup` instead of the fault report.
 */
	.macro	extable insn, fixup
	.pushsection __ex_table, "a"
	.align	3
	.quad	\insn, \fixup
	.popsection
	.endm

/* bool probe_read64(uint64_t va, uint64_t *out) */
	.globl	probe_read64_asm
probe_read64_asm:
1:	ldr	x2, [x0]
	str	x2, [x1]
	mov	w0, #1
	ret
2:	mov	w0, #0
	ret
	extable	1b, 2b

/* bool probe_write64(uint64_t va, uint64_t value) */
	.globl	probe_write64_asm
probe_write64_asm:
1:	str	x1, [x0]
	mov	w0, #1
	ret
2:	mov	w0, #0
	ret
	extable	1b, 2b

/* bool probe_exec(uint64_t va): branches to va; the target must be a `ret`. */
	.globl	probe_exec_asm
probe_exec_asm:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
1:	blr	x0
	mov	w0, #1
	ldp	x29, x30, [sp], #16
	ret
	.globl	probe_exec_fixup
probe_exec_fixup:
	mov	w0, #0
	ldp	x29, x30, [sp], #16
	ret

/*
 * Semihosting (Arm "Semihosting for AArch64"): op in w0, parameter block in x1, `hlt #0xf000`.
 * Without semihosting enabled in QEMU the HLT is an undefined instruction: the fixup returns -2,
 * which is how the kernel detects whether semihosting is there.
 */
	.globl	semihosting_call
semihosting_call:
1:	hlt	#0xf000
	ret
2:	mov	x0, #-2
	ret
	extable	1b, 2b

/* uint64_t psci_call_hvc/smc(fn, a1, a2, a3) (SMC Calling Convention: result in x0). */
	.globl	psci_call_hvc
psci_call_hvc:
	hvc	#0
	ret
	.globl	psci_call_smc
psci_call_smc:
	smc	#0
	ret
