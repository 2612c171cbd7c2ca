// A small printf onto the console; no floating point, no buffering.
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "div64.h"
#include "string.h"

struct field {
    bool zero_pad;
    int width;
};

static int emit_padded(const char *text, int len, struct field f)
{
    int written = len;
    for (; f.width > len; f.width--, written++)
        console_putc(f.zero_pad ? '0' : ' ');
    console_write(text, len);
    return written;
}

static int emit_unsigned(uint64_t value, unsigned base, bool upper, struct field f)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int pos = sizeof(buf);
    do {
        uint32_t digit;
        value = div64_u32(value, base, &digit);
        buf[--pos] = digits[digit];
    } while (value);
    return emit_padded(buf + pos, sizeof(buf) - pos, f);
}

static int emit_signed(int64_t value, struct field f)
{
    if (value >= 0)
        return emit_unsigned(value, 10, false, f);
    console_putc('-');
    if (f.width > 0)
        f.width--;
    return 1 + emit_unsigned(-(uint64_t)value, 10, false, f);
}

int printf(const char *fmt, ...)
{
    va_list args;
    int written = 0;

    va_start(args, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            console_putc(*fmt);
            written++;
            continue;
        }
        struct field f = { false, 0 };
        int longs = 0;
        fmt++;
        if (*fmt == '0') {
            f.zero_pad = true;
            fmt++;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            f.width = f.width * 10 + (*fmt - '0');
        for (; *fmt == 'l'; fmt++)
            longs++;

        // long is 32 bits here, so only "ll" takes a 64-bit argument.
        switch (*fmt) {
        case 'd':
        case 'i':
            written += emit_signed(longs >= 2 ? va_arg(args, int64_t)
                                              : va_arg(args, int32_t), f);
            break;
        case 'u':
        case 'x':
        case 'X': {
            uint64_t value = longs >= 2 ? va_arg(args, uint64_t)
                                        : va_arg(args, uint32_t);
            written += emit_unsigned(value, *fmt == 'u' ? 10 : 16, *fmt == 'X', f);
            break;
        }
        case 'p':
            written += emit_padded("0x", 2, (struct field){ false, 0 });
            written += emit_unsigned((uintptr_t)va_arg(args, void *), 16, false,
                                     (struct field){ true, 8 });
            break;
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            written += emit_padded(s, strlen(s), f);
            break;
        }
        case 'c': {
            char c = (char)va_arg(args, int);
            written += emit_padded(&c, 1, f);
            break;
        }
        case '%':
            console_putc('%');
            written++;
            break;
        case '\0':
            fmt--;      // a lone '%' at the end: stop at the NUL
            break;
        default:        // unknown conversion: print it as written
            console_putc('%');
            console_putc(*fmt);
            written += 2;
            break;
        }
    }
    va_end(args);
    return written;
}
