/*
 * Intel VMX definitions private to the VMX backend. Section numbers are from the SDM
 * Vol 3C/3D editions of 2023 and later (VMCS chapter 25, VM entries 27, VM exits 28,
 * EPT 29, capability MSRs appendix A); older editions number the chapters one lower.
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "types.h"
#include "vcpu.h"
#include "x86.h"

/* IA32_FEATURE_CONTROL (SDM Vol 3C 24.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCKED BIT(0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX BIT(2)

/* VMX capability MSRs (SDM Vol 4 table 2-2; their layout: SDM Vol 3D appendix A). */
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* Other MSRs the VMCS setup reads or the guest's view needs (SDM Vol 4 table 2-2). */
#define X86_CR0_ET BIT(4) /* SDM Vol 3A 2.5 */
#define PAT_POWER_ON_DEFAULT 0x0007040600070406ULL /* SDM Vol 3A 13.12.4 */

/* IA32_VMX_BASIC (A.1). */
#define VMX_BASIC_REVISION_MASK 0x7fffffffULL /* bits 30:0 */
#define VMX_BASIC_INOUT_INFO BIT(54)   /* INS/OUTS exits report instruction info */
#define VMX_BASIC_TRUE_CTLS BIT(55)

/* IA32_VMX_MISC (A.6): exits store EFER.LMA into the "IA-32e mode guest" control. */
#define VMX_MISC_STORE_LMA BIT(5)
/* A.6: bits 4:0: the preemption timer counts down each time TSC bit N changes. */
#define VMX_MISC_PREEMPTION_RATE_MASK 0x1f

/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define EPT_CAP_WALK_4 BIT(6)
#define EPT_CAP_WB BIT(14)
#define EPT_CAP_2M BIT(16)
#define VPID_CAP_INVVPID BIT(32)
#define VPID_CAP_SINGLE_CONTEXT BIT(41)
#define VPID_CAP_ALL_CONTEXT BIT(42)

/* Pin-based VM-execution controls (25.6.1, table 25-5). */
#define PIN_BASED_EXT_INTR_MASK BIT(0)
#define PIN_BASED_NMI_EXITING BIT(3)
#define PIN_BASED_VMX_PREEMPTION_TIMER BIT(6)
/* Primary processor-based controls (25.6.2, table 25-6). */
#define CPU_BASED_INTR_WINDOW_EXITING BIT(2)
#define CPU_BASED_HLT_EXITING BIT(7)
#define CPU_BASED_MWAIT_EXITING BIT(10)
#define CPU_BASED_CR3_LOAD_EXITING BIT(15)
#define CPU_BASED_CR3_STORE_EXITING BIT(16)
#define CPU_BASED_UNCOND_IO_EXITING BIT(24)
#define CPU_BASED_USE_IO_BITMAPS BIT(25)
#define CPU_BASED_USE_MSR_BITMAPS BIT(28)
#define CPU_BASED_MONITOR_EXITING BIT(29)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS BIT(31)
/* Secondary processor-based controls (25.6.2, table 25-7). */
#define SECONDARY_EXEC_ENABLE_EPT BIT(1)
#define SECONDARY_EXEC_ENABLE_RDTSCP BIT(3)
#define SECONDARY_EXEC_ENABLE_VPID BIT(5)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST BIT(7)
#define SECONDARY_EXEC_ENABLE_INVPCID BIT(12)
/* VM-exit controls (25.7.1, table 25-13). */
#define VM_EXIT_HOST_ADDR_SPACE_SIZE BIT(9)
#define VM_EXIT_SAVE_IA32_PAT BIT(18)
#define VM_EXIT_LOAD_IA32_PAT BIT(19)
#define VM_EXIT_SAVE_IA32_EFER BIT(20)
#define VM_EXIT_LOAD_IA32_EFER BIT(21)
/* VM-entry controls (25.8.1, table 25-15). */
#define VM_ENTRY_IA32E_MODE BIT(9)
#define VM_ENTRY_LOAD_IA32_PAT BIT(14)
#define VM_ENTRY_LOAD_IA32_EFER BIT(15)

/* EPT entries (29.3.2, tables 29-1 to 29-6) and the EPT pointer (25.6.11). */
#define EPT_READ BIT(0)
#define EPT_WRITE BIT(1)
#define EPT_EXEC BIT(2)
#define EPT_MEMTYPE_WB (6ULL << 3) /* leaf memory type, 29.3.7 */
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LARGE_PAGE BIT(7)
#define EPTP_MEMTYPE_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3) /* page-walk length minus one */

#define VPID_FIRST_GUEST 1 /* 25.6.12: VPID 0 is the host's; guest K has 1 + K */
#define EPT_CAP_INVEPT BIT(20)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)

/*
 * The backend's per-vCPU state (struct vcpu's arch). run.S uses the first two fields:
 * keep them first.
 */
struct vmx_vcpu {
	u64 host_rsp;            /* 0: vmx_enter's stack, restored by vmx_exit_stub */
	struct vcpu_regs *regs;  /* 8: guest general registers */
	u64 vmcs;                /* physical address of the VMCS region */
	bool launched;           /* VMLAUNCH done: VMRESUME from now on (31.3) */
	u64 cr2;                 /* the guest's CR2 while not cr2_owner: see vmx_cr2() */
	u64 exit_stack;          /* page whose top is HOST_RSP */
	u32 proc;                /* the primary processor-based controls as written */
	u64 eptp;                /* its EPT pointer, for INVEPT */
};

/* What enable.c learned about the CPU, for the VMCS setup and exit decoding. */
struct vmx_caps {
	u64 basic, misc, ept_vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};
extern struct vmx_caps vmx_caps;

/* VMREAD/VMWRITE of the current VMCS (31.3). A failing VMWRITE is logged. */
static inline u64 vmcs_read(u64 field)
{
	u64 v;

	asm volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

void vmcs_write_failed(u64 field, u64 value);

/* VMfail sets CF or ZF (SDM Vol 3C 31.2): one jump to the report, not a flag stored and
 * tested, since every exit writes the guest's RIP. */
static inline void vmcs_write(u64 field, u64 value)
{
	asm goto("vmwrite %1, %0\n\tjna %l[failed]" : : "r"(field), "rm"(value)
		 : "cc", "memory" : failed);
	return;
failed: __attribute__((cold));
	vmcs_write_failed(field, value);
}

/* The files mirror svm/'s, job for job: enable.c, vcpu.c, bitmaps.c, regs.c, intr.c,
 * exit.c, npt.c, run.S. */
/* vcpu.c */
bool vmx_vcpu_init(struct vcpu *v, const struct vcpu_boot *boot, const char **why);
void vmx_vcpu_load(struct vcpu *v);
/* bitmaps.c */
extern u8 vmx_msr_bitmap[PAGE_SIZE];
extern u8 vmx_io_bitmap[2][PAGE_SIZE];
void vmx_bitmaps_init(void);
/* regs.c */
void vmx_setup_cr_masks(void);
u64 vmx_read_reg(struct vcpu *v, enum vreg r);
void vmx_write_reg(struct vcpu *v, enum vreg r, u64 value);
bool vmx_set_rip(struct vcpu *v, u64 rip);
/*
 * The guest's CR2. The VMCS has no field for it (SDM Vol 3C 25.4.1 lists CR0, CR3 and CR4)
 * and VM entries and exits leave the register alone, so the guest whose VMCS is loaded
 * keeps its CR2 in the real register (the hypervisor takes no page faults): no exit moves
 * it. vmx_vcpu_load swaps it with the guest it replaces.
 */
extern struct vmx_vcpu *vmx_cr2_owner;
static inline u64 vmx_cr2(struct vmx_vcpu *vv)
{
	return vv == vmx_cr2_owner ? read_cr2() : vv->cr2;
}
static inline void vmx_set_cr2(struct vmx_vcpu *vv, u64 value)
{
	vv->cr2 = value;
	if (vv == vmx_cr2_owner)
		write_cr2(value);
}
void vmx_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code);
/* intr.c */
bool vmx_interruptible(struct vcpu *v);
void vmx_inject_irq(struct vcpu *v, u8 vector);
void vmx_set_intr_window(struct vcpu *v, bool on);
/* exit.c */
void vmx_run(struct vcpu *v, struct vm_exit *exit);
/* npt.c */
u64 vmx_ept_leaf(u64 hpa, unsigned perms, bool large_2m);
u64 vmx_ept_table(u64 hpa);
void vmx_flush_tlb(struct vcpu *v);
/* run.S: 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (VMfail). */
int vmx_enter(struct vmx_vcpu *vv, u64 launched);
void vmx_exit_stub(void);

#endif
