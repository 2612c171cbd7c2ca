"""Guest disks behind a copy-on-write layer: a run never writes the base image."""
import hashlib
import subprocess

import pytest

from lab.disks import CYLINDER, HV_TAIL, SECTOR, prepare_disk
from lab.errors import LabError


def image(tmp_path, size=2 << 20, name="base.img"):
    p = tmp_path / name
    p.write_bytes(bytes(range(256)) * (size // 256))
    return p


def digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_qemu_overlay_takes_writes_and_leaves_the_base_as_it_was(tmp_path):
    base = image(tmp_path)
    before = digest(base)
    disk = prepare_disk(base, tmp_path, "qemu-tcg")
    assert disk.fmt == "qcow2" and disk.guest_sectors == (2 << 20) // SECTOR
    # Write through the overlay as QEMU would, then read the base again.
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 4096", str(disk.path)],
                   check=True, capture_output=True)
    assert digest(base) == before
    info = subprocess.run(["qemu-img", "info", str(disk.path)], capture_output=True,
                          text=True, check=True).stdout
    assert f"backing file: {base.resolve()}" in info


def test_overlay_is_whole_cylinders_with_room_for_the_hypervisor(tmp_path):
    base = image(tmp_path, size=3 << 20)
    disk = prepare_disk(base, tmp_path, "bochs")
    size = disk.path.stat().st_size
    assert size % CYLINDER == 0 and size >= (3 << 20) + HV_TAIL
    assert disk.path.read_bytes()[: 3 << 20] == base.read_bytes()
    assert disk.cmdline_word == f"disk=0:{(3 << 20) // SECTOR}"


def test_persistent_disk_is_the_image_itself_grown_for_the_tail(tmp_path):
    base = image(tmp_path)
    disk = prepare_disk(base, tmp_path, "qemu-tcg", persistent=True)
    assert disk.path == base.resolve() and disk.fmt == "raw"
    assert base.stat().st_size % CYLINDER == 0
    assert disk.guest_sectors == (2 << 20) // SECTOR


def test_persistent_disk_is_the_same_on_the_second_boot(tmp_path):
    """The first boot grows the image by the hypervisor's tail; the second must not take
    that tail for the guest's (it did: 4096 sectors, then 7056) nor grow it again."""
    base = image(tmp_path)
    first = prepare_disk(base, tmp_path, "bochs", persistent=True)
    grown = base.stat().st_size
    second = prepare_disk(base, tmp_path, "qemu-tcg", persistent=True)
    assert second == first and first.guest_sectors == (2 << 20) // SECTOR
    assert base.stat().st_size == grown


def test_persistent_image_replaced_by_a_bigger_one_is_taken_whole(tmp_path):
    base = image(tmp_path)
    prepare_disk(base, tmp_path, "qemu-tcg", persistent=True)
    base.write_bytes(bytes(5 << 20))  # the user put a new 5 MiB image in its place
    assert prepare_disk(base, tmp_path, "qemu-tcg", persistent=True).guest_sectors == \
        (5 << 20) // SECTOR


@pytest.mark.parametrize("size", [0, 1000])
def test_image_that_is_not_whole_sectors_is_refused_in_one_line(tmp_path, size):
    p = tmp_path / "odd.img"
    p.write_bytes(b"x" * size)
    with pytest.raises(LabError, match="not a whole number of 512-byte sectors"):
        prepare_disk(p, tmp_path, "bochs")


def test_missing_image_is_refused(tmp_path):
    with pytest.raises(LabError, match="does not exist"):
        prepare_disk(tmp_path / "none.img", tmp_path, "bochs")


def test_qcow2_image_as_sweb_ships_it_works_on_both_emulators(tmp_path):
    base = tmp_path / "sweb.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "4M"], check=True)
    before = digest(base)
    q = prepare_disk(base, tmp_path, "qemu-tcg")
    assert q.fmt == "qcow2" and q.guest_sectors == (4 << 20) // SECTOR
    b = prepare_disk(base, tmp_path, "bochs")
    assert b.fmt == "raw" and b.path.stat().st_size % CYLINDER == 0
    assert digest(base) == before
    with pytest.raises(LabError, match="must be a raw image"):
        prepare_disk(base, tmp_path, "bochs", persistent=True)
