/* Host unit tests for the ATA model's block transfers: string I/O on the data port,
 * READ/WRITE MULTIPLE, and reads staged ahead of the guest. */
#include "ata_harness.h"
#include "check.h"

/* The block hooks (string I/O) move what the same number of word accesses would. */
static void test_block_hooks(void)
{
	static u8 buf[3 * ATA_SECTOR_SIZE + 8];
	u8 out_data[2 * ATA_SECTOR_SIZE];
	bool same = true;
	u32 n;

	setup(MIB128);
	lba_command(ATA_CMD_READ_SECTORS, 5, 2);
	n = data_dev.read_block(data_dev.state, 0x1F0, 2, buf, 3);
	for (unsigned i = 0; i < 6; i++)
		same &= buf[i] == pattern(5, i);
	CHECK(n == 3 && same && ata.pos == 6, "a block read of 3 words moves 3 words");
	inb(0x1F7);	/* acknowledge the first sector's INTRQ */
	irq_edges = 0;
	n = data_dev.read_block(data_dev.state, 0x1F0, 2, buf, 2 * ATA_SECTOR_SIZE);
	same = true;
	for (unsigned i = 0; i < ATA_SECTOR_SIZE - 6; i++)
		same &= buf[i] == pattern(5, i + 6);
	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
		same &= buf[ATA_SECTOR_SIZE - 6 + i] == pattern(6, i);
	CHECK(n == ATA_SECTOR_SIZE - 3 && same && irq_edges == 1 && inb(0x1F7) == 0x50,
	      "a block read runs across sectors and stops where the command's data ends");
	CHECK(data_dev.read_block(data_dev.state, 0x1F0, 2, buf, 4) == 0,
	      "a block read without DRQ moves nothing (the bus reads the undriven words)");

	/* A 32-bit read ending one word into the last element: the rest is undriven. */
	lba_command(ATA_CMD_READ_SECTORS, 7, 1);
	inw(0x1F0);
	n = data_dev.read_block(data_dev.state, 0x1F0, 4, buf, 200);
	CHECK(n == 128 && buf[508] == pattern(7, 510) && buf[509] == pattern(7, 511) &&
	      buf[510] == 0xFF && buf[511] == 0xFF,
	      "a 32-bit block read that outlives the data ends with an undriven word");
	CHECK(data_dev.read_block(data_dev.state, 0x1F1, 2, buf, 1) == 0 &&
	      data_dev.read_block(data_dev.state, 0x1F0, 1, buf, 1) == 0,
	      "registers other than data, and byte accesses, go element by element");

	for (unsigned i = 0; i < sizeof(out_data); i++)
		out_data[i] = (u8)(i * 3 + 1);
	lba_command(ATA_CMD_WRITE_SECTORS, 9, 2);
	irq_edges = 0;
	n = data_dev.write_block(data_dev.state, 0x1F0, 2, out_data, ATA_SECTOR_SIZE + 10);
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
	bool ok = data_dev.read_block(data_dev.state, 0x1F0, 2, buf, sectors * 256) == sectors * 256;

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
	ok = data_dev.write_block(data_dev.state, 0x1F0, 2, out_data, 8 * 256) == 8 * 256 &&
	     irq_edges == 1 && ram.writes == 1 && ram.last_write == 200 &&
	     ram.last_write_count == 8 && inb(0x1F7) == 0x58;
	CHECK(ok, "WRITE MULTIPLE: a full block of 8 is one backend write, then IRQ14 and DRQ");
	ok = data_dev.write_block(data_dev.state, 0x1F0, 2, out_data + 8 * ATA_SECTOR_SIZE,
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
	test_block_hooks();
	test_multiple();
	test_read_ahead_errors();
	free(ram.data);
	return check_done();
}
