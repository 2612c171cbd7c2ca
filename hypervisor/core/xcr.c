/*
 * The guest's XCR0, IA32_TSC_AUX and IA32_PKRS: registers the hardware does not switch at
 * VM entry and exit on either backend (VMX could load PKRS, with a control the reference
 * does not use), so the guest's values live in the real registers while it runs (the
 * hypervisor uses none: no XSAVE state, no RDTSCP, CR4.PKS clear) and are swapped when
 * another guest's turn comes. XSETBV exits on both backends (VMX unconditionally, SDM
 * Vol 3C 26.1.2; SVM by its intercept, APM Vol 2 15.9) and is checked here as the CPU
 * would; RDTSCP runs in the guest and reads TSC_AUX itself.
 */
#include "cpu.h"
#include "exits.h"
#include "log.h"
#include "x86.h"
#include "xcr.h"

#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)
#define XCR0_BNDREGS BIT(3)
#define XCR0_BNDCSR BIT(4)
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7))

static bool have_xsave;
static u64 xcr0_supported; /* CPUID.(EAX=0DH,ECX=0):EDX:EAX */
static u64 loaded_xcr0 = XCR0_X87, loaded_tsc_aux, loaded_pkrs;
static bool have_pks;

void xcr_init(void)
{
	u32 a, b, c, d;

	if (boot_cpu.max_leaf >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		have_pks = c & CPUID_7_ECX_PKS;
	}
	if (have_pks)
		loaded_pkrs = rdmsr(MSR_IA32_PKRS);
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_XSAVE) || boot_cpu.max_leaf < 0xd)
		return;
	write_cr4(read_cr4() | X86_CR4_OSXSAVE); /* XSETBV raises #UD without it */
	cpuid(0xd, 0, &a, &b, &c, &d);
	xcr0_supported = a | (u64)d << 32;
	have_xsave = true;
	loaded_xcr0 = xgetbv(0);
	log_printf("cpu: XSAVE, XCR0 bits %#lx for the guests\n", xcr0_supported);
}

/* What XSETBV refuses with #GP(0) (SDM Vol 2D "XSETBV", Vol 1 13.3): bit 0 clear, a bit
 * the CPU lacks, AVX without SSE, one MPX half without the other, AVX-512 parts alone or
 * without AVX. */
static bool xcr0_valid(u64 v)
{
	if (!(v & XCR0_X87) || (v & ~xcr0_supported))
		return false;
	if ((v & XCR0_AVX) && !(v & XCR0_SSE))
		return false;
	if (!!(v & XCR0_BNDREGS) != !!(v & XCR0_BNDCSR))
		return false;
	if ((v & XCR0_AVX512) && ((v & XCR0_AVX512) != XCR0_AVX512 || !(v & XCR0_AVX)))
		return false;
	return true;
}

/* The checks that come before the exit, #UD without CR4.OSXSAVE and #GP at CPL > 0 (SDM
 * Vol 3C 26.1.1), are the CPU's; the rest are here. */
bool handle_xsetbv(struct vcpu *v, struct vm_exit *e)
{
	u64 value = (u32)v->regs.rax | v->regs.rdx << 32;

	if (!have_xsave || (u32)v->regs.rcx != 0 || !xcr0_valid(value)) {
		v->vm->ops->inject_exception(v, X86_VECTOR_GP, true, 0);
		return true;
	}
	v->xcr0 = value;
	xsetbv(0, value);
	loaded_xcr0 = value;
	return vcpu_skip_insn(v, e);
}

void vcpu_load_host_regs(struct vcpu *v)
{
	if (!v->xcr0)
		v->xcr0 = XCR0_X87; /* the reset value (SDM Vol 1 13.3) */
	if (have_xsave && v->xcr0 != loaded_xcr0) {
		xsetbv(0, v->xcr0);
		loaded_xcr0 = v->xcr0;
	}
	if (v->rdtscp && v->tsc_aux != loaded_tsc_aux) {
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
		loaded_tsc_aux = v->tsc_aux;
	}
	if (have_pks && v->pkrs != loaded_pkrs) {
		wrmsr(MSR_IA32_PKRS, v->pkrs);
		loaded_pkrs = v->pkrs;
	}
}

bool cpu_has_pks(void)
{
	return have_pks;
}

/* A guest's WRMSR of a 32-bit MSR kept in the real register: bits 63:32 reserved. */
static bool write_32(u32 msr, u64 value, u64 *guests, u64 *loaded)
{
	if (value >> 32)
		return false;
	*guests = value;
	wrmsr(msr, value);
	*loaded = value;
	return true;
}

/* WRMSR IA32_PKRS: two bits for each of 16 keys (SDM Vol 4 table 2-2, Vol 3A 4.6.2); its
 * reset value is 0, as v->pkrs starts. */
bool pkrs_write(struct vcpu *v, u64 value)
{
	return write_32(MSR_IA32_PKRS, value, &v->pkrs, &loaded_pkrs);
}

/* WRMSR IA32_TSC_AUX (SDM Vol 4 table 2-2). */
bool tsc_aux_write(struct vcpu *v, u64 value)
{
	return write_32(MSR_TSC_AUX, value, &v->tsc_aux, &loaded_tsc_aux);
}
