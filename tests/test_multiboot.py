"""Multiboot 1 header checks and QEMU's elf32 copy."""
import struct
import subprocess

import pytest

from lab.errors import LabError
from lab.multiboot import MB1_MAGIC, check_guest_kernel, check_multiboot, is_linux, qemu_kernel

AOUT_KLUDGE = 1 << 16


def header(flags=0x2, checksum=None):
    if checksum is None:
        checksum = -(MB1_MAGIC + flags) % 2**32
    return struct.pack("<III", MB1_MAGIC, flags, checksum)


def kernel(tmp_path, prefix=b"\x7fELF\x02", at=0x1000, hdr=None, name="k.elf"):
    data = bytearray(prefix.ljust(at, b"\0")) + (hdr or header()) + bytes(64)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_elf64_with_header(tmp_path):
    assert check_multiboot(kernel(tmp_path)) == 64


def test_elf32_with_header(tmp_path):
    assert check_multiboot(kernel(tmp_path, prefix=b"\x7fELF\x01")) == 32


def test_header_ending_at_8k_is_found(tmp_path):
    assert check_multiboot(kernel(tmp_path, at=8192 - 12)) == 64


def test_header_beyond_8k_is_refused(tmp_path):
    with pytest.raises(LabError, match="no valid header in its first 8 KiB"):
        check_multiboot(kernel(tmp_path, at=8192))


def test_bad_checksum_is_refused(tmp_path):
    with pytest.raises(LabError, match="not a Multiboot kernel"):
        check_multiboot(kernel(tmp_path, hdr=header(checksum=0)))


def test_non_elf_with_aout_kludge_is_32(tmp_path):
    path = kernel(tmp_path, prefix=b"MZ", hdr=header(flags=0x2 | AOUT_KLUDGE))
    assert check_multiboot(path) == 32


def test_non_elf_without_aout_kludge_is_refused(tmp_path):
    with pytest.raises(LabError, match="neither an ELF nor"):
        check_multiboot(kernel(tmp_path, prefix=b"MZ"))


def test_missing_file(tmp_path):
    with pytest.raises(LabError, match="does not exist"):
        check_multiboot(tmp_path / "nope.elf")


def test_directory(tmp_path):
    with pytest.raises(LabError, match="is a folder"):
        check_multiboot(tmp_path)


ENTRY_S = """\
    .text
    .align 4
    .long 0x1BADB002, 0x2, -(0x1BADB002 + 0x2)
    .globl _start
_start:
    hlt
"""


def test_qemu_kernel_makes_elf32_copy_of_elf64(tmp_path):
    (tmp_path / "entry.S").write_text(ENTRY_S)
    subprocess.run(["gcc", "-c", "entry.S", "-o", "entry.o"], cwd=tmp_path, check=True)
    subprocess.run(["ld", "-m", "elf_x86_64", "-n", "-Ttext=0x100000", "-o", "hv.elf",
                    "entry.o"], cwd=tmp_path, check=True)
    hv = tmp_path / "hv.elf"
    assert check_multiboot(hv) == 64
    work = tmp_path / "work"
    work.mkdir()
    copy = qemu_kernel(hv, work)
    assert copy.parent == work
    assert copy.read_bytes()[4] == 1
    assert check_multiboot(copy) == 32


def test_qemu_kernel_returns_elf32_as_is(tmp_path):
    path = kernel(tmp_path, prefix=b"\x7fELF\x01")
    work = tmp_path / "work"
    work.mkdir()
    assert qemu_kernel(path, work) == path
    assert list(work.iterdir()) == []


def _linux_header(path, loadflags: int):
    head = bytearray(0x400)
    head[0x202:0x206] = b"HdrS"
    head[0x211] = loadflags
    path.write_bytes(bytes(head))
    return path


def test_a_bzimage_is_a_guest_kernel_and_a_zimage_is_not(tmp_path):
    bz = _linux_header(tmp_path / "bzImage", 0x01)
    assert is_linux(bz)
    check_guest_kernel(bz)  # no error
    z = _linux_header(tmp_path / "zImage", 0x00)  # loaded below 1 MiB: not supported
    assert not is_linux(z)
    with pytest.raises(LabError, match="is not a Multiboot kernel"):
        check_guest_kernel(z)
    assert not is_linux(tmp_path / "missing")
