/*
 * What VMX's exit information gives and SVM's may not: the exiting instruction's length
 * without NRIPS (APM Vol 2 15.7.1; for an IOIO exit EXITINFO2 holds the next RIP,
 * 15.10.2), the register of a MOV CR without decode assists (15.33), and an OUTS's segment
 * and a string instruction's address size. Read from the guest's code: prefixes, then the
 * opcode (SDM Vol 2A 2.1).
 */
#include "svm.h"
#include "vm.h"
#include "x86.h"

static bool long_mode_code(struct vmcb_save *s)
{
	return (s->efer & EFER_LMA) && (s->cs.attrib & BIT(9)); /* CS.L */
}

/* Fetches the exiting instruction's first bytes; false if its page is not in RAM. */
static bool fetch(struct vcpu *v, u8 *buf, size_t len)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;

	return vcpu_read_linear(v, s->cs.base + s->rip, buf, len);
}

static bool is_legacy_prefix(u8 b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
}

/* How many prefix bytes (legacy, then REX in 64-bit code) lead the fetched instruction b,
 * leaving room for opcode_len more; the REX byte, if any, goes to *rex. */
static u32 skip_prefixes(struct vcpu *v, const u8 *b, u32 opcode_len, u8 *rex)
{
	u32 n = 0;

	while (n < MAX_INSN - opcode_len && is_legacy_prefix(b[n]))
		n++;
	if (long_mode_code(&to_svm(v)->vmcb->save) && (b[n] & 0xf0) == 0x40) {
		if (rex)
			*rex = b[n];
		n++;
	}
	return n;
}

/* Without next-RIP saving: opcode_len bytes after any prefixes. */
u32 svm_decoded_insn_len(struct vcpu *v, u32 opcode_len)
{
	u8 b[MAX_INSN];

	if (!fetch(v, b, sizeof(b)))
		return opcode_len;
	return skip_prefixes(v, b, opcode_len, NULL) + opcode_len;
}

/*
 * MOV CR4, reg (0F 22 /r, SDM Vol 2B "MOV-Control Registers"): the general register, from
 * EXITINFO1 where the CPU has decode assists (15.33.1: bit 63 valid, bits 3:0 the register),
 * else from the instruction's ModRM (and REX.B in 64-bit code). False if it is not one.
 */
bool svm_decode_mov_cr(struct vcpu *v, u64 info1, struct vm_exit *e)
{
	u8 b[MAX_INSN], rex = 0;
	u32 n;

	if (info1 & BIT(63)) {
		e->cr.gpr = info1 & 0xf;
		e->insn_len = svm_insn_len(v, 3);
		return true;
	}
	if (!fetch(v, b, sizeof(b)))
		return false;
	n = skip_prefixes(v, b, 3, &rex);
	if (b[n] != 0x0f || b[n + 1] != 0x22)
		return false;
	e->cr.gpr = (b[n + 2] & 7) | (rex & 1 ? 8 : 0);
	e->insn_len = n + 3;
	return true;
}

/* The segment of an OUTS: DS unless a prefix overrides it (SDM Vol 2B "OUTS"). */
u8 svm_outs_segment(struct vcpu *v, u32 len)
{
	static const u8 override[6][2] = {
		{ 0x26, 0 }, { 0x2e, 1 }, { 0x36, 2 }, { 0x3e, 3 }, { 0x64, 4 }, { 0x65, 5 },
	};
	u8 b[MAX_INSN], seg = SEG_DS;

	if (len > MAX_INSN || !fetch(v, b, len))
		return SEG_DS;
	for (u32 i = 0; i < len && is_legacy_prefix(b[i]); i++)
		for (int k = 0; k < 6; k++)
			if (b[i] == override[k][0])
				seg = override[k][1]; /* the last one counts */
	return seg;
}

/* The address size of a string instruction: the code segment's, toggled by 0x67. */
u8 svm_string_addr_size(struct vcpu *v, u32 len)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	bool long64 = long_mode_code(s), big = s->cs.attrib & BIT(10); /* CS.D */
	u8 b[MAX_INSN];
	bool toggled = false;

	if (len <= MAX_INSN && fetch(v, b, len))
		for (u32 i = 0; i < len && is_legacy_prefix(b[i]); i++)
			toggled |= b[i] == 0x67;
	if (long64)
		return toggled ? 4 : 8;
	return big != toggled ? 4 : 2;
}
