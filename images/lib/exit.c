#include "exit.h"
#include "console.h"
#include "cpu.h"
#include "hv.h"
#include "io.h"

#define QEMU_ACPI_PM1A_CNT  0x604   // SeaBIOS puts the PIIX4 PM base at 0x600
#define ACPI_SLEEP_S5       0x2000  // SLP_EN with SLP_TYP 0: QEMU's pc machine powers off
#define ISA_DEBUG_EXIT      0xF4    // QEMU exits with status (code << 1) | 1
#define BOCHS_SHUTDOWN      0x8900  // Bochs ends the simulation on "Shutdown"

// The same ports, in the same order, as the hypervisor's own end of run
// (docs/CONTRACT.md section 4), for a guest booted without it.
static void power_off_emulator(int code)
{
    console_flush();
    outw(QEMU_ACPI_PM1A_CNT, ACPI_SLEEP_S5);
    outl(ISA_DEBUG_EXIT, (uint32_t)code);
    for (const char *s = "Shutdown"; *s; s++)
        outb(BOCHS_SHUTDOWN, (uint8_t)*s);
}

void exit(int code)
{
    printf("EXIT: code=%d\n", code);
    if (hv_present()) {
        hypercall(HC_EXIT, (uint32_t)code, 0, 0);
        puts("FAIL: the exit hypercall returned");
    }
    power_off_emulator(code);
    halt_forever();
}
