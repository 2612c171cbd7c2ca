/*
 * The table of exit handlers (KVM's kvm_vmx_exit_handlers style) that core/sched.c's
 * vcpu_step dispatches the vendor-neutral exit record through, and the handlers too small
 * for a file of their own. When a handler stops the guest, its end code is the one the
 * handler chose (CONTRACT.md 4). Never hangs: an exit no handler knows ends the guest as
 * a crash with its raw code.
 */
#include "cpu.h"
#include "exits.h"
#include "hostirq.h"
#include "irq.h"
#include "lib.h"
#include "log.h"
#include "x86.h"

#define HC_EXIT 0
#define HC_PUTS 1
#define HC_PUTS_MAX 4096
#define HC_UNKNOWN 0xffffffffULL /* -1 in EAX */


bool guest_stop(struct vcpu *v, enum end_code code, const char *fmt, ...)
{
	va_list ap;

	log_printf("guest: ");
	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
	log_printf(" (rip %#lx, %lu exits)\n", v->vm->ops->read_reg(v, VREG_RIP), v->exits);
	v->vm->end_code = code;
	return false;
}

u64 vcpu_gpr(struct vcpu *v, unsigned n)
{
	if (n == 4)
		return v->vm->ops->read_reg(v, VREG_RSP);
	return ((u64 *)&v->regs)[n];
}

void vcpu_set_gpr(struct vcpu *v, unsigned n, u64 value)
{
	if (n == 4)
		v->vm->ops->write_reg(v, VREG_RSP, value);
	else
		((u64 *)&v->regs)[n] = value;
}

/*
 * HLT with interrupts enabled: the guest gives up the CPU until the PIC has an interrupt
 * for it (core/sched.c waits or runs another guest); the entry after that delivers it,
 * with RIP after the HLT (SDM Vol 2A "HLT"). With interrupts disabled only an NMI could
 * wake it, and there are none: the end. So too with every PIC line masked.
 */
static bool handle_hlt(struct vcpu *v, struct vm_exit *e)
{
	if (!(v->vm->ops->read_reg(v, VREG_RFLAGS) & X86_RFLAGS_IF))
		return guest_stop(v, END_GUEST_CRASH, "guest halted with interrupts disabled");
	vcpu_skip_insn(v, e); /* also ends an STI shadow over the HLT (sti; hlt) */
	if (!irq_can_wake(v->vm))
		return guest_stop(v, END_GUEST_CRASH, "guest halted with every interrupt line masked");
	v->vm->state = VM_HALTED;
	return true;
}

/*
 * An interrupt for the hypervisor itself (its timer, keyboard, COM1) made the exit: take it
 * now, then see whether the guest has run too long without an exit of its own.
 */
static bool handle_host_interrupt(struct vcpu *v, struct vm_exit *e)
{
	/* The watchdog's reference (CONTRACT.md 2, watchdog=) is the TSC, which is cheaper
	 * to keep on every exit than the time in ns. */
	u64 limit = v->vm->watchdog_ms, idle_ns;

	(void)e;
	host_take_irqs();
	idle_ns = time_ns() - tsc_to_ns(v->vm->last_own_exit_tsc);
	if (limit && idle_ns > limit * 1000000ULL)
		return guest_stop(v, END_WATCHDOG, "watchdog: no exit of its own for %lu ms "
				  "(watchdog=%lu)", idle_ns / 1000000, limit);
	return true;
}

/* Guest-physical [gpa, gpa + len) to the guest console, page by page (a deduplicated
 * guest's pages are apart in host memory); false, writing nothing, if any is not RAM. */
static bool hypercall_puts(struct vm *vm, u64 gpa, u64 len)
{
	if (len > HC_PUTS_MAX || !vm_gpa_to_hva(vm, gpa, 0))
		return false;
	for (u64 at = gpa; at < gpa + len; at = ALIGN_DOWN(at, PAGE_SIZE) + PAGE_SIZE)
		if (!vm_gpa_to_hva(vm, at, 1))
			return false;
	while (len) {
		u64 chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		const char *s;

		if (chunk > len)
			chunk = len;
		s = vm_gpa_to_hva(vm, gpa, chunk);
		for (u64 i = 0; i < chunk; i++)
			console_write(vm, s[i]);
		gpa += chunk;
		len -= chunk;
	}
	return true;
}

/* CONTRACT.md 5: function in EAX, arguments in EBX, ECX; result in EAX. */
static bool handle_hypercall(struct vcpu *v, struct vm_exit *e)
{
	u32 nr = v->regs.rax, arg0 = v->regs.rbx, arg1 = v->regs.rcx;
	switch (nr) {
	case HC_EXIT:
		if (arg0 == 0)
			return guest_stop(v, END_PASS, "exit hypercall with code 0");
		return guest_stop(v, END_FAIL, "exit hypercall with code %u (%#x)", arg0, arg0);
	case HC_PUTS:
		v->regs.rax = hypercall_puts(v->vm, arg0, arg1) ? 0 : HC_UNKNOWN;
		break;
	default:
		v->regs.rax = HC_UNKNOWN;
		break;
	}
	return vcpu_skip_insn(v, e);
}

/* MOV to CR0 raises #GP(0) for bits 63:32, NW without CD, PG without PE, and PG with
 * EFER.LME but not CR4.PAE (SDM Vol 2B "MOV-Control Registers", Vol 3A 2.5). */
static bool cr0_faults(struct vcpu *v, u64 value)
{
	const struct virt_ops *ops = v->vm->ops;

	if ((value >> 32) || ((value & X86_CR0_NW) && !(value & X86_CR0_CD)))
		return true;
	if ((value & X86_CR0_PG) && !(value & X86_CR0_PE))
		return true;
	return (value & X86_CR0_PG) && (ops->read_reg(v, VREG_EFER) & EFER_LME) &&
	       !(ops->read_reg(v, VREG_CR4) & X86_CR4_PAE);
}

/*
 * A control-register access that exits: on VMX, one that touches a bit the backend owns
 * (SDM Vol 3C 25.6.6; CLTS and LMSW too); on SVM, a CR4 write. The core emulates it
 * through read_reg/write_reg, with the faults the CPU would raise.
 */
static bool handle_cr_access(struct vcpu *v, struct vm_exit *e)
{
	static const enum vreg cr_reg[5] = { VREG_CR0, VREG_CR0, VREG_CR2, VREG_CR3, VREG_CR4 };
	const struct virt_ops *ops = v->vm->ops;
	u8 cr = e->cr.cr;
	u64 cr0 = ops->read_reg(v, VREG_CR0), value;

	if (cr > 4 || cr == 1)
		return guest_stop(v, END_GUEST_CRASH, "unhandled access to CR%u", cr);
	switch (e->cr.kind) {
	case CR_MOV_FROM:
		vcpu_set_gpr(v, e->cr.gpr, ops->read_reg(v, cr_reg[cr]));
		return vcpu_skip_insn(v, e);
	case CR_CLTS:
		value = cr0 & ~X86_CR0_TS;
		break;
	case CR_LMSW: /* loads CR0 bits 3:0, but cannot clear PE (SDM Vol 2A "LMSW") */
		value = (cr0 & ~0xeULL) | (e->cr.lmsw_data & 0xf);
		break;
	default:
		value = vcpu_gpr(v, e->cr.gpr);
		break;
	}
	/* A reserved CR4 bit raises #GP (SDM Vol 3A 2.5): the CPU would not take it, and an
	 * emulator that does leaves guest state no VM entry accepts. */
	if ((cr == 4 && (value & ~cpu_cr4_guest_bits())) || (cr == 0 && cr0_faults(v, value))) {
		ops->inject_exception(v, X86_VECTOR_GP, true, 0);
		return true;
	}
	ops->write_reg(v, cr_reg[cr], value);
	return vcpu_skip_insn(v, e);
}

/* An intercepted exception goes back to the guest, as if nothing had intercepted it. */
static bool handle_exception(struct vcpu *v, struct vm_exit *e)
{
	v->vm->ops->inject_exception(v, e->exc.vector, e->exc.has_error, e->exc.error_code);
	return true;
}

static bool handle_nothing(struct vcpu *v, struct vm_exit *e)
{
	(void)v;
	(void)e;
	return true;
}

static bool handle_shutdown(struct vcpu *v, struct vm_exit *e)
{
	(void)e;
	return guest_stop(v, END_GUEST_CRASH, "guest shutdown: triple fault");
}

static bool handle_entry_fail(struct vcpu *v, struct vm_exit *e)
{
	return guest_stop(v, END_GUEST_CRASH, "VM entry failed, raw exit code %#lx", e->raw);
}

bool handle_unhandled(struct vcpu *v, struct vm_exit *e)
{
	return guest_stop(v, END_GUEST_CRASH, "unhandled exit, raw exit code %#lx", e->raw);
}

/* SDM Vol 2B "MONITOR", "MWAIT", Vol 3C 31.3 (VMX instructions), APM Vol 2 15.4: #UD
 * when CPUID does not list the instruction, which the guest's CPUID never does. */
static bool handle_ud(struct vcpu *v, struct vm_exit *e)
{
	(void)e;
	v->vm->ops->inject_exception(v, X86_VECTOR_UD, false, 0);
	return true;
}

/* INVD would drop dirty lines the host owns too (SDM Vol 2A "INVD"); as KVM does, it is
 * completed as a no-op: the memory the guest sees is coherent already. */
static bool handle_invd(struct vcpu *v, struct vm_exit *e)
{
	return vcpu_skip_insn(v, e);
}

/* Every reason has a handler, handle_unhandled unless named below: no NULL test on the
 * exit path. The range default is overridden on purpose (as Linux's syscall tables do
 * with sys_ni_syscall). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
exit_handler *const exit_handlers[EXIT_COUNT] = {
	[0 ... EXIT_COUNT - 1] = handle_unhandled,
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_IO] = handle_io,
	[EXIT_MSR_READ] = handle_msr_read,
	[EXIT_MSR_WRITE] = handle_msr_write,
	[EXIT_CR_ACCESS] = handle_cr_access,
	[EXIT_HLT] = handle_hlt,
	[EXIT_HYPERCALL] = handle_hypercall,
	[EXIT_NPF] = handle_npf,
	[EXIT_EXCEPTION] = handle_exception,
	[EXIT_EXTINT] = handle_host_interrupt,
	[EXIT_INTR_WINDOW] = handle_nothing, /* irq_before_entry injects now */
	[EXIT_SHUTDOWN] = handle_shutdown,
	[EXIT_PREEMPT] = handle_host_interrupt,
	[EXIT_ENTRY_FAIL] = handle_entry_fail,
	[EXIT_UD] = handle_ud,
	[EXIT_INVD] = handle_invd,
	[EXIT_XSETBV] = handle_xsetbv,
};
#pragma GCC diagnostic pop

static const char *const exit_names[EXIT_COUNT] = {
	[EXIT_NONE] = "none", [EXIT_CPUID] = "cpuid", [EXIT_IO] = "io",
	[EXIT_MSR_READ] = "rdmsr", [EXIT_MSR_WRITE] = "wrmsr", [EXIT_CR_ACCESS] = "cr",
	[EXIT_HLT] = "hlt", [EXIT_HYPERCALL] = "hypercall", [EXIT_NPF] = "npf",
	[EXIT_EXCEPTION] = "exception", [EXIT_EXTINT] = "extint",
	[EXIT_INTR_WINDOW] = "intr-window", [EXIT_SHUTDOWN] = "shutdown",
	[EXIT_PREEMPT] = "preempt", [EXIT_ENTRY_FAIL] = "entry-fail", [EXIT_UD] = "ud",
	[EXIT_INVD] = "invd", [EXIT_XSETBV] = "xsetbv",
	[EXIT_UNHANDLED] = "unhandled",
};

/* The exit counts by reason, where a guest's time under the hypervisor went (CONTRACT.md
 * 3): at the end of the run, and whenever the lab asks with a '?' on the log channel.
 * With several guests, one line each, with its guest= word. */
void log_exit_counts(const struct vcpu *v, bool tagged)
{
	log_printf("@lab exits");
	if (tagged)
		log_printf(" guest=%d", v->vm->id);
	log_printf(" total=%lu", v->exits);
	for (int r = 0; r < EXIT_COUNT; r++)
		if (v->exits_by_reason[r])
			log_printf(" %s=%lu", exit_names[r], v->exits_by_reason[r]);
	for (int port = 0; port < IO_PORTS_COUNTED; port++)
		if (v->io_exits_by_port[port])
			log_printf(" io-%#x=%u", port, v->io_exits_by_port[port]);
	log_printf("\n");
}
