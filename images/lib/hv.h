// Finding the lab hypervisor and calling it (docs/CONTRACT.md sections 5 and 6).
#ifndef HV_H
#define HV_H

#include <stdbool.h>
#include <stdint.h>

#define CPUID_FEATURES          0x00000001
#define CPUID_HV_INFO           0x40000000  // EAX = max leaf, EBX:ECX:EDX = signature
#define CPUID_HV_HYPERCALL      0x40000001  // EAX = which hypercall instruction
#define CPUID_EXT_FEATURES      0x80000001

#define CPUID_1_ECX_VMX         (1u << 5)   // Intel SDM Vol. 2A, CPUID, Table 3-10
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)  // reserved for hypervisors to set
#define CPUID_80000001_ECX_SVM  (1u << 2)   // AMD APM Vol. 3, E.4.2

#define HV_SIGNATURE            "NestedLabHV"   // 12 bytes with its NUL
#define HV_MAX_LEAF             0x40000001

#define HYPERCALL_VIA_VMCALL    1
#define HYPERCALL_VIA_VMMCALL   2

#define HC_EXIT                 0   // EBX = exit code
#define HC_PUTS                 1   // EBX = guest-physical address, ECX = length
#define HC_PUTS_MAX             4096
#define HC_UNKNOWN_RESULT       -1

// True when CPUID leaf 1 says "hypervisor" and leaf 0x40000000 carries our signature.
bool hv_present(void);
// 1 (vmcall), 2 (vmmcall), or 0 when no lab hypervisor is present.
uint32_t hv_hypercall_instruction(void);
// Issue hypercall NR with EBX = A, ECX = B, EDX = C; returns EAX.
// Without the hypervisor nothing is issued (it would #UD) and -1 is returned.
int32_t hypercall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c);

#endif
