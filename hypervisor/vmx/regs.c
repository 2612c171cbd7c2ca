/*
 * The guest's registers as the core sees them (enum vreg), and the two places where
 * VMX makes the backend keep registers consistent itself:
 *
 * - CR0 and CR4 must satisfy the VMX fixed bits while the guest runs (27.3.1.1, A.7, A.8),
 *   which the guest never chose (CR0.NE, CR4.VMXE). Those bits are "owned by the host"
 *   in the guest/host masks (25.6.6): the guest reads them from the read shadows, and a
 *   MOV that changes one exits (26.1.3), to be emulated here. All other bits, PG and
 *   PAE included, the guest writes directly, without exits.
 * - EFER.LMA and the "IA-32e mode guest" entry control must agree (27.3.1.1). A guest
 *   that sets CR0.PG with EFER.LME enters long mode by itself; the next VM exit then
 *   stores LMA into the control (28.3, given IA32_VMX_MISC bit 5, A.6). Without that
 *   capability CR0.PG is host-owned too, and the exit handler here does it.
 */
#include "log.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"

static u64 cr0_mask, cr4_mask;

/* Bits that must be 1 and bits that must be 0 while the guest runs (A.7, A.8). */
static u64 cr0_must1(void)
{
	/* 27.3.1.1: with "unrestricted guest", PE and PG may be 0. */
	return vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
}

static u64 cr0_must0(void) { return ~vmx_caps.cr0_fixed1 & 0xffffffffULL; }
static u64 cr4_must1(void) { return vmx_caps.cr4_fixed0; }
static u64 cr4_must0(void) { return ~vmx_caps.cr4_fixed1 & 0xffffffffULL; }

void vmx_setup_cr_masks(void)
{
	cr0_mask = cr0_must1() | cr0_must0();
	if (!(vmx_caps.misc & VMX_MISC_STORE_LMA))
		cr0_mask |= X86_CR0_PG;
	cr4_mask = cr4_must1() | cr4_must0();
	vmcs_write(CR0_GUEST_HOST_MASK, cr0_mask);
	vmcs_write(CR4_GUEST_HOST_MASK, cr4_mask);
}

/* EFER.LMA = EFER.LME && CR0.PG, and the entry control with it (27.3.1.1). */
static void sync_long_mode(void)
{
	u64 efer = vmcs_read(GUEST_IA32_EFER) & ~EFER_LMA;
	u64 entry = vmcs_read(VM_ENTRY_CONTROLS) & ~VM_ENTRY_IA32E_MODE;

	if ((efer & EFER_LME) && (vmcs_read(GUEST_CR0) & X86_CR0_PG)) {
		efer |= EFER_LMA;
		entry |= VM_ENTRY_IA32E_MODE;
	}
	vmcs_write(GUEST_IA32_EFER, efer);
	vmcs_write(VM_ENTRY_CONTROLS, entry);
}

/* 25.6.6: host-owned bits read from the shadow, the others from the register. */
static u64 guest_view(u64 field, u64 shadow_field, u64 mask)
{
	return (vmcs_read(field) & ~mask) | (vmcs_read(shadow_field) & mask);
}

/*
 * 29.4.3.3 / SDM Vol 2C INVVPID: drop the guest's linear translations (tagged with its
 * VPID) after a paging change the CPU did not see, as MOV to CR0 would have (4.10.4.1).
 */
static void flush_guest_tlb(void)
{
	struct {
		u64 vpid, linear;
	} desc = { vmcs_read(VIRTUAL_PROCESSOR_ID), 0 };
	u64 type;

	if (!(vmx_caps.ept_vpid & VPID_CAP_INVVPID))
		return;
	if (vmx_caps.ept_vpid & VPID_CAP_SINGLE_CONTEXT)
		type = 1;
	else if (vmx_caps.ept_vpid & VPID_CAP_ALL_CONTEXT)
		type = 2;
	else
		return;
	asm volatile("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

static void write_guest_cr0(u64 value)
{
	u64 old = vmcs_read(GUEST_CR0);

	vmcs_write(CR0_READ_SHADOW, value);
	vmcs_write(GUEST_CR0, (value | cr0_must1()) & ~cr0_must0());
	if ((old ^ value) & X86_CR0_PG) {
		sync_long_mode();
		flush_guest_tlb();
	}
}

u64 vmx_read_reg(struct vcpu *v, enum vreg r)
{
	struct vmx_vcpu *vv = v->arch;

	switch (r) {
	case VREG_RIP: return vmcs_read(GUEST_RIP);
	case VREG_RSP: return vmcs_read(GUEST_RSP);
	case VREG_RFLAGS: return vmcs_read(GUEST_RFLAGS);
	case VREG_CR0: return guest_view(GUEST_CR0, CR0_READ_SHADOW, cr0_mask);
	case VREG_CR2: return vmx_cr2(vv);
	case VREG_CR3: return vmcs_read(GUEST_CR3);
	case VREG_CR4: return guest_view(GUEST_CR4, CR4_READ_SHADOW, cr4_mask);
	case VREG_EFER: return vmcs_read(GUEST_IA32_EFER);
	case VREG_CS_BASE: return vmcs_read(GUEST_CS_BASE);
	case VREG_DS_BASE: return vmcs_read(GUEST_DS_BASE);
	case VREG_ES_BASE: return vmcs_read(GUEST_ES_BASE);
	case VREG_SS_BASE: return vmcs_read(GUEST_SS_BASE);
	case VREG_FS_BASE: return vmcs_read(GUEST_FS_BASE);
	case VREG_GS_BASE: return vmcs_read(GUEST_GS_BASE);
	case VREG_CS_ATTR: return vmcs_read(GUEST_CS_AR_BYTES); /* the core reads this layout */
	/* SDM Vol 3A 5.5: CPL is CS.RPL; 27.3.1.2 keeps SS.DPL equal to it. */
	case VREG_CPL: return (vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3;
	case VREG_SYSENTER_CS: return vmcs_read(GUEST_SYSENTER_CS);
	case VREG_SYSENTER_ESP: return vmcs_read(GUEST_SYSENTER_ESP);
	case VREG_SYSENTER_EIP: return vmcs_read(GUEST_SYSENTER_EIP);
	case VREG_PAT: return vmcs_read(GUEST_IA32_PAT);
	/*
	 * Not in the VMCS: VM entries and exits leave them alone, and the hypervisor itself
	 * uses none of them (no SYSCALL, no SWAPGS), so the real MSRs hold the guest's values.
	 */
	case VREG_KERNEL_GS_BASE: return rdmsr(MSR_KERNEL_GS_BASE);
	case VREG_STAR: return rdmsr(MSR_STAR);
	case VREG_LSTAR: return rdmsr(MSR_LSTAR);
	case VREG_CSTAR: return rdmsr(MSR_CSTAR);
	case VREG_SFMASK: return rdmsr(MSR_SFMASK);
	case VREG_COUNT: break;
	}
	return 0;
}

bool vmx_set_rip(struct vcpu *v, u64 rip)
{
	u64 intr;

	(void)v;
	vmcs_write(GUEST_RIP, rip);
	/* The instruction the core emulated has completed: its STI or MOV SS shadow is over
	 * (table 25-3), or the next entry's checks may refuse it (27.3.1.5). */
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	return true;
}

void vmx_write_reg(struct vcpu *v, enum vreg r, u64 value)
{
	struct vmx_vcpu *vv = v->arch;

	switch (r) {
	case VREG_RIP:
		vmx_set_rip(v, value);
		break;
	case VREG_RSP: vmcs_write(GUEST_RSP, value); break;
	case VREG_RFLAGS: vmcs_write(GUEST_RFLAGS, value); break;
	case VREG_CR0: write_guest_cr0(value); break;
	case VREG_CR2: vmx_set_cr2(vv, value); break;
	case VREG_CR3: vmcs_write(GUEST_CR3, value); break;
	case VREG_CR4:
		vmcs_write(CR4_READ_SHADOW, value);
		vmcs_write(GUEST_CR4, (value | cr4_must1()) & ~cr4_must0());
		break;
	case VREG_EFER:
		vmcs_write(GUEST_IA32_EFER, value);
		sync_long_mode();
		break;
	case VREG_CS_BASE: vmcs_write(GUEST_CS_BASE, value); break;
	case VREG_DS_BASE: vmcs_write(GUEST_DS_BASE, value); break;
	case VREG_ES_BASE: vmcs_write(GUEST_ES_BASE, value); break;
	case VREG_SS_BASE: vmcs_write(GUEST_SS_BASE, value); break;
	case VREG_FS_BASE: vmcs_write(GUEST_FS_BASE, value); break;
	case VREG_GS_BASE: vmcs_write(GUEST_GS_BASE, value); break;
	case VREG_CS_ATTR: vmcs_write(GUEST_CS_AR_BYTES, value); break;
	case VREG_CPL: break; /* follows from CS and SS; nothing sets it alone */
	case VREG_SYSENTER_CS: vmcs_write(GUEST_SYSENTER_CS, value); break;
	case VREG_SYSENTER_ESP: vmcs_write(GUEST_SYSENTER_ESP, value); break;
	case VREG_SYSENTER_EIP: vmcs_write(GUEST_SYSENTER_EIP, value); break;
	case VREG_PAT: vmcs_write(GUEST_IA32_PAT, value); break;
	case VREG_KERNEL_GS_BASE: wrmsr(MSR_KERNEL_GS_BASE, value); break;
	case VREG_STAR: wrmsr(MSR_STAR, value); break;
	case VREG_LSTAR: wrmsr(MSR_LSTAR, value); break;
	case VREG_CSTAR: wrmsr(MSR_CSTAR, value); break;
	case VREG_SFMASK: wrmsr(MSR_SFMASK, value); break;
	case VREG_COUNT: break;
	}
}

/* SDM Vol 3A table 6-1: the exceptions that push an error code. */
static bool exception_has_error_code(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/*
 * 25.8.3 / 27.6: the VM-entry interruption-information field delivers the exception
 * through the guest's IDT on the next entry. 27.2.1.3 fixes whether an error code goes
 * with it: exactly for the vectors that have one, and never while CR0.PE=0 (real mode).
 */
void vmx_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error_code)
{
	u32 info = vector | (INTR_TYPE_HW_EXCEPTION << INTR_INFO_TYPE_SHIFT) | INTR_INFO_VALID;

	(void)has_error;
	if (exception_has_error_code(vector) && (vmx_read_reg(v, VREG_CR0) & X86_CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
}
