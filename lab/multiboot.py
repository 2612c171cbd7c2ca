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


def qemu_kernel(path: Path, workdir: Path, what: str = "hypervisor") -> Path:
    """QEMU's -kernel refuses 64-bit ELFs (DESIGN.md): give it an elf32-i386 copy."""
    if check_multiboot(path, what, need_mmap=what == "hypervisor") == 32:
        return path
    out = workdir / "kernel32.elf"
    done = subprocess.run(["objcopy", "-O", "elf32-i386", str(path), str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(f"objcopy could not make a 32-bit copy of {path}: {said}")
    return out


def without_video_request(path: Path, workdir: Path) -> Path:
    """A copy of a Multiboot kernel with the video-mode request (flags bit 2) cleared.

    SWEB sets bit 2 without the mode fields (Multiboot 0.6.96, 3.1.1: mode_type at header
    offset 32), so GRUB 2 reads code bytes as a mode and refuses it. QEMU's loader ignores the
    bit; giving GRUB the same view makes a direct boot on Bochs the same boot as on QEMU.
    Returns `path` itself when the bit is clear.
    """
    data = bytearray(path.read_bytes())
    for off in range(0, min(len(data), MB1_SEARCH) - 11, 4):
        magic, flags, checksum = struct.unpack_from("<III", data, off)
        if magic == MB1_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            break
    else:
        raise LabError(f"{path} is not a Multiboot kernel (no valid header in its first 8 KiB)")
    if not flags & (1 << 2):
        return path
    flags &= ~(1 << 2)
    struct.pack_into("<II", data, off + 4, flags, (-(MB1_MAGIC + flags)) & 0xFFFFFFFF)
    out = workdir / f"{path.stem}-novideo{path.suffix}"
    out.write_bytes(data)
    return out
