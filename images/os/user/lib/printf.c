// printf for user programs: formats (images/common/format.c) into a buffer,
// then one write(2) per buffer-full, so that a line reaches the console in
// one system call.
#include "format.h"
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

static void put(char c, void *ctx)
{
    struct out *o = ctx;
    if (o->len == sizeof(o->buf))
        flush(o);
    o->buf[o->len++] = c;
}

int printf(const char *fmt, ...)
{
    struct out o = { .len = 0 };
    va_list ap;
    va_start(ap, fmt);
    int written = format(put, &o, fmt, ap);
    va_end(ap);
    flush(&o);
    return written;
}
