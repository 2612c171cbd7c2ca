/* host-test-sources: core/disk.c core/portbus.c */
/*
 * Host unit tests for the guest's disk window (core/disk.c): `disk=START:COUNT` parsing,
 * the window's size at the real disk's edges, and above all that no guest request reaches
 * a real sector outside [START, START + COUNT).
 */
#include "core_harness.h"
#include "disk_harness.h"
#include "check.h"

static bool parse(const char *value)
{
	return disk_parse(value, strlen(value), &window);
}

static u8 status(void)
{
	return guest_in(0x1F7, 1);
}

/* Must run first: disk.c keeps the parsed word for the rest of the program. */
static void test_no_disk_word(void)
{
	real_disk(1000);
	CHECK(run_ends(init_disk) == -1, "no disk= word: disk_init returns");
	CHECK(vm.bus.nr == 0, "no disk= word: no ports registered");
	CHECK(real.reads == 0 && real.writes == 0, "no disk= word: the real disk is not touched");
	CHECK(guest_in(0x1F7, 1) == 0xFF, "no disk= word: the primary channel floats (0xFF)");
}

static void test_parse(void)
{
	CHECK(!parse(""), "disk= (empty) is refused");
	CHECK(!parse(":5"), "disk=:5 (no START) is refused");
	CHECK(!parse("5:"), "disk=5: (empty COUNT) is refused");
	CHECK(!parse("5:0"), "disk=5:0 (COUNT 0) is refused");
	CHECK(!parse("a:5"), "disk=a:5 is refused");
	CHECK(!parse("5:b"), "disk=5:b is refused");
	CHECK(!parse("1:2:3"), "disk=1:2:3 is refused");
	CHECK(!parse("-1:5"), "disk=-1:5 is refused");
	CHECK(!parse("18446744073709551616:1"), "disk=2^64:1 (overflow) is refused");
	CHECK(parse("0:1"), "disk=0:1 is accepted");
	CHECK(parse("100"), "disk=100 (no COUNT) is accepted");

	CHECK(parse("0x64:0x32"), "disk=0x64:0x32 (hex) is accepted");
	real_disk(1000);
	CHECK(run_ends(init_disk) == -1 && model() && model()->sectors == 50,
	      "disk=0x64:0x32: a 50-sector guest disk");
	guest_command(ATA_CMD_READ_SECTORS, 0, 1);
	CHECK(guest_sector_is(100) && real.last_lba == 100, "disk=0x64:0x32: guest LBA 0 is real 100");

	CHECK(disk_parse("7:3xyz", 3, &window), "disk_parse reads only `len` bytes (\"7:3\" of \"7:3xyz\")");
	real_disk(1000);
	run_ends(init_disk);
	CHECK(model() && model()->sectors == 3, "disk=7:3 of a longer string: a 3-sector guest disk");
}

/* disk=100:50 on a real disk of 1000 sectors. */
static void window_100_50(void)
{
	parse("100:50");
	real_disk(1000);
	run_ends(init_disk);
}

static void test_window_reads(void)
{
	window_100_50();
	CHECK(vm.bus.nr == 3 && vm.bus.devices[0].base == 0x1F0 && vm.bus.devices[0].count == 1 &&
	      vm.bus.devices[1].base == 0x1F1 && vm.bus.devices[1].count == 7 &&
	      vm.bus.devices[1].eight_bit && vm.bus.devices[2].base == 0x3F6 &&
	      vm.bus.devices[2].count == 1 && vm.dev.ata.irq.irq == 14,
	      "disk=100:50: ports 0x1F0, 0x1F1-0x1F7 (8-bit) and 0x3F6 registered, on IRQ 14");
	CHECK(guest_in(0x1F2, 2) == 0x0101,
	      "a word read at 0x1F2 spans sector count and sector number (the bus splits it)");
	CHECK(guest_identify_sectors() == 50, "disk=100:50: IDENTIFY words 60-61 say 50 sectors");

	irq_edges = 0;
	guest_command(ATA_CMD_READ_SECTORS, 0, 1);
	CHECK(status() == 0x58, "read LBA 0: DRQ (status 0x58)");
	CHECK(irq_edges == 1, "read LBA 0: IRQ 14 raised through set_irq");
	CHECK(guest_sector_is(100), "read LBA 0: the guest gets real sector 100");
	CHECK(real.last_lba == 100 && real.last_count == 1, "read LBA 0: one real read at 100");

	guest_command(ATA_CMD_READ_SECTORS, 49, 1);
	CHECK(guest_sector_is(149), "read LBA 49 (the last): the guest gets real sector 149");
	CHECK(real.last_lba == 149 && real.last_count == 1, "read LBA 49: one real read at 149");

	int reads = real.reads;

	guest_command(ATA_CMD_READ_SECTORS, 50, 1);
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_IDNF,
	      "read LBA 50 (one past the window): ERR, IDNF");
	CHECK(real.reads == reads, "read LBA 50: no real read");

	guest_command(ATA_CMD_READ_SECTORS, 48, 3);
	CHECK(guest_sector_is(148) && guest_sector_is(149),
	      "read 3 at LBA 48: the two sectors inside come from real 148, 149");
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_IDNF && guest_lba_regs() == 50,
	      "read 3 at LBA 48: then ERR, IDNF at guest LBA 50");

	guest_command(ATA_CMD_READ_SECTORS, 0x0FFFFFFF, 1);
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_IDNF,
	      "read LBA 0x0FFFFFFF: ERR, IDNF");

	guest_command(ATA_CMD_READ_SECTORS, 0, 0);	/* count 0: 256 sectors */
	for (int s = 0; s < 50; s++)
		guest_sector_is(100 + s);
	CHECK(status() == 0x51 && guest_lba_regs() == 50,
	      "read 256 at LBA 0: stops with an error at guest LBA 50");
	CHECK(real.lo == 100 && real.hi == 149,
	      "after all reads: real sectors touched are 100..149 only");
}

static void test_window_writes(void)
{
	window_100_50();
	guest_command(ATA_CMD_WRITE_SECTORS, 49, 1);
	CHECK(status() == 0x58, "write LBA 49: DRQ for the data");
	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2)
		guest_out(0x1F0, 2, (i & 0xFF) | 0xA500);
	CHECK(status() == 0x50, "write LBA 49: completes (status 0x50)");
	CHECK(real.writes == 1 && real.last_lba == 149 && real.last_count == 1,
	      "write LBA 49: one real write at 149");
	CHECK(real.written[0] == 0x00 && real.written[1] == 0xA5 && real.written[510] == 0xFE,
	      "write LBA 49: the guest's bytes reach the real disk");

	guest_command(ATA_CMD_WRITE_SECTORS, 50, 1);
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_IDNF,
	      "write LBA 50: ERR, IDNF before any data");
	CHECK(real.writes == 1, "write LBA 50: no real write");
	CHECK(real.lo == 149 && real.hi == 149, "after the writes: only real sector 149 touched");
}

/* The backend's own check, asked directly what the model itself never asks. */
static void test_backend_bounds(void)
{
	static u8 buf[50 * ATA_SECTOR_SIZE];
	const struct ata_backend *b;

	window_100_50();
	b = model()->backend;
	CHECK(b->sectors == 50, "backend: 50 sectors");
	CHECK(!b->read(b->ctx, 50, 1, buf), "backend: read at 50 refused");
	CHECK(!b->read(b->ctx, 49, 2, buf), "backend: read of 2 at 49 refused");
	CHECK(!b->read(b->ctx, ~0ULL, 1, buf), "backend: read at 2^64-1 (before START) refused");
	CHECK(!b->read(b->ctx, ~0ULL - 99, 1, buf), "backend: read at -100 (real 0) refused");
	CHECK(!b->read(b->ctx, 1, 0xFFFFFFFF, buf), "backend: read of 2^32-1 at 1 refused");
	CHECK(!b->write(b->ctx, 50, 1, buf), "backend: write at 50 refused");
	CHECK(!b->write(b->ctx, ~0ULL, 2, buf), "backend: write at 2^64-1 (wraps to 0) refused");
	CHECK(real.reads == 0 && real.writes == 0, "backend: refused requests reach no real sector");
	CHECK(b->read(b->ctx, 0, 50, buf) && real.last_lba == 100 && real.last_count == 50,
	      "backend: the whole window (50 at 0) reads real 100..149");
	CHECK(buf[0] == pattern(100, 0) && buf[49 * 512 + 511] == pattern(149, 511),
	      "backend: the whole window's bytes are real 100..149");
	CHECK(b->write(b->ctx, 49, 1, buf) && real.last_lba == 149, "backend: write at 49 is real 149");
}

static void test_errors_and_flush(void)
{
	window_100_50();
	real.bad_sector = 120;
	guest_command(ATA_CMD_READ_SECTORS, 20, 1);
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_UNC,
	      "real sector 120 unreadable: guest read of LBA 20 ends ERR, UNC");
	CHECK(guest_lba_regs() == 20, "real sector 120 unreadable: the error names guest LBA 20");

	guest_out(0x1F6, 1, 0xE0);
	guest_out(0x1F7, 1, ATA_CMD_FLUSH_CACHE);
	CHECK(real.flushes == 1 && status() == 0x50, "FLUSH CACHE: one real flush, then ready");
	real.fail_flush = true;
	guest_out(0x1F7, 1, ATA_CMD_FLUSH_CACHE);
	CHECK(status() == 0x51 && guest_in(0x1F1, 1) == ATA_ER_ABRT,
	      "FLUSH CACHE with a failing real flush: ERR, ABRT");
}

static void test_window_edges(void)
{
	parse("100");
	real_disk(1000);
	CHECK(run_ends(init_disk) == -1 && model()->sectors == 900,
	      "disk=100 on 1000 sectors: a 900-sector guest disk");
	guest_command(ATA_CMD_READ_SECTORS, 899, 1);
	CHECK(guest_sector_is(999), "disk=100: guest LBA 899 is real 999, the last");
	guest_command(ATA_CMD_READ_SECTORS, 900, 1);
	CHECK(status() == 0x51 && real.hi == 999, "disk=100: guest LBA 900 is refused");

	parse("900:500");
	real_disk(1000);
	CHECK(run_ends(init_disk) == -1 && model()->sectors == 100,
	      "disk=900:500 on 1000 sectors: COUNT shrunk to 100");
	CHECK(logged("shrunk to 100"), "disk=900:500: the shrink is logged");

	parse("999:1");
	real_disk(1000);
	CHECK(run_ends(init_disk) == -1 && model()->sectors == 1,
	      "disk=999:1 on 1000 sectors: a 1-sector guest disk");
	guest_command(ATA_CMD_READ_SECTORS, 0, 1);
	CHECK(guest_sector_is(999) && real.lo == 999 && real.hi == 999,
	      "disk=999:1: guest LBA 0 is real 999");

	parse("1000:1");
	real_disk(1000);
	CHECK(run_ends(init_disk) == END_CONFIG, "disk=1000:1 on 1000 sectors: run ends, config");
	CHECK(vm.bus.nr == 0, "disk=1000:1: no ports registered");

	parse("18446744073709551615");
	real_disk(1000);
	CHECK(run_ends(init_disk) == END_CONFIG, "disk=2^64-1: run ends, config");

	parse("0:10");
	real_disk(0);
	CHECK(run_ends(init_disk) == END_CONFIG && real.reads == 0,
	      "disk=0:10 with no real disk: run ends, config");

	parse("0");
	real_disk(0x10000000);
	CHECK(run_ends(init_disk) == -1 && model()->sectors == ATA_LBA28_MAX,
	      "disk=0 on 2^28 sectors: shrunk to 0x0FFFFFFF (LBA28)");
	CHECK(logged("LBA28"), "disk=0 on 2^28 sectors: the LBA28 shrink is logged");
	guest_command(ATA_CMD_READ_SECTORS, 0x0FFFFFFE, 1);
	CHECK(guest_sector_is(0x0FFFFFFE), "disk=0 on 2^28 sectors: LBA 0x0FFFFFFE reads real");

}

int main(void)
{
	test_no_disk_word();
	test_parse();
	test_window_reads();
	test_window_writes();
	test_backend_bounds();
	test_errors_and_flush();
	test_window_edges();
	return check_done();
}
