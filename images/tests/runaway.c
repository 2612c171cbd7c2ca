// runaway: interrupts off and a jump to itself: no exit of its own, ever. The hypervisor
// must keep control of the machine; with watchdog=N on its command line it stops the guest
// with code 5 (docs/CONTRACT.md sections 2 and 7).
#include "console.h"
#include "multiboot.h"

int main(struct multiboot_info *info)
{
    (void)info;
    puts("running away");
    console_flush();
    asm volatile("cli\n1: jmp 1b");
    return 1;
}
