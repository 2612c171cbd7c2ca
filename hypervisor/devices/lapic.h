/*
 * A minimal local APIC for one CPU (SDM Vol 3A chapter 11, "Advanced Programmable Interrupt
 * Controller", xAPIC mode): the register page a guest's start-up code reads and writes,
 * nothing that delivers an interrupt. What it does:
 *   - ID, version (an integrated APIC, version 0x14, six LVT entries), TPR and PPR, LDR,
 *     DFR, SVR, the LVT entries, ICR, the timer's initial count and divide configuration
 *     hold what the guest writes, with their read-only bits and reset values (11.4.7);
 *   - EOI and ESR writes are accepted; ISR, TMR, IRR and ESR read 0 (nothing is ever in
 *     service: no interrupt comes from this APIC);
 *   - the timer never counts (current count reads 0) and no LVT entry fires; an IPI
 *     written to the ICR is not delivered (there is one CPU), and is logged by the caller.
 * The guest's interrupts come from its 8259 pair, as on a PC whose APIC is in PIC mode.
 */
#ifndef DEVICES_LAPIC_H
#define DEVICES_LAPIC_H

#include "types.h"

#define LAPIC_BASE 0xfee00000ULL   /* IA32_APIC_BASE's reset base (SDM Vol 3A 11.4.4) */
#define LAPIC_SIZE 0x1000

#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_APR 0x090
#define LAPIC_PPR 0x0a0
#define LAPIC_EOI 0x0b0
#define LAPIC_LDR 0x0d0
#define LAPIC_DFR 0x0e0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define LAPIC_LVT_COUNT 6          /* timer, thermal, performance, LINT0, LINT1, error */
#define LAPIC_LVT_MASKED 0x10000

struct lapic {
	u32 id, tpr, ldr, dfr, svr, icr_low, icr_high, timer_initial, timer_divide;
	u32 lvt[LAPIC_LVT_COUNT];
	u32 ipis_ignored;          /* ICR writes that asked for an IPI: none is delivered */
};

/* The state at power-up and INIT (SDM Vol 3A 11.4.7.1). */
void lapic_reset(struct lapic *a);
/* One register access at offset `reg` in the page, of `size` bytes: the registers are
 * 32 bits wide on 16-byte boundaries; other offsets and sizes read 0 and ignore writes
 * (the SDM leaves them undefined). */
u32 lapic_read(struct lapic *a, u32 reg, u8 size);
void lapic_write(struct lapic *a, u32 reg, u8 size, u32 value);

#endif
