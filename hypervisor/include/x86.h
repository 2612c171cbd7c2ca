/*
 * Thin wrappers around x86 instructions, and the architectural (vendor-neutral)
 * register bits. Vendor-specific MSRs live in vmx/ and svm/.
 */
#ifndef X86_H
#define X86_H

#include "types.h"

/* Control register bits: Intel SDM Vol 3A 2.5, AMD APM Vol 2 3.1. */
#define X86_CR0_PE BIT(0)
#define X86_CR0_TS BIT(3)
#define X86_CR0_WP BIT(16)
#define X86_CR0_NE BIT(5)
#define X86_CR0_NW BIT(29)
#define X86_CR0_CD BIT(30)
#define X86_CR0_PG BIT(31)
#define X86_CR4_PSE BIT(4)
#define X86_CR4_PAE BIT(5)
#define X86_CR4_PGE BIT(7)
#define X86_CR4_VMXE BIT(13)
#define X86_CR4_OSXSAVE BIT(18)
#define X86_CR4_SMEP BIT(20)
#define X86_CR4_SMAP BIT(21)

/* RFLAGS bits: SDM Vol 1 3.4.3. */
#define X86_RFLAGS_CF BIT(0)
#define X86_RFLAGS_ZF BIT(6)
#define X86_RFLAGS_IF BIT(9)
#define X86_RFLAGS_DF BIT(10)

/* Architectural MSRs: SDM Vol 4 2.1, APM Vol 2 appendix A. */
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
/* Architectural MSRs the core and the backends name (SDM Vol 4 Table 2-2). */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_PAT 0x00000277
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_EFER 0xc0000080
/* Exception vectors (SDM Vol 3A table 6-1). */
#define X86_VECTOR_BP 3
#define X86_VECTOR_OF 4
#define X86_VECTOR_UD 6
#define X86_VECTOR_DF 8
#define X86_VECTOR_GP 13

/* EFER: SDM Vol 4 2.1 (IA32_EFER), APM Vol 2 3.1.7. */
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

/* CPUID feature bits the core looks at (SDM Vol 2A CPUID, APM Vol 3 appendix E). */
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_80000001_ECX_SVM BIT(2)
#define CPUID_80000001_EDX_NX BIT(20)  /* APM Vol 3 E.4.2 */
#define CPUID_80000001_EDX_RDTSCP BIT(27)
#define CPUID_1_ECX_XSAVE BIT(26)
#define MSR_TSC_AUX 0xc0000103 /* what RDTSCP returns in ECX (SDM Vol 2B "RDTSCP") */
/* IA32_APIC_BASE (SDM Vol 3A 11.4.4, figure 11-5): BSP flag, x2APIC mode, global enable. */
#define MSR_IA32_PKRS 0x6e1      /* supervisor protection keys' rights (SDM Vol 3A 4.6.2) */
#define CPUID_7_ECX_PKS BIT(31)
#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_EXTD BIT(10)
#define APIC_BASE_EN BIT(11)

/* XCR0, the one extended control register (SDM Vol 1 13.3); needs CR4.OSXSAVE. */
static inline u64 xgetbv(u32 xcr)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return lo | (u64)hi << 32;
}

static inline void xsetbv(u32 xcr, u64 v)
{
	asm volatile("xsetbv" : : "c"(xcr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

/*
 * An exception table entry: a fault at `insn` resumes at `fixup` instead of
 * panicking (the trap handler looks here first, as Linux's extable does).
 */
struct extable_entry {
	u64 insn, fixup;
};

/* RDMSR that returns false, instead of panicking, when the MSR #GPs (absent). */
static inline bool rdmsr_safe(u32 msr, u64 *v)
{
	u32 lo = 0, hi = 0;
	u8 ok = 0;

	asm volatile("1: rdmsr\n\t"
		     "movb $1, %2\n"
		     "2:\n\t"
		     ".pushsection .extable, \"a\"\n\t"
		     ".balign 8\n\t"
		     ".quad 1b, 2b\n\t"
		     ".popsection"
		     : "+a"(lo), "+d"(hi), "+q"(ok)
		     : "c"(msr));
	*v = ((u64)hi << 32) | lo;
	return ok;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline void cpuid(u32 leaf, u32 subleaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

#define DEFINE_CR_ACCESS(n)                                                  \
	static inline u64 read_cr##n(void)                                   \
	{                                                                    \
		u64 v;                                                       \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                \
		return v;                                                    \
	}                                                                    \
	static inline void write_cr##n(u64 v)                                \
	{                                                                    \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");       \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void hlt(void) { asm volatile("hlt" ::: "memory"); }
static inline void pause(void) { asm volatile("pause"); }

#endif
