"""The 80x25 VGA text screen decoded from its memory."""
import pytest

from lab.screen import COLS, ROWS, VGA_TEXT_BYTES, Screen


def vga(cells: dict[tuple[int, int], tuple[bytes, int]]) -> bytes:
    """A blank screen (spaces, attribute 0x07) with `cells` (row, col) -> (text, attr) written."""
    raw = bytearray(b" \x07" * (COLS * ROWS))
    for (row, col), (text, attr) in cells.items():
        for i, ch in enumerate(text):
            at = 2 * (row * COLS + col + i)
            raw[at:at + 2] = bytes([ch, attr])
    return bytes(raw)


def test_from_bytes_reads_chars_and_attrs_at_cells():
    s = Screen.from_bytes(vga({(0, 0): (b"A", 0x1F), (24, 79): (b"Z", 0x4E)}))
    assert s.cell(0, 0) == ("A", 0x1F)
    assert s.cell(24, 79) == ("Z", 0x4E)
    assert s.cell(12, 40) == (" ", 0x07)


def test_line_strips_trailing_blanks():
    s = Screen.from_bytes(vga({(3, 2): (b"hi there", 0x07)}))
    assert s.line(3) == "  hi there"


def test_line_strips_trailing_nul_cells():
    raw = bytearray(vga({(0, 0): (b"ok", 0x07)}))
    raw[4:2 * COLS] = bytes(2 * COLS - 4)
    assert Screen.from_bytes(bytes(raw)).line(0) == "ok"


def test_text_drops_trailing_empty_lines():
    s = Screen.from_bytes(vga({(0, 0): (b"top", 0x07), (2, 0): (b"third", 0x07)}))
    assert s.text() == "top\n\nthird"


def test_find_returns_row_and_column():
    s = Screen.from_bytes(vga({(7, 11): (b"PASS", 0x2F)}))
    assert s.find("PASS") == (7, 11)
    assert s.find("FAIL") is None


def test_span_returns_text_and_attribute_set():
    s = Screen.from_bytes(vga({(5, 10): (b"ab", 0x1F), (5, 12): (b"c", 0x4E)}))
    assert s.span(5, 10, 3) == ("abc", {0x1F, 0x4E})


def test_cp437_full_block():
    assert Screen.from_bytes(vga({(1, 1): (b"\xdb", 0x07)})).cell(1, 1)[0] == "\u2588"


def test_short_buffer_is_refused():
    with pytest.raises(ValueError, match=f"{VGA_TEXT_BYTES} bytes"):
        Screen.from_bytes(bytes(VGA_TEXT_BYTES - 1))
