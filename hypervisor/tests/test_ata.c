/* Host unit tests for the ATA disk model (devices/ata.c), driven the way SWEB drives it. */
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "portbus.h"
#include "ata.h"
#include "check.h"

#define MIB128 262144ULL	/* SWEB's 128 MiB image, in sectors */
#define RAM_SECTORS 2048	/* sectors the RAM backend stores; the rest read as a pattern */

/* A RAM backend. Sectors past RAM_SECTORS read as pattern() and drop writes. */
static struct ram {
	u8 (*data)[ATA_SECTOR_SIZE];
	int reads, writes, flushes;	/* calls */
	u64 read_sectors, written_sectors;
	u64 last_read, last_read_end, last_write;	/* first and last sector of the call */
	u32 last_write_count;
	bool fail_read, fail_write, fail_flush;
	u64 bad_sector;			/* a read that includes it fails; 0 (never read here): none */
	bool flush_saw_busy;	/* the model was BSY, INTRQ low, while flush ran */
} ram;

static struct ata_backend backend;
static struct ata ata;
static struct port_device cmd_dev, ctl_dev;
static int irq_level, irq_edges;

static u8 pattern(u64 lba, unsigned i)
{
	return (u8)(lba * 7 + (lba >> 8) + i * 13);
}

static bool ram_read(void *ctx, u64 lba, u32 count, void *buf)
{
	u8 *p = buf;

	(void)ctx;
	ram.reads++;
	ram.last_read = lba;
	ram.last_read_end = lba + count - 1;
	if (ram.fail_read || count == 0 || count > ATA_MAX_MULTIPLE || lba + count > backend.sectors ||
	    (ram.bad_sector && ram.bad_sector >= lba && ram.bad_sector < lba + count))
		return false;
	ram.read_sectors += count;
	for (u32 s = 0; s < count; s++, lba++)
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
			*p++ = lba < RAM_SECTORS ? ram.data[lba][i] : pattern(lba, i);
	return true;
}

static bool ram_write(void *ctx, u64 lba, u32 count, const void *buf)
{
	(void)ctx;
	ram.writes++;
	ram.last_write = lba;
	ram.last_write_count = count;
	if (ram.fail_write || count == 0 || count > ATA_MAX_MULTIPLE || lba + count > backend.sectors)
		return false;
	ram.written_sectors += count;
	for (u32 s = 0; s < count; s++, lba++)
		if (lba < RAM_SECTORS)
			memcpy(ram.data[lba], (const u8 *)buf + s * ATA_SECTOR_SIZE, ATA_SECTOR_SIZE);
	return true;
}

static bool ram_flush(void *ctx)
{
	(void)ctx;
	ram.flushes++;
	ram.flush_saw_busy = (ata.status & ATA_SR_BSY) && !irq_level;
	return !ram.fail_flush;
}

static void set_irq(void *opaque, int level)
{
	(void)opaque;
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

/* A fresh disk of `sectors` sectors on the primary channel. */
static void setup(u64 sectors)
{
	if (!ram.data)
		ram.data = calloc(RAM_SECTORS, ATA_SECTOR_SIZE);
	ram = (struct ram){ .data = ram.data };
	for (u64 lba = 0; lba < RAM_SECTORS; lba++)
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
			ram.data[lba][i] = pattern(lba, i);
	backend = (struct ata_backend){ NULL, sectors, ram_read, ram_write, ram_flush };
	irq_level = irq_edges = 0;
	ata_init(&ata, &backend, set_irq, NULL);
	cmd_dev = ata_cmd_dev(&ata);
	ctl_dev = ata_ctl_dev(&ata);
}

/* The port bus as the guest sees it: unclaimed ports (the secondary channel) float. */
static struct port_device *claim(u16 port)
{
	if (port >= cmd_dev.base && port - cmd_dev.base < cmd_dev.count)
		return &cmd_dev;
	if (port >= ctl_dev.base && port - ctl_dev.base < ctl_dev.count)
		return &ctl_dev;
	return NULL;
}

static u32 in(u16 port, u8 size)
{
	struct port_device *d = claim(port);

	return d ? d->read(d->state, port, size) : (size == 4 ? 0xFFFFFFFF : (1u << 8 * size) - 1);
}

static void out(u16 port, u8 size, u32 v)
{
	struct port_device *d = claim(port);

	if (d)
		d->write(d->state, port, size, v);
}

static u8 inb(u16 port) { return in(port, 1); }
static u16 inw(u16 port) { return in(port, 2); }
static void outb(u16 port, u8 v) { out(port, 1, v); }
static void outw(u16 port, u16 v) { out(port, 2, v); }

static void lba_command(u8 cmd, u32 lba, u8 count)
{
	outb(0x1F6, 0xE0 | ((lba >> 24) & 0x0F));
	outb(0x1F2, count);
	outb(0x1F3, lba);
	outb(0x1F4, lba >> 8);
	outb(0x1F5, lba >> 16);
	outb(0x1F7, cmd);
}

static void chs_command(u8 cmd, u16 c, u8 h, u8 s, u8 count)
{
	outb(0x1F6, 0xA0 | h);
	outb(0x1F2, count);
	outb(0x1F3, s);
	outb(0x1F4, c);
	outb(0x1F5, c >> 8);
	outb(0x1F7, cmd);
}

/* Reads one sector's 256 words; true if it is the pattern of `lba`. */
static bool drain_matches(u64 lba)
{
	bool ok = true;

	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2) {
		u16 w = inw(0x1F0);

		ok &= w == (pattern(lba, i) | pattern(lba, i + 1) << 8);
	}
	return ok;
}

static void read_identify(u16 *id)
{
	outb(0x1F6, 0xA0);
	outb(0x1F7, ATA_CMD_IDENTIFY);
	for (int i = 0; i < 256; i++)
		id[i] = inw(0x1F0);
}

static void test_glue(void)
{
	setup(MIB128);
	CHECK(cmd_dev.base == 0x1F0 && cmd_dev.count == 8 && ctl_dev.base == 0x3F6 &&
	      ctl_dev.count == 1 && cmd_dev.state == &ata && ctl_dev.read && ctl_dev.write,
	      "port_device glue: 0x1F0/8 and 0x3F6/1");
	CHECK(inb(0x1F7) == 0x50 && inb(0x1F1) == 0x01 && inb(0x1F2) == 1 && inb(0x1F3) == 1 &&
	      inb(0x1F4) == 0 && inb(0x1F5) == 0, "power-on: status 0x50, ATA signature, diag ok");
	CHECK(inw(0x1F2) == 0x0101, "a word read at 0x1F2 spans count and sector number");
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

/* The block hooks (string I/O) move what the same number of word accesses would. */
static void test_block_hooks(void)
{
	static u8 buf[3 * ATA_SECTOR_SIZE + 8];
	u8 out_data[2 * ATA_SECTOR_SIZE];
	bool same = true;
	u32 n;

	setup(MIB128);
	lba_command(ATA_CMD_READ_SECTORS, 5, 2);
	n = cmd_dev.read_block(cmd_dev.state, 0x1F0, 2, buf, 3);
	for (unsigned i = 0; i < 6; i++)
		same &= buf[i] == pattern(5, i);
	CHECK(n == 3 && same && ata.pos == 6, "a block read of 3 words moves 3 words");
	inb(0x1F7);	/* acknowledge the first sector's INTRQ */
	irq_edges = 0;
	n = cmd_dev.read_block(cmd_dev.state, 0x1F0, 2, buf, 2 * ATA_SECTOR_SIZE);
	same = true;
	for (unsigned i = 0; i < ATA_SECTOR_SIZE - 6; i++)
		same &= buf[i] == pattern(5, i + 6);
	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
		same &= buf[ATA_SECTOR_SIZE - 6 + i] == pattern(6, i);
	CHECK(n == ATA_SECTOR_SIZE - 3 && same && irq_edges == 1 && inb(0x1F7) == 0x50,
	      "a block read runs across sectors and stops where the command's data ends");
	CHECK(cmd_dev.read_block(cmd_dev.state, 0x1F0, 2, buf, 4) == 0,
	      "a block read without DRQ moves nothing (the bus reads the undriven words)");

	/* A 32-bit read ending one word into the last element: the rest is undriven. */
	lba_command(ATA_CMD_READ_SECTORS, 7, 1);
	inw(0x1F0);
	n = cmd_dev.read_block(cmd_dev.state, 0x1F0, 4, buf, 200);
	CHECK(n == 128 && buf[508] == pattern(7, 510) && buf[509] == pattern(7, 511) &&
	      buf[510] == 0xFF && buf[511] == 0xFF,
	      "a 32-bit block read that outlives the data ends with an undriven word");
	CHECK(cmd_dev.read_block(cmd_dev.state, 0x1F1, 2, buf, 1) == 0 &&
	      cmd_dev.read_block(cmd_dev.state, 0x1F0, 1, buf, 1) == 0,
	      "registers other than data, and byte accesses, go element by element");

	for (unsigned i = 0; i < sizeof(out_data); i++)
		out_data[i] = (u8)(i * 3 + 1);
	lba_command(ATA_CMD_WRITE_SECTORS, 9, 2);
	irq_edges = 0;
	n = cmd_dev.write_block(cmd_dev.state, 0x1F0, 2, out_data, ATA_SECTOR_SIZE + 10);
	CHECK(n == ATA_SECTOR_SIZE && irq_edges == 1 && inb(0x1F7) == 0x50 &&
	      ram.writes == 2 && !memcmp(ram.data[9], out_data, ATA_SECTOR_SIZE) &&
	      !memcmp(ram.data[10], out_data + ATA_SECTOR_SIZE, ATA_SECTOR_SIZE),
	      "a block write fills both sectors, raises INTRQ, and stops at the command's end");
}

static void set_multiple(u8 count)
{
	outb(0x1F6, 0xA0);
	outb(0x1F2, count);
	outb(0x1F7, ATA_CMD_SET_MULTIPLE_MODE);
}

/* A string read of `sectors` sectors at once; true if they are the pattern from `lba`. */
static bool block_matches(u64 lba, u32 sectors)
{
	static u8 buf[ATA_MAX_MULTIPLE * ATA_SECTOR_SIZE];
	bool ok = cmd_dev.read_block(cmd_dev.state, 0x1F0, 2, buf, sectors * 256) == sectors * 256;

	for (u32 s = 0; s < sectors; s++)
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
			ok &= buf[s * ATA_SECTOR_SIZE + i] == pattern(lba + s, i);
	return ok;
}

static void test_multiple(void)
{
	static const u8 sizes[] = { 8, 8, 4 };
	static u8 out_data[10 * ATA_SECTOR_SIZE];
	u64 lba = 100;
	bool ok = true;
	u16 id[256];

	setup(MIB128);
	lba_command(ATA_CMD_READ_MULTIPLE, 0, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT && !ram.reads,
	      "READ MULTIPLE before SET MULTIPLE MODE: aborted, nothing read");
	set_multiple(3);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT, "SET MULTIPLE MODE 3: aborted");
	set_multiple(32);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT, "SET MULTIPLE MODE 32: aborted");
	set_multiple(8);
	CHECK(irq_level && inb(0x1F7) == 0x50, "SET MULTIPLE MODE 8: completes with IRQ14");
	read_identify(id);
	CHECK(id[59] == 0x108, "IDENTIFY word 59: multiple setting valid, 8 sectors");

	irq_edges = 0;
	lba_command(ATA_CMD_READ_MULTIPLE, 100, 20);
	for (unsigned b = 0; b < ARRAY_SIZE(sizes); b++) {
		ok &= irq_edges == (int)b + 1 && inb(0x1F7) == 0x58 && block_matches(lba, sizes[b]);
		lba += sizes[b];
	}
	CHECK(ok && inb(0x1F7) == 0x50 && irq_edges == 3,
	      "READ MULTIPLE of 20 sectors in blocks of 8: blocks 8, 8, 4, one IRQ14 each");
	CHECK(ram.reads == 2 && ram.read_sectors == 20,
	      "READ MULTIPLE: the backend reads 16 sectors, then the last 4");

	for (unsigned i = 0; i < sizeof(out_data); i++)
		out_data[i] = (u8)(i * 7 + 3);
	irq_edges = 0;
	lba_command(ATA_CMD_WRITE_MULTIPLE, 200, 10);
	CHECK(inb(0x3F6) == 0x58 && !irq_edges, "WRITE MULTIPLE: DRQ for the first block, no IRQ");
	ok = cmd_dev.write_block(cmd_dev.state, 0x1F0, 2, out_data, 8 * 256) == 8 * 256 &&
	     irq_edges == 1 && ram.writes == 1 && ram.last_write == 200 &&
	     ram.last_write_count == 8 && inb(0x1F7) == 0x58;
	CHECK(ok, "WRITE MULTIPLE: a full block of 8 is one backend write, then IRQ14 and DRQ");
	ok = cmd_dev.write_block(cmd_dev.state, 0x1F0, 2, out_data + 8 * ATA_SECTOR_SIZE,
				 2 * 256) == 2 * 256 &&
	     irq_edges == 2 && ram.last_write == 208 && ram.last_write_count == 2;
	CHECK(ok && inb(0x1F7) == 0x50 && !memcmp(ram.data[200], out_data, sizeof(out_data)),
	      "WRITE MULTIPLE: the short last block completes the command; the data is stored");

	setup(1000);
	set_multiple(8);
	inb(0x1F7);
	lba_command(ATA_CMD_WRITE_MULTIPLE, 996, 8);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF && inb(0x1F3) == (1000 & 0xFF) &&
	      inb(0x1F4) == 1000 >> 8 && !ram.writes,
	      "a WRITE MULTIPLE block running past the end: IDNF at LBA 1000, nothing written");
	lba_command(ATA_CMD_READ_MULTIPLE, 996, 8);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_IDNF && inb(0x1F3) == (1000 & 0xFF),
	      "a READ MULTIPLE block running past the end: IDNF at LBA 1000, no DRQ");
	set_multiple(0);
	lba_command(ATA_CMD_READ_MULTIPLE, 0, 1);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_ABRT,
	      "SET MULTIPLE MODE 0 disables READ MULTIPLE again");
}

/* Read-ahead must not blur which sector failed: the error names the bad one exactly. */
static void test_read_ahead_errors(void)
{
	bool ok = true;

	setup(MIB128);
	ram.bad_sector = 105;
	lba_command(ATA_CMD_READ_SECTORS, 100, 10);
	for (u64 lba = 100; lba < 105; lba++)
		ok &= inb(0x1F7) == 0x58 && drain_matches(lba);
	CHECK(ok, "READ SECTORS over a bad sector: the sectors before it arrive");
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_UNC && inb(0x1F3) == 105,
	      "then UNC, with the bad sector's address 105 in the registers");

	set_multiple(4);
	inb(0x1F7);
	lba_command(ATA_CMD_READ_MULTIPLE, 102, 8);
	CHECK(inb(0x1F7) == 0x51 && inb(0x1F1) == ATA_ER_UNC && inb(0x1F3) == 105,
	      "READ MULTIPLE: a block holding a bad sector fails whole, at address 105");
	lba_command(ATA_CMD_READ_MULTIPLE, 98, 8);
	CHECK(inb(0x1F7) == 0x58 && block_matches(98, 4) && inb(0x1F7) == 0x51 &&
	      inb(0x1F1) == ATA_ER_UNC && inb(0x1F3) == 105,
	      "READ MULTIPLE: the good block 98-101 arrives, the next fails at 105");
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
	test_block_hooks();
	test_multiple();
	test_read_ahead_errors();
	free(ram.data);
	return check_done();
}
