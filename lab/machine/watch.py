"""Texts that end a run when they appear: on the guest console (or one guest's of several),
the VGA screen, or the hypervisor log."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import LabError
from .guests import guest_channel
from .stop import Stop

if TYPE_CHECKING:
    from .base import Machine


@dataclass(frozen=True)
class Watch:
    """A text that ends a run when it appears: on the guest console, or on the VGA screen."""

    text: str
    where: str = "console"  # console, screen or log

    @classmethod
    def parse(cls, word: str) -> Watch:
        """`TEXT` watches the guest console; `screen:TEXT` the VGA text screen; `log:TEXT` the
        hypervisor log; `guestK:TEXT` guest K's console of several. Plain text, not a
        regular expression."""
        where, colon, rest = word.partition(":")
        if colon and (where in ("screen", "log") or guest_channel(where) is not None):
            word = rest
        else:
            where = "console"
        if not word:
            raise LabError("an --expect or --fail text is empty")
        return cls(word, where)

    def describe(self) -> str:
        return f"{self.text!r} on the {self.where}"


class Watcher:
    """Looks for watched texts; the screen is read at most every SCREEN_POLL seconds."""

    SCREEN_POLL = 1.0

    def __init__(self, m: Machine, expect: Sequence[Watch], fail: Sequence[Watch]) -> None:
        self.m, self.expect, self.fail = m, list(expect), list(fail)
        self.seen: Watch | None = None
        self._next_screen = 0.0

    def check(self, force: bool = False) -> Stop | None:
        """EXPECTED or FAILURE_PATTERN when a watched text is there; `force` reads the
        screen now whatever the poll interval (the last look before a run's verdict)."""
        if not (self.expect or self.fail):
            return None
        texts = {"console": self.m.console_text(), "log": self.m.log_text(), "screen": None}
        if any(w.where == "screen" for w in self.expect + self.fail) and self.m.running and \
                (force or time.monotonic() >= self._next_screen):
            self._next_screen = time.monotonic() + self.SCREEN_POLL
            try:
                texts["screen"] = "\n".join(self.m.screen().lines())
            except LabError:
                pass
        for w in self.expect + self.fail:
            if (k := guest_channel(w.where)) is not None and w.where not in texts:
                texts[w.where] = self.m.guest(k).text()
        for stop, watches in ((Stop.FAILURE_PATTERN, self.fail), (Stop.EXPECTED, self.expect)):
            for w in watches:
                text = texts[w.where]
                if text is not None and w.text in text:
                    self.seen = w
                    return stop
        return None
