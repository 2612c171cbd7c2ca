"""Port 0xE9 on Bochs: its `port_e9_hack` prints the guest's bytes on stdout, where the
debugger also talks. While the simulation runs the debugger says nothing, so bytes read then
are the guest's, up to the debugger's `Next at t=` that starts every stop (measured, Bochs 2.7).
"""
from __future__ import annotations

import os
import socket
import threading

STOP_MARK = b"Next at t="


def _held_back(data: bytes) -> int:
    """How many trailing bytes could be the start of STOP_MARK (kept until more arrive)."""
    for n in range(min(len(data), len(STOP_MARK) - 1), 0, -1):
        if STOP_MARK.startswith(data[-n:]):
            return n
    return 0


class E9Demux:
    """Reads Bochs' stdout; the guest's bytes go to a console socket, the rest to a pipe
    that the debugger's pexpect reads (`fd`). `running()` is called before each `c`."""

    def __init__(self, stdout_fd: int, console_port: int) -> None:
        self.fd, self._wfd = os.pipe()
        self._src = stdout_fd
        self._console = socket.create_connection(("127.0.0.1", console_port))
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="bochs-e9", daemon=True)
        self._thread.start()

    def running(self) -> None:
        self._running.set()

    def split(self, pending: bytes) -> tuple[bytes, bytes, bytes]:
        """(to the console, to the debugger, kept) for bytes read while running."""
        i = pending.find(STOP_MARK)
        if i >= 0:
            self._running.clear()
            return pending[:i], pending[i:], b""
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
