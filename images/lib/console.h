// The guest console: COM1, polled, 115200 8N1 (docs/CONTRACT.md section 3).
// Lines end in a bare "\n" so the lab can compare the output byte for byte.
#ifndef CONSOLE_H
#define CONSOLE_H

void console_init(void);
void console_putc(char c);
void console_write(const char *s, unsigned len);
// Wait until the UART has sent every byte: Bochs' UART follows emulated time
// and drops what is still queued when the machine stops.
void console_flush(void);

// Write S and a newline, as C's puts does.
int puts(const char *s);
// %s %c %d %i %u %x %X %p, with optional 0 flag, width and l/ll length
// (so %08x, %llu, %llx); %% prints a percent sign.
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
