/*
 * Entering the guest and coming back (SDM Vol 3C 31.3 VMLAUNCH/VMRESUME, 28.5
 * "Loading Host State"). The guest's general registers live in struct vcpu_regs
 * (include/vcpu.h); RSP, RIP and RFLAGS live in the VMCS.
 *
 * A VM exit starts vmx_exit_stub on HOST_RSP, a per-vCPU stack whose top word holds
 * the struct vmx_vcpu (vmx/vmx.h). The stub stores the guest registers, switches back to
 * the stack vmx_enter saved, and returns 0 from vmx_enter. A failed VMLAUNCH/VMRESUME
 * (VMfailInvalid: CF=1, VMfailValid: ZF=1) falls through and returns 1.
 */
	.text
	.code64

/* struct vcpu_regs offsets */
#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 40
#define R_RSI 48
#define R_RDI 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120
/* struct vmx_vcpu offsets */
#define VV_HOST_RSP 0
#define VV_REGS 8

/* int vmx_enter(struct vmx_vcpu *vv, u64 launched) */
	.globl vmx_enter
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, VV_HOST_RSP(%rdi)

	movq VV_REGS(%rdi), %rax
	testq %rsi, %rsi		/* ZF: not launched yet; the MOVs below keep the flags */
	movq R_RCX(%rax), %rcx
	movq R_RDX(%rax), %rdx
	movq R_RBX(%rax), %rbx
	movq R_RBP(%rax), %rbp
	movq R_RSI(%rax), %rsi
	movq R_RDI(%rax), %rdi
	movq R_R8(%rax), %r8
	movq R_R9(%rax), %r9
	movq R_R10(%rax), %r10
	movq R_R11(%rax), %r11
	movq R_R12(%rax), %r12
	movq R_R13(%rax), %r13
	movq R_R14(%rax), %r14
	movq R_R15(%rax), %r15
	movq R_RAX(%rax), %rax
	jz 1f
	vmresume
	jmp 2f
1:	vmlaunch
2:	/* VMfail: still on our own stack, the guest registers are unchanged in memory. */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	movl $1, %eax
	ret

/* HOST_RIP. RSP = HOST_RSP, where the struct vmx_vcpu pointer is; RFLAGS = 0x2 (28.5.3). */
	.globl vmx_exit_stub
vmx_exit_stub:
	pushq %rax
	movq 8(%rsp), %rax		/* struct vmx_vcpu */
	movq VV_REGS(%rax), %rax
	movq %rcx, R_RCX(%rax)
	movq %rdx, R_RDX(%rax)
	movq %rbx, R_RBX(%rax)
	movq %rbp, R_RBP(%rax)
	movq %rsi, R_RSI(%rax)
	movq %rdi, R_RDI(%rax)
	movq %r8, R_R8(%rax)
	movq %r9, R_R9(%rax)
	movq %r10, R_R10(%rax)
	movq %r11, R_R11(%rax)
	movq %r12, R_R12(%rax)
	movq %r13, R_R13(%rax)
	movq %r14, R_R14(%rax)
	movq %r15, R_R15(%rax)
	popq %rcx			/* the guest's RAX */
	movq %rcx, R_RAX(%rax)
	movq (%rsp), %rax
	movq VV_HOST_RSP(%rax), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	xorl %eax, %eax
	ret

	.section .note.GNU-stack, "", @progbits
