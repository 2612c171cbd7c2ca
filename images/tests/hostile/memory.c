// The hostile guest's attacks on paging, descriptor tables and the edges of guest RAM (see hostile.h).
#include "hostile.h"

// A call into the VGA text window: device memory, not code.
void vga_exec(const struct multiboot_info *info)
{
    volatile uint8_t *cell = (volatile uint8_t *)(VGA_TEXT + 24 * 160);
    (void)info;
    cell[0] = 0xC3;   // RET
    console_flush();
    ((void (*)(void))cell)();
    report("the hypervisor stopped execution in the VGA window", false);
}

static uint32_t page_directory[1024] __attribute__((aligned(PAGE)));

static void paging_on(uint32_t cr3, uint32_t cr4_bits)
{
    uint32_t cr0, cr4;
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(cr4 | cr4_bits));
    asm volatile("mov %0, %%cr3" : : "r"(cr3));
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_PG) : "memory");
}

// An identity map of the first 4 GiB in 4 MiB pages (PSE), in DIR.
static void identity_4m(uint32_t *dir)
{
    for (uint32_t i = 0; i < 1024; i++)
        dir[i] = i << 22 | PDE_PS | PTE_W | PTE_P;
}

// The page directory in the VGA window (device memory): the CPU's own page walk reads it
// there. `attack=pd-in-vga` puts it in the graphics window (nothing there), and
// `attack=pd-in-vga-text` in the text window, which the guest can write.
static void pd_at(uint32_t where)
{
    uint32_t *dir = (uint32_t *)where;
    identity_4m(dir);
    console_flush();
    paging_on(where, CR4_PSE);
    report("paging ran with its page directory in the VGA window", false);
}

void pd_in_vga(const struct multiboot_info *info)
{
    (void)info;
    pd_at(VGA_GRAPHICS);
}

void pd_in_vga_text(const struct multiboot_info *info)
{
    (void)info;
    pd_at(VGA_TEXT);
}

// PSE-36 (SDM Vol. 3A 4.3, Table 4-4): a 4 MiB page's PDE bits 20:13 are physical address
// bits 39:32. Linear 4 MiB is mapped to physical 4 GiB + 4 MiB, outside guest RAM, and the
// hypervisor reads it for an OUTS: it must see the high bits and stop the guest, not read
// guest RAM at 4 MiB.
void pse36(const struct multiboot_info *info)
{
    (void)info;
    bool listed = cpuid(1).edx & (1u << 17);
    printf("CPUID lists PSE-36: %s\n", listed ? "yes" : "no");
    identity_4m(page_directory);
    page_directory[1] |= 1u << 13;   // physical bit 32
    paging_on((uint32_t)page_directory, CR4_PSE);
    puts("outsb from linear 0x400000");
    console_flush();
    uint32_t from = 0x400000;
    asm volatile("cld; outsb" : "+S"(from) : "d"(0xE9) : "memory");
    report("OUTS read outside guest RAM", false);
}

// MOV CR0 with PG set and PE clear raises #GP (SDM Vol. 3A 2.5, CR0.PG); with no IDT that
// is a triple fault.
void pg_without_pe(const struct multiboot_info *info)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
    uint32_t cr0;
    (void)info;
    console_flush();
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("lidt %0; mov %1, %%cr0" : : "m"(none), "r"((cr0 & ~CR0_PE) | CR0_PG));
    report("the guest stopped at its triple fault", false);
}

// PAE with a PDPTE whose reserved bits are set: loading CR0.PG raises #GP (SDM Vol. 3A
// 4.4.1); with no IDT, a triple fault.
void pdpte_reserved(const struct multiboot_info *info)
{
    static uint64_t pdpt[4] __attribute__((aligned(32)));
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
    (void)info;
    pdpt[0] = (uint32_t)page_directory | PTE_P | 1ull << 5 | 1ull << 7;  // bits 5, 7 reserved
    console_flush();
    asm volatile("lidt %0" : : "m"(none));
    paging_on((uint32_t)pdpt, CR4_PAE);
    report("the guest stopped at its triple fault", false);
}

// --- Descriptor tables and the stack outside guest RAM: the CPU's own access faults. ---

void gdt_outside_ram(const struct multiboot_info *info)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        far_gdt = { 0xFFFF, 0xC0000000 };
    (void)info;
    console_flush();
    asm volatile("lgdt %0; mov $0x10, %%ax; mov %%ax, %%ds" : : "m"(far_gdt) : "eax");
    report("a segment loaded from a GDT outside RAM", false);
}

void idt_outside_ram(const struct multiboot_info *info)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        far_idt = { 0x7FF, 0xC0000000 };
    (void)info;
    console_flush();
    asm volatile("lidt %0; int3" : : "m"(far_idt));
    report("an interrupt delivered through an IDT outside RAM", false);
}

void stack_outside_ram(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("mov $0xC0000000, %%esp; push %%eax" : : : "memory");  // never returns
    report("a push onto a stack outside RAM", false);
}

// --- Accesses that straddle the end of guest RAM, and page tables outside it. ---

void ram_straddle(const struct multiboot_info *info)
{
    uint32_t end = (info->mem_upper + 1024) * 1024;
    volatile uint32_t *across = (volatile uint32_t *)(end - 2);
    console_flush();
    (void)*across;
    report("a dword read across the end of guest RAM", false);
}

void insw_straddle(const struct multiboot_info *info)
{
    uint32_t end = (info->mem_upper + 1024) * 1024;
    console_flush();
    uint32_t to = end - 16, count = 64;
    asm volatile("cld; rep insw" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
    report("REP INSW across the end of guest RAM", false);
}

void cr3_outside_ram(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    paging_on(0xC0000000, CR4_PSE);
    report("paging with its page directory outside guest RAM", false);
}

// An IDT too short for the vector: #GP, which it cannot deliver either; then #DF, neither.
void idt_too_short(const struct multiboot_info *info)
{
    static uint64_t idt[4];
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        short_idt = { sizeof(idt) - 1, (uint32_t)idt };
    (void)info;
    console_flush();
    asm volatile("lidt %0; int $0x80" : : "m"(short_idt));
    report("INT 0x80 through a four-entry IDT", false);
}

// REP OUTSB with a 16-bit address size: SI wraps from 0xFFFF to 0 within the segment (SDM
// Vol. 1 3.3.6); the bytes after the wrap come from offset 0.
void addr16_string_wrap(const struct multiboot_info *info)
{
    uint32_t si = 0xFFF8, cx = 16;
    (void)info;
    asm volatile("cld; addr16 rep outsb" : "+S"(si), "+c"(cx) : "d"(0xE4) : "memory");
    printf("after the wrap SI = 0x%x, CX = %u\n", si, cx);
    report("16-bit REP OUTSB wraps SI to 0x0008 and counts CX down to 0",
           si == 0x0008 && cx == 0);
}
