/*
 * The guest CPU in its VMCB: the boot state the Multiboot spec asks for (32-bit flat
 * protected mode, paging off; spec 3.2), the intercepts, the I/O and MSR permission
 * maps, nested paging, and register access for the core. APM Vol 2 chapter 15 and
 * appendix B.
 */
#include "cpu.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "svm.h"
#include "vm.h"
#include "x86.h"

#define IOPM_PAGES 3   /* 15.10.1: 12 KiB, one bit per port, 64K ports + 3 bytes */
#define MSRPM_PAGES 2  /* 15.11: 8 KiB, two bits (read, write) per MSR */

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

/* NPT entries are long-mode page table entries (15.25.5); the U bit is required. */
#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PS BIT(7)
#define PTE_NX BIT(63)

/*
 * MSRs the guest reaches directly: VMLOAD/VMSAVE switch them (15.5.2). Writes of the ones
 * that hold an address still exit, so that the core refuses a non-canonical one with #GP
 * as hardware does (core/msr.c): QEMU's TCG takes any value.
 */
static const struct {
	u32 index;
	bool writes;
} passthrough_msrs[] = {
	{ 0x00000174, true }, { 0x00000175, true }, { 0x00000176, true }, /* SYSENTER_CS/ESP/EIP */
	{ 0xc0000081, true }, { 0xc0000082, false },                      /* STAR LSTAR */
	{ 0xc0000083, false }, { 0xc0000084, true },                      /* CSTAR SFMASK */
	{ 0xc0000100, false }, { 0xc0000101, false }, { 0xc0000102, false }, /* FS/GS/KernelGS base */
};

/* The permission maps are the same for every guest: one copy serves them all. */
static u64 iopm_pa, msrpm_pa;

/* 15.11 table 15-13: three 2 KiB blocks of MSRs, two bits each (read, then write). */
static void msrpm_allow(u8 *msrpm, u32 msr, bool writes)
{
	u32 block;

	if (msr < 0x2000)
		block = 0;
	else if (msr >= 0xc0000000 && msr < 0xc0002000)
		block = 1;
	else if (msr >= 0xc0010000 && msr < 0xc0012000)
		block = 2;
	else
		return; /* always intercepted */
	u32 bit = (msr & 0x1fff) * 2;

	msrpm[block * 0x800 + bit / 8] &= ~((writes ? 3u : 1u) << (bit % 8));
}

static bool alloc_maps(const char **why)
{
	if (iopm_pa)
		return true;
	iopm_pa = pages_alloc_contig(IOPM_PAGES, PAGE_SIZE);
	msrpm_pa = pages_alloc_contig(MSRPM_PAGES, PAGE_SIZE);
	if (!iopm_pa || !msrpm_pa) {
		*why = "no memory for the I/O and MSR permission maps";
		return false;
	}
	memset((void *)iopm_pa, 0xff, IOPM_PAGES * PAGE_SIZE);  /* every port exits... */
	for (unsigned i = 0; i < io_passthrough_count; i++)      /* ...but these (15.10.1) */
		((u8 *)iopm_pa)[io_passthrough_ports[i] / 8] &= ~(1u << (io_passthrough_ports[i] % 8));
	memset((void *)msrpm_pa, 0xff, MSRPM_PAGES * PAGE_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msrpm_allow((u8 *)msrpm_pa, passthrough_msrs[i].index, passthrough_msrs[i].writes);
	return true;
}

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

	if (!alloc_maps(why))
		return false;
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
			     INTERCEPT_MWAIT_ARMED;
	/* #GP and #DF: svm_exit.c checks that the guest can deliver them (a Bochs workaround). */
	c->intercept_exceptions = BIT(X86_VECTOR_GP) | BIT(X86_VECTOR_DF);
	/* CR4 writes are checked in the core (#GP for a reserved bit): QEMU's TCG takes any
	 * value, and VMRUN then refuses the guest state (15.5.1). */
	c->intercept_cr = INTERCEPT_CR4_WRITE;
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	/* 15.16: ASID 0 is the host's, VMRUN fails with it; one per guest keeps their TLB
	 * entries apart. */
	c->guest_asid = 1 + v->vm->id;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* 15.21.1: physical interrupts follow the host's IF (svm_run.S sets it for VMRUN, under
	 * GIF=0) and exit through the INTR intercept; the guest's IF masks virtual ones only. */
	c->v_intr = V_INTR_MASKING;
	c->np_enable = NP_ENABLE; /* 15.25.3 */
	c->n_cr3 = boot->nested_root;

	/* Multiboot 3.2 machine state: flat 4 GiB segments, CR0.PE, paging off. */
	s = &svm->vmcb->save;
	set_seg(&s->cs, BOOT_CS, ATTR_CODE32, 0xffffffff);
	set_seg(&s->ds, BOOT_DS, ATTR_DATA32, 0xffffffff);
	set_seg(&s->es, BOOT_DS, ATTR_DATA32, 0xffffffff);
	set_seg(&s->fs, BOOT_DS, ATTR_DATA32, 0xffffffff);
	set_seg(&s->gs, BOOT_DS, ATTR_DATA32, 0xffffffff);
	set_seg(&s->ss, BOOT_DS, ATTR_DATA32, 0xffffffff);
	set_seg(&s->gdtr, 0, 0, 0);
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
	log_printf("svm: VMCB at %#lx, IOPM %#lx, MSRPM %#lx, nested CR3 %#lx%s\n",
		   (u64)svm->vmcb, iopm_pa, msrpm_pa, boot->nested_root,
		   svm->nrips ? ", next-RIP saving" : ", no NRIPS: instruction lengths decoded");
	return true;
}

static u64 *save_field(struct vmcb_save *s, enum vreg r)
{
	switch (r) {
	case VREG_RIP: return &s->rip;
	case VREG_RSP: return &s->rsp;
	case VREG_RFLAGS: return &s->rflags;
	case VREG_CR0: return &s->cr0;
	case VREG_CR2: return &s->cr2;
	case VREG_CR3: return &s->cr3;
	case VREG_CR4: return &s->cr4;
	case VREG_EFER: return &s->efer;
	case VREG_CS_BASE: return &s->cs.base;
	case VREG_DS_BASE: return &s->ds.base;
	case VREG_ES_BASE: return &s->es.base;
	case VREG_SS_BASE: return &s->ss.base;
	case VREG_FS_BASE: return &s->fs.base;
	case VREG_GS_BASE: return &s->gs.base;
	case VREG_KERNEL_GS_BASE: return &s->kernel_gs_base;
	case VREG_SYSENTER_CS: return &s->sysenter_cs;
	case VREG_SYSENTER_ESP: return &s->sysenter_esp;
	case VREG_SYSENTER_EIP: return &s->sysenter_eip;
	case VREG_STAR: return &s->star;
	case VREG_LSTAR: return &s->lstar;
	case VREG_CSTAR: return &s->cstar;
	case VREG_SFMASK: return &s->sfmask;
	case VREG_PAT: return &s->g_pat;
	default: return NULL;
	}
}

u64 svm_read_reg(struct vcpu *v, enum vreg r)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	u64 *f;

	switch (r) {
	case VREG_EFER:
		return s->efer & ~EFER_SVME; /* ours, not the guest's */
	case VREG_CS_ATTR: /* the core reads the VMX access-rights layout */
		return (s->cs.attrib & 0xff) | ((u64)(s->cs.attrib & 0xf00) << 4);
	case VREG_CPL:
		return s->cpl;
	default:
		f = save_field(s, r);
		return f ? *f : 0;
	}
}

void svm_write_reg(struct vcpu *v, enum vreg r, u64 value)
{
	struct vmcb_save *s = &to_svm(v)->vmcb->save;
	u64 *f;

	if (r == VREG_EFER)
		value |= EFER_SVME;
	/* The instruction the core emulated has completed: an STI or MOV SS shadow over it
	 * is over (15.21.5). */
	if (r == VREG_RIP)
		to_svm(v)->vmcb->control.interrupt_shadow &= ~(u64)INTERRUPT_SHADOW;
	f = save_field(s, r);
	if (f)
		*f = value;
}

/* 15.20 "Event Injection". */
void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code)
{
	to_svm(v)->vmcb->control.event_inj = vector | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_VALID |
					     (has_error ? EVENTINJ_EV | ((u64)error_code << 32) : 0);
}

u64 svm_npt_leaf(u64 hpa, unsigned perms, bool large_2m)
{
	u64 e = hpa | PTE_P | PTE_US;

	if (perms & NPT_WRITE)
		e |= PTE_RW;
	if (!(perms & NPT_EXEC) && cpu_has_nx()) /* reserved without NX (svm.c) */
		e |= PTE_NX;
	if (large_2m)
		e |= PTE_PS;
	return e;
}

/* 15.16.1: the next VMRUN of this VMCB flushes the TLB (every ASID: no FlushByAsid
 * needed), after the core changed the guest's nested page tables. */
void svm_flush_tlb(struct vcpu *v)
{
	to_svm(v)->vmcb->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

u64 svm_npt_table(u64 hpa)
{
	return hpa | PTE_P | PTE_RW | PTE_US;
}
