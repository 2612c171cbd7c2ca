"""Key events for Bochs' rfb display: the few bytes of the RFB protocol that typing needs.

RFB 3.3 (RFC 6143; version 3.3 lets the server choose the security type): the handshake,
then KeyEvent messages, and nothing else. vncdotool did this before and broke: it asks for
32-bit pixels, Bochs 2.7 keeps its 8-bit format and sends screen updates in it, vncdotool
fails to parse them and drops the connection, and every key after that was lost. This client
never asks for the screen (the lab reads it from guest memory) and discards whatever the
server sends, so the server can never block on a full socket.
"""
from __future__ import annotations

import socket
import struct
import threading

from ..errors import InfraError

SECURITY_NONE = 1
KEY_EVENT = 4
# X keysyms (X11 keysymdef.h) for the characters whose keysym is not their code point.
KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09}


def keysym(ch: str) -> int:
    return KEYSYMS.get(ch, ord(ch))


class RfbKeyboard:
    def __init__(self, port: int, timeout: float = 10.0) -> None:
        try:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            self._handshake()
        except (OSError, struct.error) as e:
            raise InfraError(f"cannot open Bochs' VNC display on port {port}: {e}") from None
        self.sock.settimeout(None)
        self.local_port = self.sock.getsockname()[1]
        self._drain = threading.Thread(target=self._discard, name="rfb-drain", daemon=True)
        self._drain.start()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = self.sock.recv(n - len(data))
            if not part:
                raise OSError("the server closed the connection")
            data += part
        return data

    def _handshake(self) -> None:
        version = self._read(12)
        if not version.startswith(b"RFB "):
            raise OSError(f"not an RFB server (it said {version!r})")
        self.sock.sendall(b"RFB 003.003\n")
        (security,) = struct.unpack("!I", self._read(4))
        if security != SECURITY_NONE:
            raise OSError(f"the server wants security type {security}, not none")
        self.sock.sendall(b"\x01")  # ClientInit: share the display
        *_, name_length = struct.unpack("!HH16sI", self._read(24))  # ServerInit
        self._read(name_length)

    def _discard(self) -> None:
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def press(self, ch: str) -> None:
        """One key down and up."""
        self.chord([keysym(ch)])

    def chord(self, keysyms: list[int]) -> None:
        """Keys held down together in order, then released in reverse (a hotkey)."""
        events = [struct.pack("!BBxxI", KEY_EVENT, 1, k) for k in keysyms]
        events += [struct.pack("!BBxxI", KEY_EVENT, 0, k) for k in reversed(keysyms)]
        self._send(b"".join(events))

    def _send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise InfraError(f"Bochs' VNC display dropped the connection: {e}") from None

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._drain.join(timeout=2)
