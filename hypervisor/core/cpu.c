/* CPU identification through CPUID (SDM Vol 2A "CPUID", APM Vol 3 appendix E). */
#include "cpu.h"
#include "lib.h"
#include "x86.h"

struct cpu_info boot_cpu;

void cpu_identify(void)
{
	struct cpu_info *c = &boot_cpu;
	u32 a, b, cx, d;

	/* Leaf 0: highest basic leaf and the vendor string in EBX, EDX, ECX order. */
	cpuid(0, 0, &c->max_leaf, &b, &cx, &d);
	memcpy(c->vendor + 0, &b, 4);
	memcpy(c->vendor + 4, &d, 4);
	memcpy(c->vendor + 8, &cx, 4);
	c->vendor[12] = '\0';

	/* Leaf 1 EAX: family, model, stepping with their extended fields. */
	cpuid(1, 0, &a, &b, &cx, &d);
	c->stepping = a & 0xf;
	c->family = (a >> 8) & 0xf;
	c->model = (a >> 4) & 0xf;
	if (c->family == 0xf)
		c->family += (a >> 20) & 0xff;
	if (c->family == 0x6 || c->family >= 0xf)
		c->model |= ((a >> 16) & 0xf) << 4;

	cpuid(0x80000000, 0, &c->max_ext_leaf, &b, &cx, &d);
	if (c->max_ext_leaf >= 0x80000004) {
		u32 *brand = (u32 *)c->brand;
		char *p = c->brand;

		for (u32 leaf = 0x80000002; leaf <= 0x80000004; leaf++, brand += 4)
			cpuid(leaf, 0, &brand[0], &brand[1], &brand[2], &brand[3]);
		c->brand[48] = '\0';
		while (*p == ' ')
			p++;
		memmove(c->brand, p, strlen(p) + 1);
		for (p = c->brand + strlen(c->brand); p > c->brand && p[-1] == ' ';)
			*--p = '\0';
	} else {
		memcpy(c->brand, "(no brand string)", 18);
	}
}

/*
 * The hypervisor's own paging bits, as a modern kernel (and so a modern guest) sets them:
 * CR0.WP (SDM Vol 3A 2.5), CR4.PSE (ignored with PAE, 4.1.1) and PGE, and SMEP and SMAP
 * where the CPU has them (as cpu_cr4_guest_bits finds them: the hypervisor maps no user
 * page, so neither ever faults). Why the guest's: every exit and entry switches CR0 and CR4, and an
 * emulator may flush its whole TLB when a paging bit changes. QEMU TCG does
 * (cpu_x86_update_cr0/cr4; its jump-cache flush was 16% of QEMU's time booting Linux under
 * the hypervisor): counted with perf probes, 7.6 jump-cache flushes a round trip before,
 * 6.1 after (the CR3 loads and the nested TLB's flush remain).
 */
void cpu_set_paging_bits(void)
{
	u64 offered = cpu_cr4_guest_bits() & (X86_CR4_SMEP | X86_CR4_SMAP);

	write_cr0(read_cr0() | X86_CR0_WP);
	write_cr4(read_cr4() | X86_CR4_PSE | X86_CR4_PGE | offered);
}

bool cpu_has_vmx(void)
{
	u32 a, b, c, d;

	if (boot_cpu.max_leaf < 1)
		return false;
	cpuid(1, 0, &a, &b, &c, &d);
	return c & CPUID_1_ECX_VMX;
}

/* Leaf 0x80000001's ECX and EDX, zero where the CPU has no such leaf. */
static void ext_features(u32 *c, u32 *d)
{
	u32 a, b;

	*c = *d = 0;
	if (boot_cpu.max_ext_leaf >= 0x80000001)
		cpuid(0x80000001, 0, &a, &b, c, d);
}

bool cpu_has_svm(void)
{
	u32 c, d;

	ext_features(&c, &d);
	return c & CPUID_80000001_ECX_SVM;
}

bool cpu_has_rdtscp(void)
{
	u32 c, d;

	ext_features(&c, &d);
	return d & CPUID_80000001_EDX_RDTSCP;
}

/* Asked once per nested-page-table entry the SVM backend builds: CPUID once. */
bool cpu_has_nx(void)
{
	static int nx = -1;
	u32 c, d;

	if (nx < 0) {
		ext_features(&c, &d);
		nx = !!(d & CPUID_80000001_EDX_NX);
	}
	return nx;
}

/*
 * The CR4 bits a guest may set: those this CPU implements (SDM Vol 3A 2.5, each bit with the
 * CPUID flag that reports it), but VMXE and SMXE (the guest is told it has neither VMX nor
 * SMX) and LA57 (the core's guest page walk knows four levels). Any other bit is reserved:
 * MOV CR4 with it raises #GP.
 */
u64 cpu_cr4_guest_bits(void)
{
	static u64 bits;
	u32 a, b, c, d, b7 = 0, c7 = 0;

	if (bits)
		return bits;
	bits = 0x7ff; /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */
	cpuid(1, 0, &a, &b, &c, &d);
	if (boot_cpu.max_leaf >= 7)
		cpuid(7, 0, &a, &b7, &c7, &d);
	if (c7 & BIT(2))
		bits |= BIT(11); /* UMIP */
	if (b7 & BIT(0))
		bits |= BIT(16); /* FSGSBASE */
	if (c & BIT(17))
		bits |= BIT(17); /* PCIDE */
	if (c & BIT(26))
		bits |= BIT(18); /* OSXSAVE */
	if (b7 & BIT(7))
		bits |= X86_CR4_SMEP;
	if (b7 & BIT(20))
		bits |= X86_CR4_SMAP;
	if (c7 & BIT(3))
		bits |= BIT(22); /* PKE */
	if (c7 & CPUID_7_ECX_PKS)
		bits |= BIT(24); /* PKS */
	return bits;
}
