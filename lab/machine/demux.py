"""The guest console of several guests, split into one stream per guest (CONTRACT.md 10).

With two guests or more, COM1 carries every guest's bytes: `ESC g D` (0x1B, 'g', the ASCII
digit of the guest's number) before a guest's bytes whenever the guest changes, and before
the first byte of the run; a guest's own 0x1B is sent as `ESC ESC`. A tag or an escape may be
split across two reads of the socket, so the splitter keeps its state between reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ESC = 0x1B
TAG = ord("g")


@dataclass
class Demux:
    """Feed it COM1's bytes as they come; it says whose they are."""

    guests: int  # how many guests the run has: a tag for another number is an error
    current: int | None = None  # whose bytes come now; None before the first tag
    untagged: int = 0  # bytes before any tag: a hypervisor that does not multiplex
    errors: list[str] = field(default_factory=list)  # what broke the wire format, in order
    _held: bytes = b""  # the start of a tag or escape that the next read completes

    def feed(self, data: bytes) -> list[tuple[int | None, bytes]]:
        """The bytes of `data`, in order, as (guest, bytes) runs; guest None for bytes that
        came before any tag (kept, so that nothing the hypervisor sent is lost)."""
        data = self._held + data
        self._held = b""
        out: list[tuple[int | None, bytes]] = []
        run = bytearray()

        def flush() -> None:
            if run:
                out.append((self.current, bytes(run)))
                if self.current is None:
                    self.untagged += len(run)
                run.clear()

        i = 0
        while i < len(data):
            byte = data[i]
            if byte != ESC:
                run.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):  # ESC at the end of this read: the rest comes next
                self._held = data[i:]
                break
            nxt = data[i + 1]
            if nxt == ESC:  # a guest's own 0x1B
                run.append(ESC)
                i += 2
                continue
            if nxt == TAG:
                if i + 2 >= len(data):
                    self._held = data[i:]
                    break
                digit = data[i + 2]
                if ord("0") <= digit <= ord("9") and digit - ord("0") < self.guests:
                    flush()
                    self.current = digit - ord("0")
                else:
                    self.errors.append(f"a tag for guest {chr(digit)!r} of {self.guests}")
                i += 3
                continue
            # ESC then anything else: not the wire format; the bytes are kept as they came
            self.errors.append(f"ESC followed by {nxt:#04x}, neither 'g' nor ESC")
            run.append(ESC)
            i += 1
        flush()
        return out
