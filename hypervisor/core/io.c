/*
 * IN/OUT and the string forms INS/OUTS, with REP, each in one exit (a very long REP in
 * several, see STRING_IO_MAX_PER_EXIT): the instruction is carried out here (SDM Vol 2B "INS", "OUTS", "REP"; APM Vol 3 the
 * same). A string instruction reads or writes guest memory at ES:rDI (INS) or
 * seg:rSI (OUTS, DS unless overridden), through the guest's page tables, and steps
 * the pointer by the size, downwards when RFLAGS.DF is set.
 */
#include "exits.h"
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "portbus.h"
#include "x86.h"

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
 * A REP string instruction moves at most this many elements in one exit; then the guest
 * enters again at the same instruction with rCX and the pointer where they stand, and
 * resumes it. Hardware does the same around interrupts (SDM Vol 2B "REP": a repeated
 * string instruction can be interrupted between iterations), so the guest's interrupts,
 * the watchdog and the lab's requests all get their turn during a long one.
 */
#define STRING_IO_MAX_PER_EXIT 65536

/*
 * And for at most this long: a device with no block hook (a console port) can take a
 * while per element (Bochs' UART paces the real COM1 at its baud rate, about 0.1 ms a
 * byte of guest time), and the time an exit takes is the guest's: its slice is checked
 * between exits (core/sched.c). So a guest flooding its console has its turn end on time,
 * and the others theirs. Such a device is fed in pieces of at most STRING_IO_SLOW_PIECE
 * elements, the clock read after each.
 */
#define STRING_IO_MAX_NS 1000000ULL
#define STRING_IO_SLOW_PIECE 16

/*
 * Where the next elements can go in one piece: as many as fit before the linear address
 * crosses a page (each page is translated on its own) and before the pointer wraps at
 * the address size, upwards from la (DF=0) or downwards (DF=1). 0 when the very next
 * element straddles either.
 */
static u64 run_length(u64 la, u64 ptr, u64 mask, u8 size, u64 left, bool down)
{
	u64 in_page = la & (PAGE_SIZE - 1), n;

	if (in_page + size > PAGE_SIZE || ptr + size - 1 > mask)
		return 0;
	if (down) {
		u64 to_page = in_page / size + 1, to_wrap = ptr / size + 1;

		n = to_wrap < to_page ? to_wrap : to_page;
	} else {
		u64 to_page = PAGE_SIZE - in_page;
		u64 to_wrap = mask - ptr + 1; /* mask + 1 overflows only for 64-bit addresses */
		u64 bytes = to_wrap && to_wrap < to_page ? to_wrap : to_page;

		n = bytes / size;
	}
	return n < left ? n : left;
}

/* n elements downwards from p (DF=1): element i at p - i * size, one port access each. */
static void access_down(struct portbus *bus, u16 port, u8 size, bool in, u8 *p, u64 n)
{
	for (u64 i = 0; i < n; i++, p -= size) {
		u32 value = 0;

		if (!in)
			memcpy(&value, p, size);
		portbus_access(bus, port, size, in, &value);
		if (in)
			memcpy(p, &value, size);
	}
}

/*
 * The elements run through guest memory a page at a time, in one block access to the
 * device forwards (one memcpy for a device with a block hook, such as the ATA data port),
 * element by element backwards. An element that straddles a page or the wrap of the
 * pointer goes on its own. Each piece's memory is found before the device is touched, so
 * an unmapped page stops the transfer with rCX and the pointer at the element that could
 * not move, as the fault would leave them on hardware.
 */
/* Not inlined: its frame would be every IN and OUT's. */
static bool __attribute__((noinline)) handle_string_io(struct vcpu *v, struct vm_exit *e)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 mask = addr_mask(e->io.addr_size);
	unsigned ptr_reg = e->io.in ? GPR_RDI : GPR_RSI;
	u8 seg = e->io.in ? SEG_ES : e->io.seg; /* INS always writes ES (no override) */
	u64 base = seg < 6 ? ops->read_reg(v, seg_base[seg]) : 0;
	u64 ptr = vcpu_gpr(v, ptr_reg) & mask;
	u64 count = e->io.rep ? (v->regs.rcx & mask) : 1;
	u64 budget = STRING_IO_MAX_PER_EXIT, started = time_ns();
	u64 piece = portbus_has_block(&v->vm->bus, e->io.port, e->io.in) ? budget :
		    STRING_IO_SLOW_PIECE;
	bool down = ops->read_reg(v, VREG_RFLAGS) & X86_RFLAGS_DF;
	u8 size = e->io.size;
	bool ok = true;

	while (count && budget) {
		u64 la = base + ptr;
		u64 most = count < budget ? count : budget;
		u64 n = run_length(la, ptr, mask, size, most < piece ? most : piece, down);
		u64 gpa;
		u8 *p;

		if (n) {
			u64 first = down ? la - (n - 1) * size : la; /* the lowest element */

			p = NULL;
			if (vcpu_linear_to_gpa(v, first, e->io.in, &gpa))
				p = e->io.in ? vm_gpa_to_hva_write(v->vm, gpa, n * size) :
					       vm_gpa_to_hva(v->vm, gpa, n * size);
			if (!p) {
				ok = false;
				break;
			}
			if (down)
				access_down(&v->vm->bus, e->io.port, size, e->io.in,
					    p + (n - 1) * size, n);
			else
				portbus_access_block(&v->vm->bus, e->io.port, size, e->io.in, p, n);
		} else {
			u32 value = 0;

			n = 1;
			if (e->io.in) {
				/* Probe the memory first: a failed store must not eat device data. */
				if (!vcpu_read_linear(v, la, &value, size)) {
					ok = false;
					break;
				}
				portbus_access(&v->vm->bus, e->io.port, size, true, &value);
				ok = vcpu_write_linear(v, la, &value, size);
			} else {
				ok = vcpu_read_linear(v, la, &value, size);
				if (ok)
					portbus_access(&v->vm->bus, e->io.port, size, false, &value);
			}
			if (!ok)
				break;
		}
		ptr = (down ? ptr - n * size : ptr + n * size) & mask;
		count -= n;
		budget -= n;
		if (time_ns() - started >= STRING_IO_MAX_NS)
			break;
	}
	vcpu_set_gpr(v, ptr_reg, merge(vcpu_gpr(v, ptr_reg), ptr, mask));
	if (e->io.rep)
		v->regs.rcx = merge(v->regs.rcx, count, mask);
	if (!ok)
		return guest_stop(v, END_GUEST_CRASH, "%s to port %#x: linear %#lx is not in guest RAM",
				  e->io.in ? "ins" : "outs", e->io.port, base + ptr);
	if (!count)
		vcpu_skip_insn(v, e); /* else the guest enters at the same REP, to resume it */
	return true;
}

/* The guest wrote its exit code to port 0xF4 (devices/debugexit.h, CONTRACT.md 4). */
static bool __attribute__((noinline)) guest_exit_port(struct vcpu *v)
{
	u32 code = v->vm->dev.debug_exit.value;

	log_printf("@lab guest-exit id=%d value=%u\n", v->vm->id, code);
	if (code == 0)
		return guest_stop(v, END_PASS, "exit code 0 on port %#x", DEBUG_EXIT_PORT);
	return guest_stop(v, END_FAIL, "exit code %u (%#x) on port %#x", code, code,
			  DEBUG_EXIT_PORT);
}

bool handle_io(struct vcpu *v, struct vm_exit *e)
{
	u32 value;

	if (e->io.port < IO_PORTS_COUNTED)
		v->io_exits_by_port[e->io.port]++;
	if (e->io.string) {
		bool go_on = handle_string_io(v, e);

		/* OUTS to port 0xF4 ends the guest as OUT does (one element is enough) */
		return go_on && v->vm->dev.debug_exit.written ? guest_exit_port(v) : go_on;
	}
	if (e->io.in) {
		portbus_access(&v->vm->bus, e->io.port, e->io.size, true, &value);
		/* IN AL/AX keep the rest of RAX; IN EAX zero-extends (SDM Vol 1 3.4.1.1). */
		if (e->io.size == 4)
			v->regs.rax = value;
		else if (e->io.size == 2)
			v->regs.rax = (v->regs.rax & ~0xffffULL) | (value & 0xffff);
		else
			v->regs.rax = (v->regs.rax & ~0xffULL) | (value & 0xff);
	} else {
		value = v->regs.rax;
		portbus_access(&v->vm->bus, e->io.port, e->io.size, false, &value);
		if (v->vm->dev.debug_exit.written)
			return guest_exit_port(v);
	}
	return vcpu_skip_insn(v, e);
}
