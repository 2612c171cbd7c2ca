"""Several guests under one hypervisor (CONTRACT.md 10): one console stream per guest, their
ends, and the focus.

COM1's raw bytes (console.log, tags and all) are split by lab.machine.demux into one stream
per guest, each with its own log (console-gK.log) and its own pexpect stream, so that a wait
on guest K reads guest K's bytes alone. The hypervisor log's markers say when a guest was
created or ended and where the focus is. With one guest none of this exists: the console is
the guest's, byte for byte.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from ..contract import parse_focus, parse_guest, parse_guest_end, parse_marker
from ..errors import LabError, StepTimeout
from .channel import Reader, deadline_left
from .demux import Demux

NOT_MULTIPLEXED = ("the guest console's first bytes came without a guest tag (ESC g D): the "
                   "hypervisor does not multiplex several guests' consoles (CONTRACT.md 10)")


class GuestConsole(Reader):
    """One guest's share of the guest console."""

    def __init__(self, gid: int, log_path: Path) -> None:
        super().__init__()
        self.id = gid
        self.log_path = log_path
        self.ended_line: str | None = None  # its `@lab guest-end` line, once it ended
        self.tee = None  # its bytes as they come (lab console --guest K)
        self._log = open(log_path, "ab", buffering=0)  # noqa: SIM115 (closed by end())
        self.connected.set()

    def feed(self, data: bytes) -> None:
        self._log.write(data)
        if self.tee is not None:
            self.tee(data)
        self._spawn.feed(data)

    def end(self) -> None:
        self._spawn.end()
        self._log.close()

    def text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""


class Guests:
    """The guests of one run: fed COM1's bytes and the log's lines by the machine."""

    def __init__(self, count: int, workdir: Path) -> None:
        self.demux = Demux(count)
        self.consoles = [GuestConsole(k, workdir / f"console-g{k}.log") for k in range(count)]
        self.created: set[int] = set()
        self.focused = 0  # guest 0 has the focus at the start
        self.focus_moves = 0
        self._changed = threading.Condition()
        self._ended = False

    def feed(self, data: bytes) -> None:
        """COM1's bytes, in order (the channel's pump); b"" at its end."""
        if not data:
            if not self._ended:
                self._ended = True
                for c in self.consoles:
                    c.end()
            return
        for gid, run in self.demux.feed(data):
            if gid is not None:
                self.consoles[gid].feed(run)

    @property
    def multiplexed(self) -> bool:
        """False once bytes came before any tag: a hypervisor that runs one guest only."""
        return self.demux.untagged == 0

    def on_log_line(self, line: str) -> None:
        mk = parse_marker(line)
        if mk is None:
            return
        with self._changed:
            if (g := parse_guest(mk)) is not None:
                self.created.add(g.id)
            elif (end := parse_guest_end(mk)) is not None and end[0] < len(self.consoles):
                self.consoles[end[0]].ended_line = line
            elif (k := parse_focus(mk)) is not None:
                self.focused, self.focus_moves = k, self.focus_moves + 1
            self._changed.notify_all()

    def wait_focus(self, k: int, after: int, timeout: float, stopped) -> None:
        """Until a focus move past the `after`-th one puts the focus on guest K."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (self.focus_moves > after and self.focused == k):
                if (why := stopped()) is not None:
                    raise LabError(f"log: {why} before '@lab focus guest={k}' appeared")
                if deadline_left(deadline) <= 0:
                    raise StepTimeout(f"log: '@lab focus guest={k}' did not appear within "
                                      f"{timeout:.0f} s of the lab sending '{k}' on COM2")
                self._changed.wait(min(0.25, deadline_left(deadline)))


GUEST_CHANNEL = re.compile(r"^guest(\d)$")


def guest_channel(name: str) -> int | None:
    """'guest2' -> 2: a wait's channel name for one guest's console; None for another."""
    m = GUEST_CHANNEL.match(name)
    return int(m.group(1)) if m else None
