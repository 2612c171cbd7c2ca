// Our own GDT: flat ring-0 and ring-3 segments and the TSS that gives the CPU
// the kernel stack to switch to when ring 3 traps (SDM Vol. 3A, 3.4.5 and 7.2).
#include "kernel.h"
#include "mmu.h"

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

static struct tss tss;

// Access byte: present, DPL, code/data or system, type.
#define SEG_CODE(dpl)   (0x9A | (dpl) << 5)     // execute/read
#define SEG_DATA(dpl)   (0x92 | (dpl) << 5)     // read/write
#define SEG_TSS         0x89                    // available 32-bit TSS
#define FLAGS_4K_32BIT  0xC                     // granularity 4 KiB, 32-bit

static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF)
         | (uint64_t)(base & 0xFFFFFF) << 16
         | (uint64_t)access << 40
         | (uint64_t)((limit >> 16) & 0xF) << 48
         | (uint64_t)flags << 52
         | (uint64_t)(base >> 24) << 56;
}

static uint64_t gdt[6];

void gdt_init(void)
{
    gdt[SEL_KERNEL_CODE >> 3] = descriptor(0, 0xFFFFF, SEG_CODE(0), FLAGS_4K_32BIT);
    gdt[SEL_KERNEL_DATA >> 3] = descriptor(0, 0xFFFFF, SEG_DATA(0), FLAGS_4K_32BIT);
    gdt[SEL_USER_CODE >> 3] = descriptor(0, 0xFFFFF, SEG_CODE(3), FLAGS_4K_32BIT);
    gdt[SEL_USER_DATA >> 3] = descriptor(0, 0xFFFFF, SEG_DATA(3), FLAGS_4K_32BIT);
    gdt[SEL_TSS >> 3] = descriptor((uint32_t)&tss, sizeof(tss) - 1, SEG_TSS, 0);

    tss.ss0 = SEL_KERNEL_DATA;
    tss.iomap_base = sizeof(tss);   // no I/O bitmap: ring 3 may not touch ports

    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = {
        sizeof(gdt) - 1, (uint32_t)gdt
    };
    asm volatile("lgdt %0\n\t"
                 "ljmp %1, $1f\n"       // reload CS from the new table
                 "1:\n\t"
                 "mov %2, %%ax\n\t"
                 "mov %%ax, %%ds\n\t"
                 "mov %%ax, %%es\n\t"
                 "mov %%ax, %%fs\n\t"
                 "mov %%ax, %%gs\n\t"
                 "mov %%ax, %%ss\n\t"
                 "mov %3, %%ax\n\t"
                 "ltr %%ax"
                 : : "m"(gdtr), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA), "i"(SEL_TSS)
                 : "eax", "memory");
}

void tss_set_kernel_stack(uint32_t esp0)
{
    tss.esp0 = esp0;
}
