// Exceptions: every one is fatal unless a test said it expects it.
#ifndef EXCEPTION_H
#define EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

// Vector numbers, Intel SDM Vol. 3A, Table 6-1.
#define DE_VECTOR 0
#define DB_VECTOR 1
#define BP_VECTOR 3
#define UD_VECTOR 6
#define DF_VECTOR 8
#define GP_VECTOR 13
#define PF_VECTOR 14

#define EXCEPTION_VECTORS 32
#define IDT_VECTORS 48          // exceptions, then the PIC's 0x20-0x2F (irq.h)

// The stack as vectors.S leaves it: PUSHA, then vector and error code, then
// what the CPU pushed (no ESP/SS: no privilege change at CPL 0).
struct exception_frame {
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
};

void exceptions_init(void);

// Run FN(ARG). Returns true if it raised exception VECTOR (FN is abandoned at
// that point and *ERROR_CODE, if not NULL, receives the error code), false if
// FN returned normally. Any other exception is fatal, as always.
bool expect_exception(unsigned vector, void (*fn)(void *), void *arg,
                      uint32_t *error_code);

#endif
