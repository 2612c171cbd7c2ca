/* Intel VMX definitions private to the VMX backend (SDM Vol 3C, appendix A). */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "types.h"

/* IA32_FEATURE_CONTROL (SDM Vol 3C 24.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCKED BIT(0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX BIT(2)

/* VMX capability MSRs (SDM Vol 4 table 2-2; their layout: SDM Vol 3D appendix A). */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e

/* IA32_VMX_BASIC (appendix A.1). */
#define VMX_BASIC_REVISION_MASK 0x7fffffffULL /* bits 30:0 */
#define VMX_BASIC_TRUE_CTLS BIT(55)

/* Pin-based VM-execution controls (SDM Vol 3C 25.6.1, table 25-5). */
#define PIN_BASED_VMX_PREEMPTION_TIMER BIT(6)
/* Primary processor-based controls (25.6.2, table 25-6). */
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS BIT(31)
/* Secondary processor-based controls (25.6.2, table 25-7). */
#define SECONDARY_EXEC_ENABLE_EPT BIT(1)
#define SECONDARY_EXEC_ENABLE_VPID BIT(5)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST BIT(7)

#endif
