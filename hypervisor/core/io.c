/*
 * IN/OUT and the string forms INS/OUTS, with REP, each in one exit: the whole
 * instruction is carried out here (SDM Vol 2B "INS", "OUTS", "REP"; APM Vol 3 the
 * same). A string instruction reads or writes guest memory at ES:rDI (INS) or
 * seg:rSI (OUTS, DS unless overridden), through the guest's page tables, and steps
 * the pointer by the size, downwards when RFLAGS.DF is set.
 */
#include "exits.h"
#include "lib.h"
#include "log.h"
#include "portbus.h"

#define RFLAGS_DF BIT(10)
#define SEG_ES 0

enum { GPR_RAX = 0, GPR_RCX = 1, GPR_RSI = 6, GPR_RDI = 7 };

/*
 * Port 0x80, the POST code port: guests write it after slow port accesses as a delay
 * (SWEB after every one, SWEB.md). On the real machine it only shows a POST code, so it
 * need not cost an exit.
 */
const u16 io_passthrough_ports[] = { 0x80 };
const unsigned int io_passthrough_count = ARRAY_SIZE(io_passthrough_ports);

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

/*
 * Where the next elements can go in one piece: as many as fit before the linear address
 * crosses a page (each page is translated on its own) and before the pointer wraps at
 * the address size. 0 when the very next element straddles either.
 */
static u64 run_length(u64 la, u64 ptr, u64 mask, u8 size, u64 left)
{
	u64 to_page = PAGE_SIZE - (la & (PAGE_SIZE - 1));
	u64 to_wrap = mask - ptr + 1; /* mask + 1 overflows only for 64-bit addresses */
	u64 bytes = to_wrap && to_wrap < to_page ? to_wrap : to_page;
	u64 n = bytes / size;

	return n < left ? n : left;
}

/*
 * The elements run through guest memory a page at a time, forwards (DF=0) in one block
 * access to the device (one memcpy for a device with a block hook, such as the ATA data
 * port). Backwards (DF=1), or for an element that straddles a page or the wrap of the
 * pointer, one at a time. Each piece's memory is found before the device is touched, so
 * an unmapped page stops the transfer with rCX and the pointer at the element that
 * could not move, as the fault would leave them on hardware.
 */
static bool handle_string_io(struct vcpu *v, struct vm_exit *e)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 mask = addr_mask(e->io.addr_size);
	unsigned ptr_reg = e->io.in ? GPR_RDI : GPR_RSI;
	u8 seg = e->io.in ? SEG_ES : e->io.seg; /* INS always writes ES (no override) */
	u64 base = seg < 6 ? ops->read_reg(v, seg_base[seg]) : 0;
	u64 ptr = vcpu_gpr(v, ptr_reg) & mask;
	u64 count = e->io.rep ? (v->regs.rcx & mask) : 1;
	bool down = ops->read_reg(v, VREG_RFLAGS) & RFLAGS_DF;
	u8 size = e->io.size;
	bool ok = true;

	while (count) {
		u64 la = base + ptr;
		u64 n = down ? 0 : run_length(la, ptr, mask, size, count);
		u64 gpa;
		void *p;

		if (n) {
			p = vcpu_linear_to_gpa(v, la, e->io.in, &gpa) ?
			    vm_gpa_to_hva(v->vm, gpa, n * size) : NULL;
			if (!p) {
				ok = false;
				break;
			}
			portbus_access_block(e->io.port, size, e->io.in, p, n);
		} else {
			u32 value = 0;

			n = 1;
			if (e->io.in) {
				/* Probe the memory first: a failed store must not eat device data. */
				if (!vcpu_read_linear(v, la, &value, size)) {
					ok = false;
					break;
				}
				portbus_access(e->io.port, size, true, &value);
				ok = vcpu_write_linear(v, la, &value, size);
			} else {
				ok = vcpu_read_linear(v, la, &value, size);
				if (ok)
					portbus_access(e->io.port, size, false, &value);
			}
			if (!ok)
				break;
		}
		ptr = (down ? ptr - n * size : ptr + n * size) & mask;
		count -= n;
	}
	vcpu_set_gpr(v, ptr_reg, merge(vcpu_gpr(v, ptr_reg), ptr, mask));
	if (e->io.rep)
		v->regs.rcx = merge(v->regs.rcx, count, mask);
	if (!ok)
		return guest_stop(v, END_GUEST_CRASH, "%s to port %#x: linear %#lx is not in guest RAM",
				  e->io.in ? "ins" : "outs", e->io.port, base + ptr);
	vcpu_skip_insn(v, e);
	return true;
}

bool handle_io(struct vcpu *v, struct vm_exit *e)
{
	u32 value;

	if (e->io.port < IO_PORTS_COUNTED)
		v->io_exits_by_port[e->io.port]++;
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
