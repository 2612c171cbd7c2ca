/*
 * External interrupts for the guest (AMD APM Vol 2): event injection through EVENTINJ
 * (15.20), and the interrupt window as a virtual interrupt with the VINTR intercept
 * (15.21.4): V_IRQ is taken as soon as the guest could take an interrupt, and the
 * intercept turns that moment into an exit before it is delivered. vmx/intr.c is the
 * Intel mirror.
 */
#include "svm.h"
#include "x86.h"


/* 15.20: an injected INTR obeys neither IF nor the shadow, so the core checks them. */
bool svm_interruptible(struct vcpu *v)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;

	if (!(vmcb->save.rflags & X86_RFLAGS_IF))
		return false;
	if (vmcb->control.interrupt_shadow & INTERRUPT_SHADOW)
		return false;
	return !(vmcb->control.event_inj & EVENTINJ_VALID);
}

void svm_inject_irq(struct vcpu *v, u8 vector)
{
	to_svm(v)->vmcb->control.event_inj = vector | EVENTINJ_TYPE_INTR | EVENTINJ_VALID;
}

/* 15.21.4: V_IGN_TPR so that the guest's TPR cannot hold the window shut. */
void svm_set_intr_window(struct vcpu *v, bool on)
{
	struct vmcb_control *c = &to_svm(v)->vmcb->control;

	if (on) {
		c->v_intr |= V_IRQ | V_IGN_TPR | (0xfULL << V_INTR_PRIO_SHIFT);
		c->intercept_misc1 |= INTERCEPT_VINTR;
	} else {
		c->v_intr &= ~(u64)(V_IRQ | V_IGN_TPR | (0xfULL << V_INTR_PRIO_SHIFT));
		c->intercept_misc1 &= ~(u32)INTERCEPT_VINTR;
	}
}
