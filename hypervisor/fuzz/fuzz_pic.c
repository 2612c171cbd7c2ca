/* The 8259A pair (devices/pic.c): ports 0x20/0x21 and 0xA0/0xA1, IRQ lines, INTA cycles. */
#include "fuzz.h"
#include "pic.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct pic_pair pic;
	struct port_device master, slave;
	struct port_device *devs[2];

	pic_init(&pic);
	master = pic_master_dev(&pic);
	slave = pic_slave_dev(&pic);
	devs[0] = &master;
	devs[1] = &slave;
	while (in.n) {
		int op = take8(&in) % OP_KINDS;

		if (op != OP_EVENT) {
			fuzz_port_op(&in, op, devs, 2);
			continue;
		}
		u8 e = take8(&in);

		pic_set_irq(&pic, e & 15, (e >> 4) & 1);
		if ((e & 0x20) && pic_has_interrupt(&pic)) {
			int vector = pic_ack(&pic);

			if (vector < 0 || vector > 255)
				__builtin_trap();	/* the INTA cycle gives a vector */
		}
		(void)pic_any_line_open(&pic);
	}
	return 0;
}
