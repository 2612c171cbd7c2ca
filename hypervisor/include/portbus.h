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
	/* An 8-bit device (ISA): a wider access reaches its consecutive ports one byte each,
	 * split by the bus, so read and write see size 1 only. Others take any size. */
	bool eight_bit;
	void *state;
	/* size is 1, 2 or 4; port is the absolute port number */
	u32 (*read)(void *state, u16 port, u8 size);
	void (*write)(void *state, u16 port, u8 size, u32 value);
	/*
	 * Optional, for string I/O (INS/OUTS): move up to count elements of size bytes
	 * between the port and buf, in ascending order, exactly as count read/write calls
	 * would; return how many were moved. A device may stop early (its data ran out, or
	 * it has no fast path for this port or size); the bus does the rest one by one.
	 */
	u32 (*read_block)(void *state, u16 port, u8 size, void *buf, u32 count);
	u32 (*write_block)(void *state, u16 port, u8 size, const void *buf, u32 count);
};

#define PORTBUS_MAX 24
/* The ISA range, where the PC's devices sit: looked up by table, the rest by a search. */
#define PORTBUS_TABLE_PORTS 0x400

/* One guest's ports: the devices are kept by value, in registration order. The table
 * points into them: a bus is not copied. */
struct portbus {
	struct port_device devices[PORTBUS_MAX];
	int nr;
	int unclaimed_logged;
	/* The device at each port of the ISA range, NULL for none: one load per access
	 * instead of a search, on every I/O exit. */
	struct port_device *at[PORTBUS_TABLE_PORTS];
};

/* False if the range overlaps a registered device or the bus is full. */
bool portbus_register(struct portbus *bus, struct port_device dev);
/* One access; false if no device claims the port (reads then give all ones). */
bool portbus_access(struct portbus *bus, u16 port, u8 size, bool in, u32 *value);
/* Whether the device at port moves string I/O through a block hook (fast) or one element
 * at a time. */
bool portbus_has_block(struct portbus *bus, u16 port, bool in);
/* count accesses of size bytes to one port, to or from buf (elements in ascending order),
 * through the device's block hook where it has one: what count portbus_access calls do. */
void portbus_access_block(struct portbus *bus, u16 port, u8 size, bool in, void *buf,
			  u32 count);

#endif
