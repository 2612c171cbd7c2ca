// Port I/O, control registers and the other one-instruction helpers.
#ifndef X86_H
#define X86_H

#include <stdint.h>

#include "io.h" // port I/O of every width and the REP string forms (images/common)

// Port 0x80 (the POST code port) is unused; writing it costs about a
// microsecond, the pause slow ISA devices need between accesses. SWEB writes
// it after every such access, so we do too (outb_p / inb_p).
#define PORT_DELAY 0x80

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void io_delay(void)
{
    outb(PORT_DELAY, 0);
}

static inline void outb_p(uint16_t port, uint8_t v)
{
    outb(port, v);
    io_delay();
}

static inline uint8_t inb_p(uint16_t port)
{
    uint8_t v = inb(port);
    io_delay();
    return v;
}

static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }

// Sleep until the next interrupt. STI takes effect only after the following
// instruction, so an interrupt cannot slip in between the caller's check
// (done with interrupts off) and the HLT: the classic lost-wakeup race.
static inline void sti_hlt_cli(void)
{
    asm volatile("sti; hlt; cli" ::: "memory");
}

static inline uint32_t read_eflags(void)
{
    uint32_t v;
    asm volatile("pushfl; popl %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr2(void)
{
    uint32_t v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint32_t v)
{
    asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t read_cr0(void)
{
    uint32_t v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void write_cr0(uint32_t v)
{
    asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

#define EFLAGS_IF 0x200

#endif
