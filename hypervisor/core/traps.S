/*
 * Entry stubs for the 32 exception vectors (SDM Vol 3A 6.15, table 6-1) and the 16
 * vectors the real 8259 pair is remapped to (0x20-0x2F, drivers/i8259.c).
 * Each stub makes the stack look the same: a vector number and an error code
 * (0 where the CPU pushes none), then trap_common saves the general registers
 * as a struct trap_frame (include/desc.h) and calls trap_handler().
 */
	.text
	.code64

.macro TRAP_NOERR n
	.balign 16
trap_\n:
	pushq $0
	pushq $\n
	jmp trap_common
.endm

.macro TRAP_ERR n
	.balign 16
trap_\n:
	pushq $\n
	jmp trap_common
.endm

/* Vectors with an error code: 8, 10-14, 17, 21, 29, 30 (SDM table 6-1, APM 8.2). */
TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
TRAP_NOERR \n
.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	movq %rsp, %rbx			/* callee-saved: the frame, across the call */
	andq $-16, %rsp			/* the SysV ABI wants a 16-byte aligned call */
	call trap_handler
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq

	.section .rodata
	.balign 8
	.globl trap_entries
trap_entries:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad trap_\n
.endr

	/* No executable stack. */
	.section .note.GNU-stack, "", @progbits
