// CPUID, the time-stamp counter, MSRs and halting.
#ifndef CPU_H
#define CPU_H

#include <stdbool.h>
#include <stdint.h>

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_result cpuid_count(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_result r;
    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

static inline struct cpuid_result cpuid(uint32_t leaf)
{
    return cpuid_count(leaf, 0);
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t index)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t index, uint64_t value)
{
    asm volatile("wrmsr" : : "c"(index), "a"((uint32_t)value),
                 "d"((uint32_t)(value >> 32)) : "memory");
}

// Like rdmsr/wrmsr, but return false instead of dying when the access raises #GP.
bool rdmsr_safe(uint32_t index, uint64_t *value);
bool wrmsr_safe(uint32_t index, uint64_t value);

static inline __attribute__((noreturn)) void halt_forever(void)
{
    for (;;)
        asm volatile("cli; hlt");
}

#endif
