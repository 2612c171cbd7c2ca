// exitcost: the cost of a VM exit round trip, in TSC cycles, for two exits
// every hypervisor takes: CPUID (always intercepted, Intel SDM Vol. 3C, 26.1.2;
// AMD APM Vol. 2, 15.9) and an IN from the test device's port 0xE0.
// Prints "BENCH cpuid_cycles=X" and "BENCH pio_cycles=Y" for the lab to collect.
// Booted directly the same figures are the emulator's baseline; the port
// then has no device behind it, so its check is skipped.
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "hv.h"
#include "io.h"
#include "multiboot.h"
#include "report.h"

#define ROUNDS      1000
#define TEST_DEVICE 0xE0

static uint64_t cycles_per_cpuid(void)
{
    cpuid(0);   // warm up: first-time costs are not the exit's
    uint64_t start = rdtsc();
    for (int i = 0; i < ROUNDS; i++)
        cpuid(0);
    return div64_u32(rdtsc() - start, ROUNDS, 0);
}

static uint64_t cycles_per_inb(void)
{
    inb(TEST_DEVICE);
    uint64_t start = rdtsc();
    for (int i = 0; i < ROUNDS; i++)
        inb(TEST_DEVICE);
    return div64_u32(rdtsc() - start, ROUNDS, 0);
}

int main(struct multiboot_info *info)
{
    (void)info;
    uint64_t cpuid_cycles = cycles_per_cpuid();
    uint64_t pio_cycles = cycles_per_inb();

    printf("BENCH cpuid_cycles=%llu\n", cpuid_cycles);
    printf("BENCH pio_cycles=%llu\n", pio_cycles);
    report("exitcost cpuid cycles measured (> 0)", cpuid_cycles > 0);
    if (hv_present())
        report("exitcost port I/O cycles measured (> 0)", pio_cycles > 0);
    else
        report_skip("exitcost port I/O cycles measured (> 0)",
                    "no lab hypervisor, so no test device");
    return report_summary();
}
