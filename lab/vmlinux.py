"""The kernel inside a bzImage, as an ELF file the hypervisor boots by PVH.

A bzImage carries its kernel, vmlinux, compressed (Documentation/arch/x86/boot.rst:
payload_offset and payload_length at 0x248, from protocol 2.08). Booted as a bzImage, the
kernel unpacks itself first: Debian's 8 MB of xz take 40 s of a Bochs boot's 55 (measured).
The same kernel, taken out as the kernel's scripts/extract-vmlinux does, boots at once by
PVH (its XEN_ELFNOTE_PHYS32_ENTRY note). The file written keeps what a loader reads: the
ELF header, the PT_LOAD segments (their trailing zeros left to p_memsz, as a .bss is) and
the PT_NOTE ones; no section headers.
"""
from __future__ import annotations

import gzip
import lzma
import struct
from pathlib import Path

from .errors import BuildError
from .multiboot import ELF64_PHDR, PT_LOAD, PT_NOTE, elf64_segments, is_linux, is_pvh

PAYLOAD = 0x248  # payload_offset, payload_length: from the protected-mode kernel's start
PAGE = 0x1000
UNPACK = {
    b"\xfd7zXZ\x00": ("xz", lambda b: lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(b)),
    b"\x1f\x8b": ("gzip", gzip.decompress),
}


def _payload(bz: bytes, name: Path) -> bytes:
    if len(bz) < PAYLOAD + 8 or struct.unpack_from("<H", bz, 0x206)[0] < 0x208:
        raise BuildError(f"{name}: boot protocol before 2.08 names no compressed payload")
    setup_sects = bz[0x1F1] or 4
    offset, length = struct.unpack_from("<II", bz, PAYLOAD)
    start = (setup_sects + 1) * 512 + offset
    payload = bz[start:start + length]
    for magic, (kind, unpack) in UNPACK.items():
        if payload.startswith(magic):
            try:
                return unpack(payload)
            except (lzma.LZMAError, OSError, EOFError) as e:
                raise BuildError(f"{name}: its {kind} payload does not unpack: {e}") from e
    raise BuildError(f"{name}: its payload starts {payload[:6].hex()}: the lab unpacks xz "
                     "and gzip kernels only")


def extract_pvh(bzimage: Path, out: Path) -> Path:
    """Writes the vmlinux inside bzimage to out, as above; BuildError when it is none."""
    if not is_linux(bzimage):
        raise BuildError(f"{bzimage} is not a Linux bzImage")
    elf = _payload(bzimage.read_bytes(), bzimage)
    kept = [s for s in elf64_segments(elf[:0x1000]) if s[0] in (PT_LOAD, PT_NOTE)]
    if not kept:
        raise BuildError(f"{bzimage}: the kernel inside is no ELF64 file")
    headers, body = bytearray(), bytearray()
    at = 64 + len(kept) * ELF64_PHDR.size
    for kind, flags, offset, vaddr, paddr, filesz, memsz, align in kept:
        data = elf[offset:offset + filesz]
        if kind == PT_LOAD:  # a page alignment will do: loaders copy by physical address
            data, align = data.rstrip(b"\0"), PAGE
        # p_offset = p_vaddr modulo p_align (ELF-64, "Program header"); a note's alignment
        # is its entries' (QEMU reads it so)
        pad = (vaddr - at) % max(align, 1)
        body += bytes(pad) + data
        at += pad
        headers += ELF64_PHDR.pack(kind, flags, at, vaddr, paddr, len(data), memsz, align)
        at += len(data)
    header = bytearray(elf[:64])
    struct.pack_into("<QQ", header, 0x20, 64, 0)  # e_phoff, e_shoff
    # e_phnum; e_shentsize, e_shnum, e_shstrndx: no section headers
    struct.pack_into("<HHHH", header, 0x38, len(kept), 0, 0, 0)
    out.write_bytes(bytes(header) + bytes(headers) + bytes(body))
    if not is_pvh(out):
        out.unlink()
        raise BuildError(f"{bzimage}: the kernel inside has no PVH entry note "
                         "(CONFIG_PVH is off)")
    return out
