/*
 * One guest entry: load the guest's GPRs and VMLOAD state, VMRUN, and back to the host's
 * VMSAVE state (saved once, in svm/vcpu.c) (APM Vol 2 15.5 "VMRUN", 15.5.2 "VMSAVE and VMLOAD"). VMRUN
 * saves and restores only part of the host (RSP, RIP, RAX, CR0/3/4, EFER, segment
 * and descriptor-table registers); FS, GS, TR, LDTR, KernelGsBase, STAR/LSTAR/CSTAR/
 * SFMASK and SYSENTER_* go through VMSAVE/VMLOAD, the way KVM's __svm_vcpu_run does it.
 *
 * void svm_vmrun(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_vmcb_pa)
 * Guest RAX lives in the VMCB: the C caller copies it in and out.
 */
#define REG_RCX 0x08
#define REG_RDX 0x10
#define REG_RBX 0x18
#define REG_RBP 0x28
#define REG_RSI 0x30
#define REG_RDI 0x38
#define REG_R8 0x40
#define REG_R9 0x48
#define REG_R10 0x50
#define REG_R11 0x58
#define REG_R12 0x60
#define REG_R13 0x68
#define REG_R14 0x70
#define REG_R15 0x78

	.text
	.globl svm_vmrun
svm_vmrun:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi		/* 8(%rsp): regs */
	push %rdx		/* 0(%rsp): host save VMCB */

	clgi			/* no interrupt or NMI until the host state is back */
	sti			/* GIF=0 holds them; with V_INTR_MASKING the host IF at VMRUN
				   lets physical interrupts exit the guest (APM 15.21.1) */
	mov %rsi, %rax

	mov REG_RCX(%rdi), %rcx
	mov REG_RDX(%rdi), %rdx
	mov REG_RBX(%rdi), %rbx
	mov REG_RBP(%rdi), %rbp
	mov REG_RSI(%rdi), %rsi
	mov REG_R8(%rdi), %r8
	mov REG_R9(%rdi), %r9
	mov REG_R10(%rdi), %r10
	mov REG_R11(%rdi), %r11
	mov REG_R12(%rdi), %r12
	mov REG_R13(%rdi), %r13
	mov REG_R14(%rdi), %r14
	mov REG_R15(%rdi), %r15
	mov REG_RDI(%rdi), %rdi

	vmload
	vmrun
	vmsave			/* RAX is the guest VMCB again: #VMEXIT restores host RAX */

	push %rdi
	mov 16(%rsp), %rdi	/* regs */
	mov %rcx, REG_RCX(%rdi)
	mov %rdx, REG_RDX(%rdi)
	mov %rbx, REG_RBX(%rdi)
	mov %rbp, REG_RBP(%rdi)
	mov %rsi, REG_RSI(%rdi)
	mov %r8, REG_R8(%rdi)
	mov %r9, REG_R9(%rdi)
	mov %r10, REG_R10(%rdi)
	mov %r11, REG_R11(%rdi)
	mov %r12, REG_R12(%rdi)
	mov %r13, REG_R13(%rdi)
	mov %r14, REG_R14(%rdi)
	mov %r15, REG_R15(%rdi)
	popq REG_RDI(%rdi)

	mov (%rsp), %rax
	vmload			/* the host's FS, GS, TR, LDTR and syscall MSRs */
	cli			/* a pending INTR waits for core/run.c's STI window */
	stgi
	add $16, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack, "", @progbits
