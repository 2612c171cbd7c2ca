/* The 8254 PIT (devices/pit.c): ports 0x40-0x43 and port B (0x61), and time passing. */
#include "fuzz.h"
#include "pit.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct pit pit;
	struct port_device ports, port_b;
	struct port_device *devs[2];

	pit_init(&pit);
	ports = pit_dev(&pit);
	port_b = pit_port_b_dev(&pit);
	devs[0] = &ports;
	devs[1] = &port_b;
	while (in.n) {
		int op = take8(&in) % OP_KINDS;

		if (op != OP_EVENT) {
			fuzz_port_op(&in, op, devs, 2);
			continue;
		}
		/* up to about 4.3 s at once, or a long stretch (hours) now and then */
		u64 ns = take8(&in) & 1 ? take32(&in) : take64(&in) >> 20;

		(void)pit_advance(&pit, ns);
		(void)pit_next_event_ns(&pit);
	}
	return 0;
}
