/*
 * The VMX backend (Intel VT-x): detect, enable VMX operation with VMXON, report what
 * the CPU offers, and the ops table. The guest side lives beside this file, mirrored in
 * svm/ (vmx.h): vcpu.c sets up the VMCS, bitmaps.c what exits, run.S enters the guest,
 * exit.c decodes exits, regs.c is the guest's register view, intr.c injects, npt.c the
 * EPT entry format. Section numbers are from the SDM Vol 3C
 * editions of 2023 and later; older editions number these chapters one lower
 * (VMXON region: 25.11.5, formerly 24.11.5).
 */
#include "cpu.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "virt.h"
#include "vmx.h"
#include "x86.h"

static u64 vmxon_region; /* physical address */
struct vmx_caps vmx_caps;

static bool vmx_probe(const char **why)
{
	u64 fc;

	if (!cpu_has_vmx()) {
		*why = "the CPU has no VMX";
		return false;
	}
	/* 24.7: with the lock bit set, VMXON #GPs unless VMX outside SMX is allowed. */
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		*why = "the firmware disabled VMX (IA32_FEATURE_CONTROL locked without VMXON outside SMX)";
		return false;
	}
	return true;
}

/* Bits set in FIXED0 must be 1, bits clear in FIXED1 must be 0 (A.7, A.8). */
static u64 vmx_fixed(u64 v, u32 msr_fixed0, u32 msr_fixed1)
{
	return (v | rdmsr(msr_fixed0)) & rdmsr(msr_fixed1);
}

static bool vmx_enable(const char **why)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	u64 basic = rdmsr(MSR_IA32_VMX_BASIC);
	u8 failed;

	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}

	/* 24.8 "Restrictions on VMX Operation": CR0 and CR4 within the fixed bits. */
	write_cr0(vmx_fixed(read_cr0(), MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1));
	write_cr4(vmx_fixed(read_cr4() | X86_CR4_VMXE, MSR_IA32_VMX_CR4_FIXED0,
			    MSR_IA32_VMX_CR4_FIXED1));

	/* 25.11.5: a 4 KiB aligned VMXON region starting with the VMCS revision id (A.1). */
	vmxon_region = page_alloc();
	if (!vmxon_region) {
		*why = "no memory for the VMXON region";
		return false;
	}
	vmx_caps.basic = basic;
	vmx_caps.misc = rdmsr(MSR_IA32_VMX_MISC);
	vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	/* A.10: only there if the secondary controls allow EPT or VPID; read it lazily. */
	*(volatile u32 *)vmxon_region = basic & VMX_BASIC_REVISION_MASK;
	log_printf("vmx: revision id %#x, VMXON region at %#lx\n",
		   (u32)(basic & VMX_BASIC_REVISION_MASK), vmxon_region);

	/* 31.3 VMXON: CF=1 is VMfailInvalid, ZF=1 VMfailValid; "setna" tests CF|ZF. */
	asm volatile("vmxon %1\n\tsetna %0" : "=qm"(failed) : "m"(vmxon_region) : "cc", "memory");
	if (failed) {
		*why = "VMXON failed (CF or ZF set)";
		return false;
	}
	return true;
}

static void vmx_report_features(char *buf, size_t size)
{
	bool true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	/* A.3: the allowed-1 settings of each control are the MSR's high 32 bits. */
	u32 pin = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
				  : MSR_IA32_VMX_PINBASED_CTLS) >> 32;
	u32 proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
				   : MSR_IA32_VMX_PROCBASED_CTLS) >> 32;
	u32 proc2 = 0;
	size_t n = 0;

	if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32; /* A.3.3 */

	n += snprintf(buf + n, size - n, "features=");
	if (proc2 & SECONDARY_EXEC_ENABLE_EPT)
		n += snprintf(buf + n, size - n, "ept,");
	if (proc2 & SECONDARY_EXEC_ENABLE_VPID)
		n += snprintf(buf + n, size - n, "vpid,");
	if (proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST)
		n += snprintf(buf + n, size - n, "unrestricted,");
	if (pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		n += snprintf(buf + n, size - n, "preemption-timer,");
	if (buf[n - 1] == ',')
		buf[n - 1] = '\0';
	log_printf("vmx: pinbased allowed-1 %#x, procbased %#x, procbased2 %#x%s\n", pin, proc,
		   proc2, true_ctls ? " (TRUE_ MSRs)" : "");
}

const struct virt_ops vmx_ops = {
	.name = "vmx",
	.probe = vmx_probe,
	.enable = vmx_enable,
	.report_features = vmx_report_features,
	.hypercall_insn = 1, /* vmcall */
	.vcpu_init = vmx_vcpu_init,
	.run = vmx_run,
	.read_reg = vmx_read_reg,
	.write_reg = vmx_write_reg,
	.set_rip = vmx_set_rip,
	.inject_exception = vmx_inject_exception,
	.interruptible = vmx_interruptible,
	.inject_irq = vmx_inject_irq,
	.set_intr_window = vmx_set_intr_window,
	.npt_leaf = vmx_ept_leaf,
	.npt_table = vmx_ept_table,
	.flush_tlb = vmx_flush_tlb,
	.vcpu_load = vmx_vcpu_load,
};
