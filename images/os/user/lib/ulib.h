// What user programs get: the system calls and a little of libc.
#ifndef ULIB_H
#define ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

// printf.c: %d %u %x %s %c with an optional '0' flag and width.
int printf(const char *fmt, ...);

// string.c
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int atoi(const char *s);

#endif
