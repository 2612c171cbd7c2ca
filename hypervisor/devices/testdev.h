/* The lab's test device at 0xE0-0xE7 (CONTRACT.md 6): eight bytes of scratch storage. */
#ifndef DEVICES_TESTDEV_H
#define DEVICES_TESTDEV_H

#include "types.h"
#include "portbus.h"

#define TESTDEV_PORTS 8

struct testdev {
	u16 base;
	u8 bytes[TESTDEV_PORTS];
};

void testdev_init(struct testdev *t, u16 base);
u32 testdev_read(void *state, u16 port, u8 size);
void testdev_write(void *state, u16 port, u8 size, u32 value);
/* Not an 8-bit device: a wide access wraps within the eight bytes (CONTRACT.md 6). */
struct port_device testdev_dev(struct testdev *t);

/*
 * The test device's interrupt register at 0xE8 (milestone 3), so that a guest can raise
 * any of its IRQ lines itself. A byte written there:
 *   0x00-0x0F  pulses IRQ N: the line rises and falls (an edge-triggered PIC latches it);
 *   0x20|N     raises IRQ N and holds it high; 0x40|N lowers it (for level-triggered mode);
 *   0x80       a request too short to be acknowledged: the PIC's INT output pulses, the
 *              next interrupt acknowledge finds no request and delivers the master's
 *              spurious IR7 vector (8259A datasheet, "Interrupt Sequence").
 * Other values are ignored; reads return 0.
 */
#define TESTDEV_IRQ_PORT 0xe8
#define TESTDEV_IRQ_RAISE 0x20
#define TESTDEV_IRQ_LOWER 0x40
#define TESTDEV_IRQ_GLITCH 0x80

struct testdev_irq {
	void (*set_line)(void *ctx, int irq, int level);
	void (*glitch)(void *ctx);
	void *ctx;
};

u32 testdev_irq_read(void *state, u16 port, u8 size);
void testdev_irq_write(void *state, u16 port, u8 size, u32 value);
struct port_device testdev_irq_dev(struct testdev_irq *t);

#endif
