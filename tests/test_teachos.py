"""Reading TeachOS's figures off its console: boot TSC, bigfile rates, CRC."""

from lab.screen import Screen
from lab.teachos import (
    bigfile_crc,
    bigfile_rates,
    bigfile_tsc,
    boot_tsc,
    screen_tail_matches_console,
)


def test_boot_tsc_is_read_as_one_64_bit_number():
    assert boot_tsc("x\nboot: tsc 0x00000001054c96ff\nTeachOS shell ready\n") == 0x1054C96FF
    assert boot_tsc("TeachOS shell ready\n") is None


def test_bigfile_rates_are_kib_per_second_from_ticks_and_hz():
    out = "bigfile: wrote 4194304 bytes in 40 ticks, read them back in 20 ticks (100 Hz)\n"
    assert bigfile_rates(out) == (4096 * 100 / 40, 4096 * 100 / 20)
    assert bigfile_rates("bigfile: disk full?\n") is None


def test_bigfile_crc_is_what_teachos_itself_printed():
    # Not recomputed with the same formula (that would pass with both wrong): the values the
    # guest's own bigfile printed, booted directly on QEMU TCG.
    assert bigfile_crc(1 << 20) == "0354c631"
    assert bigfile_crc(4 << 20) == "78d22ad1"  # "checksum big.bin 4194304 78d22ad1"


def test_screen_tail_must_equal_the_console_tail_exactly():
    raw = bytearray(b" \x02" * 2000)
    for i, ch in enumerate(b"lab$ ls"):
        raw[(3 * 80 + i) * 2] = ch
    screen = Screen.from_bytes(bytes(raw))
    assert screen_tail_matches_console(screen, "boot\r\nlab$ ls\r\n", rows=1) == []
    assert screen_tail_matches_console(screen, "lab$ cat\n", rows=1) != []


def test_a_blank_or_short_screen_never_matches_the_console():
    blank = Screen.from_bytes(b" \x07" * 2000)
    assert screen_tail_matches_console(blank, "TeachOS booting\nlab$ ") == [
        "the screen shows 0 non-empty rows, the console's last 2 lines are "
        "['TeachOS booting', 'lab$ ']"]
    raw = bytearray(b" \x02" * 2000)
    for i, ch in enumerate(b"lab$"):
        raw[(24 * 80 + i) * 2] = ch
    short = Screen.from_bytes(bytes(raw))  # only the prompt, not the line above it
    assert screen_tail_matches_console(short, "TeachOS booting\nlab$ ", rows=2) != []


def test_bigfile_tsc_reads_both_64_bit_cycle_counts():
    out = ("bigfile: wrote 4194304 bytes in 40 ticks, read them back in 20 ticks (100 Hz)\n"
           "bigfile: tsc write 0x0000000100000000 read 0x00000000000f4240\n")
    assert bigfile_tsc(out) == (1 << 32, 1000000)
    assert bigfile_tsc("bigfile: tsc write 0x1 read 0x2\n") is None
