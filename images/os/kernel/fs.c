// TeachFS (include/teachfs.h): the allocation table and the directory live in
// memory while mounted and go back to disk on fs_sync; file data is written
// through at once. A file is named by its directory slot.
#include "kernel.h"
#include "teachfs.h"
#include "syscall.h"

#define MBR_PARTITION_TABLE 446
#define MBR_SIGNATURE       510
#define FS_MAX_BLOCKS   32768   // a 128 MiB file system at most
#define FS_MAX_FILES    256

struct mbr_partition {
    uint8_t status, chs_first[3], type, chs_last[3];
    uint32_t lba_first, sectors;
} __attribute__((packed));

static struct ata_disk *disk;
static uint32_t part_lba;       // where the file system starts on the disk
static struct teachfs_super sb;
static uint32_t fat[FS_MAX_BLOCKS];
static struct teachfs_dirent dir[FS_MAX_FILES];
static uint32_t ndir;
static bool mounted, fat_dirty, dir_dirty;
static uint32_t alloc_rover;
static uint8_t sector_buf[SECTOR_SIZE];

// Where a file's last block lookup ended, so that sequential access does not
// walk the chain from the start every time.
static struct { int slot; uint32_t index, block; } chain_cache = { -1, 0, 0 };

static uint32_t block_lba(uint32_t block)
{
    return part_lba + block * SECTORS_PER_BLOCK;
}

static bool try_mount(struct ata_disk *d)
{
    static uint8_t sector[SECTOR_SIZE];
    if (ata_read(d, 0, 1, sector) < 0)
        return false;
    part_lba = 0;
    struct mbr_partition *p = (void *)(sector + MBR_PARTITION_TABLE);
    if (sector[MBR_SIGNATURE] == 0x55 && sector[MBR_SIGNATURE + 1] == 0xAA &&
        p->type == TEACHFS_PARTITION_TYPE) {
        part_lba = p->lba_first;
        if (ata_read(d, part_lba, 1, sector) < 0)
            return false;
    }
    memcpy(&sb, sector, sizeof(sb));
    if (memcmp(sb.magic, TEACHFS_MAGIC, 8) != 0 || sb.block_size != TEACHFS_BLOCK_SIZE)
        return false;
    ndir = sb.dir_blocks * TEACHFS_BLOCK_SIZE / sizeof(struct teachfs_dirent);
    if (sb.total_blocks > FS_MAX_BLOCKS || ndir > FS_MAX_FILES) {
        kprintf("fs: file system too large (%u blocks, %u files)\n", sb.total_blocks, ndir);
        return false;
    }
    if (part_lba + sb.total_blocks * SECTORS_PER_BLOCK > ata_capacity(d)) {
        kprintf("fs: file system (%u sectors at %u) is larger than the disk's CHS range (%u)\n",
                sb.total_blocks * SECTORS_PER_BLOCK, part_lba, ata_capacity(d));
        return false;
    }
    disk = d;
    uint32_t fat_sectors = (sb.total_blocks * 4 + SECTOR_SIZE - 1) / SECTOR_SIZE;
    if (ata_read(d, block_lba(sb.fat_start), fat_sectors, fat) < 0 ||
        ata_read(d, block_lba(sb.dir_start), sb.dir_blocks * SECTORS_PER_BLOCK, dir) < 0)
        return false;
    alloc_rover = sb.data_start;
    return true;
}

bool fs_mount(void)
{
    for (int i = 0; !mounted && ata_disk(i); i++)
        mounted = try_mount(ata_disk(i));
    return mounted;
}

bool fs_mounted(void)
{
    return mounted;
}

int fs_sync(void)
{
    if (!mounted)
        return -1;
    int r = 0;
    if (fat_dirty) {
        uint32_t fat_sectors = (sb.total_blocks * 4 + SECTOR_SIZE - 1) / SECTOR_SIZE;
        r |= ata_write(disk, block_lba(sb.fat_start), fat_sectors, fat);
        fat_dirty = false;
    }
    if (dir_dirty) {
        r |= ata_write(disk, block_lba(sb.dir_start), sb.dir_blocks * SECTORS_PER_BLOCK, dir);
        dir_dirty = false;
    }
    r |= ata_flush(disk);
    return r < 0 ? -1 : 0;
}

// "/bin/hello" and "bin/hello" name the same file.
static const char *canonical(const char *path)
{
    while (*path == '/')
        path++;
    return path;
}

static int lookup(const char *name)
{
    for (uint32_t i = 0; i < ndir; i++)
        if ((dir[i].flags & DIRENT_USED) && strcmp(dir[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void free_chain(int slot)
{
    uint32_t b = dir[slot].first_block;
    while (b && b != FAT_END && b < sb.total_blocks) {
        uint32_t next = fat[b];
        fat[b] = FAT_FREE;
        b = next;
    }
    dir[slot].first_block = 0;
    dir[slot].size = 0;
    fat_dirty = dir_dirty = true;
    chain_cache.slot = -1;
}

int fs_open(const char *path, int flags)
{
    if (!mounted)
        return -1;
    const char *name = canonical(path);
    int slot = lookup(name);
    if (slot < 0 && (flags & O_CREATE)) {
        if (!*name || strlen(name) >= TEACHFS_NAME_MAX)
            return -1;
        for (uint32_t i = 0; i < ndir && slot < 0; i++)
            if (!(dir[i].flags & DIRENT_USED))
                slot = (int)i;
        if (slot < 0)
            return -1;
        memset(&dir[slot], 0, sizeof(dir[slot]));
        strlcpy(dir[slot].name, name, TEACHFS_NAME_MAX);
        dir[slot].flags = DIRENT_USED;
        dir_dirty = true;
    }
    if (slot >= 0 && (flags & O_TRUNCATE) && dir[slot].size)
        free_chain(slot);
    return slot;
}

uint32_t fs_size(int slot)
{
    return dir[slot].size;
}

static uint32_t alloc_block(void)
{
    for (uint32_t n = 0; n < sb.total_blocks; n++) {
        uint32_t b = alloc_rover++;
        if (alloc_rover >= sb.total_blocks)
            alloc_rover = sb.data_start;
        if (b >= sb.data_start && fat[b] == FAT_FREE) {
            fat[b] = FAT_END;
            fat_dirty = true;
            return b;
        }
    }
    return 0;
}

// The block holding the file's INDEX-th 4 KiB, allocating it (and any before
// it) when GROW is set; 0 if there is none.
static uint32_t block_at(int slot, uint32_t index, bool grow)
{
    uint32_t b = dir[slot].first_block, i = 0;
    if (!b) {
        if (!grow || !(b = alloc_block()))
            return 0;
        dir[slot].first_block = b;
        dir_dirty = true;
    }
    if (chain_cache.slot == slot && chain_cache.index <= index) {
        b = chain_cache.block;
        i = chain_cache.index;
    }
    for (; i < index; i++) {
        uint32_t next = fat[b];
        if (next == FAT_END) {
            if (!grow || !(next = alloc_block()))
                return 0;
            fat[b] = next;
        }
        if (next >= sb.total_blocks)
            return 0;   // a corrupt chain
        b = next;
    }
    chain_cache.slot = slot;
    chain_cache.index = index;
    chain_cache.block = b;
    return b;
}

// How many of SECTORS whole sectors from POS (in BLOCK) on lie in a row on
// disk: the rest of this block, then the file's next blocks for as long as
// each is the next one on disk. One ata call moves them all, so a run costs
// one command, not one per block (and under a hypervisor every command
// costs exits). Writes allocate the blocks they are about to fill.
static uint32_t run_sectors(int slot, uint32_t pos, uint32_t block, uint32_t sectors, bool write)
{
    uint32_t index = pos / TEACHFS_BLOCK_SIZE;
    uint32_t count = SECTORS_PER_BLOCK - pos % TEACHFS_BLOCK_SIZE / SECTOR_SIZE;
    while (count < sectors && block_at(slot, ++index, write) == ++block)
        count += SECTORS_PER_BLOCK;
    return count < sectors ? count : sectors;
}

// Whole sectors move straight between the disk and BUF, a run of contiguous
// blocks at a time; a partial sector goes through sector_buf.
static int rw(int slot, uint32_t offset, uint8_t *buf, uint32_t len, bool write)
{
    uint32_t done = 0;
    while (done < len) {
        uint32_t pos = offset + done;
        uint32_t block = block_at(slot, pos / TEACHFS_BLOCK_SIZE, write);
        if (!block)
            break;      // the disk is full
        uint32_t in_block = pos % TEACHFS_BLOCK_SIZE;
        uint32_t sector = in_block / SECTOR_SIZE, in_sector = in_block % SECTOR_SIZE;
        uint32_t lba = block_lba(block) + sector;
        uint32_t n;
        int r;
        if (in_sector == 0 && len - done >= SECTOR_SIZE) {
            uint32_t count = run_sectors(slot, pos, block, (len - done) / SECTOR_SIZE, write);
            n = count * SECTOR_SIZE;
            r = write ? ata_write(disk, lba, count, buf + done) : ata_read(disk, lba, count, buf + done);
        } else {
            n = SECTOR_SIZE - in_sector;
            if (n > len - done)
                n = len - done;
            // Bytes past the file's end in this sector are stale: keep them zero.
            bool had_data = pos - in_sector < dir[slot].size;
            if (had_data)
                r = ata_read(disk, lba, 1, sector_buf);
            else
                r = (memset(sector_buf, 0, SECTOR_SIZE), 0);
            if (r == 0 && write) {
                memcpy(sector_buf + in_sector, buf + done, n);
                r = ata_write(disk, lba, 1, sector_buf);
            } else if (r == 0) {
                memcpy(buf + done, sector_buf + in_sector, n);
            }
        }
        if (r < 0)
            return done ? (int)done : -1;
        done += n;
        if (write && offset + done > dir[slot].size) {
            dir[slot].size = offset + done;
            dir_dirty = true;
        }
    }
    return (int)done;
}

int fs_read(int slot, uint32_t offset, void *buf, uint32_t len)
{
    uint32_t size = dir[slot].size;
    if (offset >= size)
        return 0;
    if (len > size - offset)
        len = size - offset;
    return rw(slot, offset, buf, len, false);
}

int fs_write(int slot, uint32_t offset, const void *buf, uint32_t len)
{
    if (offset > dir[slot].size)
        return -1;      // no holes
    return rw(slot, offset, (uint8_t *)buf, len, true);
}

int fs_unlink(const char *path)
{
    if (!mounted)
        return -1;
    int slot = lookup(canonical(path));
    if (slot < 0)
        return -1;
    free_chain(slot);
    dir[slot].flags = 0;
    return fs_sync();
}

int fs_entries(void)
{
    return mounted ? (int)ndir : 0;
}

const char *fs_entry(int index, uint32_t *size)
{
    if (!(dir[index].flags & DIRENT_USED))
        return NULL;
    *size = dir[index].size;
    return dir[index].name;
}
