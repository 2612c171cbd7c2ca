/*
 * Setting up the VMCS for the boot state (SDM Vol 3C chapter 25 "Virtual Machine
 * Control Structures"): controls checked against the capability MSRs, the host state
 * a VM exit loads, and the guest state of struct vcpu_boot. Every value that a VM-entry
 * check constrains names the check (27.2 controls and host state, 27.3 guest state).
 */
#include "desc.h"
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "mem.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vm.h"
#include "vmx.h"
#include "x86.h"

struct vmx_vcpu *vmx_cr2_owner;

void vmcs_write_failed(u64 field, u64 value)
{
	log_printf("vmx: VMWRITE of field %#lx = %#lx failed (VM-instruction error %lu)\n",
		   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

/*
 * A.3-A.5: bits 31:0 of a capability MSR are the allowed-0 settings (must be 1), bits
 * 63:32 the allowed-1 settings. The TRUE_ MSRs (IA32_VMX_BASIC bit 55) let the
 * "default1" controls be 0 (A.2), e.g. CR3-load/store exiting, which EPT makes useless.
 */
static bool adjust_controls(const char *name, u32 want, u32 msr, u32 *out, const char **why)
{
	u64 cap = rdmsr(msr);
	u32 allowed0 = (u32)cap, allowed1 = cap >> 32;

	if (want & ~allowed1) {
		log_printf("vmx: %s controls %#x not supported (allowed-1 %#x)\n", name,
			   want & ~allowed1, allowed1);
		*why = "the CPU lacks a VMX control the backend needs (see the log)";
		return false;
	}
	*out = (want | allowed0) & allowed1;
	return true;
}

#define PREEMPT_SLICE_MS 2

static bool setup_controls(struct vmx_vcpu *vv, const char **why)
{
	bool true_ctls = vmx_caps.basic & VMX_BASIC_TRUE_CTLS;
	u32 pin, proc, proc2, exit, entry;

	/*
	 * 25.6.1: external interrupts exit whatever the guest's RFLAGS.IF (26.2), so the
	 * hypervisor's timer, keyboard and COM1 interrupts reach it while the guest runs. They
	 * are not acknowledged on exit (VM-exit control bit 15 stays 0, 28.2.2): the real PIC
	 * holds them until core/run.c opens a window with STI.
	 */
	u32 pin_msr = true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS;
	/*
	 * 25.5.1 / 26.5.1: the VMX-preemption timer, where the CPU has it, bounds each stay in
	 * the guest to PREEMPT_SLICE_MS whatever the guest does: the runaway guard of
	 * watchdog= (CONTRACT.md 2). External interrupts would do on hardware, but Bochs
	 * keeps INTR masked in a guest entered with RFLAGS.IF=0 until the guest changes IF.
	 */
	u32 timer = (rdmsr(pin_msr) >> 32) & PIN_BASED_VMX_PREEMPTION_TIMER;
	/* 25.6.2 table 25-7: without "enable RDTSCP" RDTSCP raises #UD in the guest, so the
	 * core's CPUID hides it where the CPU lacks the control (v->rdtscp). */
	u32 rdtscp = (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & SECONDARY_EXEC_ENABLE_RDTSCP;
	/* The same for INVPCID (table 25-7, "enable INVPCID"): Linux flushes its TLB with it
	 * where CPUID says so, and a #UD there panics it. */
	u32 invpcid = (rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & SECONDARY_EXEC_ENABLE_INVPCID;

	if (!adjust_controls("pin-based", PIN_BASED_EXT_INTR_MASK | timer, pin_msr, &pin, why) ||
	    /* Interrupt-window exiting (25.6.2) is only checked for here; intr.c sets it. */
	    !adjust_controls("primary processor-based",
			     CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS |
				     CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
				     CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_INTR_WINDOW_EXITING |
				     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			     true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
				       : MSR_IA32_VMX_PROCBASED_CTLS, &proc, why) ||
	    /* A.3.3: the secondary controls have no TRUE_ MSR; their allowed-0 bits are 0. */
	    !adjust_controls("secondary processor-based",
			     SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
				     SECONDARY_EXEC_UNRESTRICTED_GUEST | rdtscp | invpcid,
			     MSR_IA32_VMX_PROCBASED_CTLS2, &proc2, why) ||
	    /* 27.2.1.2 / 27.2.4: a 64-bit host needs "host address-space size". */
	    !adjust_controls("VM-exit",
			     VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_PAT |
				     VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER |
				     VM_EXIT_LOAD_IA32_EFER,
			     true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			     &exit, why) ||
	    /* IA-32e mode guest stays 0 at boot: the guest starts in 32-bit protected mode. */
	    !adjust_controls("VM-entry", VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER,
			     true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			     &entry, why))
		return false;

	proc &= ~(u32)CPU_BASED_INTR_WINDOW_EXITING;
	vv->proc = proc;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, pin);
	if (timer) {
		/* Not saved on exit (VM-exit control bit 22 is 0): every entry starts a slice. */
		u64 ticks = tsc_khz * PREEMPT_SLICE_MS >>
			    (vmx_caps.misc & VMX_MISC_PREEMPTION_RATE_MASK);

		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffff ? 0xffffffff : ticks);
	}
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmcs_write(VM_EXIT_CONTROLS, exit);
	vmcs_write(VM_ENTRY_CONTROLS, entry & ~(u32)VM_ENTRY_IA32E_MODE);
	log_printf("vmx: controls pin %#x proc %#x proc2 %#x exit %#x entry %#x\n", pin, proc,
		   proc2, exit, entry);

	vmcs_write(EXCEPTION_BITMAP, 0);       /* 25.6.3: the guest handles its own faults */
	vmcs_write(CR3_TARGET_COUNT, 0);       /* 27.2.1.1: at most 4 */
	vmx_bitmaps_init();
	vmcs_write(MSR_BITMAP, (u64)vmx_msr_bitmap);   /* 27.2.1.1: 4 KiB aligned */
	vmcs_write(IO_BITMAP_A, (u64)vmx_io_bitmap[0]); /* 27.2.1.1: 4 KiB aligned */
	vmcs_write(IO_BITMAP_B, (u64)vmx_io_bitmap[1]);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0); /* nothing to inject (25.8.3) */
	return true;
}

/* 25.6.11, 27.2.1.1: EPT pointer, with a walk length and memory type the CPU has (A.10). */
static bool setup_ept(struct vmx_vcpu *vv, u64 root, const char **why)
{
	vmx_caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(vmx_caps.ept_vpid & EPT_CAP_WALK_4) || !(vmx_caps.ept_vpid & EPT_CAP_WB)) {
		*why = "EPT lacks a 4-level walk or the write-back type";
		return false;
	}
	if (!(vmx_caps.ept_vpid & EPT_CAP_2M))
		log_printf("vmx: warning: EPT has no 2 MiB pages, large leaves will misconfigure\n");
	vv->eptp = root | EPTP_WALK_4 | EPTP_MEMTYPE_WB;
	vmcs_write(EPT_POINTER, vv->eptp);
	return true;
}

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

/* The base of the 16-byte system descriptor at sel (SDM Vol 3A 8.2.3, figure 8-4). */
static u64 system_desc_base(u64 gdt, u16 sel)
{
	const u64 *d = (const u64 *)(gdt + (sel & ~7));

	return ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
}

/* 25.5, checked by 27.2.2-27.2.4: what a VM exit loads: the hypervisor as it runs now. */
static void setup_host_state(struct vmx_vcpu *vv)
{
	struct desc_ptr gdtr, idtr;
	u64 *stack_top;

	asm volatile("sgdt %0" : "=m"(gdtr));
	asm volatile("sidt %0" : "=m"(idtr));

	/* 27.2.2: CR0/CR4 satisfy the VMX fixed bits already (enable.c); CR4.PAE set. */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, read_cr3());
	vmcs_write(HOST_CR4, read_cr4());
	/* 27.2.3: selectors with RPL 0 and TI 0; CS and TR not null, SS not null in 64 bits. */
	vmcs_write(HOST_CS_SELECTOR, SEL_CODE64);
	vmcs_write(HOST_SS_SELECTOR, SEL_DATA);
	vmcs_write(HOST_DS_SELECTOR, SEL_DATA);
	vmcs_write(HOST_ES_SELECTOR, SEL_DATA);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, SEL_TSS);
	/* 27.2.3: bases canonical. */
	vmcs_write(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_write(HOST_TR_BASE, system_desc_base(gdtr.base, SEL_TSS));
	vmcs_write(HOST_GDTR_BASE, gdtr.base);
	vmcs_write(HOST_IDTR_BASE, idtr.base);
	/* 27.2.2: SYSENTER_ESP/EIP canonical; PAT valid; EFER.LMA = LME = 1 for a 64-bit host. */
	vmcs_write(HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(HOST_IA32_EFER, rdmsr(MSR_EFER));

	/* The exit stub's stack: its top word tells the stub which vCPU exited. */
	stack_top = (u64 *)(vv->exit_stack + PAGE_SIZE - 16);
	*stack_top = (u64)vv;
	vmcs_write(HOST_RSP, (u64)stack_top);
	vmcs_write(HOST_RIP, (u64)vmx_exit_stub);
}

static void setup_segment(u64 sel_field, u16 sel, u64 base, u32 limit, u32 ar)
{
	/* The selector, base, limit and access-rights fields are at the same offsets. */
	vmcs_write(sel_field, sel);
	vmcs_write(GUEST_ES_BASE + (sel_field - GUEST_ES_SELECTOR), base);
	vmcs_write(GUEST_ES_LIMIT + (sel_field - GUEST_ES_SELECTOR), limit);
	vmcs_write(GUEST_ES_AR_BYTES + (sel_field - GUEST_ES_SELECTOR), ar);
}

/*
 * 25.4, checked by 27.3.1: the state Multiboot promises a kernel (Multiboot
 * Specification 3.2): 32-bit flat protected mode, paging off, interrupts off.
 */
static void setup_guest_state(struct vcpu *v, const struct vcpu_boot *boot)
{
	/*
	 * 27.3.1.2, 32-bit flat segments: CS type 11 (execute/read, accessed), data type 3
	 * (read/write, accessed); S=1, P=1, DPL 0; D/B=1; G=1 because limit bits 31:20 are set.
	 */
	const u32 code_ar = 0xc09b, data_ar = 0xc093;
	const u16 cs = boot->cs ? boot->cs : 0x08, ds = boot->ds ? boot->ds : 0x10;

	setup_segment(GUEST_CS_SELECTOR, cs, 0, 0xffffffff, code_ar);
	setup_segment(GUEST_SS_SELECTOR, ds, 0, 0xffffffff, data_ar);
	setup_segment(GUEST_DS_SELECTOR, ds, 0, 0xffffffff, data_ar);
	setup_segment(GUEST_ES_SELECTOR, ds, 0, 0xffffffff, data_ar);
	setup_segment(GUEST_FS_SELECTOR, ds, 0, 0xffffffff, data_ar);
	setup_segment(GUEST_GS_SELECTOR, ds, 0, 0xffffffff, data_ar);
	/* 27.3.1.2: TR must be usable, a busy 32-bit TSS (type 11) outside IA-32e mode, S=0,
	 * P=1; G=0 as limit bits 31:20 are clear. LDTR may be unusable. */
	setup_segment(GUEST_TR_SELECTOR, 0, 0, 0xff, 0x8b);
	setup_segment(GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	/* 27.3.1.3: limits fit in 16 bits. */
	vmcs_write(GUEST_GDTR_BASE, boot->gdtr_limit ? boot->gdtr_base : 0);
	vmcs_write(GUEST_GDTR_LIMIT, boot->gdtr_limit ? boot->gdtr_limit : 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	/*
	 * 27.3.1.1: CR0/CR4 within the fixed bits, except that "unrestricted guest" lets PE
	 * and PG be 0. The guest/host masks and read shadows (25.6.6) hide the bits the
	 * guest did not choose (CR0.NE, CR4.VMXE): regs.c keeps them consistent.
	 */
	vmx_setup_cr_masks();
	vmx_write_reg(v, VREG_CR0, X86_CR0_PE | X86_CR0_ET);
	vmx_write_reg(v, VREG_CR4, 0);
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_DR7, 0x400);          /* 27.3.1.1: bits 63:32 zero; reset value */
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);    /* loaded if the CPU forces "load debug controls" */
	vmcs_write(GUEST_IA32_PAT, PAT_POWER_ON_DEFAULT); /* 27.3.1.1: valid memory types */
	/* 27.3.1.1: EFER.LMA = "IA-32e mode guest" = 0, LME = 0. */
	vmx_write_reg(v, VREG_EFER, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);     /* 27.3.1.1: canonical */
	vmcs_write(GUEST_SYSENTER_EIP, 0);

	/* 27.3.1.4: RFLAGS bit 1 set, reserved bits clear; IF clear as Multiboot says. */
	vmcs_write(GUEST_RFLAGS, 0x2);
	vmcs_write(GUEST_RIP, boot->eip);
	vmcs_write(GUEST_RSP, boot->esp);
	/* 27.3.1.5: active, nothing blocked, no pending debug exceptions. */
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);  /* 27.3.1.5: no shadow VMCS */

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rax = boot->eax;
	v->regs.rbx = boot->ebx;
	v->regs.rsi = boot->esi;
}

/* Several guests: the next VMRESUME/VMLAUNCH enters v (25.11.3; its launch state stays). */
void vmx_vcpu_load(struct vcpu *v)
{
	struct vmx_vcpu *vv = v->arch;
	u8 failed;

	asm volatile("vmptrld %1\n\tsetna %0" : "=qm"(failed) : "m"(vv->vmcs) : "cc", "memory");
	if (failed)
		panic("vmx: VMPTRLD of guest %d's VMCS failed", v->vm->id);
	if (vmx_cr2_owner != vv) {
		if (vmx_cr2_owner)
			vmx_cr2_owner->cr2 = read_cr2();
		write_cr2(vv->cr2);
		vmx_cr2_owner = vv;
	}
}

bool vmx_vcpu_init(struct vcpu *v, const struct vcpu_boot *boot, const char **why)
{
	struct vmx_vcpu *vv = (struct vmx_vcpu *)page_alloc();
	u8 failed;

	if (!vv || !(vv->vmcs = page_alloc()) || !(vv->exit_stack = page_alloc())) {
		*why = "no memory for the VMCS";
		return false;
	}
	vv->regs = &v->regs;
	v->arch = vv;

	/* 25.2: the VMCS region starts with the revision identifier (A.1), bit 31 clear. */
	*(volatile u32 *)vv->vmcs = vmx_caps.basic & VMX_BASIC_REVISION_MASK;
	/* 25.11.3: VMCLEAR initializes the region and sets its launch state to "clear". */
	asm volatile("vmclear %1\n\tsetna %0" : "=qm"(failed) : "m"(vv->vmcs) : "cc", "memory");
	if (failed) {
		*why = "VMCLEAR failed";
		return false;
	}
	asm volatile("vmptrld %1\n\tsetna %0" : "=qm"(failed) : "m"(vv->vmcs) : "cc", "memory");
	if (failed) {
		*why = "VMPTRLD failed";
		return false;
	}

	if (!setup_controls(vv, why) || !setup_ept(vv, boot->nested_root, why))
		return false;
	v->rdtscp = vmcs_read(SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC_ENABLE_RDTSCP;
	v->invpcid = vmcs_read(SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC_ENABLE_INVPCID;
	/* 27.2.1.1: not 0 with VPID on; one per guest, so that their TLB entries stay apart. */
	vmcs_write(VIRTUAL_PROCESSOR_ID, VPID_FIRST_GUEST + v->vm->id);
	setup_host_state(vv);
	setup_guest_state(v, boot);
	log_printf("vmx: VMCS at %#lx, EPTP %#lx, guest entry %#x\n", vv->vmcs,
		   vmcs_read(EPT_POINTER), boot->eip);
	return true;
}
