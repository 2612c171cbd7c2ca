/* The 16550 UART (devices/serial.c): ports 0x3F8-0x3FF, bytes received, its IRQ line. */
#include "fuzz.h"
#include "serial.h"

static void tx(void *ctx, u8 byte)
{
	(void)ctx;
	(void)byte;
}

static void irq_line(void *ctx, int irq, int level)
{
	(void)ctx;
	(void)irq;
	(void)level;
}

static struct serial com1;

/* A byte received on the line. */
static void event(struct fuzz_input *in)
{
	serial_receive(&com1, take8(in));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct port_device dev;
	struct port_device *devs[1] = { &dev };

	serial_init(&com1, 0x3f8, tx, NULL);
	serial_set_irq(&com1, (struct irq_line){ irq_line, NULL, 4 });
	dev = serial_dev(&com1);
	fuzz_run(&in, devs, 1, event);
	return 0;
}
