/* Host unit tests for the 8254 PIT model (devices/pit.c). */
#include "types.h"
#include "pit.h"
#include "check.h"

#define MS 1000000ULL
#define S 1000000000ULL

static struct pit pit;

static void outb(u16 port, u8 val)
{
	pit_port_write(&pit, port, 1, val);
}

static u8 inb(u16 port)
{
	return pit_port_read(&pit, port, 1);
}

/* Channel 0, lobyte then hibyte, the given mode (binary). */
static void program(u8 mode, u16 count)
{
	outb(0x43, 0x30 | mode << 1);
	outb(0x40, count & 0xFF);
	outb(0x40, count >> 8);
}

static u16 read_lohi(u16 port)
{
	u8 lo = inb(port);

	return lo | inb(port) << 8;
}

static bool within_one(u64 got, u64 want)
{
	return got + 1 >= want && got <= want + 1;
}

/* Edges over one emulated second, in 1 ms steps, as a core driven by its timer would see. */
static u64 edges_in_second(void)
{
	u64 edges = 0;

	for (int i = 0; i < 1000; i++)
		edges += pit_advance(&pit, MS);
	return edges;
}

static void test_rates(void)
{
	pit_init(&pit);
	program(2, 11932);
	CHECK(within_one(pit_advance(&pit, S), 100), "mode 2, divisor 11932: 100 edges in 1 s");
	pit_init(&pit);
	program(2, 1193);
	CHECK(within_one(edges_in_second(), 1000),
	      "mode 2, divisor 1193: 1000 edges in 1 s (1 ms steps)");
	pit_init(&pit);
	program(3, 11932);
	CHECK(within_one(edges_in_second(), 100), "mode 3, divisor 11932: 100 edges in 1 s");
	pit_init(&pit);
	program(3, 1193);
	CHECK(within_one(pit_advance(&pit, S), 1000), "mode 3, divisor 1193: 1000 edges in 1 s");
}

static void test_sweb(void)
{
	pit_init(&pit);
	CHECK(pit_advance(&pit, S) == 0, "no edges before channel 0 is programmed");
	outb(0x43, 0x36);
	outb(0x40, 0);
	outb(0x40, 0);
	CHECK(within_one(pit_advance(&pit, 10 * S), 182),
	      "SWEB 0x36, 0, 0: count 0 = 65536, 182 edges in 10 s (18.2 Hz)");
	u64 next = pit_next_event_ns(&pit);
	CHECK(next > 0 && next <= 54925494, "next edge at most one 65536-count period away");
}

static void test_mode0(void)
{
	pit_init(&pit);
	program(0, 1000);
	outb(0x43, 0xE2);	/* read-back status of channel 0 */
	CHECK(!(inb(0x40) & 0x80), "mode 0: OUT low after the count is written");
	CHECK(pit_advance(&pit, 837 * 1000) == 0, "mode 0: no edge before terminal count");
	CHECK(pit_advance(&pit, 2 * MS) == 1, "mode 0: one edge at terminal count");
	CHECK(pit_advance(&pit, 10 * S) == 0, "mode 0: no further edge (one-shot)");
	outb(0x43, 0xE2);
	CHECK(inb(0x40) & 0x80, "mode 0: OUT stays high after terminal count");
	CHECK(pit_next_event_ns(&pit) == PIT_NO_EVENT, "mode 0: no next event after it fired");
	program(0, 1000);
	CHECK(pit_advance(&pit, 2 * MS) == 1, "mode 0: writing a new count re-arms it");
	program(0, 1000);
	outb(0x40, 0x10);
	CHECK(pit_advance(&pit, 10 * MS) == 0,
	      "mode 0: writing the first byte of a new count stops counting");
	outb(0x40, 0x00);
	CHECK(pit_advance(&pit, 1 * MS) == 1, "mode 0: the second byte starts the new count");
}

static void test_access_modes(void)
{
	pit_init(&pit);
	outb(0x43, 0x14);	/* channel 0, lobyte only, mode 2 */
	outb(0x40, 0x50);
	CHECK(inb(0x40) == 0x50, "lobyte only: count 0x50 reads back its low byte");
	CHECK(within_one(pit_advance(&pit, S), PIT_HZ / 0x50), "lobyte only: period 0x50");

	pit_init(&pit);
	outb(0x43, 0x24);	/* hibyte only */
	outb(0x40, 0x02);
	CHECK(inb(0x40) == 0x02, "hibyte only: the read gives the high byte");
	CHECK(within_one(pit_advance(&pit, S), PIT_HZ / 0x200), "hibyte only: period 0x200");

	pit_init(&pit);
	outb(0x43, 0x34);
	outb(0x40, 0x34);
	CHECK(pit_advance(&pit, S) == 0, "lobyte/hibyte: nothing counts after the low byte alone");
	outb(0x40, 0x12);
	CHECK(read_lohi(0x40) == 0x1234, "lobyte/hibyte: read low then high gives 0x1234");
}

static void test_count_value(void)
{
	pit_init(&pit);
	program(2, 10000);
	pit_advance(&pit, 4190 * 1000);	/* ~5000 clocks */
	u16 v = read_lohi(0x40);
	CHECK(v >= 4990 && v <= 5010, "mode 2: the count falls with emulated time");
	program(3, 10000);
	pit_advance(&pit, 2095 * 1000);	/* ~2500 clocks: counts by two in the first half */
	v = read_lohi(0x40);
	CHECK(v >= 4980 && v <= 5020 && !(v & 1), "mode 3: the count falls by two per clock");
}

static void test_latch(void)
{
	pit_init(&pit);
	program(2, 50000);
	pit_advance(&pit, 1 * MS);
	outb(0x43, 0x00);	/* counter latch, channel 0 */
	pit_advance(&pit, 10 * MS);
	outb(0x43, 0x00);	/* a second latch before the read is ignored */
	u16 latched = read_lohi(0x40);
	u16 live = read_lohi(0x40);
	CHECK(latched >= 48800 && latched <= 48815, "counter latch holds the value at latch time");
	CHECK(live < latched - 11000, "after the latched read the live count shows again");
}

static void test_read_back(void)
{
	pit_init(&pit);
	outb(0x43, 0x34);
	outb(0x43, 0xE2);	/* status only */
	CHECK(inb(0x40) == 0xF4, "read-back status: OUT high, null count, RW 3, mode 2");
	outb(0x40, 0x00);
	outb(0x40, 0x10);	/* 0x1000 */
	pit_advance(&pit, 1 * MS);	/* ~1193 clocks */
	outb(0x43, 0xC2);	/* count and status */
	pit_advance(&pit, 1 * MS);
	u8 status = inb(0x40);
	u16 count = read_lohi(0x40);
	CHECK(status == 0x34 || status == 0xB4, "read-back: status first, null count cleared");
	CHECK(count >= 0x1000 - 1195 && count <= 0x1000 - 1190,
	      "read-back: then the count latched at the command");
	outb(0x43, 0xD2);	/* count only */
	CHECK(read_lohi(0x40) < count - 1000, "read-back count only: no status byte first");
}

static void test_count_zero(void)
{
	pit_init(&pit);
	program(2, 0);
	CHECK(read_lohi(0x40) == 0, "count 0 reads back as 0 (= 65536) at load");
	CHECK(pit_advance(&pit, 54924 * 1000) == 0 && pit_advance(&pit, 2000) == 1,
	      "count 0 is a 65536-clock period (54.925 ms)");
}

static void test_next_event(void)
{
	pit_init(&pit);
	CHECK(pit_next_event_ns(&pit) == PIT_NO_EVENT, "unprogrammed channel 0: no next event");
	program(2, 1193);
	u64 next = pit_next_event_ns(&pit);
	CHECK(next == 999848, "mode 2 divisor 1193: next edge in 999848 ns");
	CHECK(pit_advance(&pit, next - 1) == 0 && pit_advance(&pit, 1) == 1,
	      "advancing by next_event_ns reaches the edge exactly");
	next = pit_next_event_ns(&pit);
	CHECK(next >= 999847 && next <= 999848, "the following edge is one period later");
	pit_advance(&pit, 300 * 1000);
	CHECK(pit_next_event_ns(&pit) + 300 * 1000 - next <= 1,
	      "part-way through a period the remaining time shrinks");
}

static void test_reprogram(void)
{
	pit_init(&pit);
	program(2, 11932);
	pit_advance(&pit, 5 * MS);
	outb(0x40, 1193 & 0xFF);	/* a new count mid-cycle, same mode */
	outb(0x40, 1193 >> 8);
	CHECK(pit_advance(&pit, 4 * MS) == 0, "mode 2: a new count waits for the cycle's end");
	CHECK(pit_advance(&pit, 2 * MS) == 2, "then edges come at the new rate");
}

static void test_bcd(void)
{
	pit_init(&pit);
	outb(0x43, 0x35);	/* mode 2, BCD */
	outb(0x40, 0x00);
	outb(0x40, 0x50);	/* 5000 decimal */
	CHECK(within_one(pit_advance(&pit, S), PIT_HZ / 5000), "BCD count 0x5000 is 5000 clocks");
	outb(0x43, 0x00);
	u16 v = read_lohi(0x40);
	CHECK((v & 0xF) <= 9 && (v >> 4 & 0xF) <= 9 && (v >> 8 & 0xF) <= 9 && v >> 12 <= 5,
	      "BCD counts read back as BCD digits");
}

static void test_port_b(void)
{
	pit_init(&pit);
	u8 a = inb(0x61), b = inb(0x61);
	CHECK((a ^ b) == 0x10, "port 0x61 bit 4 (refresh) toggles between reads");
	outb(0x61, 0x03);
	CHECK((inb(0x61) & 0x0F) == 0x03, "port 0x61: gate 2 and speaker bits read back");
	outb(0x43, 0xB0);	/* channel 2, lo/hi, mode 0: the TSC calibration idiom */
	outb(0x42, 0xE8);
	outb(0x42, 0x03);	/* 1000 */
	CHECK(!(inb(0x61) & 0x20), "OUT2 (bit 5) low while channel 2 counts in mode 0");
	pit_advance(&pit, 1 * MS);
	CHECK(inb(0x61) & 0x20, "OUT2 high after channel 2 reaches terminal count");
	outb(0x61, 0x00);
	outb(0x43, 0xB6);	/* channel 2, mode 3 */
	outb(0x42, 0);
	outb(0x42, 0);
	pit_advance(&pit, 40 * MS);
	CHECK((inb(0x61) & 0x21) == 0x20, "gate 2 low: channel 2 holds, OUT2 high in mode 3");
	CHECK((inb(0x61) & 0xC0) == 0, "port 0x61 bits 6-7 (error flags) read 0");
	CHECK(pit_advance(&pit, S) == 0, "channel 2 never drives IRQ0");
}

static void test_glue(void)
{
	struct port_device d = pit_dev(&pit), b = pit_port_b_dev(&pit);

	CHECK(d.base == 0x40 && d.count == 4 && b.base == 0x61 && b.count == 1 &&
	      d.state == &pit && d.read && b.write, "port_device glue: 0x40/4 and 0x61/1");
}

int main(void)
{
	test_rates();
	test_sweb();
	test_mode0();
	test_access_modes();
	test_count_value();
	test_latch();
	test_read_back();
	test_count_zero();
	test_next_event();
	test_reprogram();
	test_bcd();
	test_port_b();
	test_glue();
	return check_done();
}
