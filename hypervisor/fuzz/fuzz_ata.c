/*
 * The ATA disk (devices/ata.c): its command block 0x1F0-0x1F7 and control port 0x3F6, string
 * transfers through the data port's block hooks, and a disk whose size, and whose failing
 * reads, writes and flushes, the input chooses. The backend stores nothing (reads give a
 * pattern, writes are checked and dropped), so each input starts from the same disk, and
 * it traps on a request the model should never make: past the disk, or empty, or larger
 * than a DRQ block.
 */
#include <string.h>

#include "fuzz.h"
#include "ata.h"

static struct {
	bool fail_read, fail_write, fail_flush;
} disk;
static struct ata_backend backend;

static void check_request(u64 lba, u32 count)
{
	if (count == 0 || count > ATA_MAX_MULTIPLE || lba + count > backend.sectors)
		__builtin_trap();
}

static bool disk_read(void *ctx, u64 lba, u32 count, void *buf)
{
	(void)ctx;
	check_request(lba, count);
	memset(buf, (int)(lba * 7), (size_t)count * ATA_SECTOR_SIZE);
	return !disk.fail_read;
}

static bool disk_write(void *ctx, u64 lba, u32 count, const void *buf)
{
	(void)ctx;
	(void)buf;
	check_request(lba, count);
	return !disk.fail_write;
}

static bool disk_flush(void *ctx)
{
	(void)ctx;
	return !disk.fail_flush;
}

static void irq_line(void *opaque, int irq, int level)
{
	(void)opaque;
	(void)irq;
	(void)level;
}

/* Which of the disk's next reads, writes and flushes fail. */
static void event(struct fuzz_input *in)
{
	u8 e = take8(in);

	disk.fail_read = e & 1;
	disk.fail_write = e & 2;
	disk.fail_flush = e & 4;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	static struct ata ata;
	struct port_device data_port, regs, ctl;
	struct port_device *devs[3] = { &data_port, &regs, &ctl };

	disk.fail_read = disk.fail_write = disk.fail_flush = false;
	backend = (struct ata_backend){ NULL, 1 + take32(&in) % (1u << 19), disk_read,
					disk_write, disk_flush };	/* 1 sector to 256 MiB */
	ata_init(&ata, &backend, (struct irq_line){ irq_line, NULL, 14 });
	data_port = ata_data_dev(&ata);
	regs = ata_regs_dev(&ata);
	ctl = ata_ctl_dev(&ata);
	fuzz_run(&in, devs, 3, event);
	return 0;
}
