/*
 * The port bus: a short list of device ranges, searched on each I/O exit. A port no
 * device claims reads as all ones and ignores writes, as an ISA bus with nothing on
 * it does; the first few such accesses are logged to help a guest's author.
 */
#include "lib.h"
#include "log.h"
#include "portbus.h"

#define PORTBUS_MAX 32
#define UNCLAIMED_LOG_LIMIT 16

static struct port_device *devices[PORTBUS_MAX];
static int nr_devices;
static int unclaimed_logged;

bool portbus_register(struct port_device *dev)
{
	if (nr_devices == PORTBUS_MAX || dev->count == 0)
		return false;
	for (int i = 0; i < nr_devices; i++)
		if (dev->base < devices[i]->base + devices[i]->count &&
		    devices[i]->base < dev->base + dev->count)
			return false;
	devices[nr_devices++] = dev;
	return true;
}

static struct port_device *find(u16 port)
{
	for (int i = 0; i < nr_devices; i++)
		if (port >= devices[i]->base && port - devices[i]->base < devices[i]->count)
			return devices[i];
	return NULL;
}

static u32 size_mask(u8 size)
{
	return size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
}

static void log_unclaimed(u16 port, u8 size, bool in, u32 value)
{
	if (unclaimed_logged >= UNCLAIMED_LOG_LIMIT)
		return;
	unclaimed_logged++;
	if (in)
		log_printf("io: in%c from unclaimed port %#x reads all ones%s\n", "bw?l"[size - 1],
			   port, unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
	else
		log_printf("io: out%c %#x to unclaimed port %#x ignored%s\n", "bw?l"[size - 1],
			   value, port,
			   unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
}

bool portbus_access(u16 port, u8 size, bool in, u32 *value)
{
	u32 mask = size_mask(size);
	struct port_device *dev = find(port);

	if (!dev) {
		log_unclaimed(port, size, in, *value & mask);
		if (in)
			*value = mask;
		return false;
	}
	if (in)
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

void portbus_access_block(u16 port, u8 size, bool in, void *buf, u32 count)
{
	u32 mask = size_mask(size), done = 0;
	struct port_device *dev = find(port);
	u8 *p = buf;

	if (!count)
		return;
	if (!dev) {
		/* One log line for the whole block, as for its first element. */
		log_unclaimed(port, size, in, in ? 0 : load(p, size));
		if (in)
			memset(p, 0xff, (size_t)count * size);
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
