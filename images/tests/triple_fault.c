// triple_fault: an exception with an empty IDT. Vector 3 lies beyond the IDT
// limit, so delivering it raises #GP, delivering that raises #DF, and failing
// to deliver #DF is a triple fault: shutdown (Intel SDM Vol. 3A, 6.15,
// "Interrupt 8 - Double Fault Exception"; AMD APM Vol. 2, 8.2.9). Under the
// lab hypervisor the run must end with code 4 (guest-crash); nothing after
// the int3 may ever run.
#include "console.h"
#include "multiboot.h"
#include "report.h"

struct descriptor_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

int main(struct multiboot_info *info)
{
    static const struct descriptor_pointer empty_idt = { 0, 0 };

    (void)info;
    puts("about to triple fault");
    console_flush();
    asm volatile("lidt %0; int3" : : "m"(empty_idt));
    report("the guest stopped at its triple fault", false);
    return report_summary();
}
