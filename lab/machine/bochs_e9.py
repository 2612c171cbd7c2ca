"""Port 0xE9 on Bochs: its `port_e9_hack` prints the guest's bytes on stdout, where the
debugger also talks. While the simulation runs the debugger says nothing, so bytes read then
are the guest's, with three exceptions (measured, Bochs 2.7, stdin a pipe):
- readline echoes the `c` that started the run (`c\\n`) before the first guest byte;
- a debugger stop starts with `Next at t=`, or `(0) Caught` for a watchpoint;
- when the simulation ends (shutdown port, panic, triple fault) the debugger prints the
  current instruction, `(0).[ticks] [0xaddress] ...`.
"""
from __future__ import annotations

import os
import re
import socket
import threading

STOP_MARK = b"Next at t="
# where the debugger takes stdout back: a stop, or the instruction printed as Bochs exits
_MARK = re.compile(rb"Next at t=|\(0\) Caught |\(0\)\.\[\d+\] \[0x")


def _prefixes(tokens: list[str]) -> str:
    """A pattern for any non-empty prefix of the tokens' sequence."""
    head, rest = tokens[0], tokens[1:]
    return head + (f"(?:{_prefixes(rest)})?" if rest else "")


# what a debugger mark looks like before all of it has arrived
_PARTIAL = re.compile("|".join((
    _prefixes(list("Next at t=")),
    _prefixes([r"\(", "0", r"\)", r"\.", r"\[", r"\d+", r"\]", " ", r"\[", "0", "x"]),
    _prefixes([r"\(", "0", r"\)", " ", *"Caught "]),
)).encode())
_LONGEST_PARTIAL = 40  # "(0).[" + 20 digits of ticks + "] [0"


def _held_back(data: bytes) -> int:
    """How many trailing bytes could be the start of a debugger mark (kept until more
    arrive, so a mark split across two reads is still found)."""
    for n in range(min(len(data), _LONGEST_PARTIAL), 0, -1):
        if _PARTIAL.fullmatch(data[-n:]):
            return n
    return 0


class E9Demux:
    """Reads Bochs' stdout; the guest's bytes go to a console socket, the rest to a pipe
    that the debugger's pexpect reads (`fd`). `running(echo)` is called before each `c`."""

    def __init__(self, stdout_fd: int, console_port: int) -> None:
        self.fd, self._wfd = os.pipe()
        self._src = stdout_fd
        self._console = socket.create_connection(("127.0.0.1", console_port))
        self._running = threading.Event()
        self._echo = b""
        self.echoed = threading.Event()  # the last `c` was read by the debugger
        self._thread = threading.Thread(target=self._pump, name="bochs-e9", daemon=True)
        self._thread.start()

    def running(self, echo: bytes = b"") -> None:
        """The simulation is about to run; `echo` is the command readline will echo first."""
        self._echo = echo
        self.echoed.clear()
        if not echo:
            self.echoed.set()
        self._running.set()

    def _drop_echo(self, pending: bytes) -> tuple[bytes, bool]:
        """(pending without the command's echo, whether to wait for more bytes)."""
        if not self._echo:
            return pending, False
        if pending.startswith(self._echo):
            pending = pending[len(self._echo):]
        elif self._echo.startswith(pending):
            return pending, True
        # else no echo this time: everything is the guest's
        self._echo = b""
        self.echoed.set()
        return pending, False

    def split(self, pending: bytes) -> tuple[bytes, bytes, bytes]:
        """(to the console, to the debugger, kept) for bytes read while running."""
        pending, wait = self._drop_echo(pending)
        if wait:
            return b"", b"", pending
        mark = _MARK.search(pending)
        if mark:
            self._running.clear()
            return pending[:mark.start()], pending[mark.start():], b""
        keep = _held_back(pending)
        return pending[:len(pending) - keep], b"", pending[len(pending) - keep:]

    def _pump(self) -> None:
        pending = b""
        try:
            while data := os.read(self._src, 65536):
                if not self._running.is_set():
                    os.write(self._wfd, data)
                    continue
                guest, debugger, pending = self.split(pending + data)
                if guest:
                    self._console.sendall(guest)
                if debugger:
                    os.write(self._wfd, debugger)
        except OSError:
            pass
        finally:
            if pending:
                try:
                    self._console.sendall(pending)
                except OSError:
                    pass
            self._console.close()
            os.close(self._wfd)  # the debugger's reader sees the end

    def close(self) -> None:
        self._thread.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass
