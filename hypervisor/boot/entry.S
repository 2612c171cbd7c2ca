/*
 * Multiboot 1 entry: the loader leaves us in 32-bit protected mode with paging off,
 * EAX = 0x2BADB002 and EBX = the multiboot info (Multiboot Specification 0.6.96, 3.2).
 * We switch to long mode (SDM Vol 3A 10.8.5 "Initializing IA-32e Mode",
 * APM Vol 2 14.6 "Enabling and Activating Long Mode") with the first 4 GiB
 * identity mapped by 2 MiB pages, then call hv_main().
 */
#include "multiboot.h"

#define MB_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_PS 0x080 /* 2 MiB page in a page directory entry */

#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100

#define BOOT_STACK_SIZE 16384

	.section .multiboot, "a"
	.balign 4
multiboot_header:			/* spec 3.1.1 */
	.long MULTIBOOT_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MB_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, boot_magic
	movl %ebx, boot_mbi

	/* Zero .bss ourselves: not every loader's ELF path does. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx		/* link.ld page-aligns both ends: whole dwords */
	xorl %eax, %eax
	rep stosl
	movl $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 512 2 MiB pages. */
	movl $boot_pdpt + (PTE_P | PTE_RW), boot_pml4
	movl $boot_pd + (PTE_P | PTE_RW), %eax
	xorl %ecx, %ecx
1:	movl %eax, boot_pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b

	movl $(PTE_P | PTE_RW | PTE_PS), %eax
	xorl %ebx, %ebx			/* high half of each entry: 0x200000 * i >> 32 */
	xorl %ecx, %ecx
2:	movl %eax, boot_pd(, %ecx, 8)
	movl %ebx, boot_pd + 4(, %ecx, 8)
	addl $0x200000, %eax
	adcl $0, %ebx
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	/* CR4.PAE, CR3, EFER.LME, then CR0.PG activates IA-32e mode (SDM 10.8.5). */
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0

	lgdt boot_gdt_desc
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	call hv_main
3:	cli
	hlt
	jmp 3b

	/* A temporary GDT for the switch; core/gdt.c installs the real one. */
	.section .rodata
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.data
	.balign 4
	.globl boot_magic, boot_mbi
boot_magic:
	.long 0
boot_mbi:
	.long 0

	.bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
boot_stack:
	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:

	/* No executable stack. */
	.section .note.GNU-stack, "", @progbits
