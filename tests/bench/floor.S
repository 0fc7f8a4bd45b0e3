/*
 * The floor for whole-boot cost: an arm64 Image that does nothing but read the counter, print it
 * (as "floor: cntvct=0x<hex>") on the PL011 at 0x09000000 and exit through semihosting. Under
 * QEMU -icount shift=0 the value is the virtual time (instructions) any kernel needs to get this far.
 */
	.section ".text", "ax"
	.globl	_start
_start:
	b	1f
	.long	0
	.quad	0, 0x1000, 0xa, 0, 0, 0
	.ascii	"ARM\x64"
	.long	0
1:	isb
	mrs	x19, cntvct_el0
	mov	x20, #0x09000000
	adr	x1, msg
2:	ldrb	w2, [x1], #1
	cbz	w2, 3f
	str	w2, [x20]
	b	2b
3:	mov	x3, #60				/* 16 hex digits, most significant first */
4:	lsr	x2, x19, x3
	and	x2, x2, #0xf
	cmp	x2, #10
	add	x4, x2, #'0'
	add	x5, x2, #('a' - 10)
	csel	x2, x4, x5, lo
	str	w2, [x20]
	subs	x3, x3, #4
	b.ge	4b
	mov	w2, #'\n'
	str	w2, [x20]
	mov	x0, #0x18			/* SYS_EXIT */
	adr	x1, block
	hlt	#0xf000
5:	wfi
	b	5b
	.balign	8
block:	.quad	0x20026, 0
msg:	.asciz	"floor: cntvct=0x"
