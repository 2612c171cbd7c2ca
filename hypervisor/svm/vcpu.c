/*
 * The guest CPU in its VMCB: the boot state the Multiboot spec asks for (32-bit flat
 * protected mode, paging off; spec 3.2) and the intercepts. APM Vol 2 chapter 15 and
 * appendix B. The permission maps are in bitmaps.c, register access in regs.c, nested
 * paging in npt.c.
 */
#include "cpu.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "svm.h"
#include "vm.h"
#include "x86.h"

/* Segment attributes in the VMCB's packed form: descriptor bits 47:40 and 55:52. */
#define ATTR_CODE32 0xc9b  /* G, D, P, S, type 0xB execute/read accessed */
#define ATTR_DATA32 0xc93  /* G, D/B, P, S, type 0x3 read/write accessed */
#define ATTR_TSS32_BUSY 0x08b
#define ATTR_LDT 0x082
#define BOOT_CS 0x08
#define BOOT_DS 0x10

#define PAT_POWER_ON 0x0007040600070406ULL /* SDM Vol 3A 13.12.4 / APM Vol 2 7.8.2 */
#define DR6_INIT 0xffff0ff0
#define DR7_INIT 0x400
#define RFLAGS_FIXED 0x2
#define CR0_ET BIT(4)


static void set_seg(struct vmcb_seg *s, u16 sel, u16 attrib, u32 limit)
{
	*s = (struct vmcb_seg){ .selector = sel, .attrib = attrib, .limit = limit, .base = 0 };
}

bool svm_vcpu_init(struct vcpu *v, const struct vcpu_boot *boot, const char **why)
{
	struct svm_vcpu *svm;
	struct vmcb_control *c;
	struct vmcb_save *s;
	u32 a, b = 0, cx, d = 0;
	const u16 cs = boot->cs ? boot->cs : BOOT_CS, ds = boot->ds ? boot->ds : BOOT_DS;

	if (!svm_bitmaps_init(why))
		return false;
	v->rdtscp = cpu_has_rdtscp(); /* not intercepted: it runs where the CPU has it */
	v->invpcid = true;            /* not intercepted either: CPUID says whether it is there */
	svm = (struct svm_vcpu *)page_alloc();
	if (!svm) {
		*why = "no memory for the vCPU";
		return false;
	}
	svm->vmcb = (struct vmcb *)page_alloc();
	svm->host_vmcb_pa = page_alloc();
	if (!svm->vmcb || !svm->host_vmcb_pa) {
		*why = "no memory for the VMCB";
		return false;
	}
	/* The host's FS, GS, TR, LDTR and syscall MSRs do not change once guests run: saved
	 * here once, not before each VMRUN (KVM too saves them once per vcpu_load). */
	asm volatile("vmsave" : : "a"(svm->host_vmcb_pa) : "memory");
	if (boot_cpu.max_ext_leaf >= CPUID_SVM_FEATURES)
		cpuid(CPUID_SVM_FEATURES, 0, &a, &b, &cx, &d);
	svm->nrips = d & SVM_FEATURE_NRIPS;
	if ((u32)v->vm->id + 1 >= b) {
		*why = "the CPU has too few ASIDs for this many guests";
		return false;
	}
	v->arch = svm;

	c = &svm->vmcb->control;
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_CPUID | INTERCEPT_HLT |
			     INTERCEPT_INVLPGA | INTERCEPT_IOIO_PROT | INTERCEPT_MSR_PROT |
			     INTERCEPT_SHUTDOWN | INTERCEPT_INVD;
	/* The SVM instructions would work for a guest with EFER.SVME, MONITOR and MWAIT
	 * anyway: they #UD instead, as CPUID tells the guest (core/run.c). */
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD |
			     INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI |
			     INTERCEPT_SKINIT | INTERCEPT_MONITOR | INTERCEPT_MWAIT |
			     INTERCEPT_MWAIT_ARMED |
			     /* XCR0 is switched per guest and checked by the core (core/xcr.c) */
			     INTERCEPT_XSETBV;
	/* #GP and #DF: exit.c checks that the guest can deliver them (a Bochs workaround). */
	c->intercept_exceptions = BIT(X86_VECTOR_GP) | BIT(X86_VECTOR_DF);
	/* CR4 writes are checked in the core (#GP for a reserved bit): QEMU's TCG takes any
	 * value, and VMRUN then refuses the guest state (15.5.1). */
	c->intercept_cr = INTERCEPT_CR4_WRITE;
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	/* 15.16: ASID 0 is the host's, VMRUN fails with it; one per guest keeps their TLB
	 * entries apart. */
	c->guest_asid = 1 + v->vm->id;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* 15.21.1: physical interrupts follow the host's IF (run.S sets it for VMRUN, under
	 * GIF=0) and exit through the INTR intercept; the guest's IF masks virtual ones only. */
	c->v_intr = V_INTR_MASKING;
	c->np_enable = NP_ENABLE; /* 15.25.3 */
	c->n_cr3 = boot->nested_root;

	/* Multiboot 3.2 machine state: flat 4 GiB segments, CR0.PE, paging off (Linux's
	 * 32-bit boot protocol: the same, with its own selectors and GDT). */
	s = &svm->vmcb->save;
	set_seg(&s->cs, cs, ATTR_CODE32, 0xffffffff);
	set_seg(&s->ds, ds, ATTR_DATA32, 0xffffffff);
	set_seg(&s->es, ds, ATTR_DATA32, 0xffffffff);
	set_seg(&s->fs, ds, ATTR_DATA32, 0xffffffff);
	set_seg(&s->gs, ds, ATTR_DATA32, 0xffffffff);
	set_seg(&s->ss, ds, ATTR_DATA32, 0xffffffff);
	set_seg(&s->gdtr, 0, 0, boot->gdtr_limit);
	s->gdtr.base = boot->gdtr_base;
	set_seg(&s->idtr, 0, 0, 0);
	set_seg(&s->tr, 0, ATTR_TSS32_BUSY, 0x67);
	set_seg(&s->ldtr, 0, ATTR_LDT, 0xffff);
	s->cpl = 0;
	s->efer = EFER_SVME; /* 15.5.1: VMRUN checks that the guest's EFER.SVME is set */
	s->cr0 = X86_CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = DR6_INIT;
	s->dr7 = DR7_INIT;
	s->rflags = RFLAGS_FIXED;
	s->rip = boot->eip;
	s->rsp = boot->esp;
	s->rax = boot->eax;
	s->g_pat = PAT_POWER_ON; /* 15.25.8: the guest's PAT under nested paging */

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rax = boot->eax;
	v->regs.rbx = boot->ebx;
	v->regs.rsi = boot->esi;
	log_printf("svm: VMCB at %#lx, IOPM %#lx, MSRPM %#lx, nested CR3 %#lx%s\n",
		   (u64)svm->vmcb, svm_iopm_pa, svm_msrpm_pa, boot->nested_root,
		   svm->nrips ? ", next-RIP saving" : ", no NRIPS: instruction lengths decoded");
	return true;
}
