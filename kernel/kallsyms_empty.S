/* The first-stage link's empty symbol table (see tools/gen-kallsyms.py). */
	.section .rodata.kallsyms, "a"
	.balign 8
	.globl kallsyms_num, kallsyms_addresses, kallsyms_name_offsets, kallsyms_names
kallsyms_num:
	.quad 0
kallsyms_addresses:
kallsyms_name_offsets:
kallsyms_names:
	.byte 0
