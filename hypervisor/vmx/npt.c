/*
 * Extended page table entry formats (SDM Vol 3C 29.3.2, tables 29-1 to 29-6). The core
 * builds and walks the 4-level tables (core/vm.c); this file only says what an entry
 * looks like. The EPT pointer itself is set up in vcpu.c.
 */
#include "log.h"
#include "run_end.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

#define EPT_ADDR_MASK 0x000ffffffffff000ULL /* bits 51:12 (N-1:12 of the walk) */
#define EPT_ADDR_MASK_2M 0x000fffffffe00000ULL

/*
 * A page: the permissions the core asks for, memory type WB (29.3.7: an EPT leaf gives
 * the type in bits 5:3) with the guest's PAT ignored (bit 6), so guest RAM is always
 * write-back; bit 7 makes a page-directory entry a 2 MiB page (table 29-4).
 * A writable page without read permission is an EPT misconfiguration (29.3.3.1):
 * the core never asks for one.
 */
u64 vmx_ept_leaf(u64 hpa, unsigned perms, bool large_2m)
{
	u64 e = (large_2m ? hpa & EPT_ADDR_MASK_2M : hpa & EPT_ADDR_MASK) | EPT_MEMTYPE_WB |
		EPT_IGNORE_PAT;

	if (perms & NPT_READ)
		e |= EPT_READ;
	if (perms & NPT_WRITE)
		e |= EPT_WRITE;
	if (perms & NPT_EXEC)
		e |= EPT_EXEC;
	if (large_2m)
		e |= EPT_LARGE_PAGE;
	return e;
}

/* A table: R/W/X all allowed, the leaf decides (tables 29-1 to 29-3, 29-5). */
u64 vmx_ept_table(u64 hpa)
{
	return (hpa & EPT_ADDR_MASK) | EPT_READ | EPT_WRITE | EPT_EXEC;
}

/*
 * SDM Vol 2C INVEPT, Vol 3C 29.4.3.1: after the core changed an entry of v's tables, drop
 * the guest-physical and combined mappings the TLB holds from its EPT pointer. A CPU with
 * EPT but no INVEPT of either type cannot take the change.
 */
void vmx_flush_tlb(struct vcpu *v)
{
	struct vmx_vcpu *vv = v->arch;
	struct {
		u64 eptp, reserved;
	} desc = { vv->eptp, 0 };
	u64 type;

	if ((vmx_caps.ept_vpid & EPT_CAP_INVEPT) && (vmx_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE))
		type = 1;
	else if ((vmx_caps.ept_vpid & EPT_CAP_INVEPT) && (vmx_caps.ept_vpid & EPT_CAP_INVEPT_ALL))
		type = 2;
	else
		panic("vmx: the CPU has no INVEPT to flush guest %d's EPT mappings", v->vm->id);
	asm volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}
