// kprintf and panic onto the kernel console; the formatting is
// images/common/format.c (format.h lists the conversions).
#include "format.h"
#include "kernel.h"
#include "x86.h"

static void put_console(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(put_console, NULL, fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    cli();
    console_start_line();
    kprintf("panic: ");
    va_list ap;
    va_start(ap, fmt);
    format(put_console, NULL, fmt, ap);
    va_end(ap);
    kprintf("\n");
    for (;;)
        asm volatile("cli; hlt");
}
