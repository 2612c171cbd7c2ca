/*
 * The guest's registers as the core names them (enum vreg), in the VMCB's state save
 * area (APM Vol 2 appendix B), and exceptions injected through EVENTINJ (15.20).
 */
#include "svm.h"
#include "x86.h"

static u64 *save_field(struct vmcb_save *s, enum vreg r)
{
	switch (r) {
	case VREG_RIP: return &s->rip;
	case VREG_RSP: return &s->rsp;
	case VREG_RFLAGS: return &s->rflags;
	case VREG_CR0: return &s->cr0;
	case VREG_CR2: return &s->cr2;
	case VREG_CR3: return &s->cr3;
	case VREG_CR4: return &s->cr4;
	case VREG_EFER: return &s->efer;
	case VREG_CS_BASE: return &s->cs.base;
	case VREG_DS_BASE: return &s->ds.base;
	case VREG_ES_BASE: return &s->es.base;
	case VREG_SS_BASE: return &s->ss.base;
	case VREG_FS_BASE: return &s->fs.base;
	case VREG_GS_BASE: return &s->gs.base;
	case VREG_KERNEL_GS_BASE: return &s->kernel_gs_base;
	case VREG_SYSENTER_CS: return &s->sysenter_cs;
	case VREG_SYSENTER_ESP: return &s->sysenter_esp;
	case VREG_SYSENTER_EIP: return &s->sysenter_eip;
	case VREG_STAR: return &s->star;
	case VREG_LSTAR: return &s->lstar;
	case VREG_CSTAR: return &s->cstar;
	case VREG_SFMASK: return &s->sfmask;
	case VREG_PAT: return &s->g_pat;
	default: return NULL;
	}
}

u64 svm_read_reg(struct vcpu *v, enum vreg r)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	u64 *f;

	switch (r) {
	case VREG_EFER:
		return s->efer & ~EFER_SVME; /* ours, not the guest's */
	case VREG_CS_ATTR: /* the core reads the VMX access-rights layout */
		return (s->cs.attrib & 0xff) | ((u64)(s->cs.attrib & 0xf00) << 4);
	case VREG_CPL:
		return s->cpl;
	default:
		f = save_field(s, r);
		return f ? *f : 0;
	}
}

bool svm_set_rip(struct vcpu *v, u64 rip)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;

	/* The instruction the core emulated has completed: an STI or MOV SS shadow over it
	 * is over (15.21.5). */
	vmcb->control.interrupt_shadow &= ~(u64)INTERRUPT_SHADOW;
	vmcb->save.rip = rip;
	return true;
}

void svm_write_reg(struct vcpu *v, enum vreg r, u64 value)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	u64 *f;

	if (r == VREG_EFER)
		value |= EFER_SVME;
	if (r == VREG_RIP) {
		svm_set_rip(v, value);
		return;
	}
	f = save_field(s, r);
	if (f)
		*f = value;
}

/* 15.20 "Event Injection". */
void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code)
{
	to_svm(v)->vmcb->control.event_inj = vector | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_VALID |
					     (has_error ? EVENTINJ_EV | ((u64)error_code << 32) : 0);
}
