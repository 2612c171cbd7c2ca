/*
 * Entering the guest and turning each #VMEXIT into the core's exit record (APM Vol 2
 * 15.6 "#VMEXIT", appendix C exit codes). What the exit information lacks without
 * NRIPS and decode assists (QEMU TCG) is read from the guest's code: insn.c.
 */
#include "lib.h"
#include "log.h"
#include "svm.h"
#include "vm.h"
#include "x86.h"

#define EXITINTINFO_VALID BIT(31)

/* 15.10.2, figure 15-2: the IOIO intercept's EXITINFO1. */
static void decode_ioio(struct vcpu *v, struct vm_exit *e, u64 info1, u64 info2)
{
	e->reason = EXIT_IO;
	e->io.port = info1 >> IOIO_PORT_SHIFT;
	e->io.in = info1 & IOIO_TYPE_IN;
	e->io.string = info1 & IOIO_STR;
	e->io.rep = info1 & IOIO_REP;
	e->io.size = (info1 & IOIO_SZ32) ? 4 : (info1 & IOIO_SZ16) ? 2 : 1;
	e->insn_len = info2 - e->rip;
	e->io.seg = SEG_DS;
	e->io.addr_size = 0; /* only a string instruction has one */
	if (!e->io.string)
		return;
	/* QEMU TCG leaves the address-size bits clear: then the prefixes tell. */
	if (info1 & (IOIO_A16 | IOIO_A32 | IOIO_A64))
		e->io.addr_size = (info1 & IOIO_A64) ? 8 : (info1 & IOIO_A32) ? 4 : 2;
	else
		e->io.addr_size = svm_string_addr_size(v, e->insn_len);
	e->io.seg = e->io.in ? SEG_ES : svm_outs_segment(v, e->insn_len);
}

static void resolve_fault(struct vcpu *v, struct vm_exit *e);

static void decode_exit(struct vcpu *v, struct vm_exit *e)
{
	struct vmcb_control *c = &to_svm(v)->vmcb->control;
	u64 code = c->exitcode;

	e->raw = code;
	e->rip = to_svm(v)->vmcb->save.rip;
	/* Each case sets insn_len itself: a store before the switch would cost every exit
	 * one more instruction (issue 14's budget). */
	switch (code) {
	case VMEXIT_CPUID:
		e->reason = EXIT_CPUID;
		e->insn_len = svm_insn_len(v, 2);  /* 0F A2 */
		break;
	case VMEXIT_HLT:
		e->reason = EXIT_HLT;
		e->insn_len = svm_insn_len(v, 1);  /* F4 */
		break;
	case VMEXIT_VMMCALL:
		e->reason = EXIT_HYPERCALL;
		e->insn_len = svm_insn_len(v, 3);  /* 0F 01 D9 */
		break;
	case VMEXIT_MSR:                       /* 15.11: EXITINFO1 0 = RDMSR, 1 = WRMSR */
		e->reason = c->exitinfo1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		e->msr.index = v->regs.rcx;
		e->insn_len = svm_insn_len(v, 2);  /* 0F 32 / 0F 30 */
		break;
	case VMEXIT_IOIO:
		decode_ioio(v, e, c->exitinfo1, c->exitinfo2);
		break;
	case VMEXIT_NPF:                       /* 15.25.6 */
		e->insn_len = 0;
		e->reason = EXIT_NPF;
		e->npf.gpa = c->exitinfo2;
		e->npf.present = c->exitinfo1 & NPF_P;
		e->npf.write = c->exitinfo1 & NPF_RW;
		e->npf.exec = c->exitinfo1 & NPF_ID;
		e->npf.read = !e->npf.write && !e->npf.exec;
		break;
	case VMEXIT_SHUTDOWN:
		e->insn_len = 0;
		e->reason = EXIT_SHUTDOWN;
		break;
	case VMEXIT_CR4_WRITE:
		e->insn_len = 0;
		e->reason = EXIT_CR_ACCESS;
		e->cr.cr = 4;
		e->cr.kind = CR_MOV_TO;
		e->cr.lmsw_data = 0;
		if (!svm_decode_mov_cr(v, c->exitinfo1, e))
			e->reason = EXIT_UNHANDLED;
		break;
	case VMEXIT_INVD:
		e->reason = EXIT_INVD;
		e->insn_len = svm_insn_len(v, 2);  /* 0F 08 */
		break;
	case VMEXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		e->insn_len = svm_insn_len(v, 3);  /* 0F 01 D1 */
		break;
	case VMEXIT_VMRUN: case VMEXIT_VMLOAD: case VMEXIT_VMSAVE: case VMEXIT_STGI:
	case VMEXIT_CLGI: case VMEXIT_SKINIT: case VMEXIT_INVLPGA: case VMEXIT_MONITOR:
	case VMEXIT_MWAIT: case VMEXIT_MWAIT_ARMED:
		e->insn_len = 0;
		e->reason = EXIT_UD;
		break;
	case VMEXIT_INTR:
	case VMEXIT_NMI:
		e->insn_len = 0;
		e->reason = EXIT_EXTINT;
		break;
	case VMEXIT_VINTR:
		e->insn_len = 0;
		e->reason = EXIT_INTR_WINDOW;
		break;
	default:
		e->insn_len = 0;
		if ((u32)code == VMEXIT_INVALID) {
			e->reason = EXIT_ENTRY_FAIL;
			log_printf("svm: VMRUN failed (VMEXIT_INVALID %#lx): the VMCB's guest state "
				   "is inconsistent (APM Vol 2 15.5.1)\n", code);
			break;
		}
		if (code >= VMEXIT_EXCP_BASE && code < VMEXIT_EXCP_BASE + 32) {
			e->reason = EXIT_EXCEPTION;
			e->exc.vector = code - VMEXIT_EXCP_BASE;
			e->exc.error_code = c->exitinfo1;
			e->exc.has_error = e->exc.vector == 8 || (e->exc.vector >= 10 &&
				e->exc.vector <= 14) || e->exc.vector == 17;
			e->exc.cr2 = c->exitinfo2;
			if (e->exc.vector == X86_VECTOR_GP || e->exc.vector == X86_VECTOR_DF)
				resolve_fault(v, e);
			break;
		}
		e->reason = EXIT_UNHANDLED;
		log_printf("svm: unhandled exit code %#lx, EXITINFO1 %#lx, EXITINFO2 %#lx\n", code,
			   c->exitinfo1, c->exitinfo2);
		break;
	}
}

/*
 * Can the guest's IDT deliver `vector` (SDM Vol 3A 6.10, 6.11)? Its gate must lie within
 * the IDT limit and be present. Bochs ends the whole simulation on a triple fault in an SVM
 * guest instead of taking the shutdown intercept (APM Vol 2 15.12), so #GP and #DF are
 * intercepted and a fault the guest cannot deliver is taken further here, the way the CPU
 * would (SDM Vol 3A 6.15 "Interrupt 8", table 6-5): a #GP that cannot be delivered becomes
 * a #DF, a #DF that cannot be a triple fault, reported before it happens. A deeper failure
 * (a bad handler segment or stack) still ends in a real shutdown.
 */
static bool gate_deliverable(struct vcpu *v, u8 vector)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	u32 gate_size = (s->efer & EFER_LMA) ? 16 : 8;
	u64 gate = 0;

	if (!(s->cr0 & X86_CR0_PE)) /* real mode: 4-byte IVT entries within the limit */
		return s->idtr.limit >= vector * 4u + 3;
	if (s->idtr.limit < vector * gate_size + gate_size - 1)
		return false;
	if (!vcpu_read_linear(v, s->idtr.base + vector * gate_size, &gate, 8))
		return false;
	return gate & BIT(47); /* P */
}

/* A #GP raised while the CPU delivered a contributory exception or a #PF is a #DF
 * (SDM Vol 3A table 6-5): the exit left that first event in EXITINTINFO (15.7.2). */
static bool gp_makes_double_fault(u64 exitintinfo)
{
	u8 vector = exitintinfo & 0xff;

	if (!(exitintinfo & EXITINTINFO_VALID) ||
	    (exitintinfo & EVENTINJ_TYPE_MASK) != EVENTINJ_TYPE_EXCEPTION)
		return false;
	return vector == 0 || (vector >= 10 && vector <= 14);
}

/* An intercepted #GP or #DF (the Bochs workaround above) becomes the event the CPU would
 * deliver: the #GP as it is, a #DF, or the guest's triple fault (EXIT_SHUTDOWN). The
 * core's exception handler injects it. */
static void resolve_fault(struct vcpu *v, struct vm_exit *e)
{
	struct vmcb_control *c = &to_svm(v)->vmcb->control;
	u8 vector = e->exc.vector;

	if (vector == X86_VECTOR_GP && !gp_makes_double_fault(c->exitintinfo) &&
	    gate_deliverable(v, X86_VECTOR_GP))
		return;
	if (gate_deliverable(v, X86_VECTOR_DF)) {
		e->exc.vector = X86_VECTOR_DF;
		e->exc.has_error = true;
		e->exc.error_code = 0;
		return;
	}
	log_printf("svm: %s the guest's IDT cannot deliver (IDTR base %#lx limit %#x): a "
		   "triple fault\n", vector == X86_VECTOR_GP ? "#GP and #DF" : "double fault",
		   to_svm(v)->vmcb->save.idtr.base, to_svm(v)->vmcb->save.idtr.limit);
	e->reason = EXIT_SHUTDOWN;
}

/*
 * An event whose delivery the exit interrupted is delivered again (15.7.2), unless the
 * exit's handler injects another. Not those an instruction raised, INT n (type 4), INT3
 * and INTO (#BP, #OF): RIP still points at the instruction, which runs again and raises
 * them anew. Injected, they would push that RIP as the return address and the instruction
 * would run twice (a guest's system call made twice: KVM re-executes them too). A nested
 * page fault while the guest's INT n pushes its frame (copy on write, dedup) hits this.
 * An external interrupt is only ever one the core injected at this entry: Bochs reports an
 * interrupted INT n as "external interrupt, vector 0", which injected would be a #DE.
 */
static u64 redeliver(u64 exitintinfo, u64 injected)
{
	u32 type = exitintinfo & EVENTINJ_TYPE_MASK;
	u8 vector = exitintinfo & 0xff;

	if (!(exitintinfo & EXITINTINFO_VALID) || type == EVENTINJ_TYPE_SOFT_INT)
		return 0;
	if (type == EVENTINJ_TYPE_INTR &&
	    (!(injected & EVENTINJ_VALID) || (injected & EVENTINJ_TYPE_MASK) != EVENTINJ_TYPE_INTR ||
	     (injected & 0xff) != vector))
		return 0;
	if (type == EVENTINJ_TYPE_EXCEPTION && (vector == X86_VECTOR_BP || vector == X86_VECTOR_OF))
		return 0;
	return exitintinfo;
}

void svm_run(struct vcpu *v, struct vm_exit *exit)
{
	struct svm_vcpu *svm = to_svm(v);
	struct vmcb *vmcb = svm->vmcb;

	u64 injected = vmcb->control.event_inj;

	vmcb->save.rax = v->regs.rax;
	svm_vmrun(&v->regs, (u64)vmcb, svm->host_vmcb_pa);
	v->regs.rax = vmcb->save.rax;
	vmcb->control.tlb_control = 0;
	vmcb->control.event_inj = redeliver(vmcb->control.exitintinfo, injected);
	decode_exit(v, exit);
}
