/*
 * The guest's disk: the ATA model on the port bus, its sectors a window of the real
 * disk. The model's sector count is the window's size and the backend adds START, so
 * no guest request reaches outside the window.
 */
#include "../devices/ata.h"
#include "ata_host.h"
#include "disk.h"
#include "lib.h"
#include "log.h"
#include "portbus.h"
#include "run_end.h"

struct region {
	struct ata_host_disk *disk;
	u64 start, count;
};

static struct {
	bool enabled;
	u64 start, count;	/* count 0: to the end of the real disk */
} config;

static struct ata_host_disk real_disk;
static struct region region;
static struct ata_backend backend;
static struct ata model;
static struct port_device cmd_dev, ctl_dev;

bool disk_parse(const char *value, size_t len)
{
	size_t colon = 0;

	while (colon < len && value[colon] != ':')
		colon++;
	config.count = 0;
	if (!parse_u64(value, colon, &config.start))
		return false;
	if (colon < len &&
	    (!parse_u64(value + colon + 1, len - colon - 1, &config.count) || !config.count))
		return false;
	config.enabled = true;
	return true;
}

/* The model asks only inside [0, count); the check keeps that true whatever it asks. */
static bool inside(const struct region *r, u64 lba, u32 count)
{
	return lba < r->count && count <= r->count - lba;
}

static bool region_read(void *ctx, u64 lba, u32 count, void *buf)
{
	struct region *r = ctx;

	return inside(r, lba, count) && ata_host_read(r->disk, r->start + lba, count, buf);
}

static bool region_write(void *ctx, u64 lba, u32 count, const void *buf)
{
	struct region *r = ctx;

	return inside(r, lba, count) && ata_host_write(r->disk, r->start + lba, count, buf);
}

static bool region_flush(void *ctx)
{
	struct region *r = ctx;

	return ata_host_flush(r->disk);
}

void disk_init(void (*set_irq)(void *opaque, int level), void *opaque)
{
	u64 start = config.start, count, avail;

	if (!config.enabled) {
		log_printf("disk: no disk= word, the guest has no disk\n");
		return;
	}
	if (!ata_host_probe(&real_disk)) {
		log_printf("disk: disk=%lu needs a real primary-master ATA disk\n", start);
		run_end(END_CONFIG);
	}
	if (start >= real_disk.sectors) {
		log_printf("disk: START %lu is past the end of the real disk (%lu sectors)\n", start,
			   real_disk.sectors);
		run_end(END_CONFIG);
	}
	avail = real_disk.sectors - start;
	count = config.count ? config.count : avail;
	if (count > avail) {
		log_printf("disk: COUNT %lu runs past the real disk's end; shrunk to %lu\n", count,
			   avail);
		count = avail;
	}
	if (count > ATA_LBA28_MAX) {
		log_printf("disk: COUNT %lu is more than LBA28 reaches; shrunk to %lu\n", count,
			   (u64)ATA_LBA28_MAX);
		count = ATA_LBA28_MAX;
	}
	region = (struct region){ &real_disk, start, count };
	backend = (struct ata_backend){ &region, count, region_read, region_write, region_flush };
	ata_init(&model, &backend, set_irq, opaque);
	cmd_dev = ata_cmd_dev(&model);
	ctl_dev = ata_ctl_dev(&model);
	if (!portbus_register(&cmd_dev) || !portbus_register(&ctl_dev))
		panic("disk: cannot register the ATA ports %#x and %#x", cmd_dev.base, ctl_dev.base);
	log_printf("disk: guest region LBA %lu..%lu of a real disk of %lu sectors\n", start,
		   start + count - 1, real_disk.sectors);
}
