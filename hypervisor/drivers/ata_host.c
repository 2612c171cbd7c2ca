/*
 * The hypervisor's polled PIO driver for the real primary-master ATA disk (QEMU
 * `-drive if=ide,index=0`, Bochs `ata0-master: type=disk`). Protocols and bits are
 * ATA/ATAPI-6's ("ATA-6"): "PIO data-in", "PIO data-out" and "Non-data" command
 * protocols, the Status and Device Control registers. nIEN stays set, so the disk
 * never drives IRQ14: every wait is a bounded poll of the Alternate Status register.
 */
#include "ata_host.h"
#include "log.h"
#include "x86.h"

#define PRIMARY_IO 0x1F0
#define PRIMARY_CTL 0x3F6

#define REG_DATA 0
#define REG_ERROR 1
#define REG_COUNT 2
#define REG_LBA_LOW 3
#define REG_LBA_MID 4
#define REG_LBA_HIGH 5
#define REG_DEVICE 6
#define REG_STATUS 7	/* write: command */

#define SR_BSY 0x80
#define SR_DF 0x20
#define SR_DRQ 0x08
#define SR_ERR 0x01
#define DC_NIEN 0x02
#define DC_SRST 0x04
#define DEV_MASTER_LBA 0xE0	/* obsolete bits 7 and 5 set, LBA, device 0 */

#define CMD_READ_SECTORS 0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_READ_MULTIPLE 0xC4
#define CMD_WRITE_MULTIPLE 0xC5
#define CMD_SET_MULTIPLE_MODE 0xC6
#define CMD_FLUSH_CACHE 0xE7
#define CMD_IDENTIFY 0xEC

#define SECTOR_WORDS 256
#define MAX_SECTORS_PER_CMD 256	/* a count of 0 means 256 */
#define MAX_MULTIPLE 16		/* the largest READ/WRITE MULTIPLE block we ask for */

/*
 * Bounds on status polls. A real disk may take seconds to spin up or flush; at about
 * 1 us a port read this is ~10 s. QEMU and Bochs answer far sooner.
 */
#define SPIN_LIMIT 10000000L

static inline void pio_insw(u16 port, void *buf, u32 words)
{
	asm volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static inline void pio_outsw(u16 port, const void *buf, u32 words)
{
	asm volatile("rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

/* ATA-6 asks the host to wait 400 ns before trusting status after a command or select;
 * four Alternate Status reads take at least that on an ISA-timed bus. */
static void delay_400ns(const struct ata_host_disk *d)
{
	for (int i = 0; i < 4; i++)
		(void)inb(d->ctl);
}

/* Waits for BSY to clear; *status gets the first status without BSY. */
static bool wait_not_busy(const struct ata_host_disk *d, const char *what, u8 *status)
{
	for (long i = 0; i < SPIN_LIMIT; i++) {
		u8 s = inb(d->ctl);

		if (!(s & SR_BSY)) {
			*status = s;
			return true;
		}
		pause();
	}
	log_printf("ata_host: %s: timeout, still busy (status %#x)\n", what, inb(d->ctl));
	return false;
}

static bool check_error(const struct ata_host_disk *d, const char *what, u64 lba, u8 status)
{
	if (!(status & (SR_ERR | SR_DF)))
		return true;
	log_printf("ata_host: %s at LBA %lu failed: status %#x error %#x\n", what, lba, status,
		   inb(d->io + REG_ERROR));
	return false;
}

/* The next block of a PIO transfer: BSY clear, no error, DRQ set. */
static bool wait_drq(const struct ata_host_disk *d, const char *what, u64 lba)
{
	u8 s;

	delay_400ns(d);
	if (!wait_not_busy(d, what, &s) || !check_error(d, what, lba, s))
		return false;
	if (!(s & SR_DRQ)) {
		log_printf("ata_host: %s at LBA %lu: no DRQ (status %#x)\n", what, lba, s);
		return false;
	}
	return true;
}

/* The end of a command: BSY clear, and the Status read acknowledges it. */
static bool wait_done(const struct ata_host_disk *d, const char *what, u64 lba)
{
	u8 s;

	delay_400ns(d);
	if (!wait_not_busy(d, what, &s))
		return false;
	return check_error(d, what, lba, inb(d->io + REG_STATUS));
}

/* SRST puts the channel in a known state; nIEN from here on keeps IRQ14 quiet
 * (ATA-6 "Device Control register"). */
static bool soft_reset(const struct ata_host_disk *d)
{
	u8 s;

	/*
	 * Select the master first: the BSY poll below reads the selected drive, and an absent
	 * slave (which the BIOS may have left selected) reads 0, "not busy". QEMU sets BSY at
	 * once but finishes SRST later in a bottom half, which then would cancel our IDENTIFY.
	 */
	outb(d->io + REG_DEVICE, DEV_MASTER_LBA);
	delay_400ns(d);
	outb(d->ctl, DC_SRST | DC_NIEN);
	delay_400ns(d);
	outb(d->ctl, DC_NIEN);
	delay_400ns(d);
	return wait_not_busy(d, "reset", &s);
}

/* ATA-6 host protocol: write the registers only with BSY and DRQ clear. */
static bool issue(const struct ata_host_disk *d, const char *what, u8 cmd, u64 lba, u32 count)
{
	u8 s;

	if (!wait_not_busy(d, what, &s))
		return false;
	if ((s & SR_DRQ) && !soft_reset(d)) {	/* an earlier command died mid-transfer */
		log_printf("ata_host: %s: DRQ stuck, reset failed\n", what);
		return false;
	}
	outb(d->io + REG_DEVICE, DEV_MASTER_LBA | ((lba >> 24) & 0x0F));
	outb(d->io + REG_COUNT, (u8)count);
	outb(d->io + REG_LBA_LOW, (u8)lba);
	outb(d->io + REG_LBA_MID, (u8)(lba >> 8));
	outb(d->io + REG_LBA_HIGH, (u8)(lba >> 16));
	outb(d->io + REG_STATUS, cmd);
	return true;
}

/* ATA strings hold the first character of each pair in the high byte. */
static void copy_string(char *dst, const u16 *words, int n)
{
	int len = 2 * n;

	for (int i = 0; i < n; i++) {
		dst[2 * i] = (char)(words[i] >> 8);
		dst[2 * i + 1] = (char)words[i];
	}
	while (len > 0 && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
}

/* SET MULTIPLE MODE to the largest power of two the disk takes (IDENTIFY word 47 bits
 * 7-0, ATA-6), at most MAX_MULTIPLE; the block size in use: 1 if it has none or refuses. */
static u8 multiple_mode(struct ata_host_disk *d, u8 max)
{
	u8 size = MAX_MULTIPLE;

	while (size > max)
		size >>= 1;
	if (size < 2)
		return 1;
	if (!issue(d, "set multiple", CMD_SET_MULTIPLE_MODE, 0, size) ||
	    !wait_done(d, "set multiple", 0))
		return 1;
	return size;
}

bool ata_host_probe(struct ata_host_disk *d)
{
	u16 id[SECTOR_WORDS];
	u8 s;

	d->io = PRIMARY_IO;
	d->ctl = PRIMARY_CTL;
	d->sectors = 0;
	d->block = 1;
	d->model[0] = '\0';
	if (inb(d->io + REG_STATUS) == 0xFF) {
		log_printf("ata_host: no primary ATA channel (floating bus)\n");
		return false;
	}
	/* Whatever state the boot loader left the channel in. */
	if (!soft_reset(d))
		return false;
	outb(d->io + REG_DEVICE, DEV_MASTER_LBA);
	delay_400ns(d);
	outb(d->io + REG_STATUS, CMD_IDENTIFY);
	delay_400ns(d);
	if (inb(d->ctl) == 0) {
		log_printf("ata_host: no primary master\n");
		return false;
	}
	if (!wait_not_busy(d, "identify", &s))
		return false;
	/* An ATAPI device aborts IDENTIFY DEVICE and shows its signature in LBA mid/high. */
	if ((s & SR_ERR) || inb(d->io + REG_LBA_MID) || inb(d->io + REG_LBA_HIGH)) {
		log_printf("ata_host: the primary master is not an ATA disk (status %#x)\n", s);
		return false;
	}
	if (!wait_drq(d, "identify", 0))
		return false;
	pio_insw(d->io + REG_DATA, id, SECTOR_WORDS);
	if (!wait_done(d, "identify", 0))
		return false;
	copy_string(d->model, &id[27], 20);
	if (!(id[49] & BIT(9))) {
		log_printf("ata_host: '%s' cannot do LBA\n", d->model);
		return false;
	}
	d->sectors = id[60] | (u32)id[61] << 16;
	d->block = multiple_mode(d, id[47] & 0xFF);
	log_printf("ata_host: primary master '%s', %lu sectors, %u-sector PIO blocks\n", d->model,
		   d->sectors, d->block);
	return d->sectors != 0;
}

static bool in_range(const struct ata_host_disk *d, const char *what, u64 lba, u32 count)
{
	if (lba <= d->sectors && count <= d->sectors - lba)
		return true;
	log_printf("ata_host: %s of %u sectors at LBA %lu is past the end (%lu)\n", what, count,
		   lba, d->sectors);
	return false;
}

/*
 * READ/WRITE SECTORS, or with multiple mode on the MULTIPLE forms: "PIO data-in" and
 * "PIO data-out" in DRQ blocks of d->block sectors (the last may be shorter). Emulators
 * service a PIO block with one request to their disk image, so larger blocks cost less.
 * For writes each block is on the device before BSY clears for the next.
 */
static bool transfer(struct ata_host_disk *d, bool write, u64 lba, u32 count, u8 *p)
{
	const char *what = write ? "write" : "read";
	u8 cmd = d->block > 1 ? (write ? CMD_WRITE_MULTIPLE : CMD_READ_MULTIPLE)
			      : (write ? CMD_WRITE_SECTORS : CMD_READ_SECTORS);

	if (!in_range(d, what, lba, count))
		return false;
	while (count) {
		u32 n = count < MAX_SECTORS_PER_CMD ? count : MAX_SECTORS_PER_CMD;
		u64 first = lba;

		if (!issue(d, what, cmd, lba, n))
			return false;
		for (u32 left = n; left;) {
			u32 b = left < d->block ? left : d->block;

			if (!wait_drq(d, what, lba))
				return false;
			if (write)
				pio_outsw(d->io + REG_DATA, p, b * SECTOR_WORDS);
			else
				pio_insw(d->io + REG_DATA, p, b * SECTOR_WORDS);
			p += b * 2 * SECTOR_WORDS;
			lba += b;
			left -= b;
		}
		if (!wait_done(d, what, first))
			return false;
		count -= n;
	}
	return true;
}

bool ata_host_read(struct ata_host_disk *d, u64 lba, u32 count, void *buf)
{
	return transfer(d, false, lba, count, buf);
}

bool ata_host_write(struct ata_host_disk *d, u64 lba, u32 count, const void *buf)
{
	return transfer(d, true, lba, count, (u8 *)buf);
}

/* FLUSH CACHE: "Non-data"; BSY stays set until the write cache is on the medium. */
bool ata_host_flush(struct ata_host_disk *d)
{
	return issue(d, "flush", CMD_FLUSH_CACHE, 0, 0) && wait_done(d, "flush", 0);
}
