/* The debug console at port 0xE9 (Bochs' and QEMU's "port E9 hack"): bytes out to tx(). */
#ifndef DEVICES_DEBUGCON_H
#define DEVICES_DEBUGCON_H

#include "types.h"
#include "portbus.h"

#define DEBUGCON_READBACK 0xe9 /* what a read returns: how guests detect the port */

#define DEBUGCON_PORT 0xe9

struct debugcon {
	void (*tx)(void *ctx, u8 byte);
	void *ctx;
};

void debugcon_init(struct debugcon *d, void (*tx)(void *ctx, u8 byte), void *ctx);
u32 debugcon_read(void *state, u16 port, u8 size);
void debugcon_write(void *state, u16 port, u8 size, u32 value);
/* Port 0xE9, as Bochs' and QEMU's debug console. */
struct port_device debugcon_dev(struct debugcon *d);

#endif
