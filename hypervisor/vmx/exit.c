/*
 * Running the guest and turning each VM exit into the vendor-neutral exit record
 * (include/vcpu.h). Exit reasons: SDM Vol 3D appendix C; exit information: SDM Vol 3C
 * 28.2 "Recording VM-Exit Information" and 25.9 "VM-Exit Information Fields".
 */
#include "log.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"

/* Exits that need nothing beyond the reason, the RIP and the instruction length. */
static const enum exit_reason simple_exits[] = {
	[EXIT_REASON_EXTERNAL_INTERRUPT] = EXIT_EXTINT,
	[EXIT_REASON_TRIPLE_FAULT] = EXIT_SHUTDOWN,
	[EXIT_REASON_INTERRUPT_WINDOW] = EXIT_INTR_WINDOW,
	[EXIT_REASON_CPUID] = EXIT_CPUID,
	[EXIT_REASON_HLT] = EXIT_HLT,
	[EXIT_REASON_VMCALL] = EXIT_HYPERCALL,
	[EXIT_REASON_PREEMPTION_TIMER] = EXIT_PREEMPT,
	[EXIT_REASON_INVD] = EXIT_INVD,
	[EXIT_REASON_VMCLEAR ... EXIT_REASON_VMXON] = EXIT_UD,
	[EXIT_REASON_MWAIT] = EXIT_UD,
	[EXIT_REASON_MONITOR] = EXIT_UD,
	[EXIT_REASON_INVEPT] = EXIT_UD,
	[EXIT_REASON_INVVPID] = EXIT_UD,
	[EXIT_REASON_XSETBV] = EXIT_XSETBV,
};

/* Table 28-5, and table 28-8 for the address size and segment of INS/OUTS. */
static void decode_io(struct vm_exit *e, u64 q)
{
	e->io.port = q >> IO_QUAL_PORT_SHIFT;
	e->io.size = (q & IO_QUAL_SIZE_MASK) + 1;
	e->io.in = q & IO_QUAL_IN;
	e->io.string = q & IO_QUAL_STRING;
	e->io.rep = q & IO_QUAL_REP;
	e->io.addr_size = 4;
	e->io.seg = e->io.in ? 0 : 3; /* INS writes ES:rDI; OUTS reads DS:rSI unless overridden */
	if (e->io.string && (vmx_caps.basic & VMX_BASIC_INOUT_INFO)) {
		u32 info = vmcs_read(VMX_INSTRUCTION_INFO);

		e->io.addr_size = 2 << INSN_INFO_ADDR_SIZE(info);
		if (!e->io.in)
			e->io.seg = INSN_INFO_SEG(info); /* undefined for INS (28.2.5) */
	}
}

/* Table 28-7; the guest-physical address field (25.9.1) holds the address. */
static void decode_ept(struct vm_exit *e, u32 reason, u64 q)
{
	e->npf.gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	if (reason == EXIT_REASON_EPT_MISCONFIG) {
		/* 28.2.1: no qualification; the entry exists but is malformed. */
		e->npf.present = true;
		e->npf.read = e->npf.write = e->npf.exec = false;
		return;
	}
	e->npf.read = q & EPT_QUAL_READ;
	e->npf.write = q & EPT_QUAL_WRITE;
	e->npf.exec = q & EPT_QUAL_FETCH;
	e->npf.present = q & EPT_QUAL_PERMS_MASK;
}

/* 25.9.2: the VM-exit interruption information of an exception exit. */
static void decode_exception(struct vcpu *v, struct vm_exit *e, u64 q)
{
	u32 info = vmcs_read(VM_EXIT_INTR_INFO);

	e->exc.vector = info & INTR_INFO_VECTOR_MASK;
	e->exc.has_error = info & INTR_INFO_DELIVER_CODE;
	e->exc.error_code = e->exc.has_error ? vmcs_read(VM_EXIT_INTR_ERROR_CODE) : 0;
	/* 28.2.1: for #PF the qualification is the faulting linear address; CR2 is not
	 * written by a #PF that causes a VM exit (26.2). */
	e->exc.cr2 = e->exc.vector == 14 ? q : vmx_cr2(v->arch);
}

/*
 * 28.2.4 / 27.6: an exit in the middle of delivering an event through the guest's IDT
 * (an EPT violation on the IDT or the stack, say) leaves the event in the IDT-vectoring
 * information; it is injected again so that resuming the guest does not lose it.
 */
static void reinject_vectored_event(void)
{
	u32 info = vmcs_read(IDT_VECTORING_INFO_FIELD);

	if (!(info & INTR_INFO_VALID))
		return;
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read(IDT_VECTORING_ERROR_CODE));
	vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmcs_read(VM_EXIT_INSTRUCTION_LEN));
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_NMI_UNBLOCK);
}

static void decode_exit(struct vcpu *v, struct vm_exit *e, u32 reason)
{
	u32 basic = reason & EXIT_REASON_BASIC_MASK;
	u64 q;

	e->raw = basic;
	e->rip = vmcs_read(GUEST_RIP);
	/* 25.9.4: defined for exits caused by instructions; 0 is harmless elsewhere. */
	e->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);

	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		/* 27.8: invalid guest state (33), MSR loading (34), machine check (41). */
		q = vmcs_read(EXIT_QUALIFICATION);
		log_printf("vmx: VM entry failed: exit reason %u, qualification %#lx\n", basic, q);
		e->reason = EXIT_ENTRY_FAIL;
		e->raw = reason;
		return;
	}
	/* An event the exit interrupted is delivered again, whatever the exit. */
	reinject_vectored_event();
	if (basic < ARRAY_SIZE(simple_exits) && simple_exits[basic] != EXIT_NONE) {
		e->reason = simple_exits[basic];
		return;
	}
	/* Read only here: the simple exits, most of them, need no qualification. */
	q = vmcs_read(EXIT_QUALIFICATION);
	switch (basic) {
	case EXIT_REASON_IO_INSTRUCTION:
		e->reason = EXIT_IO;
		decode_io(e, q);
		break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		e->reason = basic == EXIT_REASON_MSR_READ ? EXIT_MSR_READ : EXIT_MSR_WRITE;
		e->msr.index = (u32)v->regs.rcx;
		break;
	case EXIT_REASON_CR_ACCESS: /* table 28-3 */
		e->reason = EXIT_CR_ACCESS;
		e->cr.cr = CR_QUAL_CR(q);
		e->cr.kind = CR_QUAL_TYPE(q); /* the same four, in the same order */
		e->cr.gpr = CR_QUAL_GPR(q);
		e->cr.lmsw_data = CR_QUAL_LMSW_DATA(q);
		break;
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_EPT_MISCONFIG:
		e->reason = EXIT_NPF;
		decode_ept(e, basic, q);
		break;
	case EXIT_REASON_EXCEPTION_NMI:
		e->reason = EXIT_EXCEPTION;
		decode_exception(v, e, q);
		break;
	default:
		e->reason = EXIT_UNHANDLED;
		break;
	}
}

void vmx_run(struct vcpu *v, struct vm_exit *e)
{
	struct vmx_vcpu *vv = v->arch;
	u32 reason;

	if (vmx_enter(vv, vv->launched)) {
		/* 31.4: VMfailValid leaves the error number in the VMCS (31.4 table 31-1). */
		u64 err = vmcs_read(VM_INSTRUCTION_ERROR);

		log_printf("vmx: %s failed, VM-instruction error %lu\n",
			   vv->launched ? "VMRESUME" : "VMLAUNCH", err);
		e->reason = EXIT_ENTRY_FAIL;
		e->raw = err;
		e->rip = 0;
		e->insn_len = 0;
		return;
	}
	reason = vmcs_read(VM_EXIT_REASON);
	if (!(reason & EXIT_REASON_ENTRY_FAILURE))
		vv->launched = true;
	decode_exit(v, e, reason);
}
