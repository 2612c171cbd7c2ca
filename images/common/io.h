// Port I/O of every width, single and string (REP INS/OUTS) forms.
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value)
{
    asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t value)
{
    asm volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
    asm volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

// String forms: COUNT items between PORT and memory, ascending addresses (DF = 0,
// which the C ABI guarantees on entry).
#define DEFINE_STRING_IO(width, type)                                          \
    static inline void outs##width(uint16_t port, const void *buf, size_t count) \
    {                                                                          \
        asm volatile("rep outs" #width                                         \
                     : "+S"(buf), "+c"(count) : "d"(port) : "memory");         \
    }                                                                          \
    static inline void ins##width(uint16_t port, void *buf, size_t count)      \
    {                                                                          \
        asm volatile("rep ins" #width                                          \
                     : "+D"(buf), "+c"(count) : "d"(port) : "memory");         \
    }

DEFINE_STRING_IO(b, uint8_t)
DEFINE_STRING_IO(w, uint16_t)
DEFINE_STRING_IO(l, uint32_t)

#undef DEFINE_STRING_IO

#endif
