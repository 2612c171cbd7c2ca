// softint: a software interrupt (INT n) whose delivery takes a nested page fault runs its
// handler once. The guest zeroes PAGES pages, prints "softint: zeroed" and waits for a
// byte on COM1: meanwhile, under `dedup`, the hypervisor maps the zero pages read-only to
// its one zero page. Then, for each page, it moves its stack to the top of the page and
// executes `int $0x25` (the vector of IRQ 5): pushing the interrupt frame writes the
// read-only page, a nested page fault in the middle of the delivery, and the hypervisor
// gives the page a copy. A hypervisor that then injects the interrupted INT n again with
// RIP still at the instruction runs the handler twice for one INT (a system call made
// twice). It prints "softint: N runs for PAGES INTs" and reports.
#include "console.h"
#include "io.h"
#include "irq.h"
#include "report.h"

#define PAGES 16
#define PAGE 4096
#define COM1 0x3F8
#define UART_LSR 5
#define LSR_DATA_READY 0x01

static uint8_t stacks[PAGES][PAGE] __attribute__((aligned(PAGE)));
static volatile unsigned runs;

static void on_int(struct exception_frame *frame)
{
    (void)frame;
    runs++;
}

int main(void)
{
    irq_set_handler(5, on_int);
    for (unsigned p = 0; p < PAGES; p++)
        for (unsigned i = 0; i < PAGE; i++)
            ((volatile uint8_t *)stacks[p])[i] = 0;
    puts("softint: zeroed");
    while (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
        asm volatile("pause");
    (void)inb(COM1);
    for (unsigned p = 0; p < PAGES; p++) {
        uint8_t *top = stacks[p] + PAGE;
        asm volatile("mov %%esp, %%ebx\n\t"
                     "mov %0, %%esp\n\t"
                     "int $0x25\n\t"
                     "mov %%ebx, %%esp"
                     : : "r"(top) : "ebx", "memory", "cc");
    }
    printf("softint: %u runs for %u INTs\n", runs, PAGES);
    report("one handler run for each INT n whose delivery faulted", runs == PAGES);
    return report_summary();
}
