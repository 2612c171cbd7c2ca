/*
 * Virtual ATA disk, primary channel master, PIO. Quotations are from ATA/ATAPI-6 (T13/1410D),
 * by clause title. The PIO protocols are ATA-6 "PIO data-in" (READ SECTORS, READ MULTIPLE,
 * IDENTIFY: INTRQ with each block's DRQ) and "PIO data-out" (WRITE SECTORS, WRITE MULTIPLE:
 * DRQ for the first block without INTRQ, INTRQ after each block). A block is one sector,
 * or for the MULTIPLE forms the SET MULTIPLE MODE size: a driver that uses them takes one
 * interrupt and one string instruction (so one exit each) per block instead of per sector.
 * Commands finish inside the guest's port access.
 */
#include "types.h"
#include "portbus.h"
#include "ata.h"

/* Command block register offsets (ATA-6 "Register descriptions"; CHS names in comments). */
#define REG_DATA 0
#define REG_ERROR 1	/* write: features */
#define REG_COUNT 2
#define REG_LBA_LOW 3	/* sector number */
#define REG_LBA_MID 4	/* cylinder low */
#define REG_LBA_HIGH 5	/* cylinder high */
#define REG_DEVICE 6	/* device/head */
#define REG_STATUS 7	/* write: command */

#define STATUS_READY (ATA_SR_DRDY | ATA_SR_DSC)	/* 0x50, idle; QEMU reports the same */
/* An 8-bit access to the 16-bit data port has no defined meaning without the CFA 8-bit
 * feature, which we do not offer: it moves one whole word, of which the host sees the
 * low byte. A data access with DRQ clear moves nothing; the device leaves the bus
 * undriven, so the read gives all ones. */
#define DATA_UNDRIVEN 0xFFFF

/* INTRQ follows the pending interrupt unless nIEN releases it (ATA-6 "Device Control"). */
static void update_irq(struct ata *d)
{
	bool line = d->irq_pending && !(d->control & ATA_DC_NIEN);

	if (line != d->irq_level) {
		d->irq_level = line;
		irq_line_set(&d->irq, line);
	}
}

static void set_pending(struct ata *d, bool pending)
{
	d->irq_pending = pending;
	update_irq(d);
}

static bool slave_selected(const struct ata *d)
{
	return d->device & ATA_DEV_DEV;
}

/* The signature after reset or diagnostics (ATA-6 "Signature and persistence"): an ATA
 * device reports count 1, sector 1, cylinder 0, device 0, and 01h: device 0 passed. */
static void set_signature(struct ata *d)
{
	d->xfer = ATA_XFER_NONE;
	d->count = 1;
	d->lba_low = 1;
	d->lba_mid = 0;
	d->lba_high = 0;
	d->device = 0;
	d->error = ATA_ER_DIAG_OK;
	d->status = STATUS_READY;
}

void ata_init(struct ata *d, const struct ata_backend *b, struct irq_line irq)
{
	for (size_t i = 0; i < sizeof(*d); i++)
		((u8 *)d)[i] = 0;
	d->backend = b;
	d->irq = irq;
	/* Words 60-61 saturate at 0FFFFFFFh; LBA28 reaches no further. */
	d->sectors = b->sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX : b->sectors;
	ata_geometry(d->sectors, &d->cyls, &d->heads, &d->spt);
	set_signature(d);
}

/* The last sector + 1 the current command may reach: CHS stops at the geometry. */
static u64 limit(const struct ata *d)
{
	u64 chs = ata_chs_capacity(d);

	return d->xfer_lba || chs > d->sectors ? d->sectors : chs;
}

/* The command's first sector. A CHS address outside the geometry has no LBA. */
static bool start_lba(struct ata *d, u64 *lba)
{
	u32 c = d->lba_mid | (u32)d->lba_high << 8, h = d->device & 0x0F, s = d->lba_low;

	d->xfer_lba = d->device & ATA_DEV_LBA;
	if (d->xfer_lba) {
		*lba = (u64)h << 24 | (u32)d->lba_high << 16 | (u32)d->lba_mid << 8 | d->lba_low;
		return true;
	}
	if (s == 0 || s > d->spt || h >= d->heads || c >= d->cyls)
		return false;
	*lba = ((u64)c * d->heads + h) * d->spt + (s - 1);
	return true;
}

/* "Error outputs" of the read and write commands: the address of the failing sector. */
static void report_address(struct ata *d, u64 lba)
{
	if (d->xfer_lba) {
		d->lba_low = lba;
		d->lba_mid = lba >> 8;
		d->lba_high = lba >> 16;
		d->device = (d->device & 0xF0) | ((lba >> 24) & 0x0F);
	} else {
		u32 per_cyl = d->heads * d->spt, c = lba / per_cyl, r = lba % per_cyl;

		d->lba_low = r % d->spt + 1;
		d->lba_mid = c;
		d->lba_high = c >> 8;
		d->device = (d->device & 0xF0) | (r / d->spt);
	}
}

static void complete(struct ata *d)
{
	d->xfer = ATA_XFER_NONE;
	d->status = STATUS_READY;
	set_pending(d, true);
}

static void fail(struct ata *d, u8 error)
{
	d->xfer = ATA_XFER_NONE;
	d->error = error;
	d->status = STATUS_READY | ATA_SR_ERR;
	set_pending(d, true);
}

/* Offers the block buf[pos, pos + sectors * 512) to the host: DRQ, INTRQ if asked. */
static void offer_block(struct ata *d, enum ata_xfer dir, u32 sectors, bool irq)
{
	d->xfer = dir;
	d->block_end = d->pos + sectors * ATA_SECTOR_SIZE;
	d->status = STATUS_READY | ATA_SR_DRQ;	/* 0x58, what SWEB's polled path waits for */
	if (irq)
		set_pending(d, true);
}

static u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

/*
 * Reads ahead from d->lba: up to ATA_MAX_MULTIPLE of the command's sectors in one backend
 * call, at least `need` (the next DRQ block). A failed call is retried sector by sector,
 * so the error names the first sector that cannot be read, as the hardware would.
 */
static bool stage_in(struct ata *d, u32 need)
{
	const struct ata_backend *b = d->backend;
	u64 end = limit(d);
	u32 want = min_u32(d->left, ATA_MAX_MULTIPLE);
	u32 got = 0;

	if (d->lba >= end)
		want = 0;
	else if (want > end - d->lba)
		want = (u32)(end - d->lba);
	if (want < need) {	/* the block runs past the last sector */
		report_address(d, d->lba + want);
		fail(d, ATA_ER_IDNF);
		return false;
	}
	if (b->read(b->ctx, d->lba, want, d->buf))
		got = want;
	else
		while (got < want && b->read(b->ctx, d->lba + got, 1, d->buf + got * ATA_SECTOR_SIZE))
			got++;
	d->staged = got;
	d->pos = 0;
	if (got >= need)
		return true;
	report_address(d, d->lba + got);
	fail(d, ATA_ER_UNC);
	return false;
}

/* The next data-in block, with INTRQ ("PIO data-in": an interrupt with each block). */
static void next_block_in(struct ata *d)
{
	u32 n = min_u32(d->left, d->block);

	if (d->pos + n * ATA_SECTOR_SIZE > d->staged * ATA_SECTOR_SIZE) {
		d->lba += d->pos / ATA_SECTOR_SIZE;
		if (!stage_in(d, n))
			return;
	}
	d->left -= n;
	offer_block(d, ATA_XFER_IN, n, true);
}

/* The host has taken the whole block: the next one, or the end of the command. */
static void block_in_done(struct ata *d)
{
	if (d->left == 0) {
		/* Data-in ends without an interrupt: the last one came with the last DRQ. */
		d->xfer = ATA_XFER_NONE;
		d->status = STATUS_READY;
		return;
	}
	next_block_in(d);
}

/* The next data-out block into buf[0...]; a block that would run past the end fails. */
static void next_block_out(struct ata *d, bool irq)
{
	u32 n = min_u32(d->left, d->block);
	u64 end = limit(d);

	if (d->lba + n > end) {
		report_address(d, d->lba > end ? d->lba : end);
		fail(d, ATA_ER_IDNF);
		return;
	}
	d->left -= n;
	d->pos = 0;
	offer_block(d, ATA_XFER_OUT, n, irq);
}

/* The host has filled the block: to the backend, then INTRQ with the next DRQ or the end. */
static void block_out_done(struct ata *d)
{
	const struct ata_backend *b = d->backend;
	u32 n = d->block_end / ATA_SECTOR_SIZE;

	if (!b->write(b->ctx, d->lba, n, d->buf)) {
		report_address(d, d->lba);
		fail(d, ATA_ER_ABRT);	/* the write commands have no UNC among their error outputs */
		return;
	}
	d->lba += n;
	if (d->left == 0)
		complete(d);
	else
		next_block_out(d, true);
}

/* READ/WRITE SECTORS move one sector a DRQ block, the MULTIPLE forms `multiple`. */
static void start_rw(struct ata *d, bool write, bool multiple)
{
	u64 lba;

	if (multiple && !d->multiple) {	/* ATA-6 READ MULTIPLE: aborted while disabled */
		fail(d, ATA_ER_ABRT);
		return;
	}
	d->left = d->count ? d->count : 256;	/* a count of 00h means 256 sectors */
	d->block = multiple ? d->multiple : 1;
	if (!start_lba(d, &lba) || lba >= limit(d)) {
		fail(d, ATA_ER_IDNF);
		return;
	}
	d->lba = lba;
	d->pos = d->staged = 0;
	if (write)
		next_block_out(d, false);
	else
		next_block_in(d);
}

/* ATA-6 SET MULTIPLE MODE: a power of two up to our maximum; 0 disables (as QEMU and
 * Bochs take it). */
static void set_multiple(struct ata *d)
{
	if (d->count > ATA_MAX_MULTIPLE || (d->count & (d->count - 1))) {
		fail(d, ATA_ER_ABRT);
		return;
	}
	d->multiple = d->count;
	complete(d);
}

static void command(struct ata *d, u8 cmd)
{
	const struct ata_backend *b = d->backend;

	/* EXECUTE DEVICE DIAGNOSTIC is the one command device 0 runs for an absent device 1. */
	if (slave_selected(d) && cmd != ATA_CMD_EXECUTE_DIAGNOSTIC)
		return;
	/* A command write clears a pending interrupt and ends any transfer: SWEB issues its
	 * next command over a read it never drained. */
	d->xfer = ATA_XFER_NONE;
	set_pending(d, false);
	switch (cmd) {
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS_NORETRY:
	case ATA_CMD_READ_MULTIPLE:
		start_rw(d, false, cmd == ATA_CMD_READ_MULTIPLE);
		break;
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS_NORETRY:
	case ATA_CMD_WRITE_MULTIPLE:
		start_rw(d, true, cmd == ATA_CMD_WRITE_MULTIPLE);
		break;
	case ATA_CMD_SET_MULTIPLE_MODE:
		set_multiple(d);
		break;
	case ATA_CMD_IDENTIFY:
		ata_build_identify(d);
		d->left = 0;
		d->staged = 1;
		d->pos = 0;
		offer_block(d, ATA_XFER_IN, 1, true);
		break;
	case ATA_CMD_FLUSH_CACHE:
		/* BSY until the backend has the data on its medium, then INTRQ. */
		d->status = ATA_SR_BSY | ATA_SR_DRDY;
		if (b->flush && !b->flush(b->ctx))
			fail(d, ATA_ER_ABRT);
		else
			complete(d);
		break;
	case ATA_CMD_EXECUTE_DIAGNOSTIC:
		set_signature(d);
		set_pending(d, true);
		break;
	case ATA_CMD_INIT_DEV_PARAMS:	/* accepted, translation unchanged (as QEMU does) */
	case ATA_CMD_SET_FEATURES:	/* PIO mode and write cache settings change nothing */
		complete(d);
		break;
	default:
		fail(d, ATA_ER_ABRT);
		break;
	}
}

static u16 data_read(struct ata *d)
{
	u16 w;

	if (slave_selected(d))
		return 0;
	if (d->xfer != ATA_XFER_IN)
		return DATA_UNDRIVEN;
	w = (u16)(d->buf[d->pos] | d->buf[d->pos + 1] << 8);
	d->pos += 2;
	if (d->pos == d->block_end)
		block_in_done(d);
	return w;
}

static void data_write(struct ata *d, u16 w)
{
	if (slave_selected(d) || d->xfer != ATA_XFER_OUT)
		return;
	d->buf[d->pos] = (u8)w;
	d->buf[d->pos + 1] = (u8)(w >> 8);
	d->pos += 2;
	if (d->pos == d->block_end)
		block_out_done(d);
}

/*
 * String I/O on the data port, the block hooks of the port bus: whole elements of size
 * 2 or 4 as data_read()/data_write() would move them word by word, a DRQ block's worth
 * at a time. An element the transfer ends in the middle of is finished the way the word
 * path finishes it: a read gets undriven words, a write drops the rest. Byte accesses
 * and device 1 go element by element (the bus's fallback).
 */
static u32 block_limit(struct ata *d, u16 port, u8 size, enum ata_xfer dir)
{
	if ((port & 7) != REG_DATA || size == 1 || slave_selected(d) || d->xfer != dir)
		return 0;
	return size;
}

u32 ata_data_read_block(void *state, u16 port, u8 size, void *buf, u32 count)
{
	struct ata *d = state;
	u8 *p = buf;
	u32 bytes = count * block_limit(d, port, size, ATA_XFER_IN), done = 0;

	while (done < bytes && d->xfer == ATA_XFER_IN) {
		u32 n = d->block_end - d->pos;

		if (n > bytes - done)
			n = bytes - done;
		__builtin_memcpy(p + done, d->buf + d->pos, n);
		d->pos += n;
		done += n;
		if (d->pos == d->block_end)
			block_in_done(d);
	}
	for (; done % size; done++)
		p[done] = (u8)DATA_UNDRIVEN;
	return bytes ? done / size : 0;
}

u32 ata_data_write_block(void *state, u16 port, u8 size, const void *buf, u32 count)
{
	struct ata *d = state;
	const u8 *p = buf;
	u32 bytes = count * block_limit(d, port, size, ATA_XFER_OUT), done = 0;

	while (done < bytes && d->xfer == ATA_XFER_OUT) {
		u32 n = d->block_end - d->pos;

		if (n > bytes - done)
			n = bytes - done;
		__builtin_memcpy(d->buf + d->pos, p + done, n);
		d->pos += n;
		done += n;
		if (d->pos == d->block_end)
			block_out_done(d);
	}
	if (done % size)
		done += size - done % size;
	return bytes ? done / size : 0;
}

/*
 * With device 1 selected and absent, device 0 answers Status reads for it with 00h
 * (ATA-6, device 0 only configurations; we answer the other registers the same way).
 * So the 55h/AAh echo fails and SWEB gives up on the slave at once, and a driver that
 * waits for BSY to clear sees it clear. (A floating FFh would look busy forever.)
 */
static u8 read_reg(struct ata *d, unsigned reg)
{
	if (slave_selected(d))
		return 0;
	switch (reg) {
	case REG_ERROR:
		return d->error;
	case REG_COUNT:
		return d->count;
	case REG_LBA_LOW:
		return d->lba_low;
	case REG_LBA_MID:
		return d->lba_mid;
	case REG_LBA_HIGH:
		return d->lba_high;
	case REG_DEVICE:
		return d->device | 0xA0;	/* bits 7 and 5 are obsolete ones */
	default:
		/* ATA-6 "Status register": reading it acknowledges a pending interrupt. */
		set_pending(d, false);
		return d->status;
	}
}

static void write_reg(struct ata *d, unsigned reg, u8 v)
{
	/* Writes while BSY (SRST held) are ignored. */
	if (d->status & ATA_SR_BSY)
		return;
	switch (reg) {
	case REG_ERROR:
		d->features = v;
		break;
	case REG_COUNT:
		d->count = v;
		break;
	case REG_LBA_LOW:
		d->lba_low = v;
		break;
	case REG_LBA_MID:
		d->lba_mid = v;
		break;
	case REG_LBA_HIGH:
		d->lba_high = v;
		break;
	case REG_DEVICE:
		d->device = v & ~0xA0;
		break;
	default:
		command(d, v);
		break;
	}
}

/* The data register is 16 bits wide; a 32-bit access moves two words (ATA-6 7.8). */
u32 ata_data_read(void *state, u16 port, u8 size)
{
	struct ata *d = state;
	u32 lo = data_read(d);

	(void)port;
	if (size == 4)
		return lo | (u32)data_read(d) << 16;
	return size == 2 ? lo : (lo & 0xFF);
}

void ata_data_write(void *state, u16 port, u8 size, u32 value)
{
	struct ata *d = state;

	(void)port;
	data_write(d, size == 1 ? (value & 0xFF) : (u16)value);
	if (size == 4)
		data_write(d, (u16)(value >> 16));
}

/* The other registers are 8 bits wide: the bus splits wider accesses (core/portbus.c). */
u32 ata_reg_read(void *state, u16 port, u8 size)
{
	(void)size;
	return read_reg(state, port & 7);
}

void ata_reg_write(void *state, u16 port, u8 size, u32 value)
{
	(void)size;
	write_reg(state, port & 7, value);
}

/* Alternate Status: the status, without clearing the pending interrupt. */
u32 ata_ctl_read(void *state, u16 port, u8 size)
{
	struct ata *d = state;
	u32 val = slave_selected(d) ? 0 : d->status;

	(void)port;
	(void)size; /* 8 bits: 0x3F7 belongs to the floppy controller, the bus splits */
	return val;
}

/*
 * Device Control. SRST holds the device in reset (BSY) until the host clears it; the
 * reset then completes at once, since emulated time is the guest's, without INTRQ.
 * nIEN takes effect immediately on INTRQ.
 */
void ata_ctl_write(void *state, u16 port, u8 size, u32 value)
{
	struct ata *d = state;
	bool was_reset = d->control & ATA_DC_SRST;

	(void)port;
	(void)size;
	d->control = value & (ATA_DC_SRST | ATA_DC_NIEN);
	if (d->control & ATA_DC_SRST) {
		d->xfer = ATA_XFER_NONE;
		d->status = ATA_SR_BSY;
		d->irq_pending = false;
	} else if (was_reset) {
		set_signature(d);
	}
	update_irq(d);
}

struct port_device ata_data_dev(struct ata *d)
{
	return (struct port_device){
		.name = "ata0-data", .base = ATA_PRIMARY_CMD, .count = 1, .state = d,
		.read = ata_data_read, .write = ata_data_write,
		.read_block = ata_data_read_block, .write_block = ata_data_write_block,
	};
}

struct port_device ata_regs_dev(struct ata *d)
{
	return (struct port_device){
		.name = "ata0-regs", .base = ATA_PRIMARY_CMD + 1, .count = ATA_CMD_PORTS - 1,
		.eight_bit = true, .state = d, .read = ata_reg_read, .write = ata_reg_write,
	};
}

struct port_device ata_ctl_dev(struct ata *d)
{
	return (struct port_device){
		.name = "ata0-ctl", .base = ATA_PRIMARY_CTL, .count = 1, .eight_bit = true, .state = d,
		.read = ata_ctl_read, .write = ata_ctl_write,
	};
}
