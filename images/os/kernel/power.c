// Finding the lab hypervisor, and turning the machine off.
#include "kernel.h"
#include "x86.h"

#define CPUID_FEATURES          0x00000001
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)
#define CPUID_HV_INFO           0x40000000  // EBX:ECX:EDX = "NestedLabHV\0"
#define CPUID_HV_HYPERCALL      0x40000001  // EAX: 1 = vmcall, 2 = vmmcall
#define HYPERCALL_VIA_VMCALL    1
#define HYPERCALL_VIA_VMMCALL   2
#define HC_EXIT                 0

#define QEMU_ACPI_PM1A_CNT      0x604       // SeaBIOS's PM base 0x600 + 4
#define ACPI_SLP_TYP_S5_EN      0x2000
#define BOCHS_SHUTDOWN_PORT     0x8900

// CONTRACT.md, section 6.
bool hv_present(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    if (!(c & CPUID_1_ECX_HYPERVISOR))
        return false;
    uint32_t sig[3];
    cpuid(CPUID_HV_INFO, &a, &sig[0], &sig[1], &sig[2]);
    return memcmp(sig, "NestedLabHV", 12) == 0;
}

// The exit hypercall (CONTRACT.md, section 5). The wrong instruction would
// raise #UD, so leaf 0x40000001 decides which one.
static void hypercall_exit(uint32_t code)
{
    uint32_t how, b, c, d;
    cpuid(CPUID_HV_HYPERCALL, &how, &b, &c, &d);
    uint32_t eax = HC_EXIT;
    if (how == HYPERCALL_VIA_VMCALL)
        asm volatile("vmcall" : "+a"(eax) : "b"(code) : "memory");
    else if (how == HYPERCALL_VIA_VMMCALL)
        asm volatile("vmmcall" : "+a"(eax) : "b"(code) : "memory");
}

void power_off(void)
{
    uart_drain();
    cli();
    if (hv_present())
        hypercall_exit(0);
    outw(QEMU_ACPI_PM1A_CNT, ACPI_SLP_TYP_S5_EN);
    for (const char *s = "Shutdown"; *s; s++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
    for (;;)
        asm volatile("hlt");
}
