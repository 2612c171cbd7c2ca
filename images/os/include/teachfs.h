// TeachFS, the on-disk file system (mirrored by images/os/mkdisk.py).
//
// The disk has an MBR whose first partition (type 0x7F, starting at LBA 63
// like SWEB's) holds the file system. Inside the partition everything is
// counted in 4 KiB blocks:
//
//   block 0                    superblock (its first 512 bytes)
//   fat_start .. +fat_blocks   the allocation table: one uint32 per block
//   dir_start .. +dir_blocks   the directory: fixed 64-byte entries
//   data_start ..              file data
//
// A file is a chain of blocks through the table, like FAT: entry[b] is the
// block after b, FAT_END for the last one, FAT_FREE for an unused block.
// There is one directory; names may contain '/' ("bin/hello"), so the
// shell's paths work without directory blocks.
#ifndef TEACHFS_H
#define TEACHFS_H

#include <stdint.h>

#define TEACHFS_MAGIC           "TEACHFS1"
#define TEACHFS_PARTITION_TYPE  0x7F        // "reserved for local use"
#define TEACHFS_BLOCK_SIZE      4096
#define SECTOR_SIZE             512
#define SECTORS_PER_BLOCK       (TEACHFS_BLOCK_SIZE / SECTOR_SIZE)

#define FAT_FREE                0x00000000u
#define FAT_END                 0xFFFFFFFFu
#define FAT_RESERVED            0xFFFFFFFEu // superblock, table and directory

#define TEACHFS_NAME_MAX        52          // with the terminating NUL
#define DIRENT_USED             1

struct teachfs_super {
    char magic[8];
    uint32_t block_size;
    uint32_t total_blocks;
    uint32_t fat_start, fat_blocks;
    uint32_t dir_start, dir_blocks;
    uint32_t data_start;
};

struct teachfs_dirent {
    char name[TEACHFS_NAME_MAX];
    uint32_t size;          // bytes
    uint32_t first_block;   // 0 while the file is empty
    uint32_t flags;         // DIRENT_USED
};

_Static_assert(sizeof(struct teachfs_dirent) == 64, "directory entries are 64 bytes");

#endif
