/* The 8259A pair (devices/pic.c): ports 0x20/0x21 and 0xA0/0xA1, IRQ lines, INTA cycles. */
#include "fuzz.h"
#include "pic.h"

static struct pic_pair pic;

/* An IRQ line's level, and now and then the INTA cycle the core runs when INT is up. */
static void event(struct fuzz_input *in)
{
	u8 e = take8(in);

	pic_set_irq(&pic, e & 15, (e >> 4) & 1);
	if (pic_quiet(&pic) && pic_has_interrupt(&pic))
		__builtin_trap();	/* the exit path's shortcut would miss this interrupt */
	if ((e & 0x20) && pic_has_interrupt(&pic)) {
		int vector = pic_ack(&pic);

		if (vector < 0 || vector > 255)
			__builtin_trap();	/* the INTA cycle gives a vector */
	}
	(void)pic_any_line_open(&pic);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct port_device master, slave;
	struct port_device *devs[2] = { &master, &slave };

	pic_init(&pic);
	master = pic_master_dev(&pic);
	slave = pic_slave_dev(&pic);
	fuzz_run(&in, devs, 2, event);
	return 0;
}
