/*
 * Nested paging's entry format (APM Vol 2 15.25.5: long-mode page table entries) and its
 * TLB flush; the core builds the tables (core/mem.c).
 */
#include "cpu.h"
#include "svm.h"
#include "vcpu.h"

/* NPT entries are long-mode page table entries (15.25.5); the U bit is required. */
#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PS BIT(7)
#define PTE_NX BIT(63)

u64 svm_npt_leaf(u64 hpa, unsigned perms, bool large_2m)
{
	u64 e = hpa | PTE_P | PTE_US;

	if (perms & NPT_WRITE)
		e |= PTE_RW;
	if (!(perms & NPT_EXEC) && cpu_has_nx()) /* reserved without NX (enable.c) */
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
