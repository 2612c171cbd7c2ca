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

/* svm_vcpu.c */
bool svm_vcpu_init(struct vcpu *v, const struct vcpu_boot *boot, const char **why);
u64 svm_read_reg(struct vcpu *v, enum vreg r);
void svm_write_reg(struct vcpu *v, enum vreg r, u64 value);
void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code);
u64 svm_npt_leaf(u64 hpa, unsigned perms, bool large_2m);
u64 svm_npt_table(u64 hpa);
void svm_flush_tlb(struct vcpu *v);
/* svm_intr.c */
bool svm_interruptible(struct vcpu *v);
void svm_inject_irq(struct vcpu *v, u8 vector);
void svm_set_intr_window(struct vcpu *v, bool on);
/* svm_exit.c */
void svm_run(struct vcpu *v, struct vm_exit *exit);
/* svm_run.S */
void svm_vmrun(struct vcpu_regs *regs, u64 vmcb_pa, u64 host_vmcb_pa);

#endif
