// disk: the guest's ATA disk at 0x1F0 (docs/CONTRACT.md section 8), polled with
// interrupts off (nIEN). The scenario gives it a disk of `sectors=N` sectors whose
// sector n begins with the 32-bit number n followed by a byte pattern of n, and
// checks from inside: IDENTIFY reports exactly N sectors; sectors read by LBA28 and
// by CHS (cylinder, head, sector from IDENTIFY's default geometry) are the same
// sectors; a write reads back; and nothing at or past sector N can be read or
// written: the command ends with ERR and IDNF (ATA-6, READ SECTORS "Error outputs")
// and never offers data (DRQ stays clear), so the hypervisor's part of the real disk
// behind the window stays out of reach.
#include "console.h"
#include "io.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define ATA_DATA     0x1F0
#define ATA_ERROR    0x1F1
#define ATA_COUNT    0x1F2
#define ATA_LBA_LOW  0x1F3   // CHS: sector number
#define ATA_LBA_MID  0x1F4   // CHS: cylinder low
#define ATA_LBA_HIGH 0x1F5   // CHS: cylinder high
#define ATA_DEVICE   0x1F6   // bit 6: LBA; bits 3-0: LBA 27-24 or the head
#define ATA_STATUS   0x1F7   // read: status; write: command
#define ATA_CONTROL  0x3F6   // bit 1: nIEN

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_BSY  0x80
#define ER_IDNF 0x10

#define CMD_READ     0x20
#define CMD_WRITE    0x30
#define CMD_IDENTIFY 0xEC

static uint16_t sector[256];

static uint8_t wait_not_busy(void)
{
    uint8_t st;
    for (unsigned i = 0; i < 10000000; i++)
        if (!((st = inb(ATA_STATUS)) & ST_BSY))
            return st;
    return ST_BSY;   // still busy: every check that follows fails
}

// Start COMMAND for COUNT sectors at an LBA28 address or a CHS one; the status after.
static uint8_t command(uint8_t cmd, uint8_t device, uint8_t low, uint16_t mid_high,
                       uint8_t count)
{
    wait_not_busy();
    outb(ATA_DEVICE, device);
    outb(ATA_COUNT, count);
    outb(ATA_LBA_LOW, low);
    outb(ATA_LBA_MID, mid_high & 0xFF);
    outb(ATA_LBA_HIGH, mid_high >> 8);
    outb(ATA_STATUS, cmd);
    return wait_not_busy();
}

static uint8_t lba_command(uint8_t cmd, uint32_t lba, uint8_t count)
{
    return command(cmd, 0xE0 | ((lba >> 24) & 0x0F), lba & 0xFF, (lba >> 8) & 0xFFFF, count);
}

static uint8_t chs_command(uint8_t cmd, uint16_t c, uint8_t h, uint8_t s, uint8_t count)
{
    return command(cmd, 0xA0 | (h & 0x0F), s, c, count);
}

static bool read_data(uint8_t status)
{
    if ((status & (ST_ERR | ST_DRQ)) != ST_DRQ)
        return false;
    for (int i = 0; i < 256; i++)
        sector[i] = inw(ATA_DATA);
    return true;
}

// Does the sector just read hold what the scenario wrote into sector N?
static bool holds(uint32_t n)
{
    const uint8_t *b = (const uint8_t *)sector;
    uint32_t first;
    memcpy(&first, b, 4);
    if (first != n)
        return false;
    for (int i = 4; i < 512; i++)
        if (b[i] != (uint8_t)(n * 7 + i))
            return false;
    return true;
}

// The command was refused as the standard says: ERR with IDNF, and no data offered.
static bool refused(uint8_t status)
{
    return (status & (ST_ERR | ST_DRQ)) == ST_ERR && (inb(ATA_ERROR) & ER_IDNF);
}

int main(struct multiboot_info *info)
{
    uint32_t n = 0;
    cmdline_number(info, "sectors=", &n);
    outb(ATA_CONTROL, 0x02);   // nIEN: this guest polls

    bool id = read_data(command(CMD_IDENTIFY, 0xA0, 0, 0, 0));
    uint32_t lba_sectors = sector[60] | (uint32_t)sector[61] << 16;
    uint16_t cyls = sector[1], heads = sector[3], spt = sector[6];
    printf("disk: %u sectors asked, IDENTIFY: %u sectors, CHS %u/%u/%u\n", n, lba_sectors,
           cyls, heads, spt);
    report("IDENTIFY reports the window's sector count", id && n > 0 && lba_sectors == n);
    uint32_t chs_sectors = (uint32_t)cyls * heads * spt;
    report("the CHS geometry is usable and inside the window",
           id && cyls && heads && heads <= 16 && spt && spt <= 63 && chs_sectors <= n);

    const uint32_t by_lba[] = { 0, 1, spt, n - 1 };
    bool lba_ok = n > spt;
    for (unsigned i = 0; i < 4 && lba_ok; i++)
        lba_ok = read_data(lba_command(CMD_READ, by_lba[i], 1)) && holds(by_lba[i]);
    report("LBA28 reads give the sectors asked for", lba_ok);

    // CHS (c, h, s) is sector (c * heads + h) * spt + s - 1 (ATA-6, "CHS addressing")
    bool chs_ok = chs_sectors > 0;
    for (unsigned i = 0; i < 4 && chs_ok; i++) {
        uint32_t want = i < 3 ? by_lba[i] : chs_sectors - 1;
        uint16_t c = want / (heads * spt);
        uint8_t h = (want / spt) % heads, s = want % spt + 1;
        chs_ok = read_data(chs_command(CMD_READ, c, h, s, 1)) && holds(want);
    }
    report("CHS reads give the same sectors as LBA28", chs_ok);

    // a two-sector read from the last sector: the first arrives, the second is refused
    bool first = read_data(lba_command(CMD_READ, n - 1, 2)) && holds(n - 1);
    report("a read running past the window stops at its last sector",
           first && refused(wait_not_busy()));
    report("a read at the first sector past the window is refused",
           refused(lba_command(CMD_READ, n, 1)));
    report("a read far past the window is refused", refused(lba_command(CMD_READ, n + 4096, 1)));
    report("a write past the window is refused", refused(lba_command(CMD_WRITE, n, 1)));
    report("a CHS read past the geometry is refused",
           refused(chs_command(CMD_READ, cyls, 0, 1, 1)));

    // a write inside the window reads back (the run's disk is a copy: the base stays)
    uint8_t st = lba_command(CMD_WRITE, n - 1, 1);
    bool wrote = (st & (ST_ERR | ST_DRQ)) == ST_DRQ;
    if (wrote) {
        for (int i = 0; i < 256; i++)
            outw(ATA_DATA, (uint16_t)(0xA500 + i));
        wrote = !(wait_not_busy() & ST_ERR);
    }
    bool back = wrote && read_data(lba_command(CMD_READ, n - 1, 1));
    for (int i = 0; i < 256 && back; i++)
        back = sector[i] == (uint16_t)(0xA500 + i);
    report("a write inside the window reads back", back);
    return report_summary();
}
