// ATA disks by PIO in CHS mode, the way SWEB drives them: probe both channels
// (0x1F0 and 0x170, master and slave), IDENTIFY for the geometry (words 1, 3
// and 6) and the READ/WRITE MULTIPLE block size (word 47), then READ MULTIPLE /
// WRITE MULTIPLE with one IRQ per block of up to 16 sectors, or READ SECTORS /
// WRITE SECTORS with one IRQ per 512-byte sector on a disk without them;
// FLUSH CACHE after writing. Every wait has a deadline, so an absent or
// broken disk is an error message, not a hang. (ATA/ATAPI-6, T13 1410D.)
#include "kernel.h"
#include "trap.h"
#include "x86.h"

// Command block registers, from the channel's base port.
#define REG_DATA        0
#define REG_ERROR       1
#define REG_COUNT       2
#define REG_SECTOR      3
#define REG_CYL_LOW     4
#define REG_CYL_HIGH    5
#define REG_DRIVE_HEAD  6
#define REG_STATUS      7       // read
#define REG_COMMAND     7       // write

#define DRIVE_HEAD_BASE 0xA0    // bits 7 and 5 always set; bit 6 (LBA) clear: CHS
#define DRIVE_SLAVE     0x10
#define CTRL_SRST       0x04    // device control: software reset; nIEN (bit 1) stays clear

#define ST_ERR          0x01
#define ST_OBSOLETE     0x06    // IDX and CORR: Bochs pulses IDX on some status reads
#define ST_DRQ          0x08
#define ST_DSC          0x10
#define ST_DF           0x20
#define ST_DRDY         0x40
#define ST_BSY          0x80
#define ER_ABRT         0x04    // error register: command aborted
#define ST_DATA_READY   (ST_DRDY | ST_DSC | ST_DRQ)     // 0x58, what SWEB insists on

#define CMD_READ_SECTORS  0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_READ_MULTIPLE 0xC4
#define CMD_WRITE_MULTIPLE 0xC5
#define CMD_SET_MULTIPLE  0xC6
#define CMD_FLUSH_CACHE   0xE7
#define CMD_IDENTIFY      0xEC

#define ID_CYLINDERS    1       // IDENTIFY words: the default CHS geometry
#define ID_HEADS        3
#define ID_SECTORS      6
#define ID_MODEL        27      // 20 words of byte-swapped ASCII
#define ID_MULTIPLE_MAX 47      // bits 7:0: the largest DRQ block of READ/WRITE MULTIPLE

#define WAIT_TICKS      (2 * TIMER_HZ)
#define MAX_SECTORS_PER_COMMAND 128
// Every PIO data block costs an IRQ and, under a hypervisor, exits: 16 sectors
// per block cut them 16-fold, and 16 is the most QEMU and Bochs offer.
#define MAX_MULTIPLE    16
#define MAX_DISKS       4

struct channel {
    uint16_t base, ctrl;
    volatile uint32_t irqs;     // IRQs seen so far
    volatile uint8_t irq_status;  // the status register the handler read
};

struct ata_disk {
    struct channel *ch;
    bool slave;
    uint32_t cylinders, heads, sectors;
    uint32_t multiple_max;      // IDENTIFY word 47; 0 if READ/WRITE MULTIPLE are absent
    uint32_t multiple;          // sectors per DRQ block: 1 means READ/WRITE SECTORS
    char model[41];
};

static struct channel channels[2] = { { 0x1F0, 0x3F6, 0, 0 }, { 0x170, 0x376, 0, 0 } };
static struct ata_disk disks[MAX_DISKS];
static int ndisks;

// Reading the status register also tells the drive its interrupt was taken.
void ata_intr(int channel)
{
    channels[channel].irq_status = inb(channels[channel].base + REG_STATUS);
    channels[channel].irqs++;
}

// Poll the status until (status & mask) == want, or the deadline passes, or
// the drive reports an error (BSY clear, ERR set): a refused command fails at
// once instead of after the deadline.
static bool poll_status(struct channel *ch, uint8_t mask, uint8_t want, uint8_t *status)
{
    uint32_t deadline = ticks + WAIT_TICKS;
    uint8_t s;
    do {
        s = inb(ch->base + REG_STATUS);
        if ((s & mask) == want) {
            if (status)
                *status = s;
            return true;
        }
        if ((s & (ST_BSY | ST_ERR)) == ST_ERR)
            break;
    } while ((int32_t)(deadline - ticks) > 0);
    if (status)
        *status = s;
    return false;
}

// Sleep until the channel has raised its IRQ more than SEEN times.
static bool wait_irq(struct channel *ch, uint32_t seen, uint8_t *status)
{
    uint32_t deadline = ticks + WAIT_TICKS;
    uint32_t saved = read_eflags();
    cli();
    while (ch->irqs == seen && (int32_t)(deadline - ticks) > 0)
        sti_hlt_cli();
    bool ok = ch->irqs != seen;
    *status = ok ? ch->irq_status : inb(ch->base + REG_STATUS);
    if (saved & EFLAGS_IF)
        sti();
    return ok;
}

static void select_drive(struct ata_disk *d, uint8_t head)
{
    outb_p(d->ch->base + REG_DRIVE_HEAD, DRIVE_HEAD_BASE | (d->slave ? DRIVE_SLAVE : 0) | (head & 0xF));
}

// After a software reset: select the master until the select holds. QEMU
// ignores register writes while the selected device is busy, and its reset
// completes a little later; a select lost that way (after the reset that
// probes the absent slave, which echoes there) left the next command polling
// the empty slot until its deadline. A floating channel (FFh) has nothing to
// select. Only here: every later select is a single write.
static void settle_after_reset(struct channel *ch)
{
    uint16_t reg = ch->base + REG_DRIVE_HEAD;
    uint32_t deadline = ticks + WAIT_TICKS;
    uint8_t now;
    outb_p(reg, DRIVE_HEAD_BASE);
    while (((now = inb_p(reg)) & DRIVE_SLAVE) && now != 0xFF && (int32_t)(deadline - ticks) > 0)
        outb_p(reg, DRIVE_HEAD_BASE);
}

// SWEB's probe: a present drive latches what we write to its registers;
// then a software reset must leave the ATA signature (count 1, sector 1,
// cylinder 0) with DRDY set. ATAPI drives and empty slots fail one of these.
static bool probe(struct ata_disk *d)
{
    uint16_t base = d->ch->base;
    select_drive(d, 0);
    outb_p(base + REG_COUNT, 0x55);
    outb_p(base + REG_SECTOR, 0xAA);
    if (inb_p(base + REG_COUNT) != 0x55 || inb_p(base + REG_SECTOR) != 0xAA)
        return false;
    outb_p(d->ch->ctrl, CTRL_SRST);
    io_delay();
    io_delay();
    io_delay();
    io_delay();
    outb_p(d->ch->ctrl, 0);
    settle_after_reset(d->ch);
    select_drive(d, 0);
    // An empty slave slot next to a master may read status 0: wait only for
    // BSY to clear, then ask for DRDY, so that it costs no timeout.
    uint8_t status;
    if (!poll_status(d->ch, ST_BSY, 0, &status) || !(status & ST_DRDY))
        return false;
    return inb_p(base + REG_COUNT) == 1 && inb_p(base + REG_SECTOR) == 1 &&
           inb_p(base + REG_CYL_LOW) == 0 && inb_p(base + REG_CYL_HIGH) == 0;
}

// IDENTIFY is polled: the data must be ready with status exactly 0x58.
static bool identify(struct ata_disk *d)
{
    uint16_t id[256];
    uint8_t status;
    select_drive(d, 0);
    if (!poll_status(d->ch, ST_BSY | ST_DRDY, ST_DRDY, &status))
        return false;
    outb_p(d->ch->base + REG_COMMAND, CMD_IDENTIFY);
    if (!poll_status(d->ch, (uint8_t)~ST_OBSOLETE, ST_DATA_READY, &status)) {
        kprintf("ata: IDENTIFY failed, status %02x\n", status);
        return false;
    }
    for (int i = 0; i < 256; i++)
        id[i] = inw(d->ch->base + REG_DATA);
    d->cylinders = id[ID_CYLINDERS];
    d->heads = id[ID_HEADS];
    d->sectors = id[ID_SECTORS];
    d->multiple_max = id[ID_MULTIPLE_MAX] & 0xFF;
    for (int i = 0; i < 20; i++) {
        d->model[2 * i] = (char)(id[ID_MODEL + i] >> 8);
        d->model[2 * i + 1] = (char)id[ID_MODEL + i];
    }
    for (int i = 39; i >= 0 && d->model[i] == ' '; i--)
        d->model[i] = '\0';
    return d->cylinders && d->heads && d->heads <= 16 && d->sectors && d->sectors < 256;
}

// The block size for READ/WRITE MULTIPLE: the largest power of two up to the
// drive's maximum, as drives (QEMU's and Bochs' among them) take only those.
// ATA-6 "SET MULTIPLE MODE" lets a drive refuse any size but its maximum, so
// an abort, like no support at all, leaves the disk on single-sector commands.
static uint32_t set_multiple(struct ata_disk *d)
{
    uint32_t max = d->multiple_max < MAX_MULTIPLE ? d->multiple_max : MAX_MULTIPLE;
    uint32_t block = 1;
    while (block * 2 <= max)
        block *= 2;
    if (block < 2)
        return 1;
    uint8_t status;
    uint32_t seen = d->ch->irqs;
    select_drive(d, 0);
    if (!poll_status(d->ch, ST_BSY | ST_DRDY, ST_DRDY, &status))
        goto fail;
    outb_p(d->ch->base + REG_COUNT, (uint8_t)block);
    outb_p(d->ch->base + REG_COMMAND, CMD_SET_MULTIPLE);
    if (wait_irq(d->ch, seen, &status) && !(status & (ST_ERR | ST_DF)))
        return block;
fail:
    kprintf("ata: SET MULTIPLE MODE %u failed, status %02x: one sector per IRQ\n", block, status);
    return 1;
}

void ata_init(bool allow_multiple)
{
    static const char *names[2][2] = { { "primary master", "primary slave" },
                                       { "secondary master", "secondary slave" } };
    static const char *where[MAX_DISKS];
    pic_unmask(IRQ_ATA_PRIMARY);
    pic_unmask(IRQ_ATA_SECONDARY);
    for (int c = 0; c < 2; c++) {
        for (int s = 0; s < 2; s++) {
            struct ata_disk *d = &disks[ndisks];
            *d = (struct ata_disk){ .ch = &channels[c], .slave = s };
            if (!probe(d) || !identify(d))
                continue;
            where[ndisks++] = names[c][s];
        }
    }
    // Only now that every probe is over: the software reset that probes a
    // slave resets its master too, which may drop the master's block size.
    for (int i = 0; i < ndisks; i++) {
        struct ata_disk *d = &disks[i];
        d->multiple = allow_multiple ? set_multiple(d) : 1;
        kprintf("ata: %s: %s, CHS %u/%u/%u, %u KiB", where[i], d->model,
                d->cylinders, d->heads, d->sectors, ata_capacity(d) / 2);
        if (d->multiple > 1)
            kprintf(", multiple %u\n", d->multiple);
        else
            kprintf(", one sector per IRQ\n");
    }
    if (ndisks == 0)
        kprintf("ata: no disks\n");
}

struct ata_disk *ata_disk(int index)
{
    return index < ndisks ? &disks[index] : NULL;
}

uint32_t ata_capacity(struct ata_disk *d)
{
    return d->cylinders * d->heads * d->sectors;
}

// Set up the task file for COUNT sectors at LBA, in CHS terms, and issue CMD.
static bool start_command(struct ata_disk *d, uint32_t lba, uint32_t count, uint8_t cmd)
{
    uint32_t track = lba / d->sectors;
    uint32_t sector = lba % d->sectors + 1;     // CHS sectors count from 1
    uint32_t head = track % d->heads;
    uint32_t cylinder = track / d->heads;
    uint8_t status;
    select_drive(d, (uint8_t)head);
    if (!poll_status(d->ch, ST_BSY | ST_DRDY, ST_DRDY, &status)) {
        kprintf("ata: drive not ready, status %02x\n", status);
        return false;
    }
    uint16_t base = d->ch->base;
    outb_p(base + REG_COUNT, (uint8_t)count);   // 256 would be 0
    outb_p(base + REG_SECTOR, (uint8_t)sector);
    outb_p(base + REG_CYL_LOW, cylinder & 0xFF);
    outb_p(base + REG_CYL_HIGH, (cylinder >> 8) & 0xFF);
    outb_p(base + REG_COMMAND, cmd);
    return true;
}

static uint8_t command_for(struct ata_disk *d, bool write)
{
    if (d->multiple > 1)
        return write ? CMD_WRITE_MULTIPLE : CMD_READ_MULTIPLE;
    return write ? CMD_WRITE_SECTORS : CMD_READ_SECTORS;
}

// Data moves in DRQ blocks of d->multiple sectors (one for READ/WRITE
// SECTORS), one IRQ each; the last block is the remainder (ATA-6 "READ
// MULTIPLE": a partial block of count % multiple sectors ends the command).
static int transfer(struct ata_disk *d, uint32_t lba, uint32_t count, uint16_t *buf, bool write)
{
    struct channel *ch = d->ch;
    uint8_t status, error;
    uint32_t seen = ch->irqs, done = 0;
    bool moved = false;
    if (!start_command(d, lba, count, command_for(d, write)))
        return -1;
    for (uint32_t n; done < count; done += n, buf += n * 256) {
        n = count - done < d->multiple ? count - done : d->multiple;
        if (write) {
            // The drive asks for each block with DRQ: the first without an IRQ,
            // the others in the status the IRQ handler read (ATA-6 "PIO data-out").
            if (done == 0 ? !poll_status(ch, ST_BSY | ST_DRQ, ST_DRQ, &status)
                          : (status & (ST_BSY | ST_DRQ)) != ST_DRQ)
                goto fail;
            outsw(ch->base + REG_DATA, buf, n * 256);
            moved = true;
            if (!wait_irq(ch, seen++, &status) || (status & (ST_ERR | ST_DF)))
                goto fail;
        } else {
            if (!wait_irq(ch, seen++, &status) || (status & ~ST_OBSOLETE) != ST_DATA_READY)
                goto fail;
            insw(ch->base + REG_DATA, buf, n * 256);
            moved = true;
        }
    }
    return 0;
fail:
    error = inb(ch->base + REG_ERROR);
    if (!moved && d->multiple > 1 && (status & ST_ERR) && (error & ER_ABRT)) {
        // IDENTIFY offered READ/WRITE MULTIPLE and SET MULTIPLE MODE went
        // through, yet the command is aborted (an IDENTIFY copied from another
        // disk, say): single sectors from now on, starting with this transfer.
        kprintf("ata: READ/WRITE MULTIPLE aborted: one sector per IRQ from now on\n");
        d->multiple = 1;
        return transfer(d, lba, count, buf, write);
    }
    kprintf("ata: %s of sector %u failed, status %02x, error %02x\n",
            write ? "write" : "read", lba + done, status, error);
    return -1;
}

static int rw(struct ata_disk *d, uint32_t lba, uint32_t count, void *buf, bool write)
{
    if (!d || lba + count > ata_capacity(d) || lba + count < lba) {
        kprintf("ata: sectors %u+%u are beyond the disk\n", lba, count);
        return -1;
    }
    while (count) {
        uint32_t n = count < MAX_SECTORS_PER_COMMAND ? count : MAX_SECTORS_PER_COMMAND;
        if (transfer(d, lba, n, buf, write) < 0)
            return -1;
        lba += n;
        count -= n;
        buf = (char *)buf + n * 512;
    }
    return 0;
}

int ata_read(struct ata_disk *d, uint32_t lba, uint32_t count, void *buf)
{
    return rw(d, lba, count, buf, false);
}

int ata_write(struct ata_disk *d, uint32_t lba, uint32_t count, const void *buf)
{
    return rw(d, lba, count, (void *)buf, true);
}

int ata_flush(struct ata_disk *d)
{
    uint8_t status;
    uint32_t seen = d->ch->irqs;
    select_drive(d, 0);
    if (!poll_status(d->ch, ST_BSY, 0, &status))
        return -1;
    outb_p(d->ch->base + REG_COMMAND, CMD_FLUSH_CACHE);
    if (!wait_irq(d->ch, seen, &status) || (status & (ST_ERR | ST_DF))) {
        kprintf("ata: FLUSH CACHE failed, status %02x\n", status);
        return -1;
    }
    return 0;
}
