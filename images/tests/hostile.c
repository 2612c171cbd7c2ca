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
#include "hv.h"
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

// XSETBV (SDM Vol. 2D) and RDTSCP (Vol. 2B), each as CPUID lists it. The hypervisor switches
// XCR0 and TSC_AUX per guest: neither the VMCS nor the VMCB does.
struct xcr_write { uint32_t xcr, lo, hi; };
static void do_xsetbv(void *arg)
{
    struct xcr_write *w = arg;
    asm volatile("xsetbv" : : "c"(w->xcr), "a"(w->lo), "d"(w->hi));
}
static uint32_t xgetbv0(void)
{
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo;
}
static void do_rdtscp(void *arg)
{
    uint32_t lo, hi, aux;
    asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
    *(uint32_t *)arg = aux;
}

static void xsetbv_rdtscp(const struct multiboot_info *info)
{
    (void)info;
    bool xsave = cpuid(1).ecx & (1u << 26);
    struct cpuid_result ext = cpuid(0x80000000);
    bool rdtscp = ext.eax >= 0x80000001 && (cpuid(0x80000001).edx & (1u << 27));
    printf("CPUID lists XSAVE: %s, RDTSCP: %s\n", xsave ? "yes" : "no", rdtscp ? "yes" : "no");
    console_flush();
    if (xsave) {
        uint32_t cr4;
        asm volatile("mov %%cr4, %0" : "=r"(cr4));
        cr4 |= 1u << 18;                  // OSXSAVE
        asm volatile("mov %0, %%cr4" : : "r"(cr4));
        struct xcr_write sse = { 0, 3, 0 }, no_x87 = { 0, 2, 0 }, xcr1 = { 1, 3, 0 };
        report("XSETBV of XCR0 = x87|SSE is taken", !expect_exception(GP_VECTOR, do_xsetbv,
                                                                      &sse, NULL));
        report("XGETBV reads XCR0 = 3 back", xgetbv0() == 3);
        report("XSETBV without x87 raises #GP", expect_exception(GP_VECTOR, do_xsetbv,
                                                                 &no_x87, NULL));
        report("XSETBV of XCR1 raises #GP", expect_exception(GP_VECTOR, do_xsetbv, &xcr1, NULL));
        report("XCR0 is still 3 after the refused writes", xgetbv0() == 3);
    } else {
        struct xcr_write sse = { 0, 3, 0 };
        report("XSETBV, not listed, raises #UD", expect_exception(UD_VECTOR, do_xsetbv, &sse,
                                                                  NULL));
    }
    uint32_t aux = 0;
    if (rdtscp) {
        report("WRMSR TSC_AUX = 0x1234 is taken", wrmsr_safe(0xC0000103, 0x1234));
        report("RDTSCP runs", !expect_exception(UD_VECTOR, do_rdtscp, &aux, NULL));
        report("RDTSCP returns TSC_AUX in ECX", aux == 0x1234);
        report("TSC_AUX with a bit of 63:32 raises #GP", !wrmsr_safe(0xC0000103, 1ull << 32));
    } else {
        report("RDTSCP, not listed, raises #UD", expect_exception(UD_VECTOR, do_rdtscp, &aux,
                                                                  NULL));
    }
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
    uint32_t from = 0x400000;
    asm volatile("cld; outsb" : "+S"(from) : "d"(0xE9) : "memory");
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
    uint32_t to = 0x10000, count = 0xFFFFFFFF;
    asm volatile("std; rep insb; cld" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
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
    uint32_t to = 0xFFFFF, count = 0xFFFFFFFF;
    asm volatile("std; rep insb; cld" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
    cli();
    report("REP INSB through the end of guest RAM returned", false);
}

// --- Instructions a guest told it has neither VMX nor SVM must not get: #UD each. ---

#define UD_ATTEMPT(name, insn)                                                        \
    static void name(void *arg)                                                      \
    {                                                                                \
        asm volatile(insn : : "r"(arg), "m"(*(uint64_t *)arg) : "memory");           \
    }
static uint64_t region __attribute__((aligned(4096)));
UD_ATTEMPT(try_vmxon, "vmxon %1")
UD_ATTEMPT(try_vmclear, "vmclear %1")
UD_ATTEMPT(try_vmptrld, "vmptrld %1")
UD_ATTEMPT(try_vmptrst, "vmptrst %1")
UD_ATTEMPT(try_vmread, "vmread %0, %0")
UD_ATTEMPT(try_vmwrite, "vmwrite %0, %0")
UD_ATTEMPT(try_vmlaunch, "vmlaunch")
UD_ATTEMPT(try_vmresume, "vmresume")
UD_ATTEMPT(try_vmxoff, "vmxoff")
UD_ATTEMPT(try_invept, "invept %1, %0")
UD_ATTEMPT(try_invvpid, "invvpid %1, %0")
UD_ATTEMPT(try_vmrun, "vmrun")
UD_ATTEMPT(try_vmload, "vmload")
UD_ATTEMPT(try_vmsave, "vmsave")
UD_ATTEMPT(try_stgi, "stgi")
UD_ATTEMPT(try_clgi, "clgi")
UD_ATTEMPT(try_skinit, "skinit")
UD_ATTEMPT(try_invlpga, "invlpga")

struct ud_case {
    const char *check;
    void (*fn)(void *);
};

static void expect_ud_all(const struct ud_case *cases, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        report(cases[i].check, expect_exception(UD_VECTOR, cases[i].fn, &region, NULL));
}

static void vmx_insns(const struct multiboot_info *info)
{
    static const struct ud_case cases[] = {
        { "VMXON raises #UD", try_vmxon }, { "VMCLEAR raises #UD", try_vmclear },
        { "VMPTRLD raises #UD", try_vmptrld }, { "VMPTRST raises #UD", try_vmptrst },
        { "VMREAD raises #UD", try_vmread }, { "VMWRITE raises #UD", try_vmwrite },
        { "VMLAUNCH raises #UD", try_vmlaunch }, { "VMRESUME raises #UD", try_vmresume },
        { "VMXOFF raises #UD", try_vmxoff }, { "INVEPT raises #UD", try_invept },
        { "INVVPID raises #UD", try_invvpid },
    };
    (void)info;
    expect_ud_all(cases, sizeof(cases) / sizeof(cases[0]));
}

static void svm_insns(const struct multiboot_info *info)
{
    static const struct ud_case cases[] = {
        { "VMRUN raises #UD", try_vmrun }, { "VMLOAD raises #UD", try_vmload },
        { "VMSAVE raises #UD", try_vmsave }, { "STGI raises #UD", try_stgi },
        { "CLGI raises #UD", try_clgi }, { "SKINIT raises #UD", try_skinit },
        { "INVLPGA raises #UD", try_invlpga },
    };
    (void)info;
    expect_ud_all(cases, sizeof(cases) / sizeof(cases[0]));
}

// --- MSRs of every class the guest must not reach: #GP each (SDM Vol. 2B RDMSR/WRMSR). ---

static void msr_classes(const struct multiboot_info *info)
{
    static const struct { uint32_t index; const char *check; } absent[] = {
        { 0x0000003A, "IA32_FEATURE_CONTROL (VMX) is absent" },
        { 0x00000480, "IA32_VMX_BASIC is absent" },
        { 0x0000048B, "IA32_VMX_PROCBASED_CTLS2 is absent" },
        { 0xC0010114, "VM_CR (SVM) is absent" },
        { 0xC0010117, "VM_HSAVE_PA (SVM) is absent" },
        { 0x12345678, "an unknown MSR is absent" },
        { 0xFFFFFFFF, "MSR 0xFFFFFFFF is absent" },
    };
    uint64_t efer = 0, value;
    (void)info;
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        report(absent[i].check, !rdmsr_safe(absent[i].index, &value) &&
                                !wrmsr_safe(absent[i].index, 0));
    rdmsr_safe(0xC0000080, &efer);
    report("EFER with a reserved bit raises #GP", !wrmsr_safe(0xC0000080, efer | 1u << 2));
    report("EFER.SVME raises #GP (no SVM)", !wrmsr_safe(0xC0000080, efer | 1u << 12));
    report("a PAT entry of type 2 raises #GP", !wrmsr_safe(0x277, 0x0007040600070402ull));
}

// --- Control registers: reserved bits and illegal combinations raise #GP. ---

static void write_cr0(void *arg) { asm volatile("mov %0, %%cr0" : : "r"(*(uint32_t *)arg)); }

// CR0.NW without CD raises #GP on hardware (SDM Vol. 3A 2.5); QEMU's TCG takes it, and then
// the VMCB's guest state is illegal (APM Vol. 2 15.5.1): either way the run must end well.
static void cr0_nw_without_cd(const struct multiboot_info *info)
{
    uint32_t cr0, v;
    (void)info;
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    v = (cr0 & ~(1u << 30)) | 1u << 29;
    console_flush();
    report("CR0.NW without CD raises #GP", expect_exception(GP_VECTOR, write_cr0, &v, NULL));
}
static void write_cr4(void *arg) { asm volatile("mov %0, %%cr4" : : "r"(*(uint32_t *)arg)); }

static void cr_illegal(const struct multiboot_info *info)
{
    uint32_t cr0, cr4, v;
    (void)info;
    asm volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    v = cr4 | 1u << 15;                   // reserved
    report("CR4 bit 15 (reserved) raises #GP", expect_exception(GP_VECTOR, write_cr4, &v, NULL));
    v = cr4 | 1u << 13;                   // VMXE, and CPUID says no VMX
    report("CR4.VMXE raises #GP (no VMX)", expect_exception(GP_VECTOR, write_cr4, &v, NULL));
    uint32_t after0, after4;
    asm volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(after0), "=r"(after4));
    report("CR0 and CR4 unchanged by the refused writes", after0 == cr0 && after4 == cr4);
}

// --- Port sweeps: every port read at width 1 (and 2 and 4 in the ISA range), every port
// written with 0 except the guest's own console. Nothing may end or reset the machine. ---

static void port_read_sweep(const struct multiboot_info *info)
{
    (void)info;
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        (void)inb(port);
    for (uint32_t port = 0; port < 0x400; port++) {
        uint16_t w;
        uint32_t l;
        asm volatile("inw %w1, %0" : "=a"(w) : "Nd"(port));
        asm volatile("inl %w1, %0" : "=a"(l) : "Nd"(port));
    }
    report("every port read, the guest runs on", true);
}

static bool console_port(uint32_t port)
{
    return (port >= 0x3F8 && port <= 0x3FF) || port == 0xE9;
}

// Ports 0xF4-0xF7 are the guest's own exit (docs/CONTRACT.md 4), as the exit hypercall is: a
// write there ends this guest by its own choice, which is no attack.
#define GUEST_EXIT_PORT 0xF4

static void port_write_sweep(const struct multiboot_info *info)
{
    (void)info;
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        if (!console_port(port) && (port < GUEST_EXIT_PORT || port > GUEST_EXIT_PORT + 3))
            outb(port, 0);
    report("every port written with 0, the guest runs on", true);
}

// Several guests (docs/CONTRACT.md 10): the guest writes the console tag that names guest 1,
// then text. Passed on as it is, the text would reach the lab as guest 1's; the hypervisor
// must send this guest's ESC doubled. It then ends itself with code 0.
static void forge_tag(const struct multiboot_info *info)
{
    (void)info;
    puts("\x1bg1forged as guest 1");
    puts("forge-tag done");
    console_flush();
    hypercall(HC_EXIT, 0, 0, 0);
}

// The machine-level ends the hypervisor itself uses (docs/CONTRACT.md 4), a forged end line
// on the log channel (COM2), and the PC's reset lines: none may end the run or reset the
// machine for the guest. It then ends itself with code 7: the verdict must be 1 (fail).
// Not port 0xF4: that is the guest's own exit now, as the exit hypercall is.
static void forge_end(const struct multiboot_info *info)
{
    static const char forged[] = "\n@lab end code=0 reason=pass\n";
    (void)info;
    for (const char *c = forged; *c; c++)
        outb(0x2F8, *c);             // COM2, the log channel
    asm volatile("outw %w0, %w1" : : "a"(0x2000), "Nd"(0x604));   // ACPI S5
    for (const char *c = "Shutdown"; *c; c++)
        outb(0x8900, *c);            // Bochs' shutdown port
    outb(0x64, 0xFE);                // i8042: pulse the reset line
    outb(0xCF9, 0x06);               // PCI reset control: hard reset
    outb(0x92, 0x01);                // port 92: fast reset
    puts("still running after every forged end and reset");
    console_flush();
    hypercall(HC_EXIT, 7, 0, 0);
}

// --- Hypercalls with bogus numbers and pointers: -1 each, and the guest runs on. ---

static void hypercall_bogus(const struct multiboot_info *info)
{
    uint32_t ram_end = (info->mem_upper + 1024) * 1024;
    report("an unknown hypercall returns -1", hypercall(0x1234, 0, 0, 0) == HC_UNKNOWN_RESULT);
    report("puts from outside RAM returns -1",
           hypercall(HC_PUTS, 0xC0000000, 16, 0) == HC_UNKNOWN_RESULT);
    report("puts across the end of RAM returns -1",
           hypercall(HC_PUTS, ram_end - 8, 16, 0) == HC_UNKNOWN_RESULT);
    report("puts longer than its limit returns -1",
           hypercall(HC_PUTS, 0x100000, HC_PUTS_MAX + 1, 0) == HC_UNKNOWN_RESULT);
    report("puts with length 0xFFFFFFFF returns -1",
           hypercall(HC_PUTS, 0x100000, 0xFFFFFFFF, 0) == HC_UNKNOWN_RESULT);
}

// --- Descriptor tables and the stack outside guest RAM: the CPU's own access faults. ---

static void gdt_outside_ram(const struct multiboot_info *info)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        far_gdt = { 0xFFFF, 0xC0000000 };
    (void)info;
    console_flush();
    asm volatile("lgdt %0; mov $0x10, %%ax; mov %%ax, %%ds" : : "m"(far_gdt) : "eax");
    report("a segment loaded from a GDT outside RAM", false);
}

static void idt_outside_ram(const struct multiboot_info *info)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        far_idt = { 0x7FF, 0xC0000000 };
    (void)info;
    console_flush();
    asm volatile("lidt %0; int3" : : "m"(far_idt));
    report("an interrupt delivered through an IDT outside RAM", false);
}

static void stack_outside_ram(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("mov $0xC0000000, %%esp; push %%eax" : : : "memory");  // never returns
    report("a push onto a stack outside RAM", false);
}

static void halt_if_off(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("cli; hlt");
    report("a halt with interrupts off woke", false);
}

// --- Garbage programming of the PIC and PIT, then the timer must still work. ---

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}

static volatile uint32_t garbage_ticks;

static void count_tick(struct exception_frame *frame)
{
    (void)frame;
    garbage_ticks++;
    pic_eoi(0);
}

static void pic_pit_garbage(const struct multiboot_info *info)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x61 };
    uint32_t state = 1;
    (void)info;
    for (int i = 0; i < 20000; i++) {
        uint16_t port = ports[lcg(&state) % (sizeof(ports) / sizeof(ports[0]))];
        if (lcg(&state) & 1)
            outb(port, lcg(&state));
        else
            (void)inb(port);
    }
    report("20000 random PIC and PIT accesses, the guest runs on", true);
    pic_init();
    irq_set_handler(0, count_tick);
    pit_periodic(100);
    pic_unmask(0);
    sti();
    for (int i = 0; i < 3; i++)
        asm volatile("hlt");
    cli();
    report("re-initialised, the timer ticks again", garbage_ticks >= 3);
}

// --- An interrupt storm from the test device: every pulse is one interrupt. ---

static volatile uint32_t storm_count;

static void count_storm(struct exception_frame *frame)
{
    (void)frame;
    storm_count++;
    pic_eoi(5);
}

static void irq_storm(const struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(5, count_storm);
    pic_unmask(5);
    sti();
    for (int i = 0; i < 10000; i++)
        outb(TEST_IRQ_PORT, 5);
    cli();
    printf("IRQ5 taken %u times for 10000 pulses\n", storm_count);
    report("10000 pulses of IRQ5, each taken once", storm_count == 10000);
}

// --- CPUID over every range: contained, and the hidden bits stay hidden. ---

static void cpuid_sweep(const struct multiboot_info *info)
{
    static const uint32_t bases[] = { 0, 0x40000000, 0x80000000, 0xC0000000, 0x8FFFFFFF };
    (void)info;
    for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
        for (uint32_t leaf = bases[b]; leaf < bases[b] + 0x100; leaf++)
            for (uint32_t sub = 0; sub < 4; sub++)
                (void)cpuid_count(leaf, sub);
    report("CPUID leaf 1 still hides VMX", !(cpuid(1).ecx & (1u << 5)));
    report("CPUID leaf 0x80000001 still hides SVM", !(cpuid(0x80000001).ecx & (1u << 2)));
}

// --- More device garbage: the UART, the CRTC and the i8042, each then still working. ---

static void uart_garbage(const struct multiboot_info *info)
{
    uint32_t state = 7;
    (void)info;
    console_flush();
    for (int i = 0; i < 5000; i++)
        outb(0x3F9 + lcg(&state) % 7, lcg(&state));   // IER .. SCR, never THR itself
    outb(0x3FB, 0x03);   // 8N1, DLAB off: the console's own setting back
    outb(0x3F9, 0x00);
    outb(0x3FC, 0x03);
    report("5000 random UART register writes, the console prints again", true);
}

static void crtc_garbage(const struct multiboot_info *info)
{
    uint32_t state = 11;
    (void)info;
    for (int i = 0; i < 5000; i++) {
        outb(0x3D4, lcg(&state));
        if (lcg(&state) & 1)
            outb(0x3D5, lcg(&state));
        else
            (void)inb(0x3D5);
    }
    outb(0x3D4, 0x0F);
    outb(0x3D5, 0x42);
    outb(0x3D4, 0x0F);
    report("5000 random CRTC accesses, the cursor register still reads back",
           inb(0x3D5) == 0x42);
}

static void i8042_garbage(const struct multiboot_info *info)
{
    uint32_t state = 13;
    (void)info;
    for (int i = 0; i < 5000; i++) {
        uint8_t v = lcg(&state);
        if (v == 0xFE)
            continue;                              // the reset pulse: forge-end's business
        outb(lcg(&state) & 1 ? 0x64 : 0x60, v);
        (void)inb(0x64);
        (void)inb(0x60);
    }
    outb(0x64, 0xAA);                              // controller self-test
    for (int i = 0; i < 100000 && !(inb(0x64) & 1); i++)
        ;
    uint8_t answer = inb(0x60);
    printf("self-test answered 0x%x\n", answer);
    report("5000 random i8042 accesses, the self-test answers 0x55", answer == 0x55);
}

// --- Console floods: the hypervisor and the lab must keep up, and lose nothing after. ---

// `kib=N` KiB (default 64) through port 0xE9 with REP OUTSB, then a line of its own.
static void console_flood(const struct multiboot_info *info)
{
    static char block[1024];
    uint32_t kib = 64;
    cmdline_number(info, "kib=", &kib);
    for (unsigned k = 0; k < sizeof(block); k++)
        block[k] = k % 64 == 63 ? '\n' : 'F';
    for (uint32_t i = 0; i < kib; i++) {
        const char *from = block;
        uint32_t count = sizeof(block);
        asm volatile("cld; rep outsb" : "+S"(from), "+c"(count) : "d"(0xE9) : "memory");
    }
    puts("flood over");
    report("a flood on the console, the guest runs on", true);
}

static void hypercall_storm(const struct multiboot_info *info)
{
    static const char dot = '.';
    int32_t bad = 0;
    (void)info;
    for (int i = 0; i < 20000; i++)
        bad += hypercall(HC_PUTS, (uint32_t)&dot, 1, 0) != 0;
    puts("");
    report("20000 one-byte puts hypercalls, each answered 0", bad == 0);
}

// --- Accesses that straddle the end of guest RAM, and page tables outside it. ---

static void ram_straddle(const struct multiboot_info *info)
{
    uint32_t end = (info->mem_upper + 1024) * 1024;
    volatile uint32_t *across = (volatile uint32_t *)(end - 2);
    console_flush();
    (void)*across;
    report("a dword read across the end of guest RAM", false);
}

static void insw_straddle(const struct multiboot_info *info)
{
    uint32_t end = (info->mem_upper + 1024) * 1024;
    console_flush();
    uint32_t to = end - 16, count = 64;
    asm volatile("cld; rep insw" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
    report("REP INSW across the end of guest RAM", false);
}

static void cr3_outside_ram(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    paging_on(0xC0000000, CR4_PSE);
    report("paging with its page directory outside guest RAM", false);
}

// An IDT too short for the vector: #GP, which it cannot deliver either; then #DF, neither.
static void idt_too_short(const struct multiboot_info *info)
{
    static uint64_t idt[4];
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        short_idt = { sizeof(idt) - 1, (uint32_t)idt };
    (void)info;
    console_flush();
    asm volatile("lidt %0; int $0x80" : : "m"(short_idt));
    report("INT 0x80 through a four-entry IDT", false);
}

// --- Odd corners of ordinary instructions. ---

static void sysenter_now(void *arg)
{
    (void)arg;
    asm volatile("sysenter");
}

// SYSENTER with IA32_SYSENTER_CS = 0 raises #GP(0) (SDM Vol. 2B SYSENTER).
static void sysenter_cs_zero(const struct multiboot_info *info)
{
    (void)info;
    report("SYSENTER_CS = 0 written", wrmsr_safe(0x174, 0));
    report("SYSENTER with SYSENTER_CS = 0 raises #GP",
           expect_exception(GP_VECTOR, sysenter_now, NULL, NULL));
}

// Port accesses at the top of the port space: a dword at 0xFFFD..0xFFFF reaches past it.
static void port_wrap(const struct multiboot_info *info)
{
    uint32_t v;
    (void)info;
    for (uint32_t port = 0xFFFC; port <= 0xFFFF; port++) {
        asm volatile("outl %0, %w1" : : "a"(0x12345678u), "Nd"(port));
        asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
        asm volatile("outw %w0, %w1" : : "a"(0x1234u), "Nd"(port));
    }
    report("dword and word accesses at the top of the port space, the guest runs on", true);
}

// REP OUTSB with a 16-bit address size: SI wraps from 0xFFFF to 0 within the segment (SDM
// Vol. 1 3.3.6); the bytes after the wrap come from offset 0.
static void addr16_string_wrap(const struct multiboot_info *info)
{
    uint32_t si = 0xFFF8, cx = 16;
    (void)info;
    asm volatile("cld; addr16 rep outsb" : "+S"(si), "+c"(cx) : "d"(0xE4) : "memory");
    printf("after the wrap SI = 0x%x, CX = %u\n", si, cx);
    report("16-bit REP OUTSB wraps SI to 0x0008 and counts CX down to 0",
           si == 0x0008 && cx == 0);
}

static const struct attack attacks[] = {
    { "msr-noncanonical", msr_noncanonical },
    { "halt-masked", halt_masked },
    { "vga-exec", vga_exec },
    { "mwait", mwait },
    { "invd", invd },
    { "xsetbv-rdtscp", xsetbv_rdtscp },
    { "pd-in-vga", pd_in_vga },
    { "pd-in-vga-text", pd_in_vga_text },
    { "pse36", pse36 },
    { "pg-without-pe", pg_without_pe },
    { "pdpte-reserved", pdpte_reserved },
    { "rep-insb-down", rep_insb_down },
    { "rep-insb-ticking", rep_insb_ticking },
    { "vmx-insns", vmx_insns },
    { "svm-insns", svm_insns },
    { "msr-classes", msr_classes },
    { "cr-illegal", cr_illegal },
    { "cr0-nw-without-cd", cr0_nw_without_cd },
    { "port-read-sweep", port_read_sweep },
    { "port-write-sweep", port_write_sweep },
    { "forge-end", forge_end },
    { "forge-tag", forge_tag },
    { "hypercall-bogus", hypercall_bogus },
    { "gdt-outside-ram", gdt_outside_ram },
    { "idt-outside-ram", idt_outside_ram },
    { "stack-outside-ram", stack_outside_ram },
    { "halt-if-off", halt_if_off },
    { "pic-pit-garbage", pic_pit_garbage },
    { "irq-storm", irq_storm },
    { "cpuid-sweep", cpuid_sweep },
    { "uart-garbage", uart_garbage },
    { "crtc-garbage", crtc_garbage },
    { "i8042-garbage", i8042_garbage },
    { "console-flood", console_flood },
    { "hypercall-storm", hypercall_storm },
    { "ram-straddle", ram_straddle },
    { "insw-straddle", insw_straddle },
    { "cr3-outside-ram", cr3_outside_ram },
    { "idt-too-short", idt_too_short },
    { "sysenter-cs-zero", sysenter_cs_zero },
    { "port-wrap", port_wrap },
    { "addr16-string-wrap", addr16_string_wrap },
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
