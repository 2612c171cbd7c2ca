/*
 * The harness of the ATA model's host tests: a RAM backend that counts its calls, a
 * fresh disk per test, and the guest's view of the ports. Included by each test file.
 */
#ifndef ATA_HARNESS_H
#define ATA_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "portbus.h"
#include "ata.h"

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
static struct port_device data_dev, regs_dev, ctl_dev;
static int irq_level, irq_edges;

static inline u8 pattern(u64 lba, unsigned i)
{
	return (u8)(lba * 7 + (lba >> 8) + i * 13);
}

static inline bool ram_read(void *ctx, u64 lba, u32 count, void *buf)
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

static inline bool ram_write(void *ctx, u64 lba, u32 count, const void *buf)
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

static inline bool ram_flush(void *ctx)
{
	(void)ctx;
	ram.flushes++;
	ram.flush_saw_busy = (ata.status & ATA_SR_BSY) && !irq_level;
	return !ram.fail_flush;
}

static inline void set_irq(void *opaque, int irq, int level)
{
	(void)opaque;
	(void)irq;
	if (level && !irq_level)
		irq_edges++;
	irq_level = level;
}

/* A fresh disk of `sectors` sectors on the primary channel. */
static inline void setup(u64 sectors)
{
	if (!ram.data)
		ram.data = calloc(RAM_SECTORS, ATA_SECTOR_SIZE);
	ram = (struct ram){ .data = ram.data };
	for (u64 lba = 0; lba < RAM_SECTORS; lba++)
		for (unsigned i = 0; i < ATA_SECTOR_SIZE; i++)
			ram.data[lba][i] = pattern(lba, i);
	backend = (struct ata_backend){ NULL, sectors, ram_read, ram_write, ram_flush };
	irq_level = irq_edges = 0;
	ata_init(&ata, &backend, (struct irq_line){ set_irq, NULL, 14 });
	data_dev = ata_data_dev(&ata);
	regs_dev = ata_regs_dev(&ata);
	ctl_dev = ata_ctl_dev(&ata);
}

/* The port bus as the guest sees it: unclaimed ports (the secondary channel) float. Byte
 * accesses only to the 8-bit registers: the bus splits wider ones (tests/test_portbus.c). */
static inline struct port_device *claim(u16 port)
{
	if (port >= data_dev.base && port - data_dev.base < data_dev.count)
		return &data_dev;
	if (port >= regs_dev.base && port - regs_dev.base < regs_dev.count)
		return &regs_dev;
	if (port >= ctl_dev.base && port - ctl_dev.base < ctl_dev.count)
		return &ctl_dev;
	return NULL;
}

static inline u32 in(u16 port, u8 size)
{
	struct port_device *d = claim(port);

	return d ? d->read(d->state, port, size) : (size == 4 ? 0xFFFFFFFF : (1u << 8 * size) - 1);
}

static inline void out(u16 port, u8 size, u32 v)
{
	struct port_device *d = claim(port);

	if (d)
		d->write(d->state, port, size, v);
}

static inline u8 inb(u16 port) { return in(port, 1); }
static inline u16 inw(u16 port) { return in(port, 2); }
static inline void outb(u16 port, u8 v) { out(port, 1, v); }
static inline void outw(u16 port, u16 v) { out(port, 2, v); }

static inline void lba_command(u8 cmd, u32 lba, u8 count)
{
	outb(0x1F6, 0xE0 | ((lba >> 24) & 0x0F));
	outb(0x1F2, count);
	outb(0x1F3, lba);
	outb(0x1F4, lba >> 8);
	outb(0x1F5, lba >> 16);
	outb(0x1F7, cmd);
}

static inline void chs_command(u8 cmd, u16 c, u8 h, u8 s, u8 count)
{
	outb(0x1F6, 0xA0 | h);
	outb(0x1F2, count);
	outb(0x1F3, s);
	outb(0x1F4, c);
	outb(0x1F5, c >> 8);
	outb(0x1F7, cmd);
}

/* Reads one sector's 256 words; true if it is the pattern of `lba`. */
static inline bool drain_matches(u64 lba)
{
	bool ok = true;

	for (unsigned i = 0; i < ATA_SECTOR_SIZE; i += 2) {
		u16 w = inw(0x1F0);

		ok &= w == (pattern(lba, i) | pattern(lba, i + 1) << 8);
	}
	return ok;
}

static inline void read_identify(u16 *id)
{
	outb(0x1F6, 0xA0);
	outb(0x1F7, ATA_CMD_IDENTIFY);
	for (int i = 0; i < 256; i++)
		id[i] = inw(0x1F0);
}

#endif
