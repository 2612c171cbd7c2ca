// Segments, page tables and the memory layout (Intel SDM Vol. 3A, chapters 3 and 4).
#ifndef MMU_H
#define MMU_H

#define PAGE_SIZE       4096
#define PAGE_ROUND_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_DOWN(x) ((x) & ~(PAGE_SIZE - 1))

// GDT selectors; the low two bits of a user selector are its RPL (3).
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_CODE   (0x18 | 3)
#define SEL_USER_DATA   (0x20 | 3)
#define SEL_TSS         0x28

// Page directory and page table entry bits (SDM Vol. 3A, 4.3, 32-bit paging).
#define PTE_PRESENT     0x001
#define PTE_WRITABLE    0x002
#define PTE_USER        0x004
#define PTE_ADDR(e)     ((e) & ~0xFFFu)
#define PD_INDEX(va)    ((uint32_t)(va) >> 22)
#define PT_INDEX(va)    (((uint32_t)(va) >> 12) & 0x3FF)

#define CR0_WP          (1u << 16)  // the kernel, too, respects read-only pages
#define CR0_PG          (1u << 31)

// Physical memory is identity-mapped for the kernel up to KERNEL_MEM_LIMIT;
// RAM above it is left unused so that it cannot collide with user space,
// which starts right there. 128 MiB is more than the lab ever gives a guest.
#define KERNEL_MEM_LIMIT 0x08000000u
#define USER_BASE       0x08000000u
#define USER_TOP        0xC0000000u
#define USER_STACK_SIZE (64 * 1024)

#endif
