/*
 * The guest's disk: the ATA model on the port bus, its sectors a window of the real
 * disk. The model's sector count is the window's size and the backend adds START, so
 * no guest request reaches outside the window.
 */
#include "ata_host.h"
#include "disk.h"
#include "irq.h"
#include "lib.h"
#include "log.h"
#include "run_end.h"
#include "vm.h"

/* The machine's one real disk; each guest's region is a window of it. */
static struct ata_host_disk real_disk;

bool disk_parse(const char *value, size_t len, struct disk_window *w)
{
	size_t colon = 0;

	while (colon < len && value[colon] != ':')
		colon++;
	w->count = 0;
	if (!parse_u64(value, colon, &w->start))
		return false;
	if (colon < len && (!parse_u64(value + colon + 1, len - colon - 1, &w->count) || !w->count))
		return false;
	w->enabled = true;
	return true;
}

bool disk_windows_overlap(const struct disk_window *a, const struct disk_window *b)
{
	if (!a->enabled || !b->enabled)
		return false;
	/* [start, start + count): a window with count 0 runs to the end. */
	return (!b->count || a->start < b->start + b->count) &&
	       (!a->count || b->start < a->start + a->count);
}

/* The model asks only inside [0, count); the check keeps that true whatever it asks. */
static bool inside(const struct disk_region *r, u64 lba, u32 count)
{
	return lba < r->count && count <= r->count - lba;
}

static bool region_read(void *ctx, u64 lba, u32 count, void *buf)
{
	struct disk_region *r = ctx;

	return inside(r, lba, count) && ata_host_read(r->disk, r->start + lba, count, buf);
}

static bool region_write(void *ctx, u64 lba, u32 count, const void *buf)
{
	struct disk_region *r = ctx;

	return inside(r, lba, count) && ata_host_write(r->disk, r->start + lba, count, buf);
}

static bool region_flush(void *ctx)
{
	struct disk_region *r = ctx;

	return ata_host_flush(r->disk);
}

void disk_init(struct vm *vm, const struct disk_window *w, struct port_device *ports, int *n)
{
	struct platform *d = &vm->dev;
	u64 start = w->start, count, avail;

	if (!w->enabled) {
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
	count = w->count ? w->count : avail;
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
	d->has_disk = true;
	d->region = (struct disk_region){ &real_disk, start, count };
	d->disk_backend = (struct ata_backend){ &d->region, count, region_read, region_write,
						region_flush };
	/* IRQ 14, as the primary channel's on a PC. */
	ata_init(&d->ata, &d->disk_backend, irq_line_of(vm, 14));
	ports[(*n)++] = ata_data_dev(&d->ata);
	ports[(*n)++] = ata_regs_dev(&d->ata);
	ports[(*n)++] = ata_ctl_dev(&d->ata);
	log_printf("disk: guest region LBA %lu..%lu of a real disk of %lu sectors\n", start,
		   start + count - 1, real_disk.sectors);
}
