/* The few libc routines the hypervisor needs; gcc may emit calls to memset/memcpy itself. */
#ifndef LIB_H
#define LIB_H

#include "types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Parses a decimal (or 0x hex) number of up to len bytes; false if it is not one. */
bool parse_u64(const char *s, size_t len, u64 *out);

#endif
