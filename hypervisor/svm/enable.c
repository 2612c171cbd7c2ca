/*
 * The SVM backend (AMD-V): detect, enable SVM (EFER.SVME) and give the CPU its host
 * save area, report what the CPU offers (APM Vol 2 15.4 "Enabling SVM"), and the ops
 * table. The rest mirrors vmx/, file for file (svm.h).
 */
#include "cpu.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "svm.h"
#include "virt.h"
#include "x86.h"

static u64 host_save_area; /* physical address */

static bool svm_probe(const char **why)
{
	u64 vm_cr;

	if (!cpu_has_svm()) {
		*why = "the CPU has no SVM";
		return false;
	}
	/*
	 * 15.4: VM_CR.SVMDIS set means EFER.SVME cannot be set. Bochs 2.7 has no
	 * VM_CR at all (RDMSR #GPs); then nothing can have disabled SVM.
	 */
	if (!rdmsr_safe(MSR_VM_CR, &vm_cr)) {
		log_printf("svm: no VM_CR MSR (RDMSR faults), so SVM is not disabled\n");
		vm_cr = 0;
	}
	if (vm_cr & VM_CR_SVMDIS) {
		*why = "the firmware disabled SVM (VM_CR.SVMDIS is set)";
		return false;
	}
	return true;
}

static bool svm_enable(const char **why)
{
	/* Nested paging (15.25) reads its NX bit under the host's EFER.NXE; without it the
	 * bit is reserved in an NPT entry (APM Vol 2 5.6), and the VGA window is mapped no-execute (core/vm.c). */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | (cpu_has_nx() ? EFER_NXE : 0));

	/* 15.30.4: a 4 KiB aligned page; VMRUN #GPs until it is set. */
	host_save_area = page_alloc();
	if (!host_save_area) {
		*why = "no memory for the host save area";
		return false;
	}
	wrmsr(MSR_VM_HSAVE_PA, host_save_area);
	log_printf("svm: host save area at %#lx\n", host_save_area);
	return true;
}

static void svm_report_features(char *buf, size_t size)
{
	u32 rev = 0, asids = 0, ecx, edx = 0;
	size_t n = 0;

	if (boot_cpu.max_ext_leaf >= CPUID_SVM_FEATURES)
		cpuid(CPUID_SVM_FEATURES, 0, &rev, &asids, &ecx, &edx);

	n += snprintf(buf + n, size - n, "features=");
	if (edx & SVM_FEATURE_NPT)
		n += snprintf(buf + n, size - n, "npt,");
	if (edx & SVM_FEATURE_NRIPS)
		n += snprintf(buf + n, size - n, "nrips,");
	if (buf[n - 1] == ',')
		n--;
	snprintf(buf + n, size - n, " asids=%u", asids);
	log_printf("svm: revision %u, %u ASIDs, feature EDX %#x\n", rev & 0xff, asids, edx);
}

const struct virt_ops svm_ops = {
	.name = "svm",
	.probe = svm_probe,
	.enable = svm_enable,
	.report_features = svm_report_features,
	.hypercall_insn = 2, /* VMMCALL (CONTRACT.md 6) */
	.vcpu_init = svm_vcpu_init,
	.run = svm_run,
	.read_reg = svm_read_reg,
	.write_reg = svm_write_reg,
	.set_rip = svm_set_rip,
	.inject_exception = svm_inject_exception,
	.interruptible = svm_interruptible,
	.inject_irq = svm_inject_irq,
	.set_intr_window = svm_set_intr_window,
	.nmi_exits = true,
	.npt_leaf = svm_npt_leaf,
	.npt_table = svm_npt_table,
	.flush_tlb = svm_flush_tlb,
};
