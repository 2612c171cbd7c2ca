"""Several guests in one run (lab/guestlist.py): --guest-spec, a profile's guests: list, the
one-line errors before anything boots, and the modules, words and disk they become."""
import pytest

from kernels import HANG, assemble
from lab.config import RunConfig, load_profile
from lab.disks import SECTOR, compose_disk, write_back
from lab.errors import ConfigError
from lab.guestlist import GuestSpec, cmdline_words, parse_spec


def error(cfg: RunConfig) -> str:
    with pytest.raises(ConfigError) as err:
        cfg.validate()
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.fixture
def kernel(tmp_path):
    return assemble(HANG, tmp_path / "guest.elf")


def test_a_guest_spec_reads_its_keys_with_paths_relative_to_here(tmp_path):
    g = parse_spec("kernel=k.elf,args=mode=busy x=1,mem=16,disk=d.img,persistent", tmp_path)
    assert g == GuestSpec(kernel=tmp_path / "k.elf", args="mode=busy x=1", mem=16,
                          disk=tmp_path / "d.img", persistent=True)
    assert parse_spec("sweb=/s", tmp_path).memory == 8  # SWEB's own default
    assert parse_spec("guest=hello", tmp_path).memory == 32  # the contract's default


@pytest.mark.parametrize("text, message", [
    ("kernel=a,kernel=b", "'kernel' given twice"),
    ("kernel", "'kernel' is not KEY=VALUE"),
    ("kernel=a,colour=red", "unknown key 'colour'"),
    ("kernel=a,mem=lots", "'mem' must be a whole number of MiB, got 'lots'"),
])
def test_a_malformed_guest_spec_is_one_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(text, tmp_path)


def test_a_profile_lists_guests_in_order(tmp_path, kernel):
    (tmp_path / "p.yaml").write_text(
        "memory: 256\nguests:\n  - kernel: guest.elf\n    mem: 16\n  - guest: hello\n")
    cfg = load_profile(tmp_path / "p.yaml").validate()
    assert cfg.guests == [GuestSpec(kernel=kernel, mem=16), GuestSpec(guest="hello")]


def test_a_missing_kernel_is_named_with_its_guest(tmp_path, kernel):
    cfg = RunConfig(guests=[GuestSpec(kernel=kernel), GuestSpec(kernel=tmp_path / "no.elf")])
    assert error(cfg) == f"guest 1: kernel {tmp_path / 'no.elf'} does not exist"


def test_a_guest_needs_exactly_one_kernel(kernel):
    assert error(RunConfig(guests=[GuestSpec(args="x")])) == \
        "guest 0: give one of kernel, guest or sweb"
    assert error(RunConfig(guests=[GuestSpec(kernel=kernel, guest="hello")])) == \
        "guest 0: give one of kernel, guest or sweb, not kernel and guest"


def test_two_guests_cannot_write_one_persistent_disk(tmp_path, kernel):
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(SECTOR))
    cfg = RunConfig(guests=[GuestSpec(kernel=kernel, disk=disk, persistent=True),
                            GuestSpec(guest="hello"),
                            GuestSpec(kernel=kernel, disk=tmp_path / "." / "d.img",
                                      persistent=True)])
    assert error(cfg) == (f"guests 0 and 2 both write the persistent disk "
                          f"{tmp_path / 'd.img'}: give each its own copy")


def test_more_guest_memory_than_the_machine_has_says_what_it_has(kernel):
    cfg = RunConfig(memory=128, guests=[GuestSpec(kernel=kernel, mem=64),
                                        GuestSpec(kernel=kernel)])
    cfg.validate()  # 96 of 128 MiB: room for the hypervisor
    cfg.guests.append(GuestSpec(kernel=kernel, mem=40))
    assert error(cfg).startswith("the guests need 136 MiB of RAM (64+32+40), and the "
                                 "machine has 128 MiB")


def test_a_list_of_guests_and_the_one_guest_options_are_not_mixed(kernel):
    cfg = RunConfig(guest="hello", guests=[GuestSpec(kernel=kernel)])
    assert error(cfg).startswith("give a list of guests or the one-guest guest, not both")


def test_the_words_name_guest_0_plainly_and_the_others_by_number():
    assert cmdline_words([8, 16, 8], [(0, 100), None, (100, 50)]) == {
        "guest_mem": "8", "disk": "0:100", "guest_mem.1": "16", "guest_mem.2": "8",
        "disk.2": "100:50"}


def test_each_guests_disk_gets_its_own_region_one_after_another(tmp_path):
    a, b = tmp_path / "a.img", tmp_path / "b.img"
    a.write_bytes(b"A" * SECTOR * 3)
    b.write_bytes(b"B" * SECTOR * 2)
    disk, regions = compose_disk([(a, False), (None, False), (b, True)], tmp_path)
    assert regions == [(0, 3), None, (3, 2)]
    data = disk.path.read_bytes()
    assert data[:5 * SECTOR] == b"A" * SECTOR * 3 + b"B" * SECTOR * 2
    assert len(data) >= 5 * SECTOR + (1 << 20)  # the hypervisor's tail after the last
    with open(disk.path, "r+b") as f:  # the guest writes its region; the run ends
        f.seek(3 * SECTOR)
        f.write(b"W" * SECTOR)
    write_back(disk)
    assert b.read_bytes() == b"W" * SECTOR + b"B" * SECTOR  # the persistent one, written back
    assert a.read_bytes() == b"A" * SECTOR * 3  # the other image is never written
