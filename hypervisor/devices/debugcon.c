/* The 0xE9 debug console: the byte written goes out; a read answers 0xE9. */
#include "debugcon.h"

void debugcon_init(struct debugcon *d, void (*tx)(void *ctx, u8 byte), void *ctx)
{
	*d = (struct debugcon){ .tx = tx, .ctx = ctx };
}

u32 debugcon_read(void *state, u16 port, u8 size)
{
	(void)state;
	(void)port;
	(void)size;
	return DEBUGCON_READBACK;
}

void debugcon_write(void *state, u16 port, u8 size, u32 value)
{
	struct debugcon *d = state;

	(void)port;
	(void)size;
	d->tx(d->ctx, value); /* the low byte, as Bochs and QEMU take it */
}

struct port_device debugcon_dev(struct debugcon *d)
{
	return (struct port_device){
		.name = "debugcon", .base = DEBUGCON_PORT, .count = 1, .state = d,
		.read = debugcon_read, .write = debugcon_write,
	};
}
