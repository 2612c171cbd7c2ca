/* The MC146818 clock and CMOS (devices/rtc.c): ports 0x70-0x71, and the wall clock moving
 * (any value a guest's own time setting and the machine's clock can combine to). */
#include "fuzz.h"
#include "rtc.h"

static struct rtc rtc;
static u64 wall;

static u64 wall_now(void *ctx)
{
	(void)ctx;
	return wall;
}

/* The wall clock moves: a few seconds, or anywhere in 64 bits now and then. */
static void event(struct fuzz_input *in)
{
	wall = take8(in) & 1 ? wall + take8(in) : take64(in);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct port_device ports;
	struct port_device *devs[1] = { &ports };

	wall = 1796478307;  /* 2026-12-05 */
	rtc_init(&rtc, wall_now, NULL);
	ports = rtc_dev(&rtc);
	fuzz_run(&in, devs, 1, event);
	return 0;
}
