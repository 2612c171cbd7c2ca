/* The lab's test device at 0xE0-0xE7 (CONTRACT.md 6): eight bytes of scratch storage. */
#ifndef DEVICES_TESTDEV_H
#define DEVICES_TESTDEV_H

#include "types.h"

#define TESTDEV_PORTS 8

struct testdev {
	u16 base;
	u8 bytes[TESTDEV_PORTS];
};

void testdev_init(struct testdev *t, u16 base);
u32 testdev_read(void *state, u16 port, u8 size);
void testdev_write(void *state, u16 port, u8 size, u32 value);

#endif
