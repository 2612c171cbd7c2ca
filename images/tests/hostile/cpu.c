// The hostile guest's attacks on instructions, MSRs, control registers and CPUID (see hostile.h).
#include "hostile.h"

// WRMSR of a non-canonical address to an MSR that holds one raises #GP(0) (SDM Vol. 2B
// WRMSR; APM Vol. 3 WRMSR). AMD ignores SYSENTER_ESP/EIP's upper half (no 64-bit SYSENTER,
// APM Vol. 2 6.1.1), so there either answer is architectural.
void msr_noncanonical(const struct multiboot_info *info)
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
void halt_masked(const struct multiboot_info *info)
{
    (void)info;
    pic_init();   // leaves every line masked
    console_flush();
    sti_hlt();
    report("nothing woke a halt with every line masked", false);
}

static void monitor_mwait(void *arg)
{
    asm volatile("monitor; mwait" : : "a"(arg), "c"(0), "d"(0) : "memory");
}

// CPUID.1:ECX.MONITOR[bit 3] tells whether the pair exists; without it both raise #UD
// (SDM Vol. 2B MONITOR, MWAIT), and a hypervisor that hides it must make them.
void mwait(const struct multiboot_info *info)
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

void invd(const struct multiboot_info *info)
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

void xsetbv_rdtscp(const struct multiboot_info *info)
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

void vmx_insns(const struct multiboot_info *info)
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

void svm_insns(const struct multiboot_info *info)
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

void msr_classes(const struct multiboot_info *info)
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
void cr0_nw_without_cd(const struct multiboot_info *info)
{
    uint32_t cr0, v;
    (void)info;
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    v = (cr0 & ~(1u << 30)) | 1u << 29;
    console_flush();
    report("CR0.NW without CD raises #GP", expect_exception(GP_VECTOR, write_cr0, &v, NULL));
}
static void write_cr4(void *arg) { asm volatile("mov %0, %%cr4" : : "r"(*(uint32_t *)arg)); }

void cr_illegal(const struct multiboot_info *info)
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

void halt_if_off(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    asm volatile("cli; hlt");
    report("a halt with interrupts off woke", false);
}

// --- CPUID over every range: contained, and the hidden bits stay hidden. ---

void cpuid_sweep(const struct multiboot_info *info)
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

// --- Odd corners of ordinary instructions. ---

static void sysenter_now(void *arg)
{
    (void)arg;
    asm volatile("sysenter");
}

// SYSENTER with IA32_SYSENTER_CS = 0 raises #GP(0) (SDM Vol. 2B SYSENTER).
void sysenter_cs_zero(const struct multiboot_info *info)
{
    (void)info;
    report("SYSENTER_CS = 0 written", wrmsr_safe(0x174, 0));
    report("SYSENTER with SYSENTER_CS = 0 raises #GP",
           expect_exception(GP_VECTOR, sysenter_now, NULL, NULL));
}
