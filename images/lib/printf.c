// printf onto the serial console; the formatting is images/common/format.c.
#include <stdarg.h>
#include <stddef.h>

#include "console.h"
#include "format.h"

static void put_console(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int written = format(put_console, NULL, fmt, ap);
    va_end(ap);
    return written;
}
