/*
 * The one interface between the vendor-neutral core and a virtualization backend,
 * in the manner of BitVisor's struct vmctl_func and Hypervisor-101's HardwareVt.
 * Nothing outside vmx/ and svm/ names a field or offset of a backend's control
 * structure, or a vendor MSR.
 */
#ifndef VIRT_H
#define VIRT_H

#include "cmdline.h"
#include "types.h"
#include "vcpu.h"

struct virt_ops {
	const char *name; /* "vmx" or "svm": the marker's backend= word */
	/* Does this CPU offer the extension, usable? If not, *why says why (for msg="..."). */
	bool (*probe)(const char **why);
	/* Turns it on (VMXON; EFER.SVME and the host save area). False with *why on failure. */
	bool (*enable)(const char **why);
	/* Writes the marker's words after backend=, e.g. "features=npt asids=16". */
	void (*report_features)(char *buf, size_t size);

	/* Milestone 2: one guest CPU. */
	u32 hypercall_insn; /* CONTRACT.md 6, leaf 0x40000001: 1 = vmcall, 2 = vmmcall */
	/* Sets up the guest state for the boot state; every port and the listed MSRs exit. */
	bool (*vcpu_init)(struct vcpu *v, const struct vcpu_boot *boot, const char **why);
	/* Enters the guest and returns with the exit record filled. */
	void (*run)(struct vcpu *v, struct vm_exit *exit);
	u64 (*read_reg)(struct vcpu *v, enum vreg r);
	void (*write_reg)(struct vcpu *v, enum vreg r, u64 value);
	/* The instruction the core emulated has completed: RIP to rip, and an STI or MOV SS
	 * shadow over it is over. write_reg(VREG_RIP) does the same; this is the exit path's
	 * own, without the register switch. True, so that an exit handler ends with a tail
	 * call to it (vcpu_skip_insn). */
	bool (*set_rip)(struct vcpu *v, u64 rip);
	/* Queues an exception for the next entry. */
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error_code);
	/* Nested page table entry formats (EPT and NPT differ); the core walks the tables. */
	u64 (*npt_leaf)(u64 hpa, unsigned perms, bool large_2m);
	u64 (*npt_table)(u64 hpa);
	/* The guest's nested page tables changed: drop what the TLB cached from them before
	 * its next entry (INVEPT; SVM's TLB control). */
	void (*flush_tlb)(struct vcpu *v);
	/* Several guests: makes v's control structure the one run() enters (VMPTRLD); NULL
	 * where run() names the guest's state anyway (SVM). */
	void (*vcpu_load)(struct vcpu *v);
	/* Milestone 3: external interrupts for the guest (core/irq.c decides, these deliver). */
	/* Can an external interrupt be delivered at the next entry: RFLAGS.IF=1, no STI or
	 * MOV SS shadow, and no event (a re-injected one, an exception) queued already? */
	bool (*interruptible)(struct vcpu *v);
	/* Queues external interrupt `vector` for the next entry. */
	void (*inject_irq)(struct vcpu *v, u8 vector);
	/* Arms (or disarms) an exit as soon as the guest can take an interrupt. */
	void (*set_intr_window)(struct vcpu *v, bool on);
	/* NMIs exit the guest (SVM's NMI intercept): the core may route its tick as an NMI
	 * for watchdog=. VMX has the preemption timer for that instead. */
	bool nmi_exits;
};

extern const struct virt_ops vmx_ops;
extern const struct virt_ops svm_ops;

/* Picks, enables and reports the backend; ends the run (novirt or panic) if it cannot. */
const struct virt_ops *virt_init(enum backend_choice choice);

#endif
