/*
 * The port bus: device models register a read/write pair over a range of ports, the way
 * KVM's kvm_io_device_ops and Xen's register_portio_handler do. Models are vendor-neutral
 * and include nothing but types.h and their own header, so they build and are unit-tested
 * on the host (hypervisor/tests/).
 */
#ifndef PORTBUS_H
#define PORTBUS_H

#include "types.h"

struct port_device {
	const char *name;
	u16 base;
	u16 count;
	void *state;
	/* size is 1, 2 or 4; port is the absolute port number */
	u32 (*read)(void *state, u16 port, u8 size);
	void (*write)(void *state, u16 port, u8 size, u32 value);
};

/* False if the range overlaps a registered device or the bus is full. */
bool portbus_register(struct port_device *dev);
/* One access; false if no device claims the port (reads then give all ones). */
bool portbus_access(u16 port, u8 size, bool in, u32 *value);

#endif
