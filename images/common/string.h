// The string functions all three guest code bases share (images/lib, the OS
// kernel, OS user programs). GCC may call memcpy, memset, memmove and memcmp
// on its own even in freestanding code (GCC manual, "Standards").
#ifndef STRING_H
#define STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
// Copy at most SIZE - 1 bytes and always terminate; returns strlen(src).
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
