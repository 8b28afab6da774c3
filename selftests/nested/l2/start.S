/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot (v1) entry of the nested bench's L2 workload: the loader left
 * us in flat 32-bit protected mode without paging, so addresses are
 * guest-physical, which is what the VF's DMA sees through vfio.
 */
	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002		/* magic */
	.long 0x00000003		/* page-aligned modules, memory info */
	.long -(0x1BADB002 + 0x00000003)

	.text
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	pushl %ebx			/* multiboot info */
	pushl %eax			/* multiboot magic */
	call l2_main
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 16
stack:
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
