#include "hv.h"
#include "cpu.h"
#include "string.h"

bool hv_present(void)
{
    if (!(cpuid(CPUID_FEATURES).ecx & CPUID_1_ECX_HYPERVISOR))
        return false;
    struct cpuid_result r = cpuid(CPUID_HV_INFO);
    uint32_t signature[3] = { r.ebx, r.ecx, r.edx };
    return memcmp(signature, HV_SIGNATURE, sizeof(signature)) == 0;
}

uint32_t hv_hypercall_instruction(void)
{
    if (!hv_present())
        return 0;
    return cpuid(CPUID_HV_HYPERCALL).eax;
}

int32_t hypercall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t result = nr;
    switch (hv_hypercall_instruction()) {
    case HYPERCALL_VIA_VMCALL:
        asm volatile("vmcall" : "+a"(result) : "b"(a), "c"(b), "d"(c) : "memory");
        break;
    case HYPERCALL_VIA_VMMCALL:
        asm volatile("vmmcall" : "+a"(result) : "b"(a), "c"(b), "d"(c) : "memory");
        break;
    default:
        return HC_UNKNOWN_RESULT;
    }
    return (int32_t)result;
}
