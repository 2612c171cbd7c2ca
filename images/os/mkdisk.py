#!/usr/bin/env python3
"""Make and inspect TeachOS disk images (TeachFS, see include/teachfs.h).

    mkdisk.py OUT.img --size-mib 16 --file /bin/hello=hello.elf --file /README.txt=README.txt
    mkdisk.py --list IMG             one line per file: NAME SIZE
    mkdisk.py --cat IMG PATH         the file's bytes on stdout

The image is raw: an MBR whose first partition (type 0x7F) starts at LBA 63,
as SWEB's does, and holds the file system. The kernel addresses the disk in
CHS mode, and QEMU gives small disks 16 heads and 63 sectors per track, so the
partition ends at the last whole cylinder.
"""
from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

SECTOR = 512
BLOCK = 4096
SECTORS_PER_BLOCK = BLOCK // SECTOR
PART_LBA = 63
PART_TYPE = 0x7F
HEADS, SECTORS_PER_TRACK = 16, 63
MAGIC = b"TEACHFS1"
FAT_FREE, FAT_END, FAT_RESERVED = 0, 0xFFFFFFFF, 0xFFFFFFFE
DIR_BLOCKS = 4
DIRENT = struct.Struct("<52sIII")       # name, size, first_block, flags
DIRENT_USED = 1
SUPER = struct.Struct("<8s7I")          # magic, block_size, total_blocks, fat_start,
                                        # fat_blocks, dir_start, dir_blocks, data_start
MAX_BLOCKS = 32768                      # kernel/fs.c: FS_MAX_BLOCKS


@dataclass
class Layout:
    total_blocks: int
    fat_start: int
    fat_blocks: int
    dir_start: int
    dir_blocks: int
    data_start: int

    def pack(self) -> bytes:
        return SUPER.pack(MAGIC, BLOCK, self.total_blocks, self.fat_start, self.fat_blocks,
                          self.dir_start, self.dir_blocks, self.data_start)


def chs(lba: int) -> bytes:
    """An MBR's 3-byte CHS address (head, sector | cylinder bits 8-9, cylinder)."""
    cylinder, rest = divmod(lba, HEADS * SECTORS_PER_TRACK)
    head, sector = divmod(rest, SECTORS_PER_TRACK)
    cylinder = min(cylinder, 1023)
    return bytes([head, (sector + 1) | ((cylinder >> 2) & 0xC0), cylinder & 0xFF])


def reachable_sectors(disk_sectors: int) -> int:
    """The sectors CHS can address: whole cylinders only."""
    cylinder = HEADS * SECTORS_PER_TRACK
    return (disk_sectors // cylinder) * cylinder


def make_layout(disk_sectors: int) -> Layout:
    reachable = reachable_sectors(disk_sectors)
    total_blocks = min((reachable - PART_LBA) // SECTORS_PER_BLOCK, MAX_BLOCKS)
    fat_blocks = (total_blocks * 4 + BLOCK - 1) // BLOCK
    dir_start = 1 + fat_blocks
    return Layout(total_blocks, 1, fat_blocks, dir_start, DIR_BLOCKS, dir_start + DIR_BLOCKS)


def mbr(part_sectors: int) -> bytes:
    entry = (bytes([0x00]) + chs(PART_LBA) + bytes([PART_TYPE]) +
             chs(PART_LBA + part_sectors - 1) + struct.pack("<II", PART_LBA, part_sectors))
    sector = bytearray(SECTOR)
    sector[446:446 + 16] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def canonical(path: str) -> str:
    return path.lstrip("/")


def make_image(out: Path, size_mib: int, files: list[tuple[str, bytes]]) -> None:
    disk_sectors = size_mib * 1024 * 1024 // SECTOR
    layout = make_layout(disk_sectors)
    if layout.total_blocks <= layout.data_start:
        sys.exit(f"mkdisk: {size_mib} MiB is too small for a file system")
    fat = [FAT_FREE] * layout.total_blocks
    for b in range(layout.data_start):
        fat[b] = FAT_RESERVED
    entries = []
    data: dict[int, bytes] = {}
    next_block = layout.data_start
    if len(files) > DIR_BLOCKS * BLOCK // DIRENT.size:
        sys.exit("mkdisk: too many files")
    for name, content in files:
        if len(name.encode()) >= 52 or not name:
            sys.exit(f"mkdisk: bad file name {name!r}")
        nblocks = (len(content) + BLOCK - 1) // BLOCK
        if next_block + nblocks > layout.total_blocks:
            sys.exit("mkdisk: the files do not fit")
        first = next_block if nblocks else 0
        for i in range(nblocks):
            b = next_block + i
            fat[b] = b + 1 if i + 1 < nblocks else FAT_END
            data[b] = content[i * BLOCK:(i + 1) * BLOCK]
        next_block += nblocks
        entries.append(DIRENT.pack(name.encode(), len(content), first, DIRENT_USED))

    part = PART_LBA * SECTOR
    with open(out, "wb") as f:
        f.truncate(disk_sectors * SECTOR)
        # The partition ends on a cylinder boundary: QEMU derives the disk's
        # heads and sectors per track from its last CHS address.
        f.write(mbr(reachable_sectors(disk_sectors) - PART_LBA))
        f.seek(part)
        f.write(layout.pack())
        f.seek(part + layout.fat_start * BLOCK)
        f.write(struct.pack(f"<{len(fat)}I", *fat))
        f.seek(part + layout.dir_start * BLOCK)
        f.write(b"".join(entries))
        for b, chunk in data.items():
            f.seek(part + b * BLOCK)
            f.write(chunk)


class Image:
    """A TeachFS image opened for reading."""

    def __init__(self, path: Path):
        self.raw = path.read_bytes()
        self.part = 0
        if self.raw[510:512] == b"\x55\xaa" and self.raw[446 + 4] == PART_TYPE:
            self.part = struct.unpack_from("<I", self.raw, 446 + 8)[0] * SECTOR
        magic, block, *rest = SUPER.unpack_from(self.raw, self.part)
        if magic != MAGIC or block != BLOCK:
            sys.exit(f"mkdisk: {path} holds no TeachFS")
        self.layout = Layout(*rest)
        lay = self.layout
        self.fat = struct.unpack_from(f"<{lay.total_blocks}I", self.raw,
                                      self.part + lay.fat_start * BLOCK)

    def entries(self):
        base = self.part + self.layout.dir_start * BLOCK
        for i in range(self.layout.dir_blocks * BLOCK // DIRENT.size):
            name, size, first, flags = DIRENT.unpack_from(self.raw, base + i * DIRENT.size)
            if flags & DIRENT_USED:
                yield name.split(b"\0", 1)[0].decode(), size, first

    def read(self, path: str) -> bytes:
        for name, size, first in self.entries():
            if name == canonical(path):
                out = bytearray()
                block = first
                while len(out) < size:
                    if not self.layout.data_start <= block < self.layout.total_blocks:
                        sys.exit(f"mkdisk: {name}: broken block chain")
                    start = self.part + block * BLOCK
                    out += self.raw[start:start + BLOCK]
                    block = self.fat[block]
                return bytes(out[:size])
        sys.exit(f"mkdisk: no file {path}")


def main() -> None:
    p = argparse.ArgumentParser(description="Make or inspect a TeachOS disk image.")
    p.add_argument("out", nargs="?", type=Path, help="the image to write")
    p.add_argument("--size-mib", type=int, default=16)
    p.add_argument("--file", action="append", default=[], metavar="PATH=SOURCE",
                   help="put the host file SOURCE on the disk as PATH")
    p.add_argument("--list", type=Path, metavar="IMG", help="list the files in IMG")
    p.add_argument("--cat", nargs=2, metavar=("IMG", "PATH"), help="print a file of IMG")
    args = p.parse_args()
    if args.list:
        for name, size, _ in Image(args.list).entries():
            print(f"{name} {size}")
    elif args.cat:
        sys.stdout.buffer.write(Image(Path(args.cat[0])).read(args.cat[1]))
    elif args.out:
        files = []
        for spec in args.file:
            dest, sep, src = spec.partition("=")
            if not sep:
                sys.exit(f"mkdisk: --file wants PATH=SOURCE, not {spec!r}")
            files.append((canonical(dest), Path(src).read_bytes()))
        make_image(args.out, args.size_mib, files)
    else:
        p.error("give OUT, --list or --cat")


if __name__ == "__main__":
    main()
