/*
 * The port bus: a short list of device ranges, searched on each I/O exit. A port no
 * device claims reads as all ones and ignores writes, as an ISA bus with nothing on
 * it does; the first few such accesses are logged to help a guest's author.
 */
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

bool portbus_access(u16 port, u8 size, bool in, u32 *value)
{
	u32 mask = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
	struct port_device *dev = find(port);

	if (!dev) {
		if (unclaimed_logged < UNCLAIMED_LOG_LIMIT) {
			unclaimed_logged++;
			if (in)
				log_printf("io: in%c from unclaimed port %#x reads all ones%s\n",
					   "bw?l"[size - 1], port,
					   unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
			else
				log_printf("io: out%c %#x to unclaimed port %#x ignored%s\n",
					   "bw?l"[size - 1], *value & mask, port,
					   unclaimed_logged == UNCLAIMED_LOG_LIMIT ? " (no more logged)" : "");
		}
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
