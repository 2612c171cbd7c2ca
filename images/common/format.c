// No floating point, no buffering: the caller's PUT sees every character.
#include <stdbool.h>
#include <stdint.h>

#include "div64.h"
#include "format.h"
#include "string.h"

struct sink {
    void (*put)(char c, void *ctx);
    void *ctx;
    int written;
};

struct field {
    bool zero_pad;
    int width;
};

static void emit(struct sink *s, char c)
{
    s->put(c, s->ctx);
    s->written++;
}

static void emit_padded(struct sink *s, const char *text, int len, struct field f)
{
    for (; f.width > len; f.width--)
        emit(s, f.zero_pad ? '0' : ' ');
    while (len--)
        emit(s, *text++);
}

static void emit_number(struct sink *s, uint64_t value, unsigned base, bool upper,
                        bool negative, struct field f)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int pos = sizeof(buf);
    do {
        uint32_t digit;
        value = div64_u32(value, base, &digit);     // no libgcc for 64-bit division
        buf[--pos] = digits[digit];
    } while (value);
    if (negative && f.zero_pad) {   // the sign goes before zeros ("-007")...
        emit(s, '-');
        f.width--;
    } else if (negative) {          // ...and after spaces ("  -7")
        buf[--pos] = '-';
    }
    emit_padded(s, buf + pos, sizeof(buf) - pos, f);
}

int format(void (*put)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
    struct sink s = { put, ctx, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(&s, *fmt);
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

        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
            emit_number(&s, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, f);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
            emit_number(&s, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, f);
            break;
        }
        case 'p':
            emit_padded(&s, "0x", 2, (struct field){ false, 0 });
            emit_number(&s, (uintptr_t)va_arg(ap, void *), 16, false, false,
                        (struct field){ true, 8 });
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit_padded(&s, str, strlen(str), f);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_padded(&s, &c, 1, f);
            break;
        }
        case '%':
            emit(&s, '%');
            break;
        case '\0':
            fmt--;      // a lone '%' at the end: stop at the NUL
            break;
        default:        // unknown conversion: print it as written
            emit(&s, '%');
            emit(&s, *fmt);
            break;
        }
    }
    return s.written;
}
