// Paging (32-bit, 4 KiB pages; SDM Vol. 3A, 4.3). The kernel sees physical
// memory identity-mapped below KERNEL_MEM_LIMIT; each program gets its own
// page directory that shares those kernel tables and adds user pages above.
#include "kernel.h"
#include "mmu.h"
#include "x86.h"

#define KERNEL_PDES (KERNEL_MEM_LIMIT >> 22)

static uint32_t *kernel_pd;

static uint32_t *pte_for(uint32_t *pd, uint32_t va, bool create, uint32_t pde_flags)
{
    uint32_t *pde = &pd[PD_INDEX(va)];
    if (!(*pde & PTE_PRESENT)) {
        if (!create)
            return NULL;
        uint32_t *pt = page_alloc();
        if (!pt)
            return NULL;
        *pde = (uint32_t)pt | pde_flags;
    }
    return &((uint32_t *)PTE_ADDR(*pde))[PT_INDEX(va)];
}

void vm_init(void)
{
    kernel_pd = page_alloc();
    // Map all of physical memory below the limit, RAM or not: the VGA text
    // buffer at 0xB8000 lives there too.
    uint32_t end = PAGE_ROUND_UP(mem_top());
    for (uint32_t a = 0; a < end; a += PAGE_SIZE) {
        uint32_t *pte = pte_for(kernel_pd, a, true, PTE_PRESENT | PTE_WRITABLE);
        if (!pte)
            panic("out of memory for the kernel's page tables");
        *pte = a | PTE_PRESENT | PTE_WRITABLE;
    }
    write_cr3((uint32_t)kernel_pd);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

uint32_t *vm_create(void)
{
    uint32_t *pd = page_alloc();
    if (pd)
        memcpy(pd, kernel_pd, KERNEL_PDES * sizeof(uint32_t));
    return pd;
}

// Map fresh zeroed pages over [va, va + len); pages already there stay.
bool vm_map_user(uint32_t *pd, uint32_t va, uint32_t len)
{
    if (va < USER_BASE || va >= USER_TOP || len > USER_TOP - va)
        return false;
    for (uint32_t a = PAGE_ROUND_DOWN(va); a < va + len; a += PAGE_SIZE) {
        uint32_t *pte = pte_for(pd, a, true, PTE_PRESENT | PTE_WRITABLE | PTE_USER);
        if (!pte)
            return false;
        if (*pte & PTE_PRESENT)
            continue;
        void *page = page_alloc();
        if (!page)
            return false;
        *pte = (uint32_t)page | PTE_PRESENT | PTE_WRITABLE | PTE_USER;
    }
    return true;
}

void vm_destroy(uint32_t *pd)
{
    for (uint32_t i = KERNEL_PDES; i < 1024; i++) {
        if (!(pd[i] & PTE_PRESENT))
            continue;
        uint32_t *pt = (uint32_t *)PTE_ADDR(pd[i]);
        for (int j = 0; j < 1024; j++)
            if (pt[j] & PTE_PRESENT)
                page_free((void *)PTE_ADDR(pt[j]));
        page_free(pt);
    }
    page_free(pd);
}

void vm_switch(uint32_t *pd)
{
    write_cr3((uint32_t)(pd ? pd : kernel_pd));
}

// May the kernel touch [va, va + len) on the program's behalf?
bool vm_user_range_ok(uint32_t *pd, uint32_t va, uint32_t len)
{
    if (va < USER_BASE || va >= USER_TOP || len > USER_TOP - va)
        return false;
    for (uint32_t a = PAGE_ROUND_DOWN(va); a < va + len; a += PAGE_SIZE) {
        uint32_t *pte = pte_for(pd, a, false, 0);
        if (!pte || !(*pte & PTE_USER))
            return false;
    }
    return true;
}
