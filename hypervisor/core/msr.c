/*
 * RDMSR and WRMSR that exit. The architectural MSRs a guest OS uses live in the
 * backend's guest-state area (Intel's or AMD's control structure), reached through
 * read_reg/write_reg; a backend may instead pass them through in its MSR bitmap, and
 * then they never exit. Everything else raises #GP, as an absent MSR does on hardware
 * (SDM Vol 2B "RDMSR": "#GP(0) if ECX specifies a reserved or unimplemented MSR").
 * That includes IA32_FEATURE_CONTROL, the VMX capability MSRs and AMD's VM_CR and
 * VM_HSAVE_PA: the guest is told (CPUID) that it has neither VMX nor SVM.
 * Kept here for the guest, as the hardware it is told of has them: IA32_APIC_BASE (the
 * page of the minimal local APIC, devices/lapic.h) and, on AMD, the four legacy
 * performance counters every AMD64 CPU has (APM Vol 2 13.2.1), which never count; and a
 * few with a fixed value that OSes read unguarded (fixed_msrs below: AMD's C1E state, HWCR
 * and NB_CFG; Intel's IA32_MISC_ENABLE and IA32_BIOS_SIGN_ID).
 */
#include "cpu.h"
#include "lapic.h"
#include "exits.h"
#include "lib.h"
#include "x86.h"
#include "xcr.h"


/*
 * MSRs the guest reaches directly, decided here for both backends (each applies the list
 * in its bitmaps.c; VMX only where its guest-state area switches the MSR). `writes`:
 * WRMSR too. Writes of the ones that hold an address still exit, so that the code below
 * refuses a non-canonical one with #GP as hardware does: QEMU's TCG takes any value.
 */
const struct msr_passthrough msr_passthrough[] = {
	{ MSR_IA32_SYSENTER_CS, true }, { MSR_IA32_SYSENTER_ESP, true },
	{ MSR_IA32_SYSENTER_EIP, true },
	{ MSR_STAR, true }, { MSR_LSTAR, false }, { MSR_CSTAR, false }, { MSR_SFMASK, true },
	{ MSR_FS_BASE, false }, { MSR_GS_BASE, false }, { MSR_KERNEL_GS_BASE, false },
};
const unsigned int msr_passthrough_count = ARRAY_SIZE(msr_passthrough);

/* EFER bits a guest may set (APM Vol 2 3.1.7): SCE, LME, LMA, NXE, FFXSR. */
#define EFER_GUEST_BITS (BIT(0) | BIT(8) | BIT(10) | BIT(11) | BIT(14))

static const struct {
	u32 index;
	enum vreg reg;
} msr_regs[] = {
	{ MSR_EFER, VREG_EFER },
	{ MSR_IA32_SYSENTER_CS, VREG_SYSENTER_CS },
	{ MSR_IA32_SYSENTER_ESP, VREG_SYSENTER_ESP },
	{ MSR_IA32_SYSENTER_EIP, VREG_SYSENTER_EIP },
	{ MSR_IA32_PAT, VREG_PAT },
	{ MSR_STAR, VREG_STAR },
	{ MSR_LSTAR, VREG_LSTAR },
	{ MSR_CSTAR, VREG_CSTAR },
	{ MSR_SFMASK, VREG_SFMASK },
	{ MSR_FS_BASE, VREG_FS_BASE },
	{ MSR_GS_BASE, VREG_GS_BASE },
	{ MSR_KERNEL_GS_BASE, VREG_KERNEL_GS_BASE },
};

static bool find_reg(u32 index, enum vreg *reg)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msr_regs); i++)
		if (msr_regs[i].index == index) {
			*reg = msr_regs[i].reg;
			return true;
		}
	return false;
}

static bool inject_gp(struct vcpu *v)
{
	v->vm->ops->inject_exception(v, X86_VECTOR_GP, true, 0);
	return true;
}

/* The host CPU's vendor, which the guest's CPUID reports too. */
static bool vendor_is(const char *vendor)
{
	return strcmp(boot_cpu.vendor, vendor) == 0;
}

/*
 * MSRs that hold a linear address: WRMSR of a non-canonical one raises #GP(0) (SDM Vol 2B
 * "WRMSR"; APM Vol 3 "WRMSR"), checked here before the value reaches the backend (a host
 * WRMSR would fault in the hypervisor, a VMCS field would fail the next VM entry). AMD
 * ignores SYSENTER_ESP/EIP's upper half (no 64-bit SYSENTER, APM Vol 2 6.1.1), Intel
 * does not (SDM Vol 3C 27.3.1.1 checks them at entry).
 */
static bool holds_an_address(u32 index)
{
	switch (index) {
	case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		return true;
	case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
		return vendor_is("GenuineIntel");
	}
	return false;
}

/* 48 bits of linear address: bits 63:47 all equal (SDM Vol 1 3.3.7.1). */
static bool canonical(u64 la)
{
	u64 top = la >> 47;

	return top == 0 || top == 0x1ffff;
}

/* AMD's PerfEvtSel0-3 and PerfCtr0-3 (APM Vol 2 13.2.1); Intel has no MSR there. */
#define MSR_K7_EVNTSEL0 0xc0010000
#define MSR_K7_PERFCTR3 0xc0010007
#define APIC_BASE_RESERVED (0xffULL | BIT(9)) /* the base's own bits: checked whole below */

static bool is_k7_perf(u32 index)
{
	return index >= MSR_K7_EVNTSEL0 && index <= MSR_K7_PERFCTR3 &&
	       vendor_is("AuthenticAMD");
}

/*
 * MSRs whose value is fixed here, each what the hardware or its firmware leaves and an OS
 * reads unguarded; a write is accepted as the entry says, else it raises #GP.
 * - AMD's Interrupt Pending and CMP-Halt register (BKDG for family 0Fh, MSRC001_0055): its
 *   C1E bits tell an OS whether halting enters C1E, where erratum 400 stops the APIC timer
 *   (Linux reads it on family 0Fh and 10h: arch_post_acpi_subsys_init). 0: no C1E, a halted
 *   guest's timer keeps ticking. Read-only.
 * - AMD's hardware configuration register (APM Vol 2 A.7, MSRC001_0015): TscFreqSel (bit 24)
 *   set, the TSC counts at the P0 frequency, as every AMD CPU since family 10h reports it
 *   (Linux warns "TSC doesn't count with P0 frequency" otherwise).
 * - AMD's northbridge configuration (BKDG for family 10h, MSRC001_001F): EnableCF8ExtCfg
 *   (bit 46) set, as firmware leaves it (Linux sets it on each CPU of family 10h and later,
 *   unguarded: amd_bus_cpu_online); no PCI configuration space is behind it here.
 * - Intel's IA32_MISC_ENABLE (SDM Vol 4, table 2-2), which every Intel CPU since the
 *   Pentium 4 has (Linux's verify_cpu reads it for the XD-disable bit): fast strings on
 *   (bit 0), BTS and PEBS unavailable (bits 11, 12: no performance monitoring is offered),
 *   no MONITOR/MWAIT (bit 18, hidden from CPUID), XD not disabled (bit 34).
 * - Intel's IA32_BIOS_SIGN_ID (SDM Vol 3A 10.11.7.1): an OS writes 0, runs CPUID leaf 1
 *   and reads the microcode update's signature from bits 63:32. No update is loaded: 0,
 *   and any write is accepted (the write is that protocol's first step).
 */
enum fixed_write { WRITE_NONE, WRITE_SAME, WRITE_ANY };

static const struct fixed_msr {
	u32 index;
	const char *vendor;
	u64 value;
	enum fixed_write write;
} fixed_msrs[] = {
	{ 0xc0010055, "AuthenticAMD", 0, WRITE_NONE },
	{ 0xc0010015, "AuthenticAMD", BIT(24), WRITE_SAME },
	{ 0xc001001f, "AuthenticAMD", BIT(46), WRITE_SAME },
	{ 0x1a0, "GenuineIntel", BIT(0) | BIT(11) | BIT(12), WRITE_SAME },
	{ 0x8b, "GenuineIntel", 0, WRITE_ANY },
};

static const struct fixed_msr *fixed_msr(u32 index)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixed_msrs); i++)
		if (fixed_msrs[i].index == index && vendor_is(fixed_msrs[i].vendor))
			return &fixed_msrs[i];
	return NULL;
}

static bool fixed_msr_write(const struct fixed_msr *f, u64 value)
{
	return f->write == WRITE_ANY || (f->write == WRITE_SAME && value == f->value);
}

/*
 * WRMSR IA32_APIC_BASE: the enable flag and the base (SDM Vol 3A 11.4.4). Reserved bits
 * raise #GP, so does x2APIC mode (CPUID offers none: 11.12.1) and a base other than
 * 0xFEE00000: the page does not move (not modelled, and no guest of the course moves it).
 */
static bool apic_base_write(struct vcpu *v, u64 value)
{
	if ((value & (APIC_BASE_RESERVED | APIC_BASE_EXTD)) ||
	    (value & ~0xfffULL) != LAPIC_BASE)
		return false;
	v->apic_base = (value & APIC_BASE_EN) | LAPIC_BASE | (v->apic_base & APIC_BASE_BSP);
	return true;
}

/* PAT entries hold memory types 0, 1, 4, 5, 6 or 7 (SDM Vol 3A 13.12.2). */
static bool pat_valid(u64 pat)
{
	for (int i = 0; i < 8; i++) {
		u8 type = pat >> (8 * i);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

bool handle_msr_read(struct vcpu *v, struct vm_exit *e)
{
	u32 index = v->regs.rcx;
	const struct fixed_msr *fixed;
	enum vreg reg;
	u64 value;

	if (index == MSR_IA32_TSC) {
		u32 lo, hi;

		asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
		value = ((u64)hi << 32) | lo;
	} else if (index == MSR_TSC_AUX && v->rdtscp) {
		value = v->tsc_aux;
	} else if (index == MSR_IA32_APIC_BASE) {
		value = v->apic_base;
	} else if (index == MSR_IA32_PKRS && cpu_has_pks()) {
		value = v->pkrs;
	} else if (is_k7_perf(index)) {
		value = v->k7_perf[index - MSR_K7_EVNTSEL0];
	} else if ((fixed = fixed_msr(index))) {
		value = fixed->value;
	} else if (find_reg(index, &reg)) {
		value = v->vm->ops->read_reg(v, reg);
	} else {
		return inject_gp(v);
	}
	v->regs.rax = (u32)value;
	v->regs.rdx = value >> 32;
	return vcpu_skip_insn(v, e);
}

bool handle_msr_write(struct vcpu *v, struct vm_exit *e)
{
	u32 index = v->regs.rcx;
	u64 value = ((v->regs.rdx & 0xffffffff) << 32) | (v->regs.rax & 0xffffffff);
	const struct fixed_msr *fixed;
	enum vreg reg;

	if (index == MSR_IA32_TSC) {
		/* Accepted and ignored: the guest's TSC is the host's. */
	} else if (index == MSR_TSC_AUX && v->rdtscp) {
		if (!tsc_aux_write(v, value))
			return inject_gp(v);
	} else if (index == MSR_IA32_APIC_BASE) {
		if (!apic_base_write(v, value))
			return inject_gp(v);
	} else if (index == MSR_IA32_PKRS && cpu_has_pks()) {
		if (!pkrs_write(v, value))
			return inject_gp(v);
	} else if (is_k7_perf(index)) {
		/* A counter holds 48 bits (APM Vol 2 13.2.1); nothing makes it count. */
		if (index >= MSR_K7_EVNTSEL0 + 4)
			value &= (1ULL << 48) - 1;
		v->k7_perf[index - MSR_K7_EVNTSEL0] = value;
	} else if ((fixed = fixed_msr(index))) {
		if (!fixed_msr_write(fixed, value))
			return inject_gp(v);
	} else if (find_reg(index, &reg)) {
		if ((index == MSR_EFER && (value & ~EFER_GUEST_BITS)) ||
		    (index == MSR_IA32_PAT && !pat_valid(value)) ||
		    (holds_an_address(index) && !canonical(value)))
			return inject_gp(v);
		if (index == MSR_EFER) /* LMA is the CPU's to set: writes leave it alone */
			value = (value & ~EFER_LMA) |
				(v->vm->ops->read_reg(v, VREG_EFER) & EFER_LMA);
		v->vm->ops->write_reg(v, reg, value);
	} else {
		return inject_gp(v);
	}
	return vcpu_skip_insn(v, e);
}
