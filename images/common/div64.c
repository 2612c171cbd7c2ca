#include "div64.h"

// Schoolbook division in two DIVL steps. The second step cannot overflow:
// its high half is the first step's remainder, which is below the divisor
// (DIV raises #DE when the quotient does not fit, Intel SDM Vol. 2A "DIV").
uint64_t div64_u32(uint64_t dividend, uint32_t divisor, uint32_t *remainder)
{
    uint32_t high = dividend >> 32;
    uint32_t low = (uint32_t)dividend;
    uint32_t quotient_high = high / divisor;
    uint32_t quotient_low, rest;

    asm("divl %4"
        : "=a"(quotient_low), "=d"(rest)
        : "a"(low), "d"(high % divisor), "rm"(divisor));
    if (remainder)
        *remainder = rest;
    return (uint64_t)quotient_high << 32 | quotient_low;
}
