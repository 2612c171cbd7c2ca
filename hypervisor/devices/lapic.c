/* The minimal local APIC (devices/lapic.h): registers only. Layout: SDM Vol 3A table
 * 11-1 "Local APIC Register Address Map"; reset values: 11.4.7.1. */
#include "lapic.h"

#define VERSION 0x00050014         /* max LVT entry 5 (six entries), version 0x14 */
#define SVR_WRITABLE 0x3ff         /* vector, APIC software enable, focus check */
#define LVT_WRITABLE 0x0007a7ff    /* vector, delivery mode, polarity, trigger, mask, timer mode */
#define ICR_LOW_WRITABLE 0x000ccfff /* all but delivery status (bit 12, read-only) */

void lapic_reset(struct lapic *a)
{
	*a = (struct lapic){ .dfr = 0xffffffff, .svr = 0xff };
	for (int i = 0; i < LAPIC_LVT_COUNT; i++)
		a->lvt[i] = LAPIC_LVT_MASKED;
}

u32 lapic_read(struct lapic *a, u32 reg, u8 size)
{
	if (size != 4 || (reg & 0xf))
		return 0;
	switch (reg) {
	case LAPIC_ID: return a->id;
	case LAPIC_VERSION: return VERSION;
	case LAPIC_TPR: return a->tpr;
	case LAPIC_PPR: return a->tpr & 0xf0; /* nothing in service: PPR follows TPR */
	case LAPIC_LDR: return a->ldr;
	case LAPIC_DFR: return a->dfr;
	case LAPIC_SVR: return a->svr;
	case LAPIC_ICR_LOW: return a->icr_low;
	case LAPIC_ICR_HIGH: return a->icr_high;
	case LAPIC_TIMER_INITIAL: return a->timer_initial;
	case LAPIC_TIMER_DIVIDE: return a->timer_divide;
	}
	if (reg >= LAPIC_LVT_TIMER && reg <= LAPIC_LVT_ERROR)
		return a->lvt[(reg - LAPIC_LVT_TIMER) >> 4];
	return 0; /* APR, EOI, ISR, TMR, IRR, ESR, the current count, reserved offsets */
}

void lapic_write(struct lapic *a, u32 reg, u8 size, u32 value)
{
	if (size != 4 || (reg & 0xf))
		return;
	switch (reg) {
	case LAPIC_ID: a->id = value & 0xff000000; return;
	case LAPIC_TPR: a->tpr = value & 0xff; return;
	case LAPIC_LDR: a->ldr = value & 0xff000000; return;
	case LAPIC_DFR: a->dfr = value | 0x0fffffff; return; /* model in bits 31:28 */
	case LAPIC_SVR: a->svr = value & SVR_WRITABLE; return;
	case LAPIC_ICR_HIGH: a->icr_high = value & 0xff000000; return;
	case LAPIC_ICR_LOW:
		a->icr_low = value & ICR_LOW_WRITABLE;
		a->ipis_ignored++;
		return;
	case LAPIC_TIMER_INITIAL: a->timer_initial = value; return;
	case LAPIC_TIMER_DIVIDE: a->timer_divide = value & 0xb; return;
	}
	if (reg >= LAPIC_LVT_TIMER && reg <= LAPIC_LVT_ERROR)
		a->lvt[(reg - LAPIC_LVT_TIMER) >> 4] = value & LVT_WRITABLE;
	/* EOI, ESR and the read-only registers: nothing to keep */
}
