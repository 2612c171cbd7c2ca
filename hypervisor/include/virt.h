/*
 * The one interface between the vendor-neutral core and a virtualization backend,
 * in the manner of BitVisor's struct vmctl_func and Hypervisor-101's HardwareVt.
 * Nothing outside vmx/ and svm/ names a VMCS field, VMCB offset or vendor MSR.
 */
#ifndef VIRT_H
#define VIRT_H

#include "cmdline.h"
#include "types.h"

struct virt_ops {
	const char *name; /* "vmx" or "svm": the marker's backend= word */
	/* Does this CPU offer the extension, usable? If not, *why says why (for msg="..."). */
	bool (*probe)(const char **why);
	/* Turns it on (VMXON; EFER.SVME and the host save area). False with *why on failure. */
	bool (*enable)(const char **why);
	/* Writes the marker's words after backend=, e.g. "features=npt asids=16". */
	void (*report_features)(char *buf, size_t size);
	/* milestone 2: vcpu_init(), run() returning a vendor-neutral struct vm_exit */
};

extern const struct virt_ops vmx_ops;
extern const struct virt_ops svm_ops;

/* Picks, enables and reports the backend; ends the run (novirt or panic) if it cannot. */
const struct virt_ops *virt_init(enum backend_choice choice);

#endif
