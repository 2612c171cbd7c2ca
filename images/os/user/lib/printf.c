// printf for user programs: formats into a buffer, then one write(2) per
// buffer-full, so that a line reaches the console in one system call.
#include "ulib.h"

struct out {
    char buf[256];
    unsigned len;
};

static void flush(struct out *o)
{
    if (o->len)
        write(STDOUT, o->buf, o->len);
    o->len = 0;
}

static void put(struct out *o, char c)
{
    if (o->len == sizeof(o->buf))
        flush(o);
    o->buf[o->len++] = c;
}

static void put_number(struct out *o, uint32_t v, unsigned base, int negative, int width, char pad)
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
        put(o, pad);
    while (n)
        put(o, digits[--n]);
}

int printf(const char *fmt, ...)
{
    struct out o = { .len = 0 };
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
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
            put_number(&o, v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(&o, va_arg(ap, uint32_t), 10, 0, width, pad);
            break;
        case 'x':
            put_number(&o, va_arg(ap, uint32_t), 16, 0, width, pad);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(&o, *s);
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, *fmt);
        }
    }
    va_end(ap);
    flush(&o);
    return 0;
}
