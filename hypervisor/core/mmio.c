/*
 * Nested page faults. A guest-physical address that a device model claimed as MMIO
 * (vm_register_mmio) is emulated: the faulting instruction is decoded (the MOV forms
 * compilers emit for volatile accesses: 88, 89, 8A, 8B, C6, C7, 0F B6, 0F B7, and the
 * moffs forms A0-A3 they emit for an absolute address, MOVABS in 64-bit code; SDM Vol 2B
 * "MOV", "MOVZX"), the access goes to the device, and the guest resumes after it.
 * Any other fault is outside guest RAM: the guest has crashed (CONTRACT.md 4, code 4).
 */
#include "dedup.h"
#include "exits.h"
#include "lib.h"
#include "log.h"
#include "x86.h"

#define MAX_INSN 15
#define AR_L BIT(13)   /* code segment access rights, VMX layout (SDM Vol 3C 25.4.1) */
#define AR_DB BIT(14)

struct insn {
	u8 len, op_size, addr_size;
	bool rex_w, rex_r, has_rex;
	u8 opcode, modrm;
	bool two_byte;
	u64 imm;
};

static u8 modrm_len(const u8 *p, u8 addr_size)
{
	u8 mod = p[0] >> 6, rm = p[0] & 7, n = 1;

	if (addr_size == 2)
		return n + (mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0);
	if (rm == 4 && mod != 3) {
		n++; /* SIB */
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	}
	return n + (mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0);
}

static bool decode(struct vcpu *v, struct insn *in)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 ar = ops->read_reg(v, VREG_CS_ATTR);
	bool long64 = (ops->read_reg(v, VREG_EFER) & EFER_LMA) && (ar & AR_L);
	u8 def = long64 || (ar & AR_DB) ? 4 : 2, b[MAX_INSN], i = 0;
	u64 rip = ops->read_reg(v, VREG_RIP);

	if (!vcpu_read_linear(v, ops->read_reg(v, VREG_CS_BASE) + rip, b, sizeof(b)))
		return false;
	*in = (struct insn){ .op_size = def, .addr_size = long64 ? 8 : def };
	for (; i < MAX_INSN - 4; i++) {
		if (b[i] == 0x66)
			in->op_size = def == 2 ? 4 : 2;
		else if (b[i] == 0x67)
			in->addr_size = long64 ? 4 : def == 2 ? 4 : 2;
		else if (b[i] != 0x2e && b[i] != 0x36 && b[i] != 0x3e && b[i] != 0x26 &&
			 b[i] != 0x64 && b[i] != 0x65 && b[i] != 0xf2 && b[i] != 0xf3)
			break;
	}
	if (long64 && (b[i] & 0xf0) == 0x40) {
		in->has_rex = true;
		in->rex_w = b[i] & 8;
		in->rex_r = b[i] & 4;
		i++;
	}
	if (in->rex_w)
		in->op_size = 8;
	in->opcode = b[i++];
	if (in->opcode >= 0xa0 && in->opcode <= 0xa3) {
		/* MOV AL/rAX <-> moffs: no ModRM, an address of the address size follows
		 * (8 bytes in 64-bit mode unless 67h), the register is rAX. */
		in->modrm = 0; /* reg field 0 and no REX.R: rAX */
		in->rex_r = false;
		in->len = i + in->addr_size;
		return in->len <= MAX_INSN;
	}
	if (in->opcode == 0x0f) {
		in->two_byte = true;
		in->opcode = b[i++];
		if (in->opcode != 0xb6 && in->opcode != 0xb7)
			return false;
	} else if (in->opcode < 0x88 || (in->opcode > 0x8b && in->opcode != 0xc6 &&
					 in->opcode != 0xc7)) {
		return false;
	}
	in->modrm = b[i];
	i += modrm_len(&b[i], in->addr_size);
	if (in->opcode == 0xc6) {
		in->imm = b[i++];
	} else if (in->opcode == 0xc7) {
		u8 n = in->op_size == 2 ? 2 : 4;

		memcpy(&in->imm, &b[i], n);
		if (in->op_size == 8 && (in->imm & BIT(31)))
			in->imm |= 0xffffffff00000000ULL;
		i += n;
	}
	in->len = i;
	return i <= MAX_INSN;
}

/* The register of ModRM.reg, with AH..BH for byte operands without REX. */
static u64 reg_value(struct vcpu *v, const struct insn *in, u8 size)
{
	unsigned r = ((in->modrm >> 3) & 7) | (in->rex_r ? 8 : 0);

	if (size == 1 && !in->has_rex && r >= 4)
		return vcpu_gpr(v, r - 4) >> 8;
	return vcpu_gpr(v, r);
}

static void set_reg(struct vcpu *v, const struct insn *in, u8 size, u64 value)
{
	unsigned r = ((in->modrm >> 3) & 7) | (in->rex_r ? 8 : 0);
	u64 old;

	if (size == 1 && !in->has_rex && r >= 4) {
		old = vcpu_gpr(v, r - 4);
		vcpu_set_gpr(v, r - 4, (old & ~0xff00ULL) | ((value & 0xff) << 8));
		return;
	}
	old = vcpu_gpr(v, r);
	if (size == 4) /* 32-bit results zero-extend (SDM Vol 1 3.4.1.1) */
		vcpu_set_gpr(v, r, value & 0xffffffff);
	else if (size == 8)
		vcpu_set_gpr(v, r, value);
	else
		vcpu_set_gpr(v, r, (old & ~((1ULL << (8 * size)) - 1)) | value);
}

static bool emulate_mmio(struct vcpu *v, struct mmio_device *dev, u64 gpa)
{
	struct insn in;
	u8 size;
	u64 value;

	if (!decode(v, &in))
		return guest_stop(v, END_GUEST_CRASH,
				  "access to %s at gpa %#lx by an instruction we cannot emulate",
				  dev->name, gpa);
	if (in.two_byte) { /* MOVZX: load 1 or 2 bytes, zero-extend to the operand size */
		size = in.opcode == 0xb6 ? 1 : 2;
		value = dev->read(dev->state, gpa, size) & ((1ULL << (8 * size)) - 1);
		set_reg(v, &in, in.op_size, value);
	} else {
		size = (in.opcode & 1) ? in.op_size : 1;
		if (in.opcode == 0x8a || in.opcode == 0x8b || in.opcode == 0xa0 ||
		    in.opcode == 0xa1) {
			value = dev->read(dev->state, gpa, size);
			if (size < 8)
				value &= (1ULL << (8 * size)) - 1;
			set_reg(v, &in, size, value);
		} else {
			value = in.opcode >= 0xc6 ? in.imm : reg_value(v, &in, size);
			if (size < 8)
				value &= (1ULL << (8 * size)) - 1;
			dev->write(dev->state, gpa, size, value);
		}
	}
	v->vm->ops->write_reg(v, VREG_RIP, v->vm->ops->read_reg(v, VREG_RIP) + in.len);
	return true;
}

bool handle_npf(struct vcpu *v, struct vm_exit *e)
{
	struct mmio_device *dev = vm_find_mmio(v->vm, e->npf.gpa);

	/* A write to a page deduplication shares: the guest gets its own copy. */
	if (e->npf.write && dedup_unshare(v->vm, e->npf.gpa))
		return true;
	if (dev)
		return emulate_mmio(v, dev, e->npf.gpa);
	if (e->npf.gpa >= VGA_TEXT_START && e->npf.gpa < VGA_TEXT_END)
		return guest_stop(v, END_GUEST_CRASH, "%s of the VGA text window at guest-physical "
				  "%#lx (device memory, not code) at rip %#lx",
				  e->npf.exec ? "fetch" : "access", e->npf.gpa, e->rip);
	return guest_stop(v, END_GUEST_CRASH,
			  "%s of guest-physical %#lx outside guest RAM (%lu MiB) at rip %#lx",
			  e->npf.exec ? "fetch" : e->npf.write ? "write" : "read", e->npf.gpa,
			  v->vm->ram_size >> 20, e->rip);
}
