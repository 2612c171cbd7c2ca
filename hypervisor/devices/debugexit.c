/* QEMU's isa-debug-exit at port 0xF4 (devices/debugexit.h). */
#include "debugexit.h"

static u32 debug_exit_read(void *state, u16 port, u8 size)
{
	(void)state;
	(void)port;
	return size == 4 ? 0xffffffff : (1u << (8 * size)) - 1; /* QEMU's reads: all ones */
}

static void debug_exit_write(void *state, u16 port, u8 size, u32 value)
{
	struct debug_exit *d = state;

	(void)port;
	(void)size;
	d->written = true;
	d->value = value;
}

struct port_device debug_exit_dev(struct debug_exit *d)
{
	return (struct port_device){
		.name = "debug-exit", .base = DEBUG_EXIT_PORT, .count = DEBUG_EXIT_PORTS,
		.state = d, .read = debug_exit_read, .write = debug_exit_write,
	};
}
