// hello: the smallest guest. It proves the toolchain, the loader, the console
// and the exit path work before any other test is worth reading.
#include "console.h"
#include "multiboot.h"
#include "report.h"

// Sum 1..n through the stack (volatile keeps GCC from folding it to a constant).
static unsigned sum_on_stack(unsigned n)
{
    volatile unsigned values[16];
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++)
        values[i] = i + 1;
    for (unsigned i = 0; i < n; i++)
        sum += values[i];
    return sum;
}

int main(struct multiboot_info *info)
{
    (void)info;
    puts("hello from the test guest");
    report("arithmetic on the stack", sum_on_stack(16) == 136);
    return report_summary();
}
