/* AMD SVM definitions private to the SVM backend (AMD APM Vol 2, chapter 15). */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "types.h"

/* 15.30.1 VM_CR MSR. */
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS BIT(4)
/* 15.30.4 VM_HSAVE_PA MSR: where VMRUN saves host state. */
#define MSR_VM_HSAVE_PA 0xc0010117

/* CPUID Fn8000_000A, SVM revision and features (APM Vol 3 appendix E.4.9). */
#define CPUID_SVM_FEATURES 0x8000000a
#define SVM_FEATURE_NPT BIT(0)
#define SVM_FEATURE_NRIPS BIT(3)

#endif
