// The one printf formatter of the guest code bases; each wraps it in its own
// printf/kprintf with its own output sink (serial port, console, write(2)).
#ifndef FORMAT_H
#define FORMAT_H

#include <stdarg.h>

// %s %c %d %i %u %x %X %p, with optional 0 flag, width and l/ll length
// (long is 32 bits, so only ll takes a 64-bit argument); %% prints a percent
// sign. Calls PUT(c, CTX) for each character; returns how many it wrote.
int format(void (*put)(char c, void *ctx), void *ctx, const char *fmt, va_list ap);

#endif
