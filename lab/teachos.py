"""Driving the teaching OS's shell (images/os) over the serial console and the keyboard."""
from __future__ import annotations

import re
import zlib

READY = r"TeachOS shell ready\r?\n"
BOOT_TSC = re.compile(r"boot: tsc 0x([0-9a-f]{16})")
BIGFILE_TSC = re.compile(r"bigfile: tsc write 0x([0-9a-f]{16}) read 0x([0-9a-f]{16})")
BIGFILE = re.compile(r"bigfile: wrote (\d+) bytes in (\d+) ticks, read them back in (\d+) ticks "
                     r"\((\d+) Hz\)")
PROMPT = r"lab\$ "


class Shell:
    def __init__(self, machine, deadline: float = 60, guest: int | None = None) -> None:
        """`guest`: one guest of several (CONTRACT.md 10): its console stream, and the focus
        moved to it before each command."""
        self.m = machine
        self.deadline = deadline
        self.guest = guest
        self.channel = "console" if guest is None else f"guest{guest}"

    def _text(self) -> str:
        return self.m.console_text() if self.guest is None else self.m.guest(self.guest).text()

    def wait_ready(self) -> None:
        self.m.wait_for(READY, self.deadline, failure=r"(?i)panic", channel=self.channel)
        self.m.wait_for(PROMPT, self.deadline, channel=self.channel)

    def _echoed(self, part: str) -> None:
        """The shell echoes what it reads: wait for a typed part to show on the console."""
        visible = part.rstrip("\n")
        if visible:
            self.m.wait_for(re.escape(visible), self.deadline, channel=self.channel)

    def run(self, command: str, deadline: float | None = None, keyboard: bool = False) -> str:
        """Type a command (serial, or the PS/2 keyboard); return its output up to the prompt."""
        if self.guest is not None and self.m.focused != self.guest:
            self.m.focus(self.guest)
        start = len(self._text())
        if keyboard:
            self.m.type_text(command + "\n", echo=self._echoed)
        else:
            self.m.send(command + "\r")
        self.m.wait_for(PROMPT, deadline or self.deadline, failure=r"(?i)panic",
                        channel=self.channel)
        text = self._text()[start:].replace("\r\n", "\n")
        lines = text.split("\n")
        # The first line is the echoed command; the last is the next prompt.
        return "\n".join(lines[1:-1])


def bigfile_crc(size: int) -> str:
    """The CRC-32 the bigfile program prints for its pattern (images/os/user/bigfile.c)."""
    data = bytes((i ^ (i >> 8) ^ (i >> 16)) & 0xFF for i in range(size))
    return f"{zlib.crc32(data):08x}"


def screen_tail_matches_console(screen, console: str, rows: int = 6) -> list[str]:
    """The screen's last non-empty rows must be the console's last lines, exactly."""
    shown = [line for line in screen.lines() if line.strip()][-rows:]
    lines = [ln for ln in re.split(r"\r?\n", console) if ln.strip()]
    expected = lines[-rows:]
    if len(shown) != len(expected):  # a blank or short screen is a mismatch, not a pass
        return [f"the screen shows {len(shown)} non-empty rows, the console's last "
                f"{len(expected)} lines are {expected!r}"]
    return [f"row {i}: screen {a!r} != console {b!r}"
            for i, (a, b) in enumerate(zip(shown, expected)) if a.rstrip() != b.rstrip()]


def boot_tsc(console: str) -> int | None:
    """The TSC at the shell prompt: the machine's time from power-on (instructions on Bochs)."""
    m = BOOT_TSC.search(console)
    return int(m.group(1), 16) if m else None


def bigfile_rates(output: str) -> tuple[float, float] | None:
    """Write and read throughput in KiB/s as the guest measured them with its timer."""
    m = BIGFILE.search(output)
    if not m:
        return None
    size, wticks, rticks, hz = (int(g) for g in m.groups())
    kib = size / 1024
    return kib * hz / max(wticks, 1), kib * hz / max(rticks, 1)


def bigfile_tsc(output: str) -> tuple[int, int] | None:
    """TSC cycles the write and the read-back took (instructions on Bochs): exact ratios."""
    m = BIGFILE_TSC.search(output)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None
