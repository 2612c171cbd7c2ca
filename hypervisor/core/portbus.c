/*
 * The port bus: a short list of device ranges, found on each I/O exit by a table for the
 * ISA range and by a search above it. A port no
 * device claims reads as all ones and ignores writes, as an ISA bus with nothing on
 * it does; the first few such accesses are logged to help a guest's author. A 16- or
 * 32-bit access to an 8-bit device is split here into byte accesses at consecutive
 * ports, each routed on its own, as a PC's bus converts it for an 8-bit ISA card.
 */
#include "lib.h"
#include "log.h"
#include "portbus.h"

#define UNCLAIMED_LOG_LIMIT 16

bool portbus_register(struct portbus *bus, struct port_device dev)
{
	if (bus->nr == PORTBUS_MAX || dev.count == 0)
		return false;
	for (int i = 0; i < bus->nr; i++)
		if (dev.base < bus->devices[i].base + bus->devices[i].count &&
		    bus->devices[i].base < dev.base + dev.count)
			return false;
	bus->devices[bus->nr] = dev;
	for (u32 port = dev.base; port < (u32)dev.base + dev.count && port < PORTBUS_TABLE_PORTS;
	     port++)
		bus->at[port] = &bus->devices[bus->nr];
	bus->nr++;
	return true;
}

static struct port_device *find(struct portbus *bus, u16 port)
{
	if (port < PORTBUS_TABLE_PORTS)
		return bus->at[port];
	for (int i = 0; i < bus->nr; i++)
		if (port >= bus->devices[i].base && port - bus->devices[i].base < bus->devices[i].count)
			return &bus->devices[i];
	return NULL;
}

static u32 size_mask(u8 size)
{
	static const u32 mask[5] = { 0, 0xff, 0xffff, 0, 0xffffffff };

	return mask[size];
}

static void log_unclaimed(struct portbus *bus, u16 port, u8 size, bool in, u32 value)
{
	int unclaimed_logged;

	if (bus->unclaimed_logged >= UNCLAIMED_LOG_LIMIT)
		return;
	unclaimed_logged = ++bus->unclaimed_logged;
	if (in)
		log_printf("io: in%c from unclaimed port %#x reads all ones%s\n", "bw?l"[size - 1],
			   port, unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
	else
		log_printf("io: out%c %#x to unclaimed port %#x ignored%s\n", "bw?l"[size - 1],
			   value, port,
			   unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
}

/* An access to an 8-bit device wider than a byte: one byte per port, from the lowest. A
 * byte no device claims reads as 0xff and is not logged (the access as a whole is not
 * unclaimed). */
static void split_access(struct portbus *bus, u16 port, u8 size, bool in, u32 *value)
{
	u32 result = 0;

	for (u8 i = 0; i < size; i++) {
		u16 at = port + i;
		struct port_device *d = find(bus, at);
		u32 byte = 0xff;

		if (d && in)
			byte = d->read(d->state, at, 1) & 0xff;
		else if (d)
			d->write(d->state, at, 1, (*value >> (8 * i)) & 0xff);
		result |= byte << (8 * i);
	}
	if (in)
		*value = result;
}

bool portbus_access(struct portbus *bus, u16 port, u8 size, bool in, u32 *value)
{
	u32 mask = size_mask(size);
	struct port_device *dev = find(bus, port);

	if (!dev) {
		log_unclaimed(bus, port, size, in, *value & mask);
		if (in)
			*value = mask;
		return false;
	}
	if (dev->eight_bit && size > 1)
		split_access(bus, port, size, in, value);
	else if (in)
		*value = dev->read(dev->state, port, size) & mask;
	else
		dev->write(dev->state, port, size, *value & mask);
	return true;
}

/* Elements in a block are little-endian and need not be aligned. */
static u32 load(const u8 *p, u8 size)
{
	u32 v = 0;

	for (u8 i = 0; i < size; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

static void store(u8 *p, u8 size, u32 v)
{
	for (u8 i = 0; i < size; i++)
		p[i] = v >> (8 * i);
}

bool portbus_has_block(struct portbus *bus, u16 port, bool in)
{
	struct port_device *dev = find(bus, port);

	return dev && (in ? dev->read_block != NULL : dev->write_block != NULL);
}

void portbus_access_block(struct portbus *bus, u16 port, u8 size, bool in, void *buf,
			  u32 count)
{
	u32 mask = size_mask(size), done = 0;
	struct port_device *dev = find(bus, port);
	u8 *p = buf;

	if (!count)
		return;
	if (!dev) {
		/* One log line for the whole block, as for its first element. */
		log_unclaimed(bus, port, size, in, in ? 0 : load(p, size));
		if (in)
			memset(p, 0xff, (size_t)count * size);
		return;
	}
	if (dev->eight_bit && size > 1) {
		for (; done < count; done++, p += size) {
			u32 v = in ? 0 : load(p, size);

			split_access(bus, port, size, in, &v);
			if (in)
				store(p, size, v);
		}
		return;
	}
	if (in && dev->read_block)
		done = dev->read_block(dev->state, port, size, p, count);
	else if (!in && dev->write_block)
		done = dev->write_block(dev->state, port, size, p, count);
	for (p += (size_t)done * size; done < count; done++, p += size) {
		if (in)
			store(p, size, dev->read(dev->state, port, size) & mask);
		else
			dev->write(dev->state, port, size, load(p, size) & mask);
	}
}
