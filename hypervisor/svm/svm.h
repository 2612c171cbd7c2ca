/* AMD SVM definitions private to the SVM backend (AMD APM Vol 2, chapter 15). */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "types.h"
#include "vcpu.h"
#include "vmcb.h"

/* 15.30.1 VM_CR MSR. */
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS BIT(4)
/* 15.30.4 VM_HSAVE_PA MSR: where VMRUN saves host state. */
#define MSR_VM_HSAVE_PA 0xc0010117

/* CPUID Fn8000_000A, SVM revision and features (APM Vol 3 appendix E.4.9). */
#define CPUID_SVM_FEATURES 0x8000000a
#define SVM_FEATURE_NPT BIT(0)
#define SVM_FEATURE_NRIPS BIT(3)

/* The backend's per-vCPU state (vcpu->arch). */
struct svm_vcpu {
	struct vmcb *vmcb;     /* identity mapped: its address is its physical address */
	u64 host_vmcb_pa;      /* VMSAVE area for the host's own FS/GS/TR/... */
	bool nrips;            /* the CPU saves the next RIP (15.7.1) */
};

static inline struct svm_vcpu *to_svm(struct vcpu *v)
{
	return v->arch;
}

/* The files mirror vmx/'s, job for job: enable.c, vcpu.c, bitmaps.c, regs.c, intr.c,
 * exit.c (with insn.c: what VMX's exit information gives and SVM's does not), npt.c,
 * run.S. */
/* vcpu.c */
bool svm_vcpu_init(struct vcpu *v, const struct vcpu_boot *boot, const char **why);
/* bitmaps.c */
extern u64 svm_iopm_pa, svm_msrpm_pa;
bool svm_bitmaps_init(const char **why);
/* regs.c */
u64 svm_read_reg(struct vcpu *v, enum vreg r);
void svm_write_reg(struct vcpu *v, enum vreg r, u64 value);
bool svm_set_rip(struct vcpu *v, u64 rip);
void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code);
/* intr.c */
bool svm_interruptible(struct vcpu *v);
void svm_inject_irq(struct vcpu *v, u8 vector);
void svm_set_intr_window(struct vcpu *v, bool on);
/* exit.c */
void svm_run(struct vcpu *v, struct vm_exit *exit);
/* insn.c */
#define MAX_INSN 15
#define SEG_ES 0
#define SEG_DS 3
u32 svm_decoded_insn_len(struct vcpu *v, u32 opcode_len);
bool svm_decode_mov_cr(struct vcpu *v, u64 info1, struct vm_exit *e);
u8 svm_outs_segment(struct vcpu *v, u32 len);
u8 svm_string_addr_size(struct vcpu *v, u32 len);
/* The exiting instruction's length: from next RIP where the CPU saves it (APM 15.7.1),
 * which every intercepted instruction's exit pays for, else decoded. */
static inline u32 svm_insn_len(struct vcpu *v, u32 opcode_len)
{
	struct svm_vcpu *svm = to_svm(v);

	if (svm->nrips && svm->vmcb->control.nrip > svm->vmcb->save.rip)
		return svm->vmcb->control.nrip - svm->vmcb->save.rip;
	return svm_decoded_insn_len(v, opcode_len);
}
/* npt.c */
u64 svm_npt_leaf(u64 hpa, unsigned perms, bool large_2m);
u64 svm_npt_table(u64 hpa);
void svm_flush_tlb(struct vcpu *v);
/* run.S */
void svm_vmrun(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_vmcb_pa);

#endif
