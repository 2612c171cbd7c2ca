// What user programs get: the system calls and a little of libc.
#ifndef ULIB_H
#define ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "string.h"    // images/common
#include "syscall.h"

// usys.S
__attribute__((noreturn)) void exit(int code);
int read(int fd, void *buf, unsigned len);
int write(int fd, const void *buf, unsigned len);
int open(const char *path, int flags);
int close(int fd);
int unlink(const char *path);
unsigned ticks(void);
unsigned tick_hz(void);

// printf.c: images/common/format.h's conversions.
int printf(const char *fmt, ...);

// atoi.c
int atoi(const char *s);

#endif
