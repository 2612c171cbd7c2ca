// The registers an interrupt or exception saves, in the order trap.S pushes them.
#ifndef TRAP_H
#define TRAP_H

#define IRQ_BASE        0x20    // the PICs deliver IRQ n at vector IRQ_BASE + n
#define IRQ_TIMER       0
#define IRQ_KEYBOARD    1
#define IRQ_COM1        4
#define IRQ_ATA_PRIMARY 14
#define IRQ_ATA_SECONDARY 15
#define T_PAGE_FAULT    14
#define TRAP_STUB_SIZE  16      // trap.S aligns every stub to this

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trapframe {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;     // pusha
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t user_esp, user_ss;     // only when the trap came from ring 3
};
#endif

#endif
