// The IDT and the one C entry point for every interrupt, exception and system call.
#include "kernel.h"
#include "mmu.h"
#include "trap.h"
#include "x86.h"
#include "syscall.h"

#define IDT_ENTRIES     256
#define GATE_INTERRUPT  0x8E    // present, DPL 0, 32-bit interrupt gate (IF cleared)
#define GATE_USER       0xEE    // the same with DPL 3: ring 3 may `int` it

struct gate {
    uint16_t offset_low, selector;
    uint8_t zero, type;
    uint16_t offset_high;
} __attribute__((packed));

static struct gate idt[IDT_ENTRIES];
extern char trap_stubs[], syscall_stub[];

static const char *exception_names[] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error",
};

static void set_gate(int vector, void *handler, uint8_t type)
{
    uint32_t a = (uint32_t)handler;
    idt[vector] = (struct gate){ a & 0xFFFF, SEL_KERNEL_CODE, 0, type, a >> 16 };
}

void idt_init(void)
{
    for (int v = 0; v < 48; v++)
        set_gate(v, trap_stubs + v * TRAP_STUB_SIZE, GATE_INTERRUPT);
    set_gate(SYSCALL_VECTOR, syscall_stub, GATE_USER);
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = {
        sizeof(idt) - 1, (uint32_t)idt
    };
    asm volatile("lidt %0" : : "m"(idtr));
}

static void irq(int n)
{
    switch (n) {
    case IRQ_TIMER:
        ticks++;
        break;
    case IRQ_KEYBOARD:
        kbd_intr();
        break;
    case IRQ_COM1:
        uart_poll_input();
        break;
    case IRQ_ATA_PRIMARY:
        ata_intr(0);
        break;
    case IRQ_ATA_SECONDARY:
        ata_intr(1);
        break;
    }
    pic_eoi(n);
}

static const char *exception_name(uint32_t v)
{
    return v < ARRAY_SIZE(exception_names) ? exception_names[v] : "unknown exception";
}

void trap(struct trapframe *tf)
{
    if (tf->vector == SYSCALL_VECTOR) {
        syscall(tf);
        return;
    }
    if (tf->vector >= IRQ_BASE && tf->vector < IRQ_BASE + 16) {
        irq((int)(tf->vector - IRQ_BASE));
        return;
    }
    uint32_t cr2 = tf->vector == T_PAGE_FAULT ? read_cr2() : 0;
    if ((tf->cs & 3) == 3) {
        // A program's fault ends the program, not the kernel.
        console_start_line();
        kprintf("program killed: %s (vector %u) at eip %08x, error %x, cr2 %08x\n",
                exception_name(tf->vector), tf->vector, tf->eip, tf->error, cr2);
        proc_exit(-1);
    }
    panic("%s (vector %u) in the kernel at eip %08x, error %x, cr2 %08x",
          exception_name(tf->vector), tf->vector, tf->eip, tf->error, cr2);
}
