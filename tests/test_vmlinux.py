"""lab.vmlinux: the kernel taken out of a bzImage as a PVH ELF, and what it refuses."""
import gzip
import lzma
import struct

import pytest

from lab.errors import BuildError
from lab.multiboot import ELF64_PHDR, PT_LOAD, PT_NOTE, check_guest_kernel, elf64_segments, is_pvh
from lab.vmlinux import extract_pvh

ENTRY = 0x1000040
CODE = bytes(range(1, 200)) * 3  # no zero at its end
PAD = 0x2000  # zeros after the code in the file: .bss-like, left to p_memsz


def _note(kind: int) -> bytes:
    return struct.pack("<III", 4, 4, kind) + b"Xen\0" + struct.pack("<I", ENTRY)


def _vmlinux(note_kind: int = 18) -> bytes:
    """An ELF64 with a PT_LOAD (code, then zeros) at 16 MiB and a PT_NOTE, plus a section
    of junk the extraction drops."""
    note = _note(note_kind)
    load_off, note_off = 0x1000, 0x4000  # the note after the load segment's file bytes
    body = bytearray(note_off + len(note) + 0x100)
    body[load_off:load_off + len(CODE)] = CODE
    body[note_off:note_off + len(note)] = note
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<HHIQQQIHHHHHH", head, 16, 2, 62, 1, ENTRY, 64, len(body) - 0x100, 0,
                     64, 56, 2, 64, 0, 0)
    phdrs = ELF64_PHDR.pack(PT_LOAD, 5, load_off, 0xffffffff81000000, 0x1000000,
                            len(CODE) + PAD, len(CODE) + PAD + 0x1000, 0x200000)
    phdrs += ELF64_PHDR.pack(PT_NOTE, 4, note_off, 0, 0, len(note), len(note), 4)
    body[:64] = head
    body[64:64 + len(phdrs)] = phdrs
    return bytes(body)


def _bzimage(path, payload: bytes, version: int = 0x020F):
    setup = bytearray(0x400)  # setup_sects 1: the protected-mode kernel at 0x400
    setup[0x1F1] = 1
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = 0x01
    struct.pack_into("<II", setup, 0x248, 0x10, len(payload))
    path.write_bytes(bytes(setup) + bytes(0x10) + payload)
    return path


@pytest.mark.parametrize("pack", [lambda b: lzma.compress(b, lzma.FORMAT_XZ), gzip.compress],
                         ids=["xz", "gzip"])
def test_the_kernel_inside_is_written_as_a_pvh_elf_of_its_segments(tmp_path, pack):
    out = extract_pvh(_bzimage(tmp_path / "bzImage", pack(_vmlinux())), tmp_path / "pvh")
    assert is_pvh(out)
    check_guest_kernel(out)  # a guest kernel the lab boots
    data = out.read_bytes()
    assert struct.unpack_from("<QHH", data, 0x28)[0] == 0  # e_shoff: no section headers
    load, note = elf64_segments(data[:0x1000])
    assert load[0] == PT_LOAD and load[4] == 0x1000000
    assert load[5] == len(CODE), "trailing zeros are left to p_memsz"
    assert load[6] == len(CODE) + PAD + 0x1000, "p_memsz is the kernel's"
    assert load[2] % 0x1000 == load[3] % 0x1000, "p_offset = p_vaddr modulo p_align"
    assert data[load[2]:load[2] + load[5]] == CODE
    assert note[0] == PT_NOTE and data[note[2]:note[2] + note[5]] == _note(18)


def test_what_is_no_pvh_kernel_is_refused_in_one_line(tmp_path):
    with pytest.raises(BuildError, match="no PVH entry note"):
        extract_pvh(_bzimage(tmp_path / "a", gzip.compress(_vmlinux(note_kind=17))),
                    tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing half-made is left"
    with pytest.raises(BuildError, match="unpacks xz and gzip kernels only"):
        extract_pvh(_bzimage(tmp_path / "b", b"\x28\xb5\x2f\xfd" + bytes(64)), tmp_path / "o")
    with pytest.raises(BuildError, match="does not unpack"):
        extract_pvh(_bzimage(tmp_path / "c", b"\xfd7zXZ\x00" + bytes(64)), tmp_path / "o")
    with pytest.raises(BuildError, match="before 2.08"):
        extract_pvh(_bzimage(tmp_path / "d", gzip.compress(_vmlinux()), version=0x0207),
                    tmp_path / "o")
    with pytest.raises(BuildError, match="no ELF64"):
        extract_pvh(_bzimage(tmp_path / "e", gzip.compress(b"not an elf" * 10)), tmp_path / "o")
    (tmp_path / "f").write_bytes(_vmlinux())
    with pytest.raises(BuildError, match="not a Linux bzImage"):
        extract_pvh(tmp_path / "f", tmp_path / "o")
