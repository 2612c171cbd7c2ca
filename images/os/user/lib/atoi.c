// The bit of libc's stdlib.h the programs use (string.h is images/common).
#include "ulib.h"

int atoi(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}
