/* The i8042 and its keyboard (devices/i8042.c): ports 0x60/0x64 and scancodes coming in. */
#include "fuzz.h"
#include "i8042.h"

static void irq_line(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct i8042 kbd;
	struct port_device data_port, cmd_port;
	struct port_device *devs[2];

	i8042_init(&kbd, irq_line, NULL);
	data_port = i8042_data_dev(&kbd);
	cmd_port = i8042_cmd_dev(&kbd);
	devs[0] = &data_port;
	devs[1] = &cmd_port;
	while (in.n) {
		int op = take8(&in) % OP_KINDS;

		if (op != OP_EVENT) {
			fuzz_port_op(&in, op, devs, 2);
			continue;
		}
		i8042_push_scancode(&kbd, take8(&in));
		(void)i8042_irq_pending(&kbd);
	}
	return 0;
}
