"""Milestone 4 (10 of its 35 points): what SWEB cannot show, shown with the teaching OS.

SWEB (test_m4_sweb.py, 25 points) boots to its shell and reads its disk, but its stock
programs never write a file and it has no large file to checksum. The teaching OS (images/os)
does both: a file written in the guest survives a power-off, a 4 MiB file reads back with the
host's CRC, and the CPU gives what SWEB needs; a test guest reads a patterned disk by LBA
and CHS and finds nothing past its window. Its boot, serial and keyboard checks run too,
with no points (SWEB carries those), so a regression in the UART model still shows.
The same checks on the OS booted directly (no hypervisor) are the baseline.
"""
import re
import shutil

import pytest

from guests import GUEST_TARGETS, assert_clean_pass, run_guest
from lab.grading import scenario
from lab.targets import target_id
from lab.teachos import Shell, bigfile_crc, screen_tail_matches_console

BOOT = 90
BIGFILE = 300
DIRECT = [("qemu-tcg", "direct"), ("bochs", "direct")]


def boot_os(boot, lab_outputs, target, disk=None, persistent=False, args=""):
    platform, backend = target
    settings = dict(guest_kernel=lab_outputs.os_kernel, guest_args=args,
                    guest_disk=disk or lab_outputs.os_disk, persistent_disk=persistent)
    if backend == "direct":
        m = boot(platform, "svm" if platform == "qemu-tcg" else "vmx", direct=True, **settings)
    else:
        m = boot(platform, backend, **settings)
    shell = Shell(m, BOOT)
    shell.wait_ready()
    return m, shell


def check_boot_to_shell(boot, lab_outputs, target, tmp_path):
    m, shell = boot_os(boot, lab_outputs, target)
    assert "TeachOS booting" in m.console_text()
    problems = screen_tail_matches_console(m.screen(), m.console_text())
    assert problems == [], "\n".join(problems)


def check_serial_commands(boot, lab_outputs, target, tmp_path):
    m, shell = boot_os(boot, lab_outputs, target)
    assert "cat FILE" in shell.run("help")
    assert "README.txt" in shell.run("ls")
    assert shell.run("echo lab was here > note.txt") == ""
    assert shell.run("cat note.txt") == "lab was here"
    assert "note.txt" in shell.run("ls")
    shell.run("rm note.txt")
    assert "note.txt" not in shell.run("ls")
    assert "no such file" in shell.run("cat note.txt")


def check_keyboard_commands(boot, lab_outputs, target, tmp_path):
    m, shell = boot_os(boot, lab_outputs, target)
    assert shell.run("echo typed on the keyboard", keyboard=True) == "typed on the keyboard"


def check_file_survives_power_off(boot, lab_outputs, target, tmp_path):
    """Booted with `ata=single`: one IRQ per sector, SWEB's disk path (bigfile takes the other)."""
    disk = tmp_path / "own-copy.img"  # persistence writes the image: never the base one
    shutil.copyfile(lab_outputs.os_disk, disk)
    m, shell = boot_os(boot, lab_outputs, target, disk, persistent=True, args="ata=single")
    text = m.console_text()  # single sectors because ata=single asked, not as a fallback
    assert re.search(r"KiB, one sector per IRQ\r?$", text, re.M), text[-800:]
    assert "SET MULTIPLE MODE" not in text and "MULTIPLE aborted" not in text
    counts = target[0].startswith("qemu")  # Bochs keeps no count of its disk's flushes
    flushes = m.disk_flushes() if counts else 0
    shell.run("echo kept across boots > keep.txt")
    if counts:  # the emulator writes its file at once: only a count shows the flush
        assert m.disk_flushes() > flushes, "the guest's FLUSH CACHE never reached the disk"
    m.power_off()  # QMP quit / kill: no shutdown command
    m2, shell2 = boot_os(boot, lab_outputs, target, disk, persistent=True, args="ata=single")
    assert shell2.run("cat keep.txt") == "kept across boots"


def check_bigfile_checksum(boot, lab_outputs, target, tmp_path):
    m, shell = boot_os(boot, lab_outputs, target)
    out = shell.run("bigfile 4 big.bin", deadline=BIGFILE)
    assert f"checksum big.bin {4 << 20} {bigfile_crc(4 << 20)}" in out, out


@pytest.mark.m4
@pytest.mark.parametrize("target", DIRECT, ids=target_id)
@pytest.mark.parametrize("check", [check_boot_to_shell, check_serial_commands,
                                   check_keyboard_commands, check_file_survives_power_off,
                                   check_bigfile_checksum],
                         ids=lambda f: f.__name__.removeprefix("check_"))
def test_baseline_os_booted_directly_passes_the_shell_checks(boot, lab_outputs, target, check,
                                                             tmp_path):
    check(boot, lab_outputs, target, tmp_path)


@scenario("m4", 0)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_os_boots_to_its_shell_on_serial_and_on_the_screen(boot, lab_outputs, target, tmp_path):
    check_boot_to_shell(boot, lab_outputs, target, tmp_path)


@scenario("m4", 0)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_shell_commands_typed_over_serial_work(boot, lab_outputs, target, tmp_path):
    check_serial_commands(boot, lab_outputs, target, tmp_path)


@scenario("m4", 0)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_shell_commands_typed_on_the_keyboard_work(boot, lab_outputs, target, tmp_path):
    check_keyboard_commands(boot, lab_outputs, target, tmp_path)


@scenario("m4", 4)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_file_written_in_the_guest_survives_power_off(boot, lab_outputs, target, tmp_path):
    check_file_survives_power_off(boot, lab_outputs, target, tmp_path)


@scenario("m4", 4)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_large_file_checksum_matches_the_host(boot, lab_outputs, target, tmp_path):
    check_bigfile_checksum(boot, lab_outputs, target, tmp_path)


@scenario("m4", 1)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_guest_gets_the_cpu_sweb_needs_long_mode_nx_smep_sse_x87(boot, target):
    """SWEB's own entry path: long mode with EFER.NXE, CR0.WP, 2 MiB pages, SMEP, SSE, x87."""
    assert_clean_pass(*run_guest(boot, target, "longmode", BOOT)[1:])


# Not a multiple of a cylinder (16 heads x 63 sectors): the last sectors are reachable by
# LBA only, and the window's end is not where the geometry's is.
WINDOW_SECTORS = 2 * 16 * 63 + 5


def pattern_disk(path, sectors: int):
    """Sector n: the 32-bit number n, then bytes (n * 7 + i) mod 256, as the disk guest checks."""
    with open(path, "wb") as f:
        for n in range(sectors):
            f.write(n.to_bytes(4, "little") + bytes((n * 7 + i) & 0xFF for i in range(4, 512)))
    return path


@scenario("m4", 1)
@pytest.mark.parametrize("target", GUEST_TARGETS, ids=target_id)
def test_guest_disk_answers_lba_and_chs_and_nothing_past_its_window(boot, target, tmp_path):
    disk = pattern_disk(tmp_path / "pattern.img", WINDOW_SECTORS)
    m, r, rep = run_guest(boot, target, "disk", BOOT, guest_disk=disk,
                          guest_args=f"sectors={WINDOW_SECTORS}")
    assert_clean_pass(r, rep)
