// outside_ram: a read of guest-physical memory the guest does not have.
// 0xC0000000 is below 4 GiB but far above a 32 MiB guest, and away from the
// VGA window and the APIC/BIOS area at 0xFEC00000 and up. With paging off the
// address is used as is. The lab hypervisor must stop the guest here with
// code 4 (guest-crash, docs/CONTRACT.md section 4); booted directly, the
// emulator answers the read itself (QEMU TCG returns 0, Bochs all ones).
#include "console.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"

#define OUTSIDE_RAM ((volatile uint32_t *)0xC0000000)

int main(struct multiboot_info *info)
{
    (void)info;
    bool under_hypervisor = hv_present();
    printf("reading 0x%08x\n", (uint32_t)OUTSIDE_RAM);
    console_flush();
    uint32_t value = *OUTSIDE_RAM;
    printf("read outside RAM returned 0x%08x\n", value);
    if (under_hypervisor)
        report("the hypervisor stopped a read outside guest RAM", false);
    else
        report_skip("the hypervisor stopped a read outside guest RAM",
                    "no lab hypervisor to stop it");
    return report_summary();
}
