/*
 * Virtual 8254 PIT (ports 0x40-0x43) and system control port B (0x61), after KVM's i8254.c.
 * References are to the Intel 8254 datasheet (231164). The model is driven by emulated time:
 * the core calls pit_advance() with the nanoseconds that passed (before it forwards a port
 * access, and when its own timer fires), raises IRQ0 once per returned edge, and programs
 * its timer with pit_next_event_ns().
 */
#ifndef PIT_H
#define PIT_H

#include "types.h"
#include "portbus.h"

#define PIT_BASE 0x40		/* counters 0-2 at 0x40-0x42, control word at 0x43 */
#define PIT_PORT_B 0x61		/* system control port B: gate 2, speaker, refresh, OUT2 */
#define PIT_HZ 1193182ULL	/* CLK input on PCs: 14.31818 MHz / 12 */
#define PIT_NO_EVENT (~0ULL)

struct pit_channel {
	u8 ctrl;		/* RW1 RW0 M2 M1 M0 BCD of the last control word, for status */
	u8 mode;		/* 0-5 (6 and 7 are 2 and 3) */
	u8 rw;			/* 1 lobyte, 2 hibyte, 3 lobyte then hibyte */
	bool bcd;
	bool gate;
	bool loaded;		/* a count was written since the control word */
	bool counting;
	bool null_count;
	u32 reload;		/* the count in clocks: 1..65536 (binary) or 1..10000 (BCD) */
	u64 start;		/* CLK tick at which the current count started */
	bool has_pending;	/* modes 2/3: a new count waits for the end of the cycle */
	u32 pending;
	u64 pending_at;
	bool write_hi, read_hi;	/* the lobyte/hibyte flip-flops */
	u8 write_lo;
	bool count_latched, status_latched;
	u16 latch;
	u8 status;
};

struct pit {
	struct pit_channel ch[3];
	u64 ticks;		/* CLK ticks since pit_init */
	u64 frac;		/* the part of a tick not yet elapsed, in 1e-9 ticks */
	u8 port_b;		/* bits 0-3 as last written to 0x61 */
	bool refresh;		/* port 0x61 bit 4 */
};

void pit_init(struct pit *t);
/* Advances emulated time by ns; returns the number of IRQ0 (OUT0) rising edges it held. */
u32 pit_advance(struct pit *t, u64 ns);
/* Nanoseconds until the next IRQ0 rising edge, or PIT_NO_EVENT. */
u64 pit_next_event_ns(struct pit *t);

u32 pit_port_read(void *state, u16 port, u8 size);
void pit_port_write(void *state, u16 port, u8 size, u32 value);
struct port_device pit_dev(struct pit *t);	/* 0x40-0x43 */
struct port_device pit_port_b_dev(struct pit *t);	/* 0x61 */

#endif
