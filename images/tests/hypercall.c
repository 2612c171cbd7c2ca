// hypercall: the hypercall ABI of docs/CONTRACT.md section 5. The scenario
// looks for "hypercall puts works" on the guest console, which only the puts
// hypercall (never COM1) writes here, and for the run to end with code 0 by
// the exit hypercall that exit() issues after the summary. With `exit=N` on its
// command line it ends by the exit hypercall with code N instead, whose verdict
// must then be a failure (a hypervisor that ignored the code would pass it).
#include "console.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define UNKNOWN_HYPERCALL 0x4C4142     // "LAB": far from any number the contract assigns

static const char message[] = "hypercall puts works\n";

int main(struct multiboot_info *info)
{
    uint32_t asked;
    int code = cmdline_number(info, "exit=", &asked) ? (int)asked : -1;
    if (!hv_present()) {
        report_skip("hypercall puts returns 0", "no lab hypervisor");
        report_skip("hypercall unknown number returns -1", "no lab hypervisor");
        return report_summary();
    }
    printf("hypercall instruction %s\n",
           hv_hypercall_instruction() == HYPERCALL_VIA_VMCALL ? "vmcall" : "vmmcall");

    // Paging is off, so the string's address is its guest-physical address.
    int32_t result = hypercall(HC_PUTS, (uint32_t)message, strlen(message), 0);
    report("hypercall puts returns 0", result == 0);

    result = hypercall(UNKNOWN_HYPERCALL, 0, 0, 0);
    printf("unknown hypercall 0x%x returned 0x%08x\n", UNKNOWN_HYPERCALL, (uint32_t)result);
    report("hypercall unknown number returns -1", result == HC_UNKNOWN_RESULT);

    int failures = report_summary();
    if (code >= 0) {
        printf("exit hypercall with code %d\n", code);
        hypercall(HC_EXIT, (uint32_t)code, 0, 0);
    }
    return failures;   // exit() then ends the run with hypercall 0
}
