"""Checks on a kernel file before it is booted, so a wrong file is a one-line error."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from .errors import LabError

MB1_MAGIC = 0x1BADB002
MB1_SEARCH = 8192  # the header must lie in the first 8 KiB, 4-byte aligned (Multiboot 0.6.96, 3.1)
ELF_MAGIC = b"\x7fELF"


def check_multiboot(path: Path, what: str = "kernel", need_mmap: bool = False) -> int:
    """Return the ELF class (32 or 64) of a Multiboot 1 kernel; raise LabError otherwise.

    `need_mmap`: the header must request the memory map (flags bit 1), as CONTRACT.md 1
    asks of a hypervisor.
    """
    try:
        head = path.read_bytes()[:MB1_SEARCH]
    except FileNotFoundError:
        raise LabError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise LabError(f"{what} {path} is a folder, not a kernel file") from None
    except OSError as e:
        raise LabError(f"cannot read {what} {path}: {e.strerror}") from None
    for off in range(0, len(head) - 11, 4):
        magic, flags, checksum = struct.unpack_from("<III", head, off)
        if magic == MB1_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            break
    else:
        raise LabError(f"{what} {path} is not a Multiboot kernel (no valid header in its "
                       "first 8 KiB)")
    if need_mmap and not flags & (1 << 1):
        raise LabError(f"{what} {path} does not request the memory map (Multiboot flags bit 1)")
    if head[:4] != ELF_MAGIC:
        if flags & (1 << 16):  # the a.out kludge: loadable without ELF headers
            return 32
        raise LabError(f"{what} {path} is neither an ELF nor a Multiboot a.out-kludge image")
    if len(head) < 5 or head[4] not in (1, 2):
        raise LabError(f"{what} {path} is an ELF of unknown class")
    return 32 if head[4] == 1 else 64


LINUX_MAGIC = b"HdrS"  # at 0x202: the Linux x86 boot protocol's setup header
LINUX_LOADED_HIGH = 0x01  # loadflags (0x211) bit 0: a bzImage


def is_linux(path: Path) -> bool:
    """Is the file a Linux bzImage (boot protocol header "HdrS", loaded high)?"""
    try:
        with open(path, "rb") as f:
            head = f.read(0x212)
    except OSError:
        return False
    return len(head) == 0x212 and head[0x202:0x206] == LINUX_MAGIC and bool(
        head[0x211] & LINUX_LOADED_HIGH)


XEN_ELFNOTE_PHYS32_ENTRY = 18  # a PVH kernel's entry (Xen's public/elfnote.h)


PT_LOAD, PT_NOTE = 1, 4
ELF64_PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align


def elf64_segments(head: bytes) -> list[tuple]:
    """The program headers of an ELF64 file whose start (with its header table) is head,
    each as ELF64_PHDR's fields; [] when it is no little-endian ELF64."""
    if len(head) < 64 or head[:4] != ELF_MAGIC or head[4] != 2 or head[5] != 1:
        return []
    phoff, = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    if phentsize < ELF64_PHDR.size or phoff + phnum * phentsize > len(head):
        return []
    return [ELF64_PHDR.unpack_from(head, phoff + i * phentsize) for i in range(phnum)]


def elf_notes(data: bytes):
    """(name, type, descriptor) of each note in a PT_NOTE segment's bytes."""
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from("<III", data, at)
        name_end = at + 12 + namesz
        desc = name_end + (-namesz % 4)
        yield data[at + 12:name_end].rstrip(b"\0"), kind, data[desc:desc + descsz]
        at = desc + descsz + (-descsz % 4)


def is_pvh(path: Path) -> bool:
    """Is the file an ELF64 kernel with a PVH entry note (a vmlinux booted by PVH)?"""
    try:
        with open(path, "rb") as f:
            head = f.read(0x1000)
            for seg in elf64_segments(head):
                if seg[0] == PT_NOTE:
                    f.seek(seg[2])
                    if any(name == b"Xen" and kind == XEN_ELFNOTE_PHYS32_ENTRY
                           for name, kind, _ in elf_notes(f.read(min(seg[5], 1 << 16)))):
                        return True
    except OSError:
        return False
    return False


def is_linux_kernel(path: Path) -> bool:
    """A Linux kernel the hypervisor boots as Linux: a bzImage or a PVH vmlinux."""
    return is_linux(path) or is_pvh(path)


def check_guest_kernel(path: Path, what: str = "guest kernel") -> None:
    """A guest kernel is a Multiboot kernel or a Linux kernel (a bzImage or a PVH vmlinux);
    anything else is refused with the Multiboot error (a one-line LabError)."""
    if path.is_file() and is_linux_kernel(path):
        return
    check_multiboot(path, what)


def qemu_kernel(path: Path, workdir: Path, what: str = "hypervisor") -> Path:
    """QEMU's -kernel refuses 64-bit ELFs (DESIGN.md): give it an elf32-i386 copy. A Linux
    bzImage it loads as it is."""
    if what != "hypervisor" and is_linux_kernel(path):
        return path
    if check_multiboot(path, what, need_mmap=what == "hypervisor") == 32:
        return path
    out = workdir / "kernel32.elf"
    done = subprocess.run(["objcopy", "-O", "elf32-i386", str(path), str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(f"objcopy could not make a 32-bit copy of {path}: {said}")
    return out

