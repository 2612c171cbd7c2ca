/*
 * IN/OUT and the string forms INS/OUTS, with REP, each in one exit: the whole
 * instruction is carried out here (SDM Vol 2B "INS", "OUTS", "REP"; APM Vol 3 the
 * same). A string instruction reads or writes guest memory at ES:rDI (INS) or
 * seg:rSI (OUTS, DS unless overridden), through the guest's page tables, and steps
 * the pointer by the size, downwards when RFLAGS.DF is set.
 */
#include "exits.h"
#include "log.h"
#include "portbus.h"

#define RFLAGS_DF BIT(10)
#define SEG_ES 0

enum { GPR_RAX = 0, GPR_RCX = 1, GPR_RSI = 6, GPR_RDI = 7 };

static const enum vreg seg_base[6] = {
	VREG_ES_BASE, VREG_CS_BASE, VREG_SS_BASE, VREG_DS_BASE, VREG_FS_BASE, VREG_GS_BASE,
};

static u64 addr_mask(u8 addr_size)
{
	return addr_size == 8 ? ~0ULL : addr_size == 4 ? 0xffffffffULL : 0xffffULL;
}

/* A register written with a narrower address size keeps its bits above the mask. */
static u64 merge(u64 old, u64 new, u64 mask)
{
	return mask == 0xffffffffULL ? (new & mask) : (old & ~mask) | (new & mask);
}

static bool handle_string_io(struct vcpu *v, struct vm_exit *e)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 mask = addr_mask(e->io.addr_size);
	unsigned ptr_reg = e->io.in ? GPR_RDI : GPR_RSI;
	u8 seg = e->io.in ? SEG_ES : e->io.seg; /* INS always writes ES (no override) */
	u64 base = seg < 6 ? ops->read_reg(v, seg_base[seg]) : 0;
	u64 ptr = vcpu_gpr(v, ptr_reg) & mask;
	u64 count = e->io.rep ? (v->regs.rcx & mask) : 1;
	s64 step = (ops->read_reg(v, VREG_RFLAGS) & RFLAGS_DF) ? -e->io.size : e->io.size;

	for (u64 i = 0; i < count; i++) {
		u64 la = base + (ptr & mask);
		u32 value = 0;

		if (e->io.in) {
			portbus_access(e->io.port, e->io.size, true, &value);
			if (!vcpu_write_linear(v, la, &value, e->io.size))
				return guest_stop(v, END_GUEST_CRASH,
						  "ins to port %#x: linear %#lx is not in guest RAM",
						  e->io.port, la);
		} else {
			if (!vcpu_read_linear(v, la, &value, e->io.size))
				return guest_stop(v, END_GUEST_CRASH,
						  "outs to port %#x: linear %#lx is not in guest RAM",
						  e->io.port, la);
			portbus_access(e->io.port, e->io.size, false, &value);
		}
		ptr += step;
	}
	vcpu_set_gpr(v, ptr_reg, merge(vcpu_gpr(v, ptr_reg), ptr, mask));
	if (e->io.rep)
		v->regs.rcx = merge(v->regs.rcx, 0, mask);
	vcpu_skip_insn(v, e);
	return true;
}

bool handle_io(struct vcpu *v, struct vm_exit *e)
{
	u32 value;

	if (e->io.string)
		return handle_string_io(v, e);
	if (e->io.in) {
		portbus_access(e->io.port, e->io.size, true, &value);
		/* IN AL/AX keep the rest of RAX; IN EAX zero-extends (SDM Vol 1 3.4.1.1). */
		if (e->io.size == 4)
			v->regs.rax = value;
		else if (e->io.size == 2)
			v->regs.rax = (v->regs.rax & ~0xffffULL) | (value & 0xffff);
		else
			v->regs.rax = (v->regs.rax & ~0xffULL) | (value & 0xff);
	} else {
		value = v->regs.rax;
		portbus_access(e->io.port, e->io.size, false, &value);
	}
	vcpu_skip_insn(v, e);
	return true;
}
