"""The 80x25 VGA text screen, read exactly from its memory at 0xB8000 (2 bytes a cell)."""
from __future__ import annotations

from dataclasses import dataclass

COLS, ROWS = 80, 25
VGA_TEXT_BASE = 0xB8000
VGA_TEXT_BYTES = COLS * ROWS * 2


@dataclass(frozen=True)
class Screen:
    chars: tuple[str, ...]  # ROWS strings of COLS characters (code page 437 decoded)
    attrs: tuple[tuple[int, ...], ...]  # ROWS tuples of COLS attribute bytes

    @classmethod
    def from_bytes(cls, raw: bytes) -> Screen:
        if len(raw) < VGA_TEXT_BYTES:
            raise ValueError(f"a text screen is {VGA_TEXT_BYTES} bytes, got {len(raw)}")
        chars, attrs = [], []
        for r in range(ROWS):
            row = raw[r * COLS * 2:(r + 1) * COLS * 2]
            chars.append(bytes(row[0::2]).decode("cp437"))
            attrs.append(tuple(row[1::2]))
        return cls(tuple(chars), tuple(attrs))

    def line(self, row: int) -> str:
        return self.chars[row].rstrip(" \x00")

    def lines(self) -> list[str]:
        return [self.line(r) for r in range(ROWS)]

    def text(self) -> str:
        """The screen as text, trailing blanks and trailing empty lines dropped."""
        lines = self.lines()
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def cell(self, row: int, col: int) -> tuple[str, int]:
        return self.chars[row][col], self.attrs[row][col]

    def span(self, row: int, col: int, length: int) -> tuple[str, set[int]]:
        """The text of `length` cells from (row, col) and the set of their attributes."""
        return (self.chars[row][col:col + length], set(self.attrs[row][col:col + length]))

    def find(self, text: str) -> tuple[int, int] | None:
        for r, row in enumerate(self.chars):
            c = row.find(text)
            if c >= 0:
                return r, c
        return None

    def dump(self) -> str:
        """Text with a frame, for logs and failure bundles."""
        bar = "+" + "-" * COLS + "+"
        return "\n".join([bar, *(f"|{row}|" for row in self.chars), bar]).replace("\x00", " ")
