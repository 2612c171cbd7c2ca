/* The i8042 and its keyboard (devices/i8042.c): ports 0x60/0x64 and scancodes coming in. */
#include "fuzz.h"
#include "i8042.h"

static void irq_line(void *opaque, int irq, int level)
{
	(void)opaque;
	(void)irq;
	(void)level;
}

static struct i8042 kbd;

/* A scancode from the keyboard. */
static void event(struct fuzz_input *in)
{
	i8042_push_scancode(&kbd, take8(in));
	(void)i8042_irq_pending(&kbd);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct port_device data_port, cmd_port;
	struct port_device *devs[2] = { &data_port, &cmd_port };

	i8042_init(&kbd, (struct irq_line){ irq_line, NULL, 1 });
	data_port = i8042_data_dev(&kbd);
	cmd_port = i8042_cmd_dev(&kbd);
	fuzz_run(&in, devs, 2, event);
	return 0;
}
