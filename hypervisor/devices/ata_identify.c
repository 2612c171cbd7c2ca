/*
 * What the virtual ATA disk says about itself: its CHS geometry and its IDENTIFY DEVICE
 * data (ATA/ATAPI-6 table "IDENTIFY DEVICE information"). The device itself is ata.c.
 */
#include "types.h"
#include "portbus.h"
#include "ata.h"

#define GEOM_HEADS 16
#define GEOM_SPT 63
#define GEOM_MAX_CYLS 16383	/* IDENTIFY word 1's ceiling for CHS translation */
#define IDENTIFY_SIGNATURE 0xA5	/* word 255 low byte: the checksum is valid */

static const char MODEL[] = "LAB VIRTUAL DISK";
static const char SERIAL[] = "LAB0000001";
static const char FIRMWARE[] = "1.0";

void ata_geometry(u64 sectors, u16 *cyls, u16 *heads, u16 *spt)
{
	/* QEMU hw/block/hd-geometry.c guess_chs_for_size(): cylinders clamped to 2..16383. */
	u64 c = sectors / (GEOM_HEADS * GEOM_SPT);

	*heads = GEOM_HEADS;
	*spt = GEOM_SPT;
	*cyls = c < 2 ? 2 : c > GEOM_MAX_CYLS ? GEOM_MAX_CYLS : (u16)c;
}

/* ATA strings: two characters a word, the first in the high byte, padded with spaces. */
static void put_string(u16 *id, int first, int words, const char *s)
{
	for (int i = 0; i < words; i++) {
		u8 hi = *s ? (u8)*s++ : ' ';
		u8 lo = *s ? (u8)*s++ : ' ';

		id[first + i] = (u16)(hi << 8 | lo);
	}
}

/* IDENTIFY DEVICE data, ATA-6 table "IDENTIFY DEVICE information". */
void ata_build_identify(struct ata *d)
{
	u16 id[256] = { 0 };
	u64 chs = ata_chs_capacity(d) < d->sectors ? ata_chs_capacity(d) : d->sectors;
	u8 sum = IDENTIFY_SIGNATURE;

	id[0] = 0x0040;			/* ATA device, fixed (obsolete bit 6, as QEMU sets) */
	id[1] = d->cyls;
	id[3] = d->heads;
	id[6] = d->spt;
	put_string(id, 10, 10, SERIAL);
	put_string(id, 23, 4, FIRMWARE);
	put_string(id, 27, 20, MODEL);
	id[47] = 0x8000 | ATA_MAX_MULTIPLE;	/* bits 15-8 80h; READ/WRITE MULTIPLE block */
	id[49] = BIT(9);		/* LBA supported; no DMA */
	id[50] = BIT(14);
	id[51] = 0x0200;		/* PIO mode 2 timing (obsolete word, as QEMU sets) */
	id[53] = BIT(0) | BIT(1);	/* words 54-58 and 64-70 are valid */
	id[54] = d->cyls;		/* current translation = default: no INIT DEV PARAMS */
	id[55] = d->heads;
	id[56] = d->spt;
	id[57] = (u16)chs;
	id[58] = (u16)(chs >> 16);
	id[59] = d->multiple ? BIT(8) | d->multiple : 0;	/* the current setting, if valid */
	id[60] = (u16)d->sectors;
	id[61] = (u16)(d->sectors >> 16);
	id[64] = BIT(0) | BIT(1);	/* PIO modes 3 and 4 */
	id[65] = id[66] = id[67] = id[68] = 120;	/* ns cycle times */
	id[80] = 0x007E;		/* ATA-1 to ATA-6 */
	id[82] = BIT(5);		/* write cache supported ... */
	id[83] = BIT(14) | BIT(12);	/* FLUSH CACHE supported */
	id[84] = BIT(14);
	id[85] = BIT(5);		/* ... and enabled: FLUSH CACHE has work to do */
	id[86] = BIT(12);
	id[87] = BIT(14);
	for (int i = 0; i < 255; i++)
		sum += (u8)id[i] + (u8)(id[i] >> 8);
	id[255] = (u16)((u8)-sum << 8 | IDENTIFY_SIGNATURE);	/* bytes 0-511 sum to 0 */
	for (int i = 0; i < 256; i++) {
		d->buf[2 * i] = (u8)id[i];
		d->buf[2 * i + 1] = (u8)(id[i] >> 8);
	}
}
