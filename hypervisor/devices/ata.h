/*
 * Virtual ATA disk on the primary channel: command block 0x1F0-0x1F7, control block 0x3F6,
 * IRQ14. One device, the master; the slave is absent. PIO only, CHS and LBA28, after
 * QEMU's hw/ide/core.c. Register bits and command codes are from ATA/ATAPI-6 (T13/1410D,
 * "ATA-6" below), cited by its clause titles: "Register descriptions", "Command descriptions".
 *
 * Emulated time is the guest's, so every command completes inside the guest's port
 * write: the guest never sees BSY except while it holds SRST. The data comes from a
 * backend (a RAM array in the host tests, the real disk in the hypervisor).
 */
#ifndef DEVICES_ATA_H
#define DEVICES_ATA_H

#include "types.h"
#include "irqline.h"
#include "portbus.h"

#define ATA_PRIMARY_CMD 0x1F0
#define ATA_PRIMARY_CTL 0x3F6
#define ATA_CMD_PORTS 8
#define ATA_PRIMARY_IRQ 14
#define ATA_SECTOR_SIZE 512

/* ATA-6 "Status register" */
#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF 0x20
#define ATA_SR_DSC 0x10		/* DSC in ATA-3, later command dependent; SWEB wants 0x58 */
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01

/* ATA-6 "Error register" (bits as each command's "Error outputs" use them) */
#define ATA_ER_UNC 0x40
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04
#define ATA_ER_DIAG_OK 0x01	/* after reset or diagnostics: "device 0 passed" */

/* ATA-6 "Device register" and "Device Control register" */
#define ATA_DEV_LBA 0x40
#define ATA_DEV_DEV 0x10
#define ATA_DC_SRST 0x04
#define ATA_DC_NIEN 0x02

/* Command codes (ATA-6 "Command descriptions"; 0x21/0x31 are the obsolete no-retry forms) */
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_NORETRY 0x21
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_NORETRY 0x31
#define ATA_CMD_EXECUTE_DIAGNOSTIC 0x90
#define ATA_CMD_INIT_DEV_PARAMS 0x91
#define ATA_CMD_READ_MULTIPLE 0xC4
#define ATA_CMD_WRITE_MULTIPLE 0xC5
#define ATA_CMD_SET_MULTIPLE_MODE 0xC6
#define ATA_CMD_IDENTIFY 0xEC
#define ATA_CMD_FLUSH_CACHE 0xE7
#define ATA_CMD_SET_FEATURES 0xEF

#define ATA_LBA28_MAX 0x0FFFFFFFULL
/* The largest READ/WRITE MULTIPLE block we offer (IDENTIFY word 47), as QEMU and Bochs do.
 * It is also how far a read runs ahead: one backend call for up to this many sectors. */
#define ATA_MAX_MULTIPLE 16

/* Where the sectors live. Each call moves whole sectors; false means an I/O error. */
struct ata_backend {
	void *ctx;
	u64 sectors;
	bool (*read)(void *ctx, u64 lba, u32 count, void *buf);
	bool (*write)(void *ctx, u64 lba, u32 count, const void *buf);
	bool (*flush)(void *ctx);
};

enum ata_xfer { ATA_XFER_NONE, ATA_XFER_IN, ATA_XFER_OUT };

struct ata {
	const struct ata_backend *backend;
	struct irq_line irq;		/* INTRQ */
	u16 cyls, heads, spt;		/* the CHS geometry IDENTIFY reports */
	u64 sectors;			/* what LBA28 reaches of the backend */

	/* The task file. Writes land here whichever device is selected, as on the cable. */
	u8 features, error, count, lba_low, lba_mid, lba_high, device;
	u8 status, control;
	bool irq_pending;		/* INTRQ wanted; cleared by a status read or a command */
	bool irq_level;			/* what irq was last told */

	u8 multiple;			/* SET MULTIPLE MODE's block size; 0: disabled */

	/* The PIO transfer in progress (DRQ set). Data-in reads ahead: buf holds `staged`
	 * sectors from `lba` on, and the DRQ blocks are windows of it. Data-out fills buf
	 * with one block, written to the backend when it is full. */
	enum ata_xfer xfer;
	bool xfer_lba;			/* the command used LBA, so report addresses as LBA */
	u8 block;			/* sectors per DRQ block: 1, or `multiple` */
	u64 lba;			/* the sector at buf[0] */
	u32 left;			/* sectors not yet offered in a DRQ block */
	u32 staged;			/* data-in: sectors read into buf */
	u32 pos;			/* next byte of buf */
	u32 block_end;			/* where the current DRQ block ends in buf */
	u8 buf[ATA_MAX_MULTIPLE * ATA_SECTOR_SIZE];
};

/* QEMU's guess for a disk without a partition table hint: 16 heads, 63 sectors per track. */
void ata_geometry(u64 sectors, u16 *cyls, u16 *heads, u16 *spt);
/* Sectors the CHS geometry reaches. */
static inline u64 ata_chs_capacity(const struct ata *d)
{
	return (u64)d->cyls * d->heads * d->spt;
}
/* IDENTIFY DEVICE data into d->buf (ata_identify.c, for ata.c). */
void ata_build_identify(struct ata *d);
/* Power-on: the master presents the reset signature with the backend's disk behind it. */
void ata_init(struct ata *d, const struct ata_backend *b, struct irq_line irq);

/* Port glue: the data register (0x1F0), the other command-block registers, the control
 * block's Device Control / Alternate Status (0x3F6). */
u32 ata_data_read(void *state, u16 port, u8 size);
void ata_data_write(void *state, u16 port, u8 size, u32 value);
u32 ata_reg_read(void *state, u16 port, u8 size);
void ata_reg_write(void *state, u16 port, u8 size, u32 value);
/* The port bus's block hooks: string I/O on the data port, a DRQ block at a time. */
u32 ata_data_read_block(void *state, u16 port, u8 size, void *buf, u32 count);
u32 ata_data_write_block(void *state, u16 port, u8 size, const void *buf, u32 count);
u32 ata_ctl_read(void *state, u16 port, u8 size);
void ata_ctl_write(void *state, u16 port, u8 size, u32 value);
struct port_device ata_data_dev(struct ata *d);
struct port_device ata_regs_dev(struct ata *d);
struct port_device ata_ctl_dev(struct ata *d);

#endif
