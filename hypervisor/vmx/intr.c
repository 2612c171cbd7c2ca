/*
 * External interrupts for the guest (SDM Vol 3C): event injection through the VM-entry
 * interruption-information field (25.8.3, delivered by 27.6), and interrupt-window exiting
 * (25.6.2, table 25-6; the exit itself: 27.7.5). svm/intr.c is the AMD mirror.
 */
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"


/*
 * 27.3.1.5 and 27.6: an external interrupt may be injected only with RFLAGS.IF=1 and no
 * blocking by STI or MOV SS (table 25-3); the field must not already carry an event (a
 * re-injection from exit.c, an exception).
 */
bool vmx_interruptible(struct vcpu *v)
{
	(void)v;
	if (!(vmcs_read(GUEST_RFLAGS) & X86_RFLAGS_IF))
		return false;
	if (vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
	    (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		return false;
	return !(vmcs_read(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID);
}

/* 25.8.3, table 25-17: vector, type 0 (external interrupt), valid; no error code. */
void vmx_inject_irq(struct vcpu *v, u8 vector)
{
	(void)v;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD,
		   vector | (INTR_TYPE_EXT_INTR << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID);
}

/* 27.7.5: with the control set, the guest exits before any instruction at which RFLAGS.IF=1
 * and nothing blocks interrupts. Written only when it changes: VMWRITEs cost exits too. */
void vmx_set_intr_window(struct vcpu *v, bool on)
{
	struct vmx_vcpu *vv = v->arch;
	u32 proc = on ? vv->proc | CPU_BASED_INTR_WINDOW_EXITING
		      : vv->proc & ~(u32)CPU_BASED_INTR_WINDOW_EXITING;

	if (proc != vv->proc) {
		vv->proc = proc;
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
	}
}
