/*
 * The guest's XCR0, IA32_TSC_AUX and IA32_PKRS, which the hardware does not switch at VM
 * entry and exit (core/xcr.c; its XSETBV exit handler is in exits.h with the others).
 */
#ifndef XCR_H
#define XCR_H

#include "types.h"
#include "vcpu.h"

/* CR4.OSXSAVE for the hypervisor, where the CPU has XSAVE: XSETBV works. */
void xcr_init(void);
/* The guest's XCR0, TSC_AUX and PKRS into the real registers, before v runs. */
void vcpu_load_host_regs(struct vcpu *v);
/* WRMSR IA32_TSC_AUX: false for a value RDTSCP's MSR refuses (#GP). */
bool tsc_aux_write(struct vcpu *v, u64 value);
/* Has the CPU supervisor protection keys (CPUID.(EAX=7,ECX=0):ECX[31]), so IA32_PKRS? */
bool cpu_has_pks(void);
/* WRMSR IA32_PKRS: false for a value with a reserved bit (#GP). */
bool pkrs_write(struct vcpu *v, u64 value);

#endif
