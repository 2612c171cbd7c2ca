"""The emulated machine's disk: a guest disk image behind a copy-on-write layer.

The hypervisor drives the machine's real primary-master disk and gives the guest a region of
it (CONTRACT.md: `disk=START:COUNT`). The lab puts the guest image at LBA 0 and leaves a tail
of at least 1 MiB past it for the hypervisor's own use. A run never writes into the base
image: QEMU gets a qcow2 overlay backed by it, Bochs a sparse copy. A scenario that needs
persistence across boots passes its own copy, which is then written directly.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError

SECTOR = 512
HV_TAIL = 1 << 20
# Whole cylinders of 16 heads x 63 sectors: Bochs addresses only what its CHS guess covers.
CYLINDER = 16 * 63 * SECTOR


@dataclass(frozen=True)
class Disk:
    path: Path  # what the emulator opens
    fmt: str  # "qcow2" or "raw"
    guest_sectors: int  # the guest's region: real LBA 0 .. guest_sectors - 1
    # several guests: (image, start, count) of each persistent guest disk, copied back into
    # its image when the machine stops (lab.disks.write_back)
    write_back: tuple[tuple[Path, int, int], ...] = ()

    @property
    def cmdline_word(self) -> str:
        return f"disk=0:{self.guest_sectors}"


def _real_size(base_size: int) -> int:
    return -(-(base_size + HV_TAIL) // CYLINDER) * CYLINDER


def image_format(base: Path) -> tuple[str, int]:
    """The image's format (raw or qcow2, as SWEB ships its disk) and its virtual size."""
    with open(base, "rb") as f:
        magic = f.read(4)
    if magic != b"QFI\xfb":
        return "raw", base.stat().st_size
    done = subprocess.run(["qemu-img", "info", "--output=json", str(base)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LabError(f"qemu-img cannot read {base}: "
                       f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return "qcow2", int(json.loads(done.stdout)["virtual-size"])


def check_image(base: Path) -> int:
    """The image's size in bytes (its virtual size for qcow2); LabError if unusable."""
    if not base.exists():
        raise LabError(f"guest disk {base} does not exist")
    if not base.is_file():
        raise LabError(f"guest disk {base} is not a file")
    _, size = image_format(base)
    if size == 0 or size % SECTOR:
        raise LabError(f"guest disk {base} is {size} bytes, not a whole number of 512-byte "
                       "sectors")
    return size


def _persistent_guest_size(image: Path, size: int) -> int:
    """The guest's region of a persistent image, the same on every boot. The first boot
    grows the image by the hypervisor's tail; a note beside it keeps the guest's size, so
    the next boot neither takes the tail for the guest's nor grows the image again."""
    note = image.with_name(image.name + ".lab-guest-bytes")
    try:
        kept = int(note.read_text())
    except (FileNotFoundError, ValueError):
        kept = 0
    if 0 < kept <= size and size == _real_size(kept):
        return kept
    note.write_text(f"{size}\n")
    return size


def prepare_disk(base: Path, workdir: Path, platform: str, persistent: bool = False) -> Disk:
    """The disk a run boots with: an overlay (or copy) of `base`, or `base` itself."""
    base = base.resolve()
    size = check_image(base)
    fmt, _ = image_format(base)
    real = _real_size(size)
    if persistent and fmt != "raw":
        raise LabError(f"a persistent disk must be a raw image; {base} is {fmt} "
                       "(qemu-img convert -O raw)")
    if persistent:
        size = _persistent_guest_size(base, size)
        real = _real_size(size)
        if base.stat().st_size < real:
            with open(base, "r+b") as f:  # room for the hypervisor's tail; the image is ours
                f.truncate(real)
        return Disk(base, "raw", size // SECTOR)
    if platform.startswith("qemu"):
        overlay = workdir / "disk.qcow2"
        done = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base),
                               "-F", fmt, str(overlay), str(real)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise LabError(f"qemu-img could not make an overlay of {base}: {said}")
        return Disk(overlay, "qcow2", size // SECTOR)
    copy = workdir / "disk.img"
    if fmt == "qcow2":  # Bochs reads raw images only
        done = subprocess.run(["qemu-img", "convert", "-O", "raw", str(base), str(copy)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LabError(f"qemu-img could not convert {base} to raw for Bochs")
        with open(copy, "r+b") as dst:
            dst.truncate(real)
        return Disk(copy, "raw", size // SECTOR)
    with open(base, "rb") as src, open(copy, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.truncate(real)
    return Disk(copy, "raw", size // SECTOR)


CHUNK = 1 << 20


def _copy_sparse(src: Path, dst, offset: int) -> None:
    """Copy a raw image into `dst` at byte `offset`, leaving its zero megabytes as holes."""
    with open(src, "rb") as f:
        pos = offset
        while chunk := f.read(CHUNK):
            if chunk.count(0) != len(chunk):
                dst.seek(pos)
                dst.write(chunk)
            pos += len(chunk)


def _raw(image: Path, workdir: Path, cache: dict[Path, Path]) -> Path:
    """`image` as a raw file: itself, or a conversion made once per run (SWEB's qcow2)."""
    fmt, _ = image_format(image)
    if fmt == "raw":
        return image
    if image not in cache:
        out = workdir / f"raw-{len(cache)}.img"
        done = subprocess.run(["qemu-img", "convert", "-O", "raw", str(image), str(out)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LabError(f"qemu-img could not convert {image} to raw")
        cache[image] = out
    return cache[image]


def compose_disk(images: list[tuple[Path | None, bool]],
                 workdir: Path) -> tuple[Disk | None, list[tuple[int, int] | None]]:
    """One machine disk for several guests: each guest's image (None: no disk) in its own
    region, one after another from LBA 0, then the hypervisor's tail. A raw file of this
    run, written sparse; persistent images are copied back after the run (write_back).
    Returns the disk and each guest's (start, count) region in sectors."""
    regions: list[tuple[int, int] | None] = []
    start = 0
    for image, persistent in images:
        if image is None:
            regions.append(None)
            continue
        image = image.resolve()
        if persistent and image_format(image)[0] != "raw":
            raise LabError(f"a persistent disk must be a raw image; {image} is qcow2 "
                           "(qemu-img convert -O raw)")
        count = check_image(image) // SECTOR
        regions.append((start, count))
        start += count
    if start == 0:
        return None, regions
    path = workdir / "disk.img"
    cache: dict[Path, Path] = {}
    back = []
    with open(path, "wb") as dst:
        dst.truncate(_real_size(start * SECTOR))
        for (image, persistent), region in zip(images, regions):
            if region is None:
                continue
            _copy_sparse(_raw(image.resolve(), workdir, cache), dst, region[0] * SECTOR)
            if persistent:
                back.append((image.resolve(), region[0], region[1]))
    for tmp in cache.values():
        tmp.unlink()
    return Disk(path, "raw", start, write_back=tuple(back)), regions


def write_back(disk: Disk | None) -> None:
    """Copy each persistent guest's region of a composed disk back into its own image."""
    if disk is None:
        return
    for image, start, count in disk.write_back:
        with open(disk.path, "rb") as src, open(image, "r+b") as dst:
            src.seek(start * SECTOR)
            left = count * SECTOR
            while left > 0:
                chunk = src.read(min(CHUNK, left))
                if not chunk:
                    break
                dst.write(chunk)
                left -= len(chunk)
