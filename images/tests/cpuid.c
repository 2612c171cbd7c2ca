// cpuid: what CPUID tells a guest of the lab hypervisor (docs/CONTRACT.md
// section 6): the hypervisor bit and leaves, and no VMX or SVM to nest further.
#include "console.h"
#include "cpu.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define NO_HV "no lab hypervisor signature at CPUID 0x40000000"

// Leaf 0 returns the vendor in EBX, EDX, ECX order (Intel SDM Vol. 2A, CPUID).
static void read_vendor(char vendor[13])
{
    struct cpuid_result r = cpuid(0);
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.edx, 4);
    memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = '\0';
}

static void check_hypervisor_leaves(const char *vendor)
{
    struct cpuid_result features = cpuid(CPUID_FEATURES);
    struct cpuid_result info = cpuid(CPUID_HV_INFO);
    uint32_t signature[3] = { info.ebx, info.ecx, info.edx };
    uint32_t instruction = cpuid(CPUID_HV_HYPERCALL).eax;
    uint32_t expected = strcmp(vendor, "GenuineIntel") == 0 ? HYPERCALL_VIA_VMCALL
                                                             : HYPERCALL_VIA_VMMCALL;

    printf("hypervisor max leaf 0x%08x, hypercall instruction %u\n",
           info.eax, instruction);
    report("cpuid hypervisor present bit (leaf 1 ECX bit 31)",
           features.ecx & CPUID_1_ECX_HYPERVISOR);
    report("cpuid 0x40000000 signature NestedLabHV",
           memcmp(signature, HV_SIGNATURE, sizeof(signature)) == 0);
    report("cpuid 0x40000000 max leaf 0x40000001", info.eax == HV_MAX_LEAF);
    report("cpuid 0x40000001 hypercall instruction is 1 or 2",
           instruction == HYPERCALL_VIA_VMCALL || instruction == HYPERCALL_VIA_VMMCALL);
    report("cpuid 0x40000001 matches the vendor (Intel vmcall, AMD vmmcall)",
           instruction == expected);
    report("cpuid VMX bit clear (leaf 1 ECX bit 5)", !(features.ecx & CPUID_1_ECX_VMX));
    report("cpuid SVM bit clear (0x80000001 ECX bit 2)",
           !(cpuid(CPUID_EXT_FEATURES).ecx & CPUID_80000001_ECX_SVM));
}

int main(struct multiboot_info *info)
{
    char vendor[13];

    (void)info;
    read_vendor(vendor);
    printf("cpu vendor %s\n", vendor);
    report("cpuid vendor is GenuineIntel or AuthenticAMD",
           strcmp(vendor, "GenuineIntel") == 0 || strcmp(vendor, "AuthenticAMD") == 0);

    if (hv_present()) {
        check_hypervisor_leaves(vendor);
    } else {
        report_skip("cpuid hypervisor present bit (leaf 1 ECX bit 31)", NO_HV);
        report_skip("cpuid 0x40000000 signature NestedLabHV", NO_HV);
        report_skip("cpuid 0x40000000 max leaf 0x40000001", NO_HV);
        report_skip("cpuid 0x40000001 hypercall instruction is 1 or 2", NO_HV);
        report_skip("cpuid 0x40000001 matches the vendor (Intel vmcall, AMD vmmcall)", NO_HV);
        report_skip("cpuid VMX bit clear (leaf 1 ECX bit 5)", NO_HV);
        report_skip("cpuid SVM bit clear (0x80000001 ECX bit 2)", NO_HV);
    }
    return report_summary();
}
