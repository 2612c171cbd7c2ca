// outside_ram: a read of guest-physical memory the guest does not have. By default
// 0xC0000000: below 4 GiB but far above a 32 MiB guest, and away from the VGA window
// and the APIC/BIOS area at 0xFEC00000 and up. With `at=end` on its command line, the
// first byte past its RAM (the end Multiboot's mem_upper gives), where a hypervisor
// that maps one page too many would still answer. With paging off the address is used
// as is. The lab hypervisor must stop the guest here with code 4 (guest-crash,
// docs/CONTRACT.md section 4); booted directly, the emulator answers the read itself
// (QEMU TCG returns 0, Bochs all ones).
#include "console.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define FAR_OUTSIDE_RAM 0xC0000000u

static uint32_t address(const struct multiboot_info *info)
{
    const char *at = cmdline_value(info, "at=");
    if (at && strncmp(at, "end", 3) == 0)
        return (info->mem_upper + 1024) * 1024;   // mem_upper: KiB from 1 MiB on
    return FAR_OUTSIDE_RAM;
}

int main(struct multiboot_info *info)
{
    bool under_hypervisor = hv_present();
    volatile uint32_t *outside = (volatile uint32_t *)address(info);
    printf("reading 0x%08x\n", (uint32_t)outside);
    console_flush();
    uint32_t value = *outside;
    printf("read outside RAM returned 0x%08x\n", value);
    if (under_hypervisor)
        report("the hypervisor stopped a read outside guest RAM", false);
    else
        report_skip("the hypervisor stopped a read outside guest RAM",
                    "no lab hypervisor to stop it");
    return report_summary();
}
