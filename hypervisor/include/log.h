/* The hypervisor log on COM2 (CONTRACT.md 3): human lines and `@lab` marker lines. */
#ifndef LOG_H
#define LOG_H

#include "types.h"

void log_init(void);
void log_printf(const char *fmt, ...) __printf(1, 2);
void log_vprintf(const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
