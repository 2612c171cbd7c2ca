// lapic: the local APIC a guest finds under the lab hypervisor (CONTRACT.md 6): the
// IA32_APIC_BASE MSR (Intel SDM Vol. 3A 11.4.4), CPUID's APIC flag following its global
// enable (11.4.3), the register page at 0xFEE00000 read and written with the MOV forms
// compilers emit, the moffs ones among them (opcodes A1, A3: Vol. 2B "MOV"), and the four
// legacy performance counters every AMD64 CPU has (AMD APM Vol. 2 13.2.1).
// On Intel those MSRs do not exist: #GP. The MSRs an OS reads unguarded at start-up hold
// the fixed values CONTRACT.md 6 gives (on AMD HWCR and NB_CFG, on Intel
// IA32_MISC_ENABLE), and another value written raises #GP. Then it ends through port 0xF4 with code=N from
// its command line, if given (CONTRACT.md 4).
#include "console.h"
#include "cpu.h"
#include "hv.h"
#include "io.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP      (1u << 8)
#define APIC_BASE_EXTD     (1u << 10)
#define APIC_BASE_EN       (1u << 11)
#define APIC_PAGE          0xFEE00000u
#define CPUID_1_EDX_APIC   (1u << 9)
#define MSR_K7_EVNTSEL0    0xC0010000u
#define MSR_K7_PERFCTR0    0xC0010004u
#define MSR_K7_HWCR        0xC0010015u
#define HWCR_TSC_FREQ_SEL  (1ull << 24)
#define MSR_AMD64_NB_CFG   0xC001001Fu
#define NB_CFG_CF8_EXT_CFG (1ull << 46)
#define MSR_MISC_ENABLE    0x1A0u
#define MISC_ENABLE_VALUE  0x1801u      // fast strings, BTS and PEBS unavailable
#define MISC_ENABLE_XD_OFF (1ull << 34)
#define DEBUG_EXIT_PORT    0xF4

// cmdline.c
const char *cmdline_value(const struct multiboot_info *info, const char *key);
bool cmdline_number(const struct multiboot_info *info, const char *key, uint32_t *value);

static bool cpuid_has_apic(void)
{
    return cpuid(1).edx & CPUID_1_EDX_APIC;
}

// The moffs forms, as a compiler emits them for a constant address (A1: MOV EAX, moffs32;
// A3: MOV moffs32, EAX), so that the hypervisor's MMIO decoder meets them.
static uint32_t apic_read_moffs(uint32_t reg)
{
    uint32_t v;
    switch (reg) {
    case 0x030: asm volatile("movl 0xFEE00030, %0" : "=a"(v)); return v;
    case 0x0F0: asm volatile("movl 0xFEE000F0, %0" : "=a"(v)); return v;
    }
    return 0;
}

static void apic_write_svr_moffs(uint32_t v)
{
    asm volatile("movl %0, 0xFEE000F0" : : "a"(v) : "memory");
}

// ModRM forms (8B, 89) through a pointer.
static uint32_t apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(APIC_PAGE + reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(APIC_PAGE + reg) = v;
}

static bool is_amd(void)
{
    struct cpuid_result r = cpuid(0);
    return r.ebx == 0x68747541 && r.edx == 0x69746e65 && r.ecx == 0x444d4163; // "AuthenticAMD"
}

static void check_apic_base(void)
{
    uint64_t base = 0, after = 0;
    bool read = rdmsr_safe(MSR_IA32_APIC_BASE, &base);
    printf("IA32_APIC_BASE 0x%llx\n", base);
    report("lapic IA32_APIC_BASE reads 0xFEE00000 with BSP set, globally disabled",
           read && base == (APIC_PAGE | APIC_BASE_BSP));
    report("lapic CPUID has no APIC flag while it is disabled", !cpuid_has_apic());
    report("lapic enabling it through IA32_APIC_BASE is accepted",
           wrmsr_safe(MSR_IA32_APIC_BASE, APIC_PAGE | APIC_BASE_EN) &&
           rdmsr_safe(MSR_IA32_APIC_BASE, &after) &&
           after == (APIC_PAGE | APIC_BASE_EN | APIC_BASE_BSP));
    report("lapic CPUID has the APIC flag once it is enabled", cpuid_has_apic());
    report("lapic x2APIC mode (EXTD), which CPUID does not offer, raises #GP",
           !wrmsr_safe(MSR_IA32_APIC_BASE, APIC_PAGE | APIC_BASE_EN | APIC_BASE_EXTD));
    report("lapic a reserved bit (bit 9) raises #GP",
           !wrmsr_safe(MSR_IA32_APIC_BASE, APIC_PAGE | APIC_BASE_EN | (1u << 9)));
}

static void check_registers(void)
{
    uint32_t version = apic_read_moffs(0x030);
    printf("APIC version 0x%x, ID 0x%x\n", version, apic_read(0x020));
    report("lapic version register (moffs read): 0x14, six LVT entries", version == 0x00050014);
    report("lapic ID register: the bootstrap CPU's, 0", apic_read(0x020) == 0);
    apic_write_svr_moffs(0x1FF);
    report("lapic SVR written with a moffs store reads back 0x1FF", apic_read(0x0F0) == 0x1FF);
    apic_write(0x080, 0x20);
    report("lapic TPR written through a pointer reads back, PPR follows it",
           apic_read(0x080) == 0x20 && apic_read(0x0A0) == 0x20);
    report("lapic SVR read with a moffs load", apic_read_moffs(0x0F0) == 0x1FF);
}

static void check_k7_counters(void)
{
    uint64_t sel = 0, ctr = 0;
    if (!is_amd()) {
        report("lapic no AMD performance counter MSRs on Intel: #GP",
               !rdmsr_safe(MSR_K7_EVNTSEL0, &sel) && !wrmsr_safe(MSR_K7_PERFCTR0, 0));
        return;
    }
    bool ok = wrmsr_safe(MSR_K7_EVNTSEL0 + 1, 0x430076) && wrmsr_safe(MSR_K7_PERFCTR0 + 2, 1234) &&
              rdmsr_safe(MSR_K7_EVNTSEL0 + 1, &sel) && rdmsr_safe(MSR_K7_PERFCTR0 + 2, &ctr);
    report("lapic AMD legacy performance counters hold what is written",
           ok && sel == 0x430076 && ctr == 1234);
}

// A fixed MSR: reads `want`, takes `want` back, refuses `other` with #GP.
static bool fixed_msr(uint32_t index, uint64_t want, uint64_t other)
{
    uint64_t value = 0;
    bool ok = rdmsr_safe(index, &value);
    printf("MSR 0x%x reads 0x%llx\n", index, value);
    return ok && value == want && wrmsr_safe(index, want) && !wrmsr_safe(index, other);
}

static void check_fixed_msrs(void)
{
    if (is_amd()) {
        report("lapic HWCR reads TscFreqSel (bit 24) alone; another value raises #GP",
               fixed_msr(MSR_K7_HWCR, HWCR_TSC_FREQ_SEL, 0));
        report("lapic NB_CFG reads EnableCF8ExtCfg (bit 46) alone; another value raises #GP",
               fixed_msr(MSR_AMD64_NB_CFG, NB_CFG_CF8_EXT_CFG, 1));
    } else {
        report("lapic IA32_MISC_ENABLE reads 0x1801; setting XD disable raises #GP",
               fixed_msr(MSR_MISC_ENABLE, MISC_ENABLE_VALUE,
                         MISC_ENABLE_VALUE | MISC_ENABLE_XD_OFF));
    }
}

int main(struct multiboot_info *info)
{
    uint32_t code;
    if (!hv_present()) {
        report_skip("lapic", "no lab hypervisor: the emulator's own APIC answers");
        return report_summary();
    }
    check_apic_base();
    check_registers();
    check_k7_counters();
    check_fixed_msrs();
    int verdict = report_summary();
    if (cmdline_number(info, "code=", &code)) {
        console_flush();
        outl(DEBUG_EXIT_PORT, code);
        report("lapic the guest ended through port 0xF4", false);
        return 1;
    }
    return verdict;
}
