/*
 * The hypervisor's own driver for the real primary-master ATA disk (not the guest's
 * model): polled PIO, LBA28, every wait bounded. The device's INTRQ is kept off (nIEN).
 */
#ifndef ATA_HOST_H
#define ATA_HOST_H

#include "types.h"

struct ata_host_disk {
	u16 io, ctl;		/* command and control block bases */
	u64 sectors;		/* what LBA28 reaches */
	u8 block;		/* sectors per PIO data block: 1, or the multiple-mode size */
	char model[41];
};

/* Finds an ATA disk at the primary master and reads its size; false (logged) if none. */
bool ata_host_probe(struct ata_host_disk *d);
/* Moves count sectors at lba; false (logged) on a device error or a timeout. */
bool ata_host_read(struct ata_host_disk *d, u64 lba, u32 count, void *buf);
bool ata_host_write(struct ata_host_disk *d, u64 lba, u32 count, const void *buf);
/* FLUSH CACHE: returns once the disk reports the data on its medium. */
bool ata_host_flush(struct ata_host_disk *d);

#endif
