// longmode: what a 64-bit guest OS (SWEB, /work/shared/SWEB.md "How it boots"
// and "CPU") needs from the CPU under the hypervisor. longmode.S switches from
// 32-bit protected mode to long mode the way SWEB does (own GDT, CR4.PAE,
// EFER.LME|NXE, CR0.PG|WP|PE, far jump), checks from 64-bit mode: EFER.LMA,
// port 0xE9 and 0x80, SSE and x87 (fnsave/frstor), SMEP, 2 MiB pages, the XD
// bit and CR0.WP; then returns to 32-bit protected mode, where this file
// reports one line per check.
//
// Paging: 4-level, the first 1 GiB identity-mapped with 2 MiB pages (Intel SDM
// Vol. 3A 4.5, Table 4-17), with a few special PDEs for the checks.
#include "console.h"
#include "cpu.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"

#define PTE_P       (1ull << 0)
#define PTE_RW      (1ull << 1)
#define PTE_US      (1ull << 2)
#define PDE_PS      (1ull << 7)
#define PTE_XD      (1ull << 63)
#define PAGE_2M     0x200000u

#define CPUID_80000001_EDX_NX   (1u << 20)  // Intel SDM Vol. 2A, CPUID
#define CPUID_80000001_EDX_LM   (1u << 29)
#define CPUID_7_EBX_SMEP        (1u << 7)
#define EFER_LMA    (1u << 10)
#define EFER_LME    (1u << 8)
#define EFER_NXE    (1u << 11)
#define CR0_PE      (1u << 0)
#define CR0_MP      (1u << 1)
#define CR0_EM      (1u << 2)
#define CR0_TS      (1u << 3)
#define CR0_WP      (1u << 16)
#define CR0_PG      (1u << 31)
#define CR4_PAE     (1u << 5)
#define CR4_OSFXSR  (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_SMEP    (1u << 20)

// #PF error code bits (SDM Vol. 3A 4.7).
#define PF_P        (1u << 0)
#define PF_W        (1u << 1)
#define PF_US       (1u << 2)
#define PF_ID       (1u << 4)

// Must match longmode.S.
#define PAGE_4M     0x400000u
#define PAGE_4M_END 0x5FFFF8u
#define ALIAS_VA    0x3FE00000u
#define NX_PAGE     0x800000u
#define PLAIN_PAGE  0xA00000u
#define USER_PAGE   0xC00000u
#define RO_PAGE     0xE00000u
#define PATTERN_LO  0x0123456789ABCDEFull
#define PATTERN_HI  0xFEDCBA9876543210ull
#define X86_RET     0xC3
#define RO_MARKER   0xA5
#define TESTDEV_A   0x11223344u
#define TESTDEV_B   0xA5B6C7D8u

struct lm_results {
    uint32_t reached64, efer, wide, e9_read, cr0, cr4;
    uint32_t addps, paddd, x87_sum, x87_roundtrip, fsave_fcw;
    uint32_t max_leaf, leaf7_ebx, smep_cr4, smep_fault, smep_err, smep_cr2;
    uint32_t page_read, alias_read, exec_plain;
    uint32_t nx_fault, nx_err, nx_cr2;
    uint32_t wp_fault, wp_err, wp_cr2;
    uint32_t bad_vector, bad_err, bad_rip, bad_cr2;
    uint32_t testdev_run, testdev_done;
};
_Static_assert(sizeof(struct lm_results) == 128, "longmode.S's R_SIZE");

struct idt64_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

#define CODE64_SELECTOR 0x18
#define GATE_INTERRUPT_64 0x8E      // present, DPL 0, 64-bit interrupt gate (SDM 6.14.1)

extern struct lm_results lm_results;
extern const uint32_t lm_stubs[32];
int lm_run(void);

uint64_t lm_pml4[512] __attribute__((aligned(4096)));
static uint64_t lm_pdpt[512] __attribute__((aligned(4096)));
static uint64_t lm_pd[512] __attribute__((aligned(4096)));
struct idt64_gate lm_idt64[32] __attribute__((aligned(16)));

static volatile uint64_t *phys64(uint32_t address)
{
    return (volatile uint64_t *)address;
}

static volatile uint8_t *phys8(uint32_t address)
{
    return (volatile uint8_t *)address;
}

static volatile uint32_t *phys32(uint32_t address)
{
    return (volatile uint32_t *)address;
}

static void build_page_tables(void)
{
    // U/S on the upper levels so that the user PDE below is a user page; every
    // other PDE is supervisor-only.
    lm_pml4[0] = (uint32_t)lm_pdpt | PTE_P | PTE_RW | PTE_US;
    lm_pdpt[0] = (uint32_t)lm_pd | PTE_P | PTE_RW | PTE_US;
    for (uint32_t i = 0; i < 512; i++)
        lm_pd[i] = (uint64_t)i * PAGE_2M | PTE_P | PTE_RW | PDE_PS;
    lm_pd[NX_PAGE / PAGE_2M] |= PTE_XD;
    lm_pd[USER_PAGE / PAGE_2M] |= PTE_US;
    lm_pd[RO_PAGE / PAGE_2M] &= ~PTE_RW;
    lm_pd[ALIAS_VA / PAGE_2M] = PAGE_4M | PTE_P | PTE_RW | PDE_PS;
}

static void build_idt(void)
{
    for (int v = 0; v < 32; v++) {
        lm_idt64[v] = (struct idt64_gate){
            .offset_low = lm_stubs[v] & 0xFFFF,
            .selector = CODE64_SELECTOR,
            .type_attributes = GATE_INTERRUPT_64,
            .offset_mid = lm_stubs[v] >> 16,
        };
    }
}

// What 32-bit code leaves in memory before paging, for 64-bit code to find.
static void prepare_memory(bool testdev)
{
    *phys64(PAGE_4M) = PATTERN_LO;
    *phys64(PAGE_4M_END) = PATTERN_HI;
    *phys8(NX_PAGE) = X86_RET;
    *phys8(PLAIN_PAGE) = X86_RET;
    *phys8(USER_PAGE) = X86_RET;
    *phys8(RO_PAGE) = RO_MARKER;
    phys32(PAGE_4M + 0x100)[0] = TESTDEV_A;
    phys32(PAGE_4M + 0x100)[1] = TESTDEV_B;
    phys32(PAGE_4M + 0x200)[0] = 0;
    phys32(PAGE_4M + 0x200)[1] = 0;
    lm_results.testdev_run = testdev;
}

static void report_fault(const char *name, uint32_t fault, uint32_t err, uint32_t cr2,
                         uint32_t want_err, uint32_t want_cr2)
{
    printf("  #PF %s, error code 0x%x (want 0x%x), CR2 0x%08x (want 0x%08x)\n",
           fault ? "taken" : "not taken", err, want_err, cr2, want_cr2);
    report(name, fault && err == want_err && cr2 == want_cr2);
}

// TESTDEV: the lab hypervisor is present (its test device and debug console).
static void report_results(const struct lm_results *r, bool testdev)
{
    report("reached 64-bit mode and came back", r->reached64);
    if (r->bad_vector != 0xFFFFFFFF)
        printf("  unexpected exception %u in 64-bit mode at RIP 0x%08x, error code 0x%x, "
               "CR2 0x%08x\n", r->bad_vector, r->bad_rip, r->bad_err, r->bad_cr2);
    report("no unexpected exception in 64-bit mode", r->bad_vector == 0xFFFFFFFF);

    printf("  in 64-bit mode: EFER 0x%08x, CR0 0x%08x, CR4 0x%08x\n", r->efer, r->cr0, r->cr4);
    report("long mode active (EFER.LMA)", r->efer & EFER_LMA);
    report("EFER.LME and EFER.NXE read back set",
           (r->efer & (EFER_LME | EFER_NXE)) == (EFER_LME | EFER_NXE));
    report("64-bit operand size (REX.W arithmetic)", r->wide);
    report("CR0.PG|WP|PE read back set",
           (r->cr0 & (CR0_PG | CR0_WP | CR0_PE)) == (CR0_PG | CR0_WP | CR0_PE));
    // The lab hypervisor's debug console answers reads with 0xE9, as Bochs' and
    // QEMU's do; the lab's direct runs have no debug console at all.
    if (testdev)
        report("port 0xE9 read from 64-bit mode answers 0xE9", r->e9_read == 0xE9);
    else
        report_skip("port 0xE9 read from 64-bit mode answers 0xE9",
                    "no lab hypervisor: no debug console");
    report("CR0.MP set, CR0.EM and CR0.TS clear",
           (r->cr0 & (CR0_MP | CR0_EM | CR0_TS)) == CR0_MP);
    report("CR4.PAE|OSFXSR|OSXMMEXCPT read back set",
           (r->cr4 & (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)) ==
           (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT));
    report("SSE addps", r->addps);
    report("SSE2 paddd", r->paddd);
    report("x87 fld1 + fld1 = 2.0", r->x87_sum);
    printf("  fnsave image FCW 0x%04x\n", r->fsave_fcw);
    report("x87 fnsave/frstor round trip", r->x87_roundtrip && r->fsave_fcw == 0x037F);

    bool smep = r->max_leaf >= 7 && (r->leaf7_ebx & CPUID_7_EBX_SMEP);
    printf("  CPUID max leaf 0x%x, leaf 7 EBX 0x%08x\n", r->max_leaf, r->leaf7_ebx);
    if (smep) {
        report("CR4.SMEP set", r->smep_cr4 & CR4_SMEP);
        report_fault("SMEP: supervisor fetch from a user page faults",
                     r->smep_fault, r->smep_err, r->smep_cr2, PF_P | PF_ID, USER_PAGE);
    } else {
        report_skip("CR4.SMEP set", "CPUID.7 has no SMEP");
        report_skip("SMEP: supervisor fetch from a user page faults", "CPUID.7 has no SMEP");
    }

    report("2 MiB page read (4 MiB, identity)", r->page_read);
    report("2 MiB page read through an alias (0x3FE00000 -> 4 MiB)", r->alias_read);
    report("execute from an ordinary 2 MiB page", r->exec_plain);
    report_fault("XD: fetch from a 2 MiB page with PDE bit 63 faults",
                 r->nx_fault, r->nx_err, r->nx_cr2, PF_P | PF_ID, NX_PAGE);
    report_fault("CR0.WP: supervisor write to a read-only page faults",
                 r->wp_fault, r->wp_err, r->wp_cr2, PF_P | PF_W, RO_PAGE);
    report("read-only page unchanged", *phys8(RO_PAGE) == RO_MARKER);

    if (testdev) {
        uint32_t a = phys32(PAGE_4M + 0x200)[0], b = phys32(PAGE_4M + 0x200)[1];
        printf("  test device read back 0x%08x 0x%08x\n", a, b);
        report("rep outsl/insl in 64-bit mode through a 2 MiB alias (test device)",
               r->testdev_done && a == TESTDEV_B && b == TESTDEV_B);
    } else {
        report_skip("rep outsl/insl in 64-bit mode through a 2 MiB alias (test device)",
                    "no lab hypervisor: no test device");
    }
}

int main(struct multiboot_info *info)
{
    (void)info;
    struct cpuid_result ext = cpuid(0x80000000);
    uint32_t edx = ext.eax >= CPUID_EXT_FEATURES ? cpuid(CPUID_EXT_FEATURES).edx : 0;

    printf("CPUID 0x80000001 EDX 0x%08x\n", edx);
    if (!report("CPUID long mode (0x80000001 EDX bit 29)", edx & CPUID_80000001_EDX_LM) ||
        !report("CPUID NX (0x80000001 EDX bit 20)", edx & CPUID_80000001_EDX_NX))
        return report_summary();    // SWEB sets EFER.NXE unconditionally: #GP without NX

    bool testdev = hv_present();
    uint32_t cr0, cr4;
    asm volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    printf("in 32-bit mode: CR0 0x%08x, CR4 0x%08x\n", cr0, cr4);
    build_page_tables();
    build_idt();
    prepare_memory(testdev);
    lm_run();
    puts("longmode: back in 32-bit protected mode");
    report_results(&lm_results, testdev);
    return report_summary();
}
