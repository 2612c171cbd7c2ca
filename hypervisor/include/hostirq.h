/*
 * The hypervisor's own interrupts from the real machine: the real 8259 pair remapped to
 * HOST_IRQ_VECTOR (drivers/i8259.c), the real PIT as the periodic time source and the
 * TSC calibrated against it (drivers/i8254.c), the real keyboard (drivers/ps2kbd.c), the
 * real COM1 receiver (drivers/uart.c), and the I/O APIC's NMI route (drivers/ioapic.c). None of this is what the guest sees: its PIC,
 * PIT and i8042 are device models (devices/), fed by core/irq.c.
 *
 * The hypervisor runs with RFLAGS.IF=0. Interrupts are taken only at the points that call
 * host_take_irqs() or host_wait_irq(), so handlers may touch device models and core state
 * without locks.
 */
#ifndef HOSTIRQ_H
#define HOSTIRQ_H

#include "types.h"

#define HOST_IRQ_VECTOR 0x20 /* master IR0-7 at 0x20-0x27, slave IR8-15 at 0x28-0x2F */
#define HOST_IRQS 16
#define HOST_IRQ_TIMER 0
#define HOST_IRQ_KBD 1
#define HOST_IRQ_COM2 3
#define HOST_IRQ_COM1 4
#define HOST_TICK_HZ 1000

/* drivers/i8259.c */
void hostirq_init(void);
/* Installs fn for the real IRQ line and unmasks it. */
void hostirq_register(int irq, void (*fn)(void));
void hostirq_dispatch(int irq); /* from the IDT (core/idt.c) */

/* Opens a one-instruction window for the interrupts pending at the real PIC: the
 * instruction after STI still runs with interrupts blocked (SDM Vol 2B "STI"). */
static inline void host_take_irqs(void)
{
	asm volatile("sti; nop; cli" ::: "memory");
}

/* Sleeps until the next real interrupt and handles it. STI's shadow covers the HLT, so an
 * interrupt that arrives in between still wakes it. */
static inline void host_wait_irq(void)
{
	asm volatile("sti; hlt; cli" ::: "memory");
}

/* drivers/i8254.c: TSC calibration and the periodic tick (HOST_TICK_HZ). */
extern u64 tsc_khz;
extern volatile u64 host_ticks;
void timer_init(void);
/* Nanoseconds since timer_init, from the TSC. */
u64 time_ns(void);
/* drivers/cmos.c: the machine's clock, read once (after timer_init); then the wall clock,
 * seconds since 1970, for the guests' virtual clocks (ctx unused). */
void cmos_init(void);
u64 wall_seconds(void *ctx);
/* A TSC value read since timer_init(), as time_ns() would have given it then. */
u64 tsc_to_ns(u64 tsc);
/* The first TSC value at which time_ns() gives ns or more. */
u64 ns_to_tsc(u64 ns);
static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* drivers/ioapic.c: the PIT tick as an NMI too (for guests that run with IF=0 forever). */
void ioapic_pit_nmi(void);
extern volatile u64 host_nmis; /* core/idt.c */

/* drivers/ps2kbd.c: the real i8042; each byte from the keyboard goes to sink. */
void ps2kbd_init(void (*sink)(u8 scancode));

#endif
