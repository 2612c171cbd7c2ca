/*
 * CPUID as the guest sees it: the host's answers (SDM Vol 2A "CPUID", APM Vol 3
 * appendix E), except that the guest learns of the hypervisor (CONTRACT.md 6) and does
 * not see what it cannot use: VMX and SVM (no nesting), x2APIC, MONITOR/MWAIT and
 * MONITORX/MWAITX, the performance-monitoring and SVM leaves, machine checks, MTRRs, 5-level
 * paging, CET, TSC_ADJUST, XSAVES, power management, memory encryption and AMD's OSVW; the
 * local APIC only once the guest enables the minimal one (core/msr.c).
 */
#include "exits.h"
#include "hostirq.h"
#include "lib.h"
#include "x86.h"

#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_HYPERCALL 0x40000001
#define CPUID_HV_LAST 0x400000ff
#define CPUID_PERFMON 0x0000000a
#define CPUID_SVM 0x8000000a
/* AMD's memory encryption leaf (SME, SEV: APM Vol 2 15.34): none is offered, and a guest
 * told of SEV reads MSR_AMD64_SEV (0xC0010131), which raises #GP here (Linux's decompressor
 * does, and triple-faults). */
#define CPUID_MEM_ENCRYPT 0x8000001f

#define CPUID_1_ECX_MONITOR BIT(3)
#define CPUID_1_ECX_X2APIC BIT(21)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_1_EDX_APIC BIT(9)
/* No machine-check architecture: its MSRs (IA32_MCG_*, the banks, SDM Vol 3B 16.3) raise
 * #GP, so the guest is told of neither #MC nor MCA (Linux panics on a #GP there). */
#define CPUID_1_EDX_MCE BIT(7)
#define CPUID_1_EDX_MCA BIT(14)
/* No MTRRs: IA32_MTRRCAP and the range MSRs (SDM Vol 3A 13.11) raise #GP; guest memory's
 * type is the nested tables' write-back with the guest's PAT. */
#define CPUID_1_EDX_MTRR BIT(12)
#define CPUID_1_ECX_PDCM BIT(15)
#define CPUID_80000001_ECX_PERFCTR_CORE BIT(23) /* APM Vol 3 E.4.2 */
/* AMD's OS-visible workarounds (APM Vol 2 3.2.11): the OSVW MSRs 0xC0010140-1 are not
 * offered (Linux reads them unguarded when told of OSVW: cpu_has_amd_erratum). */
#define CPUID_80000001_ECX_OSVW BIT(9)
/* MONITORX/MWAITX (APM Vol 3 "MONITORX"): hidden as MONITOR/MWAIT are; Linux's delay loop
 * uses MWAITX when offered and got #UD on bochs/svm. */
#define CPUID_80000001_ECX_MONITORX BIT(29)
/* Leaf 7 subleaf 0: the features whose CR4 bit the guest may not set (cpu.c,
 * cpu_cr4_guest_bits): 5-level paging (CR4.LA57) and CET (CR4.CET, SDM Vol 1 17.2). A guest
 * told of LA57 sets it (Linux's decompressor does) and gets #GP. */
#define CPUID_7_ECX_CET_SS BIT(7)
#define CPUID_7_ECX_LA57 BIT(16)
#define CPUID_7_EDX_CET_IBT BIT(20)
#define CPUID_7_EBX_INVPCID BIT(10)
/* IA32_TSC_ADJUST (SDM Vol 3B 18.17.3) is not kept: the guest's TSC is the host's. */
#define CPUID_7_EBX_TSC_ADJUST BIT(1)
/* Leaf 0xD subleaf 1: XSAVES/XRSTORS and IA32_XSS (SDM Vol 1 13.2) are not offered: the
 * guest saves its state with XSAVE's standard format, whose sizes the host's CPUID gives
 * for the XCR0 the guest runs with. */
#define CPUID_D_1_EAX_XSAVES BIT(3)
#define CPUID_XSAVE 0xd
#define XSAVE_LEGACY_AND_HEADER 576 /* the x87/SSE area and the XSAVE header */
#define CPUID_D_N_ECX_ALIGN64 BIT(1) /* component N starts 64-byte aligned when compacted */
/* Leaf 6, thermal and power management: every feature it names lives in MSRs not offered
 * here (APERF/MPERF, the energy-performance bias, HWP, the thermal sensors; SDM Vol 3B 15),
 * but for ARAT, the APIC timer that keeps running in deep C-states (EAX bit 2). */
#define CPUID_POWER 0x6
#define CPUID_6_EAX_ARAT BIT(2)

static const char hv_signature[12] = "NestedLabHV"; /* with its NUL: 12 bytes */

/* The leaves the host's CPUID does not answer: the hypervisor's own (CONTRACT.md 6) and
 * those hidden whole, all four registers zero. */
static void __attribute__((noinline)) own_leaf(struct vcpu *v, u32 leaf)
{
	u32 a = 0, b = 0, c = 0, d = 0;

	if (leaf == CPUID_HV_BASE) {
		a = CPUID_HV_HYPERCALL;
		memcpy(&b, hv_signature, 4);
		memcpy(&c, hv_signature + 4, 4);
		memcpy(&d, hv_signature + 8, 4);
	} else if (leaf == CPUID_HV_HYPERCALL) {
		a = v->vm->ops->hypercall_insn;
		b = tsc_khz; /* CONTRACT.md 6: the guest's TSC is the host's, unscaled */
	}
	v->regs.rax = a;
	v->regs.rbx = b;
	v->regs.rcx = c;
	v->regs.rdx = d;
}

/* Leaf 0xD subleaf 1 EBX: the size of an XSAVE area in the compacted format (XSAVEC's) for
 * the XCR0 in force, the guest's (core/xcr.c), and no IA32_XSS (not offered): the legacy area
 * and header, then each enabled component's size, 64-byte aligned where its subleaf's ECX
 * bit 1 asks (SDM Vol 1 13.4.3). Computed, as KVM does, not passed on: Bochs 2.7 gives the
 * standard format's 2688 for XCR0 0xE7 where the compacted area is 2432, and Linux, which
 * uses XSAVEC when XSAVES is hidden, warned "XSAVE consistency problem". */
static u32 xsavec_size(u64 xcr0)
{
	u32 size = XSAVE_LEGACY_AND_HEADER, a, b, c, d;

	for (u32 i = 2; i < 64; i++) {
		if (!(xcr0 & BIT(i)))
			continue;
		cpuid(CPUID_XSAVE, i, &a, &b, &c, &d);
		if (c & CPUID_D_N_ECX_ALIGN64)
			size = (size + 63) & ~63u;
		size += a;
	}
	return size;
}

/* Leaves 1, 6, 7, 0xD and 0x80000001, as the host answered them: less what the guest cannot
 * use. Any other leaf is left as it is. */
static void __attribute__((noinline)) adjust_features(struct vcpu *v, u32 leaf, u32 subleaf)
{
	if (leaf == CPUID_POWER) {
		v->regs.rax &= CPUID_6_EAX_ARAT;
		v->regs.rbx = v->regs.rcx = v->regs.rdx = 0;
	} else if (leaf == CPUID_XSAVE) {
		if (subleaf == 1) {
			v->regs.rax &= ~(u64)CPUID_D_1_EAX_XSAVES;
			v->regs.rbx = xsavec_size(xgetbv(0));
		}
	} else if (leaf == 7) {
		if (subleaf == 0) {
			v->regs.rbx &= ~(u64)CPUID_7_EBX_TSC_ADJUST;
			v->regs.rcx &= ~(u64)(CPUID_7_ECX_LA57 | CPUID_7_ECX_CET_SS);
			v->regs.rdx &= ~(u64)CPUID_7_EDX_CET_IBT;
			if (!v->invpcid) /* VMX without "enable INVPCID": #UD in the guest */
				v->regs.rbx &= ~(u64)CPUID_7_EBX_INVPCID;
		}
	} else if (leaf == 1) {
		v->regs.rcx |= CPUID_1_ECX_HYPERVISOR;
		v->regs.rcx &= ~(u64)(CPUID_1_ECX_VMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_X2APIC |
				      CPUID_1_ECX_OSXSAVE);
		/* OSXSAVE mirrors the guest's CR4, not ours. */
		if (v->vm->ops->read_reg(v, VREG_CR4) & X86_CR4_OSXSAVE)
			v->regs.rcx |= CPUID_1_ECX_OSXSAVE;
		/* The APIC flag follows IA32_APIC_BASE's global enable (SDM Vol 3A 11.4.3): a
		 * guest starts with it clear, in PIC mode, and may enable the minimal APIC. */
		if (!(v->apic_base & APIC_BASE_EN))
			v->regs.rdx &= ~(u64)CPUID_1_EDX_APIC;
		/* No IA32_PERF_CAPABILITIES: no performance monitoring is offered (leaf 0xA). */
		v->regs.rcx &= ~(u64)CPUID_1_ECX_PDCM;
		v->regs.rdx &= ~(u64)(CPUID_1_EDX_MCE | CPUID_1_EDX_MCA | CPUID_1_EDX_MTRR);
	} else if (leaf == 0x80000001) {
		/* Only the four legacy counters (core/msr.c), not the core extension's six. */
		v->regs.rcx &= ~(u64)(CPUID_80000001_ECX_SVM | CPUID_80000001_ECX_PERFCTR_CORE |
				      CPUID_80000001_ECX_OSVW | CPUID_80000001_ECX_MONITORX);
		if (!v->rdtscp) /* VMX without its "enable RDTSCP" control: #UD in the guest */
			v->regs.rdx &= ~(u64)CPUID_80000001_EDX_RDTSCP;
	}
}

static inline void host_cpuid(struct vcpu *v, u32 leaf, u32 subleaf)
{
	asm volatile("cpuid"
		     : "=a"(v->regs.rax), "=b"(v->regs.rbx), "=c"(v->regs.rcx), "=d"(v->regs.rdx)
		     : "a"(leaf), "c"(subleaf));
}

/* The leaves whose answer is not the host's as it is, by their low 31 bits (so 0x8000000N
 * shares leaf N's bit): 1 and 0x80000001 (features), 6 (power; 0x80000006 passes through),
 * 7 (structured features; 0x80000007 passes), 0xA and 0x8000000A (hidden whole), 0xD
 * (XSAVE; 0x8000000D passes), 0x8000001F (hidden whole; 0x1F passes). */
#define SPECIAL_LEAVES (BIT(1) | BIT(6) | BIT(7) | BIT(0xa) | BIT(0xd) | BIT(0x1f))

static void __attribute__((noinline)) special_leaf(struct vcpu *v, u32 leaf)
{
	u32 subleaf = v->regs.rcx;

	if (leaf == CPUID_PERFMON || leaf == CPUID_SVM || leaf == CPUID_MEM_ENCRYPT) {
		own_leaf(v, leaf);
		return;
	}
	host_cpuid(v, leaf, subleaf);
	adjust_features(v, leaf, subleaf);
}

/* The host's answer, less what the guest cannot use. On every CPUID exit, so the common
 * leaves take no call beyond the CPUID itself (one range test passes leaf 0 and those
 * above 0x1F by), and its results go straight to the guest's registers: CPUID writes all
 * four, zero-extended in 64-bit mode (SDM Vol 2A "CPUID"), as the 64-bit outputs take them. */
bool handle_cpuid(struct vcpu *v, struct vm_exit *e)
{
	u32 leaf = v->regs.rax, low = leaf & 0x7fffffff;

	if (leaf - CPUID_HV_BASE <= CPUID_HV_LAST - CPUID_HV_BASE)
		own_leaf(v, leaf);
	else if (low - 1 < 0x1f && (SPECIAL_LEAVES & (1u << low)))  /* 1..0x1F: then which */
		special_leaf(v, leaf);
	else
		host_cpuid(v, leaf, v->regs.rcx);
	return vcpu_skip_insn(v, e);
}
