// 64-bit by 32-bit division without libgcc's __udivdi3.
#ifndef DIV64_H
#define DIV64_H

#include <stdint.h>

uint64_t div64_u32(uint64_t dividend, uint32_t divisor, uint32_t *remainder);

#endif
