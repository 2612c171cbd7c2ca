// kprintf: %d %u %x %s %c %p and %%, with an optional '0' flag and width.
#include "kernel.h"
#include "x86.h"

static void put_number(void (*put)(char, void *), void *arg, uint32_t v,
                       unsigned base, bool negative, int width, char pad)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative)
        digits[n++] = '-';
    for (int i = n; i < width; i++)
        put(pad, arg);
    while (n)
        put(digits[--n], arg);
}

void kvprintf(void (*put)(char, void *), void *arg, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(*fmt, arg);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'd': {
            int v = va_arg(ap, int);
            put_number(put, arg, v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(put, arg, va_arg(ap, uint32_t), 10, false, width, pad);
            break;
        case 'x':
        case 'p':
            put_number(put, arg, va_arg(ap, uint32_t), 16, false, width, pad);
            break;
        case 'c':
            put((char)va_arg(ap, int), arg);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)strlen(s);
            for (int i = len; i < width; i++)
                put(' ', arg);
            while (*s)
                put(*s++, arg);
            break;
        }
        case '\0':
            return;
        default:
            put(*fmt, arg);
        }
    }
}

static void put_console(char c, void *arg)
{
    (void)arg;
    console_putc(c);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(put_console, NULL, fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    cli();
    console_start_line();
    kprintf("panic: ");
    va_list ap;
    va_start(ap, fmt);
    kvprintf(put_console, NULL, fmt, ap);
    va_end(ap);
    kprintf("\n");
    for (;;)
        asm volatile("cli; hlt");
}
