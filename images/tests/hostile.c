// hostile: one attack on the hypervisor, chosen by `attack=NAME` on the guest's command line,
// of the kinds an attacker tries first (issue 13's list of what once crashed or hung the
// reference). The guest prints "attack NAME" before it strikes. Some attacks have an
// architectural answer the guest checks itself (a #GP, a #UD) and then reports PASS; the
// rest must end the guest, never the hypervisor: the scenario reads the end code
// (scenarios/test_robustness.py). Nothing here is meant to survive if the attack works.
#include "console.h"
#include "cpu.h"
#include "exception.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102
#define MSR_LSTAR           0xC0000082
#define MSR_CSTAR           0xC0000083
#define NON_CANONICAL       0x8000000000000000ull

#define CR0_PE              (1u << 0)
#define CR0_PG              (1u << 31)
#define CR4_PSE             (1u << 4)
#define CR4_PAE             (1u << 5)
#define PTE_P               (1u << 0)
#define PTE_W               (1u << 1)
#define PDE_PS              (1u << 7)

#define VGA_TEXT            0xB8000u
#define VGA_GRAPHICS        0xA0000u
#define PAGE                4096u

struct attack {
    const char *name;
    void (*run)(const struct multiboot_info *info);
};

static bool is_intel(void)
{
    struct cpuid_result r = cpuid(0);
    return r.ebx == 0x756e6547;   // "Genu"
}

// WRMSR of a non-canonical address to an MSR that holds one raises #GP(0) (SDM Vol. 2B
// WRMSR; APM Vol. 3 WRMSR). AMD ignores SYSENTER_ESP/EIP's upper half (no 64-bit SYSENTER,
// APM Vol. 2 6.1.1), so there either answer is architectural.
static void msr_noncanonical(const struct multiboot_info *info)
{
    static const struct { uint32_t index; const char *check; bool intel_only; } msrs[] = {
        { MSR_LSTAR, "WRMSR LSTAR non-canonical raises #GP", false },
        { MSR_CSTAR, "WRMSR CSTAR non-canonical raises #GP", false },
        { MSR_KERNEL_GS_BASE, "WRMSR KERNEL_GS_BASE non-canonical raises #GP", false },
        { MSR_FS_BASE, "WRMSR FS_BASE non-canonical raises #GP", false },
        { MSR_GS_BASE, "WRMSR GS_BASE non-canonical raises #GP", false },
        { MSR_SYSENTER_ESP, "WRMSR SYSENTER_ESP non-canonical raises #GP", true },
        { MSR_SYSENTER_EIP, "WRMSR SYSENTER_EIP non-canonical raises #GP", true },
    };
    (void)info;
    for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
        bool gp = !wrmsr_safe(msrs[i].index, NON_CANONICAL);
        if (msrs[i].intel_only && !is_intel())
            report_skip(msrs[i].check, "AMD ignores the upper half");
        else
            report(msrs[i].check, gp);
    }
}

// With every PIC line masked nothing can end a HLT: the guest is done for.
static void halt_masked(const struct multiboot_info *info)
{
    (void)info;
    pic_init();   // leaves every line masked
    console_flush();
    sti_hlt();
    report("nothing woke a halt with every line masked", false);
}

// A call into the VGA text window: device memory, not code.
static void vga_exec(const struct multiboot_info *info)
{
    volatile uint8_t *cell = (volatile uint8_t *)(VGA_TEXT + 24 * 160);
    (void)info;
    cell[0] = 0xC3;   // RET
    console_flush();
    ((void (*)(void))cell)();
    report("the hypervisor stopped execution in the VGA window", false);
}

static void monitor_mwait(void *arg)
{
    asm volatile("monitor; mwait" : : "a"(arg), "c"(0), "d"(0) : "memory");
}

// CPUID.1:ECX.MONITOR[bit 3] tells whether the pair exists; without it both raise #UD
// (SDM Vol. 2B MONITOR, MWAIT), and a hypervisor that hides it must make them.
static void mwait(const struct multiboot_info *info)
{
    static volatile uint32_t line;
    (void)info;
    bool listed = cpuid(1).ecx & (1u << 3);
    printf("CPUID lists MONITOR/MWAIT: %s\n", listed ? "yes" : "no");
    console_flush();
    bool ud = expect_exception(UD_VECTOR, monitor_mwait, (void *)&line, NULL);
    report(listed ? "MONITOR/MWAIT, listed, ran" : "MONITOR/MWAIT, not listed, raised #UD",
           listed ? !ud : ud);
}

static void invd(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("invd" ::: "memory");
    report("INVD returned", true);
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

static void pd_in_vga(const struct multiboot_info *info)
{
    (void)info;
    pd_at(VGA_GRAPHICS);
}

static void pd_in_vga_text(const struct multiboot_info *info)
{
    (void)info;
    pd_at(VGA_TEXT);
}

// PSE-36 (SDM Vol. 3A 4.3, Table 4-4): a 4 MiB page's PDE bits 20:13 are physical address
// bits 39:32. Linear 4 MiB is mapped to physical 4 GiB + 4 MiB, outside guest RAM, and the
// hypervisor reads it for an OUTS: it must see the high bits and stop the guest, not read
// guest RAM at 4 MiB.
static void pse36(const struct multiboot_info *info)
{
    (void)info;
    bool listed = cpuid(1).edx & (1u << 17);
    printf("CPUID lists PSE-36: %s\n", listed ? "yes" : "no");
    identity_4m(page_directory);
    page_directory[1] |= 1u << 13;   // physical bit 32
    paging_on((uint32_t)page_directory, CR4_PSE);
    puts("outsb from linear 0x400000");
    console_flush();
    asm volatile("cld; outsb" : : "S"(0x400000), "d"(0xE9) : "memory");
    report("OUTS read outside guest RAM", false);
}

// MOV CR0 with PG set and PE clear raises #GP (SDM Vol. 3A 2.5, CR0.PG); with no IDT that
// is a triple fault.
static void pg_without_pe(const struct multiboot_info *info)
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
static void pdpte_reserved(const struct multiboot_info *info)
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

// REP INSB downwards (DF=1) with the largest count: the pointer runs down from 64 KiB,
// through 0, and wraps out of guest RAM at 4 GiB - 1. Each element is one port read.
static void rep_insb_down(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("std; rep insb; cld" : : "D"(0x10000), "c"(0xFFFFFFFF), "d"(0xE4) : "memory");
    report("REP INSB through the end of guest RAM returned", false);
}

static void tick_mark(struct exception_frame *frame)
{
    (void)frame;
    outb(0xE9, 'T');   // straight to the console (docs/CONTRACT.md 6): no buffer to lose
    pic_eoi(0);
}

// The same REP INSB downwards, from just below 1 MiB, with the PIT ticking at 1000 Hz and
// interrupts on: the guest's code, stack and IDT lie above 1 MiB and survive. A hypervisor
// that carries a long REP out in pieces lets the ticks in between them (a "T" each), as
// hardware does between iterations.
static void rep_insb_ticking(const struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(0, tick_mark);
    pit_periodic(1000);
    pic_unmask(0);
    console_flush();
    sti();
    asm volatile("std; rep insb; cld" : : "D"(0xFFFFF), "c"(0xFFFFFFFF), "d"(0xE4) : "memory");
    cli();
    report("REP INSB through the end of guest RAM returned", false);
}

static const struct attack attacks[] = {
    { "msr-noncanonical", msr_noncanonical },
    { "halt-masked", halt_masked },
    { "vga-exec", vga_exec },
    { "mwait", mwait },
    { "invd", invd },
    { "pd-in-vga", pd_in_vga },
    { "pd-in-vga-text", pd_in_vga_text },
    { "pse36", pse36 },
    { "pg-without-pe", pg_without_pe },
    { "pdpte-reserved", pdpte_reserved },
    { "rep-insb-down", rep_insb_down },
    { "rep-insb-ticking", rep_insb_ticking },
};

int main(struct multiboot_info *info)
{
    const char *want = cmdline_value(info, "attack=");
    for (unsigned i = 0; want && i < sizeof(attacks) / sizeof(attacks[0]); i++) {
        size_t len = strlen(attacks[i].name);
        if (strncmp(want, attacks[i].name, len) == 0 && (want[len] == 0 || want[len] == ' ')) {
            printf("attack %s\n", attacks[i].name);
            attacks[i].run(info);
            return report_summary();
        }
    }
    report("attack= names an attack of this guest", false);
    return report_summary();
}
