/* The 8254 PIT (devices/pit.c): ports 0x40-0x43 and port B (0x61), and time passing. */
#include "fuzz.h"
#include "pit.h"

static struct pit pit;

/* Time passing: up to about 4.3 s at once, or a long stretch (hours) now and then. */
static void event(struct fuzz_input *in)
{
	u64 ns = take8(in) & 1 ? take32(in) : take64(in) >> 20;

	(void)pit_advance(&pit, ns);
	(void)pit_next_event_ns(&pit);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct port_device ports, port_b;
	struct port_device *devs[2] = { &ports, &port_b };

	pit_init(&pit);
	ports = pit_dev(&pit);
	port_b = pit_port_b_dev(&pit);
	fuzz_run(&in, devs, 2, event);
	return 0;
}
