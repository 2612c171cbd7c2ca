/*
 * The test device (CONTRACT.md 6): an access of width w at base + k touches bytes
 * k, k+1, ... k+w-1, little endian, wrapping within the eight.
 */
#include "testdev.h"

void testdev_init(struct testdev *t, u16 base)
{
	*t = (struct testdev){ .base = base };
}

u32 testdev_read(void *state, u16 port, u8 size)
{
	struct testdev *t = state;
	u32 v = 0;

	for (u8 i = 0; i < size; i++)
		v |= (u32)t->bytes[(u16)(port - t->base + i) % TESTDEV_PORTS] << (8 * i);
	return v;
}

void testdev_write(void *state, u16 port, u8 size, u32 value)
{
	struct testdev *t = state;

	for (u8 i = 0; i < size; i++)
		t->bytes[(u16)(port - t->base + i) % TESTDEV_PORTS] = value >> (8 * i);
}

u32 testdev_irq_read(void *state, u16 port, u8 size)
{
	(void)state;
	(void)port;
	(void)size;
	return 0;
}

void testdev_irq_write(void *state, u16 port, u8 size, u32 value)
{
	struct testdev_irq *t = state;
	u8 v = value, irq = v & 0x0f;

	(void)port;
	(void)size;
	if (v == TESTDEV_IRQ_GLITCH) {
		t->glitch(t->ctx);
	} else if (v < 0x10) {
		t->set_line(t->ctx, irq, 1);
		t->set_line(t->ctx, irq, 0);
	} else if ((v & 0xf0) == TESTDEV_IRQ_RAISE) {
		t->set_line(t->ctx, irq, 1);
	} else if ((v & 0xf0) == TESTDEV_IRQ_LOWER) {
		t->set_line(t->ctx, irq, 0);
	}
}

struct port_device testdev_dev(struct testdev *t)
{
	return (struct port_device){
		.name = "testdev", .base = t->base, .count = TESTDEV_PORTS, .state = t,
		.read = testdev_read, .write = testdev_write,
	};
}

struct port_device testdev_irq_dev(struct testdev_irq *t)
{
	return (struct port_device){
		.name = "testdev-irq", .base = TESTDEV_IRQ_PORT, .count = 1, .state = t,
		.read = testdev_irq_read, .write = testdev_irq_write,
	};
}

