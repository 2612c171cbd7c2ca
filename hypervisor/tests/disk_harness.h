/*
 * What core/disk.c reaches around the ATA model, for test_disk.c and test_cmdline.c:
 *   - the real primary-master disk (drivers/ata_host.c): a fake whose sector N reads as
 *     pattern(N), and which records the lowest and highest sector any call touched;
 *   - the guest's port bus: the real one (core/portbus.c), with the ports disk_init adds
 *     put on it as core/platform.c does; guest_in() and guest_out() go through it;
 *   - the PIC input (core/irq.c's irq_line_of): a line whose edges are counted.
 * Include core_harness.h first.
 */
#ifndef DISK_HARNESS_H
#define DISK_HARNESS_H

#include "ata_host.h"
#include "portbus.h"
#include "ata.h"
#include "vm.h"
#include "../core/disk.h"

#define NO_SECTOR (~0ULL)

static struct real {
	bool present;		/* ata_host_probe finds it */
	u64 sectors;
	int reads, writes, flushes;
	u64 lo, hi;		/* the lowest and highest sector any read or write touched */
	u64 last_lba;		/* of the last read or write */
	u32 last_count;
	u64 bad_sector;		/* a read that includes it fails; NO_SECTOR: none */
	bool fail_flush;
	u8 written[ATA_SECTOR_SIZE];	/* the first sector of the last write */
} real;

static struct vm vm;
static struct disk_window window;	/* the guest's disk= word */
static int irq_level, irq_edges, irq_number;

static inline u8 pattern(u64 lba, unsigned i)
{
	return (u8)(lba * 7 + (lba >> 8) + (lba >> 16) + i * 13);
}

/* A fresh real disk of `sectors` sectors, an empty bus, the IRQ line low, no log. */
static inline void real_disk(u64 sectors)
{
	real = (struct real){ .present = sectors != 0, .sectors = sectors, .lo = NO_SECTOR,
			      .bad_sector = NO_SECTOR };
	memset(&vm, 0, sizeof(vm));
	irq_level = irq_edges = irq_number = 0;
	log_clear();
}

static inline void touched(u64 lba, u32 count)
{
	real.last_lba = lba;
	real.last_count = count;
	if (lba < real.lo)
		real.lo = lba;
	if (count && lba + count - 1 > real.hi)
		real.hi = lba + count - 1;
}

bool ata_host_probe(struct ata_host_disk *d)
{
	*d = (struct ata_host_disk){ .io = 0x1F0, .ctl = 0x3F6, .sectors = real.sectors,
				     .block = 1 };
	return real.present;
}

bool ata_host_read(struct ata_host_disk *d, u64 lba, u32 count, void *buf)
{
	u8 *p = buf;

	(void)d;
	real.reads++;
	touched(lba, count);
	if (lba + count > real.sectors || (real.bad_sector >= lba && real.bad_sector < lba + count))
		return false;
	for (u32 s = 0; s < count; s++)
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
			*p++ = pattern(lba + s, i);
	return true;
}

bool ata_host_write(struct ata_host_disk *d, u64 lba, u32 count, const void *buf)
{
	(void)d;
	real.writes++;
	touched(lba, count);
	if (lba + count > real.sectors)
		return false;
	memcpy(real.written, buf, ATA_SECTOR_SIZE);
	return true;
}

bool ata_host_flush(struct ata_host_disk *d)
{
	(void)d;
	real.flushes++;
	return !real.fail_flush;
}

static void set_irq(void *ctx, int irq, int level)
{
	(void)ctx;
	irq_number = irq;
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

struct irq_line irq_line_of(struct vm *v, int irq)
{
	(void)v;
	return (struct irq_line){ set_irq, NULL, irq };
}

static inline void init_disk(void)
{
	struct port_device ports[PORTBUS_MAX];
	int n = 0;

	disk_init(&vm, &window, ports, &n);
	for (int i = 0; i < n; i++)
		if (!portbus_register(&vm.bus, ports[i]))
			panic("disk: port %#x taken", ports[i].base);
}

/* The guest's ATA model, once disk_init has set it up (NULL before). */
static inline struct ata *model(void)
{
	return vm.dev.has_disk ? &vm.dev.ata : NULL;
}

static inline u32 guest_in(u16 port, u8 size)
{
	u32 v = 0;

	portbus_access(&vm.bus, port, size, true, &v);
	return v;
}

static inline void guest_out(u16 port, u8 size, u32 v)
{
	portbus_access(&vm.bus, port, size, false, &v);
}

/* An LBA28 command with the guest's sector address. */
static inline void guest_command(u8 cmd, u32 lba, u8 count)
{
	guest_out(0x1F6, 1, 0xE0 | ((lba >> 24) & 0x0F));
	guest_out(0x1F2, 1, count);
	guest_out(0x1F3, 1, lba & 0xFF);
	guest_out(0x1F4, 1, (lba >> 8) & 0xFF);
	guest_out(0x1F5, 1, (lba >> 16) & 0xFF);
	guest_out(0x1F7, 1, cmd);
}

/* The guest drains one sector; true if it holds the real disk's sector `host_lba`. */
static inline bool guest_sector_is(u64 host_lba)
{
	bool ok = true;

	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2)
		ok &= guest_in(0x1F0, 2) == (u32)(pattern(host_lba, i) | pattern(host_lba, i + 1) << 8);
	return ok;
}

/* The LBA28 address the task file holds (where an error happened). */
static inline u32 guest_lba_regs(void)
{
	return guest_in(0x1F3, 1) | guest_in(0x1F4, 1) << 8 | guest_in(0x1F5, 1) << 16 |
	       (guest_in(0x1F6, 1) & 0x0F) << 24;
}

/* IDENTIFY words 60-61: the sectors the guest's disk has. */
static inline u32 guest_identify_sectors(void)
{
	u16 id[256];

	guest_out(0x1F6, 1, 0xA0);
	guest_out(0x1F7, 1, ATA_CMD_IDENTIFY);
	for (int i = 0; i < 256; i++)
		id[i] = guest_in(0x1F0, 2);
	return id[60] | (u32)id[61] << 16;
}

#endif
