/* Host unit tests for the ATA disk model (devices/ata.c), driven the way SWEB drives it. */
#include "ata_harness.h"
#include "check.h"

static void test_glue(void)
{
	setup(MIB128);
	CHECK(data_dev.base == 0x1F0 && data_dev.count == 1 && !data_dev.eight_bit &&
	      data_dev.read_block && regs_dev.base == 0x1F1 && regs_dev.count == 7 &&
	      regs_dev.eight_bit && ctl_dev.base == 0x3F6 && ctl_dev.count == 1 &&
	      ctl_dev.eight_bit && data_dev.state == &ata && ctl_dev.read && ctl_dev.write,
	      "port_device glue: 0x1F0 (16-bit, string hooks), 0x1F1/7 and 0x3F6 (8-bit)");
	CHECK(inb(0x1F7) == 0x50 && inb(0x1F1) == 0x01 && inb(0x1F2) == 1 && inb(0x1F3) == 1 &&
	      inb(0x1F4) == 0 && inb(0x1F5) == 0, "power-on: status 0x50, ATA signature, diag ok");
	CHECK(!irq_level && !irq_edges, "power-on raises no IRQ14");
}

/* SWEB's IDEDriver::doDeviceDetection for ide[a-d]: echo 55h/AAh, then SRST. */
static bool sweb_echo(u16 base, u8 select)
{
	outb(base + 6, select);
	outb(base + 2, 0x55);
	outb(base + 3, 0xAA);
	outb(base + 2, 0xAA);
	outb(base + 3, 0x55);
	outb(base + 2, 0x55);
	outb(base + 3, 0xAA);
	return inb(base + 2) == 0x55 && inb(base + 3) == 0xAA;
}

static void test_sweb_probe(void)
{
	setup(MIB128);
	outb(0x3F6, 0x00);
	CHECK(sweb_echo(0x1F0, 0xA0), "probe: the primary master echoes 55h/AAh");
	CHECK(!sweb_echo(0x1F0, 0xB0), "probe: the absent primary slave does not echo");
	CHECK(inb(0x1F7) == 0x00 && inb(0x3F6) == 0x00,
	      "absent slave: status and alternate status read 00h (no poll timeout)");
	CHECK(!sweb_echo(0x170, 0xA0) && !sweb_echo(0x170, 0xB0) && inb(0x177) == 0xFF,
	      "probe: the unclaimed secondary channel floats (FFh) and does not echo");

	sweb_echo(0x1F0, 0xA0);
	outb(0x3F6, 0x04);
	CHECK(inb(0x3F6) == ATA_SR_BSY, "SRST held: the device is BSY");
	outb(0x3F6, 0x00);
	CHECK(inb(0x1F7) & 0x58, "after SRST, SWEB's poll for status & 0x58 ends at once");
	outb(0x1F6, 0xA0);
	CHECK(inb(0x1F2) == 1 && inb(0x1F3) == 1, "after SRST: count 1, sector 1");
	CHECK(inb(0x1F7) == 0x50 && inb(0x1F4) == 0 && inb(0x1F5) == 0 && inb(0x1F1) == 1,
	      "after SRST: status 50h, cylinder 0/0 (PATA), error 01h");
	CHECK(!irq_edges, "SRST raises no IRQ14");

	/* The newer SWEB: select device 1, IDENTIFY, alternate status 0 = no drive. */
	outb(0x1F6, 0xB0);
	outb(0x1F7, ATA_CMD_IDENTIFY);
	CHECK(inb(0x3F6) == 0 && !irq_edges, "IDENTIFY to the absent slave: 00h, no IRQ");
	outb(0x1F6, 0xA0);
	CHECK(inb(0x1F7) == 0x50, "the master ignored the slave's command");
}

static void test_identify(void)
{
	u16 id[256];
	char model[41];
	u8 sum = 0;

	setup(MIB128);
	outb(0x1F6, 0xA0);
	outb(0x1F7, ATA_CMD_IDENTIFY);
	CHECK(inb(0x3F6) == 0x58 && irq_edges == 1, "IDENTIFY: DRQ (status 58h) and one IRQ14");
	for (int i = 0; i < 256; i++)
		id[i] = inw(0x1F0);
	CHECK(id[1] == 260 && id[3] == 16 && id[6] == 63, "IDENTIFY words 1/3/6: 260/16/63");
	CHECK(id[54] == 260 && id[55] == 16 && id[56] == 63 &&
	      (id[57] | (u32)id[58] << 16) == 260 * 16 * 63 && (id[53] & 1),
	      "IDENTIFY words 53-58: current CHS valid and equal to the default");
	CHECK((id[60] | (u32)id[61] << 16) == MIB128, "IDENTIFY words 60-61: 262144 sectors");
	CHECK((id[49] & BIT(9)) && id[47] == 0x8010 && id[59] == 0,
	      "IDENTIFY: LBA supported, READ/WRITE MULTIPLE up to 16 sectors, none set yet");
	CHECK((id[83] & 0xC000) == 0x4000 && (id[83] & BIT(12)) && (id[86] & BIT(12)),
	      "IDENTIFY words 83/86: valid, FLUSH CACHE supported and enabled");
	for (int i = 0; i < 20; i++) {
		model[2 * i] = id[27 + i] >> 8;
		model[2 * i + 1] = id[27 + i] & 0xFF;
	}
	model[40] = 0;
	CHECK(!strcmp(model, "LAB VIRTUAL DISK                        "),
	      "IDENTIFY words 27-46: the model string, byte-swapped, space padded");
	for (int i = 0; i < 256; i++)
		sum += (id[i] & 0xFF) + (id[i] >> 8);
	CHECK((id[255] & 0xFF) == 0xA5 && sum == 0, "IDENTIFY word 255: a valid checksum");
	CHECK(inb(0x1F7) == 0x50 && irq_edges == 1, "after 256 words: 50h, no further IRQ");
}

static void test_geometry(void)
{
	u16 c, h, s;

	ata_geometry(MIB128, &c, &h, &s);
	CHECK(c == 260 && h == 16 && s == 63, "geometry: 128 MiB is 260/16/63 as in QEMU");
	ata_geometry(100, &c, &h, &s);
	CHECK(c == 2, "geometry: cylinders at least 2");
	ata_geometry(1ULL << 32, &c, &h, &s);
	CHECK(c == 16383, "geometry: cylinders at most 16383");
}

static void test_chs(void)
{
	static const struct { u16 c; u8 h, s; u64 lba; } cases[] = {
		{ 0, 0, 1, 0 }, { 0, 0, 63, 62 }, { 0, 1, 1, 63 }, { 1, 0, 1, 1008 },
		{ 2, 3, 4, 2208 }, { 20, 0, 1, 20160 }, { 259, 15, 63, 262079 },
	};
	bool ok = true;

	setup(MIB128);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		chs_command(ATA_CMD_READ_SECTORS, cases[i].c, cases[i].h, cases[i].s, 1);
		ok &= inb(0x1F7) == 0x58 && ram.last_read == cases[i].lba &&
		      drain_matches(cases[i].lba);
	}
	CHECK(ok, "CHS: LBA = (C * 16 + H) * 63 + S - 1, status exactly 58h while DRQ");
	chs_command(ATA_CMD_READ_SECTORS, 0, 0, 0, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF, "CHS sector 0: IDNF");
	chs_command(ATA_CMD_READ_SECTORS, 0, 0, 64, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF, "CHS sector 64: IDNF");
	chs_command(ATA_CMD_READ_SECTORS, 260, 0, 1, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF, "CHS cylinder 260: IDNF");
	chs_command(ATA_CMD_READ_SECTORS, 0, 0, 63, 2);
	inb(0x1F7);
	drain_matches(62);
	CHECK(ram.last_read == 62 && ram.last_read_end == 63 && drain_matches(63) &&
	      inb(0x1F7) == 0x50, "CHS: a transfer crosses from sector 63 to the next head");
	chs_command(ATA_CMD_READ_SECTORS, 259, 15, 63, 2);
	inb(0x1F7);
	drain_matches(262079);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF && inb(0x1F4) == (260 & 0xFF) &&
	      inb(0x1F5) == 260 >> 8 && inb(0x1F3) == 1 && (inb(0x1F6) & 0x0F) == 0,
	      "CHS past the geometry: IDNF, registers give the failing address 260/0/1");
}

static void test_roundtrip(void)
{
	u8 out_data[3][ATA_SECTOR_SIZE];
	bool status_ok = true, data_ok = true;
	int edges;

	setup(MIB128);
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < ATA_SECTOR_SIZE; i++)
			out_data[s][i] = (u8)(s * 31 + i * 5 + 1);
	lba_command(ATA_CMD_WRITE_SECTORS, 100, 3);
	CHECK(inb(0x3F6) == 0x58 && irq_edges == 0, "WRITE: DRQ for the first sector, no IRQ");
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < ATA_SECTOR_SIZE; i += 2)
			outw(0x1F0, out_data[s][i] | out_data[s][i + 1] << 8);
		status_ok &= irq_edges == s + 1 && ram.writes == s + 1 &&
			     inb(0x1F7) == (s < 2 ? 0x58 : 0x50);
	}
	CHECK(status_ok, "WRITE: one IRQ14 per sector, each after its data; 50h at the end");
	CHECK(!memcmp(ram.data[100], out_data, sizeof(out_data)), "WRITE: the data is stored");

	edges = irq_edges;
	lba_command(ATA_CMD_READ_SECTORS, 100, 3);
	for (int s = 0; s < 3; s++) {
		status_ok &= irq_edges == edges + s + 1 && inb(0x1F7) == 0x58;
		for (int i = 0; i < ATA_SECTOR_SIZE; i += 2) {
			u16 w = inw(0x1F0);

			data_ok &= w == (out_data[s][i] | out_data[s][i + 1] << 8);
		}
	}
	CHECK(status_ok && irq_edges == edges + 3, "READ: one IRQ14 per sector, with its DRQ");
	CHECK(data_ok, "LBA28 round trip of 3 sectors");
	CHECK(inb(0x1F7) == 0x50, "READ: DRQ clears after the last sector");
}

static void test_count_zero(void)
{
	bool ok = true;

	setup(MIB128);
	lba_command(ATA_CMD_READ_SECTORS, 1000, 0);
	for (int s = 0; s < 256; s++) {
		inb(0x1F7);	/* SWEB's handler: status first, acknowledging the IRQ */
		ok &= drain_matches(1000 + s);
	}
	CHECK(ok && ram.read_sectors == 256 && irq_edges == 256 && inb(0x1F7) == 0x50,
	      "sector count 0 transfers 256 sectors, with 256 IRQs");
	CHECK(ram.reads == 16, "READ SECTORS reads ahead: 256 sectors in 16 backend calls");
}

static void test_flush(void)
{
	setup(MIB128);
	lba_command(ATA_CMD_WRITE_SECTORS, 7, 1);
	for (int i = 0; i < 256; i++)
		outw(0x1F0, 0x1234);
	inb(0x1F7);
	outb(0x1F7, ATA_CMD_FLUSH_CACHE);
	CHECK(ram.flushes == 1 && ram.flush_saw_busy,
	      "FLUSH CACHE: the backend flushes while the device is BSY, before the IRQ");
	CHECK(inb(0x1F7) == 0x50 && irq_edges == 2, "FLUSH CACHE: completes with IRQ14");
	ram.fail_flush = true;
	outb(0x1F7, ATA_CMD_FLUSH_CACHE);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT, "a failed flush: ERR, ABRT");
}

static void test_errors(void)
{
	setup(1000);
	lba_command(ATA_CMD_READ_SECTORS, 1000, 1);
	CHECK(irq_level && inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF && !ram.reads,
	      "LBA at the end: ERR with IDNF, IRQ14, nothing read");
	lba_command(ATA_CMD_READ_SECTORS, 999, 2);
	inb(0x1F7);
	drain_matches(999);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF && inb(0x1F3) == (1000 & 0xFF) &&
	      inb(0x1F4) == 1000 >> 8, "a read running off the end: IDNF at LBA 1000");
	lba_command(ATA_CMD_WRITE_SECTORS, 5000, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF, "WRITE past the end: IDNF");
	outb(0x1F7, 0xC8);	/* READ DMA */
	CHECK(irq_level && inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT,
	      "an unknown command: ERR with ABRT, IRQ14");
	ram.fail_read = true;
	lba_command(ATA_CMD_READ_SECTORS, 3, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_UNC, "a backend read error: UNC");
	ram.fail_write = true;
	lba_command(ATA_CMD_WRITE_SECTORS, 3, 1);
	for (int i = 0; i < 256; i++)
		outw(0x1F0, 0);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT, "a backend write error: ABRT");
	outb(0x1F7, ATA_CMD_SET_FEATURES);
	CHECK(inb(0x1F7) == 0x50, "SET FEATURES is accepted");
	outb(0x1F7, ATA_CMD_INIT_DEV_PARAMS);
	CHECK(inb(0x1F7) == 0x50, "INITIALIZE DEVICE PARAMETERS is accepted");
}

static void test_new_command_over_drq(void)
{
	u16 id[256];

	setup(MIB128);
	/* SWEB's IRQ probe: a read it never drains; its handler reads status and resets. */
	lba_command(ATA_CMD_READ_SECTORS, 0, 1);
	CHECK(irq_level && inb(0x1F7) == 0x58, "IRQ probe read: IRQ14 with DRQ");
	inw(0x1F0);
	lba_command(ATA_CMD_READ_SECTORS, 9, 1);
	CHECK(inb(0x1F7) == 0x58 && drain_matches(9) && inb(0x1F7) == 0x50,
	      "a new READ while DRQ is set replaces the old transfer");
	lba_command(ATA_CMD_READ_SECTORS, 4, 2);
	read_identify(id);
	CHECK(id[1] == 260 && inb(0x1F7) == 0x50, "IDENTIFY over an undrained read");
	lba_command(ATA_CMD_READ_SECTORS, 4, 2);
	outb(0x3F6, 0x04);
	outb(0x3F6, 0x00);
	CHECK(inb(0x1F7) == 0x50 && inw(0x1F0) == 0xFFFF && !irq_level,
	      "SRST ends a transfer and drops the pending IRQ");
	CHECK(inw(0x1F0) == 0xFFFF && ram.reads == 4, "a data read with DRQ clear: FFFFh");
	outw(0x1F0, 0xBEEF);
	CHECK(ram.writes == 0 && inb(0x1F7) == 0x50, "a data write with DRQ clear is ignored");
}

static void test_irq_gating(void)
{
	setup(MIB128);
	outb(0x3F6, ATA_DC_NIEN);
	lba_command(ATA_CMD_READ_SECTORS, 1, 1);
	CHECK(!irq_level && !irq_edges && inb(0x3F6) == 0x58, "nIEN: DRQ without IRQ14");
	outb(0x3F6, 0);
	CHECK(irq_level, "clearing nIEN asserts the still pending interrupt");
	CHECK(inb(0x3F6) == 0x58 && irq_level, "reading alternate status keeps the IRQ");
	CHECK(inb(0x1F7) == 0x58 && !irq_level, "reading status clears the IRQ");
	drain_matches(1);
	CHECK(irq_edges == 1, "draining the last sector raises no IRQ");
	outb(0x1F6, 0xB0);
	outb(0x1F7, ATA_CMD_EXECUTE_DIAGNOSTIC);
	CHECK(irq_level && inb(0x1F1) == 1 && inb(0x1F2) == 1 && inb(0x1F7) == 0x50,
	      "EXECUTE DEVICE DIAGNOSTIC runs even with device 1 selected; selects device 0");
}

static void test_wide_data(void)
{
	u32 dw;
	u8 b;

	setup(MIB128);
	lba_command(ATA_CMD_READ_SECTORS, 2, 1);
	dw = in(0x1F0, 4);
	CHECK(dw == (u32)(pattern(2, 0) | pattern(2, 1) << 8 | pattern(2, 2) << 16 |
			  (u32)pattern(2, 3) << 24), "a 32-bit data read moves two words");
	b = inb(0x1F0);
	CHECK(b == pattern(2, 4) && ata.pos == 6, "an 8-bit data read moves one word");
	for (int i = 0; i < 126; i++)
		in(0x1F0, 4);
	inw(0x1F0);
	CHECK(inb(0x1F7) == 0x50, "32-bit reads drain the sector exactly");
}

int main(void)
{
	test_glue();
	test_sweb_probe();
	test_identify();
	test_geometry();
	test_chs();
	test_roundtrip();
	test_count_zero();
	test_flush();
	test_errors();
	test_new_command_over_drq();
	test_irq_gating();
	test_wide_data();
	free(ram.data);
	return check_done();
}
