/*
 * Guest-linear to guest-physical translation through the guest's own page tables,
 * for the few places the core touches guest memory by linear address (string I/O,
 * instruction bytes). The three paging modes of SDM Vol 3A 4.3 (32-bit), 4.4 (PAE)
 * and 4.5 (4-level); APM Vol 2 5.2-5.3 describe the same. Permissions are not
 * checked: the guest's own access already passed them, or the hardware would have
 * faulted before the exit.
 */
#include "lib.h"
#include "vm.h"
#include "x86.h"

#define PTE_P BIT(0)
#define PTE_PS BIT(7)
#define PTE_ADDR 0x000ffffffffff000ULL
#define CR4_PSE BIT(4)

static bool read_entry(struct vm *vm, u64 gpa, bool wide, u64 *e)
{
	void *p = vm_gpa_to_hva(vm, gpa, wide ? 8 : 4);

	if (!p)
		return false;
	*e = wide ? *(u64 *)p : *(u32 *)p;
	return *e & PTE_P;
}

/* 32-bit paging: two levels of 4-byte entries, 4 MiB pages with CR4.PSE. A 4 MiB page's
 * PDE bits 20:13 are physical address bits 39:32 (PSE-36, SDM Vol 3A 4.3 table 4-4). */
static bool walk_32(struct vm *vm, u64 cr3, u64 cr4, u32 la, u64 *gpa)
{
	u64 pde, pte;

	if (!read_entry(vm, (cr3 & 0xfffff000) + ((la >> 22) << 2), false, &pde))
		return false;
	if ((pde & PTE_PS) && (cr4 & CR4_PSE)) {
		*gpa = ((pde >> 13 & 0xff) << 32) | (pde & 0xffc00000) | (la & 0x3fffff);
		return true;
	}
	if (!read_entry(vm, (pde & 0xfffff000) + (((la >> 12) & 0x3ff) << 2), false, &pte))
		return false;
	*gpa = (pte & 0xfffff000) | (la & 0xfff);
	return true;
}

/* PAE and 4-level paging: 8-byte entries, 9 bits a level; large pages at PS. */
static bool walk_long(struct vm *vm, u64 cr3, u64 la, bool four_level, u64 *gpa)
{
	int level = four_level ? 4 : 3;
	u64 table, e;

	if (four_level) {
		table = cr3 & PTE_ADDR;
	} else {
		/* PAE: CR3 holds the 32-byte aligned PDPT of four entries (SDM 4.4.1). */
		if (!read_entry(vm, (cr3 & 0xffffffe0) + ((la >> 30) & 3) * 8, true, &e))
			return false;
		table = e & PTE_ADDR;
		level = 2;
	}
	for (; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);

		if (!read_entry(vm, table + ((la >> shift) & 511) * 8, true, &e))
			return false;
		if (level == 1 || ((e & PTE_PS) && level <= 3)) {
			u64 mask = (1ULL << shift) - 1;

			*gpa = (e & PTE_ADDR & ~mask) | (la & mask);
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}

bool vcpu_linear_to_gpa(struct vcpu *v, u64 la, bool write, u64 *gpa)
{
	const struct virt_ops *ops = v->vm->ops;
	u64 cr0 = ops->read_reg(v, VREG_CR0), cr4, efer;

	(void)write;
	if (!(cr0 & X86_CR0_PG)) {
		*gpa = la & 0xffffffff;
		return true;
	}
	cr4 = ops->read_reg(v, VREG_CR4);
	efer = ops->read_reg(v, VREG_EFER);
	if (!(cr4 & X86_CR4_PAE))
		return walk_32(v->vm, ops->read_reg(v, VREG_CR3), cr4, (u32)la, gpa);
	return walk_long(v->vm, ops->read_reg(v, VREG_CR3), la, efer & EFER_LMA, gpa);
}

static bool copy_linear(struct vcpu *v, u64 la, void *buf, size_t len, bool write)
{
	u8 *b = buf;

	while (len) {
		size_t chunk = PAGE_SIZE - (la & (PAGE_SIZE - 1));
		u64 gpa;
		void *p;

		if (chunk > len)
			chunk = len;
		if (!vcpu_linear_to_gpa(v, la, write, &gpa))
			return false;
		p = write ? vm_gpa_to_hva_write(v->vm, gpa, chunk) :
			    vm_gpa_to_hva(v->vm, gpa, chunk);
		if (!p)
			return false;
		if (write)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		la += chunk;
		b += chunk;
		len -= chunk;
	}
	return true;
}

bool vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t len)
{
	return copy_linear(v, la, buf, len, false);
}

bool vcpu_write_linear(struct vcpu *v, u64 la, const void *buf, size_t len)
{
	return copy_linear(v, la, (void *)buf, len, true);
}
