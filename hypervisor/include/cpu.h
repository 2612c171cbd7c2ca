/* Identification of the CPU we run on (CPUID, SDM Vol 2A / APM Vol 3 appendix E). */
#ifndef CPU_H
#define CPU_H

#include "types.h"

struct cpu_info {
	char vendor[13];
	char brand[49];
	u32 max_leaf, max_ext_leaf;
	u32 family, model, stepping;
};

extern struct cpu_info boot_cpu;

void cpu_identify(void);
void cpu_set_paging_bits(void);
bool cpu_has_vmx(void);
bool cpu_has_svm(void);
bool cpu_has_nx(void);
bool cpu_has_rdtscp(void);
/* CR4 bits a guest may set; the rest raise #GP (core/cpu.c). */
u64 cpu_cr4_guest_bits(void);

#endif
