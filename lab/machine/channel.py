"""A serial line from the emulated machine: a loopback socket the emulator connects to.

A pump thread copies every byte into the channel's log file (so nothing is lost even when no
one is waiting) and into an in-memory stream that pexpect reads, so waits use pexpect's
matching. The stream holds what no wait has read yet, up to STREAM_MAX bytes; past that a
guest that floods its console loses its oldest unread bytes there (never in the log), so a
later wait still sees the newest text. A pattern must fit in WINDOW characters.
"""
from __future__ import annotations

import fcntl
import re
import select
import socket
import termios
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import pexpect
from pexpect.spawnbase import SpawnBase

from ..errors import InfraError

STREAM_MAX = 64 << 20
# pexpect searches the last WINDOW characters and each read is at most half of that, so a
# read always lands in one window with the end of the one before: a match is never split,
# and a flood costs linear time and bounded memory, not a search of everything so far.
WINDOW = 64 << 10


def _unread(conn: socket.socket) -> int:
    """Bytes waiting in a socket's receive queue (FIONREAD)."""
    return int.from_bytes(fcntl.ioctl(conn.fileno(), termios.FIONREAD, b"\0\0\0\0"), "little")


class _Stream(SpawnBase):
    """pexpect over bytes that a pump thread feeds: what pexpect's fdspawn does over a pipe,
    without the pipe's fixed size, which dropped the newest bytes once full."""

    def __init__(self) -> None:
        super().__init__(timeout=30, maxread=WINDOW // 2, searchwindowsize=WINDOW,
                         encoding="utf-8", codec_errors="replace")
        self._chunks: deque[bytes] = deque()
        self._held = 0
        self._ended = False
        self._ready = threading.Condition()
        self.dropped = 0  # bytes lost to STREAM_MAX (the log file has them)

    def feed(self, data: bytes) -> None:
        with self._ready:
            self._chunks.append(data)
            self._held += len(data)
            while self._held > STREAM_MAX and len(self._chunks) > 1:
                old = self._chunks.popleft()
                self._held -= len(old)
                self.dropped += len(old)
            self._ready.notify_all()

    def trim(self) -> None:
        """pexpect keeps all text since its last match for `before`, which the lab never
        reads: keep the last window of it, which is all a search looks at."""
        if self._before.tell() > 2 * WINDOW:
            tail = self._before.getvalue()[-WINDOW:]
            self._before = self.buffer_type()
            self._before.write(tail)

    def end(self) -> None:
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        if timeout == -1:
            timeout = self.timeout
        with self._ready:
            if not self._ready.wait_for(lambda: self._chunks or self._ended, timeout):
                raise pexpect.TIMEOUT("Timeout exceeded.")
            if not self._chunks:
                self.flag_eof = True
                raise pexpect.EOF("End of stream.")
            data = bytearray()
            while self._chunks and len(data) < size:
                chunk = self._chunks.popleft()
                if len(data) + len(chunk) > size:
                    self._chunks.appendleft(chunk[size - len(data):])
                    chunk = chunk[:size - len(data)]
                data += chunk
            self._held -= len(data)
        text = self._decoder.decode(bytes(data), final=False)
        self._log(text, "read")
        return text


class Reader:
    """Waits on a byte stream with pexpect: a serial channel, or one guest's share of it."""

    def __init__(self) -> None:
        self._spawn = _Stream()
        self.connected = threading.Event()

    def expect(self, patterns: list[str | re.Pattern], timeout: float) -> int:
        """Index of the first pattern seen, or -1 on timeout, -2 on end of stream."""
        if not self.connected.is_set():
            return -1
        self._spawn.trim()
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


class Channel(Reader):
    """One serial port: `listen()` before the emulator starts, `accept()` after.

    A channel may have a second, output-only source (`listen_extra()`): a guest console is
    its COM1 and its port 0xE9, merged as the contract says; input goes to COM1 only.
    """

    def __init__(self, name: str, log_path: Path,
                 on_line: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.name = name
        self.log_path = log_path
        self._on_line = on_line
        self.last_traffic = 0.0  # monotonic time of the last byte in or out
        self.tee: Callable[[bytes], None] | None = None  # raw bytes as they come (lab console)
        # raw bytes as they come, in order, for the split of several guests' console
        self.feeders: list[Callable[[bytes], None]] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._conn: socket.socket | None = None
        self._extra_server: socket.socket | None = None
        self._extra_conn: socket.socket | None = None
        self._pumps: list[threading.Thread] = []
        self._live_pumps = 0
        self._pump_lock = threading.Lock()
        self._taken = threading.Condition(self._pump_lock)  # notified after each chunk
        self._closed = threading.Event()

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

    def drop_pending(self) -> int:
        """Close the connections waiting to be accepted: a dead emulator's, before another
        is started on the same ports. Returns how many there were."""
        dropped = 0
        for server in (self._server, self._extra_server):
            if server is None:
                continue
            try:
                server.setblocking(False)
                while True:
                    server.accept()[0].close()
                    dropped += 1
            except OSError:  # none left (BlockingIOError), or the listener is closed
                pass
            try:
                server.setblocking(True)
            except OSError:
                pass
        return dropped

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
                    select.select([conn], [], [])
                except (OSError, ValueError):
                    pass  # closed: recv says so
                # Taken in under the lock, so that wait_drained, holding it, sees every byte
                # either still in the socket or already written.
                with self._pump_lock:  # two sources: each chunk lands whole, in one order
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        data = b""
                    self._taken.notify_all()  # (it runs once the chunk is written)
                    if not data:
                        break
                    self.last_traffic = time.monotonic()
                    log.write(data)
                    if self.tee is not None:
                        self.tee(data)
                    self._spawn.feed(data)
                    for feed in self.feeders:
                        feed(data)
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
            self._spawn.end()  # pexpect sees EOF once it has read the rest
            for feed in self.feeders:
                feed(b"")  # the end, for each stream made of this one

    @property
    def eof(self) -> bool:
        return self._closed.is_set()

    def wait_closed(self, timeout: float) -> bool:
        return self._closed.wait(timeout)

    def wait_drained(self, timeout: float) -> bool:
        """For a paused emulator, which sends nothing more: wait until every byte it sent
        has been taken in (none left unread in the sockets). False after `timeout` s."""
        deadline = time.monotonic() + timeout
        conns = [c for c in (self._conn, self._extra_conn) if c is not None]
        with self._taken:
            while not self._closed.is_set():
                try:
                    if all(_unread(c) == 0 for c in conns):
                        break
                except OSError:
                    break  # closed meanwhile: the pump has what there was
                if not self._taken.wait(deadline_left(deadline)):
                    return False
        return True

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
        self._spawn.end()


def deadline_left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
