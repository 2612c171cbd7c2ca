"""A serial line from the emulated machine: a loopback socket the emulator connects to.

A pump thread copies every byte into the channel's log file (so nothing is lost even when no
one is waiting) and into a pipe that pexpect reads, so waits use pexpect's matching.
"""
from __future__ import annotations

import fcntl
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pexpect.fdpexpect

from ..errors import InfraError

F_SETPIPE_SZ = 1031  # Linux: grow the pipe so a chatty guest is not throttled by the pump


class Channel:
    """One serial port: `listen()` before the emulator starts, `accept()` after.

    A channel may have a second, output-only source (`listen_extra()`): a guest console is
    its COM1 and its port 0xE9, merged as the contract says; input goes to COM1 only.
    """

    def __init__(self, name: str, log_path: Path,
                 on_line: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.log_path = log_path
        self._on_line = on_line
        self.last_traffic = 0.0  # monotonic time of the last byte in or out
        self.tee: Callable[[bytes], None] | None = None  # raw bytes as they come (lab console)
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._conn: socket.socket | None = None
        self._extra_server: socket.socket | None = None
        self._extra_conn: socket.socket | None = None
        self._pumps: list[threading.Thread] = []
        self._live_pumps = 0
        self._pump_lock = threading.Lock()
        self._rfd, self._wfd = os.pipe()
        try:
            fcntl.fcntl(self._wfd, F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
        os.set_blocking(self._wfd, False)
        self._spawn = pexpect.fdpexpect.fdspawn(self._rfd, encoding="utf-8",
                                                codec_errors="replace")
        self._closed = threading.Event()
        self._fd_lock = threading.Lock()
        self.connected = threading.Event()

    def listen(self) -> int:
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(1)
        return self._server.getsockname()[1]

    @property
    def port(self) -> int:
        return self._server.getsockname()[1]

    def listen_extra(self) -> int:
        """A second source for this channel's output (a debug port); returns its port."""
        self._extra_server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._extra_server.bind(("127.0.0.1", 0))
        self._extra_server.listen(1)
        return self._extra_server.getsockname()[1]

    @property
    def extra_port(self) -> int | None:
        return self._extra_server.getsockname()[1] if self._extra_server else None

    def accept(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._conn = self._accept(self._server, timeout)
        if self._extra_server is not None:
            self._extra_conn = self._accept(self._extra_server, deadline_left(deadline))
        self._live_pumps = 1 + (self._extra_conn is not None)
        for conn in (self._conn, self._extra_conn):
            if conn is not None:
                pump = threading.Thread(target=self._run, args=(conn,), daemon=True,
                                        name=f"pump-{self.name}")
                self._pumps.append(pump)
                pump.start()
        self.connected.set()

    def _accept(self, server: socket.socket, timeout: float) -> socket.socket:
        server.settimeout(timeout)
        try:
            return server.accept()[0]
        except (TimeoutError, OSError):
            raise InfraError(f"the emulator did not connect its {self.name} serial port "
                             f"within {timeout:.0f} s") from None

    def _run(self, conn: socket.socket) -> None:
        line = b""
        with open(self.log_path, "ab", buffering=0) as log:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                self.last_traffic = time.monotonic()
                with self._pump_lock:  # two sources: each chunk lands whole, in one order
                    log.write(data)
                    if self.tee is not None:
                        self.tee(data)
                    try:
                        os.write(self._wfd, data)
                    except BlockingIOError:  # no one reads: the log file still has it all
                        pass
                    except OSError:
                        break
                if self._on_line:
                    line += data
                    *whole, line = line.split(b"\n")
                    for w in whole:
                        self._on_line(w.decode("utf-8", "replace").rstrip("\r"))
        if self._on_line and line:
            self._on_line(line.decode("utf-8", "replace").rstrip("\r"))
        with self._pump_lock:
            self._live_pumps -= 1
            last = self._live_pumps <= 0
        if last:
            self._closed.set()
            self._close_fd("_wfd")  # pexpect sees EOF

    def _close_fd(self, attr: str) -> None:
        # Each fd is closed once: a second close could hit a number another thread reused.
        with self._fd_lock:
            fd = getattr(self, attr)
            if fd >= 0:
                setattr(self, attr, -1)
                os.close(fd)

    @property
    def eof(self) -> bool:
        return self._closed.is_set()

    def wait_closed(self, timeout: float) -> bool:
        return self._closed.wait(timeout)

    def expect(self, patterns: list[str | re.Pattern], timeout: float) -> int:
        """Index of the first pattern seen, or -1 on timeout, -2 on end of stream."""
        if not self.connected.is_set():
            return -1
        try:
            return self._spawn.expect(list(patterns), timeout=max(timeout, 0.0))
        except pexpect.TIMEOUT:
            return -1
        except pexpect.EOF:
            return -2

    @property
    def match(self) -> re.Match | None:
        m = self._spawn.match
        return m if isinstance(m, re.Match) else None

    def send(self, data: bytes | str) -> None:
        if self._conn is None:
            raise InfraError(f"the {self.name} serial port is not connected")
        self.last_traffic = time.monotonic()
        self._conn.sendall(data.encode() if isinstance(data, str) else data)

    def text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        for s in (self._conn, self._server, self._extra_conn, self._extra_server):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        for pump in self._pumps:
            pump.join(timeout=2)
        self._close_fd("_wfd")
        self._close_fd("_rfd")


def deadline_left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
