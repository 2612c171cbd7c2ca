"""Interactive use: the guest console on the terminal, and waiting for gdb."""
from __future__ import annotations

import os
import select
import socket
import sys
import termios
import tty
from collections.abc import Callable
from pathlib import Path

from .errors import LabError
from .machine import Machine

ESCAPE = b"\x1d"  # Ctrl-], as telnet and QEMU's monitor mux use


def attach_console(m: Machine, banner: str = "", keyboard: bool = False,
                   until: Callable[[], object] | None = None, guest: int = 0) -> None:
    """Raw terminal on the guest console until the run ends or Ctrl-] q is typed.

    Ctrl-] l shows the last lines of the hypervisor log; Ctrl-] Ctrl-] sends a Ctrl-].
    With `keyboard`, typed keys go to the PS/2 keyboard instead of COM1 (SWEB reads only
    the keyboard). `until()` returning something true ends it too (an --expect text seen).
    With several guests it shows `guest`'s console alone (the focus is on it: typed keys go
    there).
    """
    if not sys.stdin.isatty():
        raise LabError("lab console needs a terminal on standard input")
    out = sys.stdout.buffer
    fd = sys.stdin.fileno()
    source = m.guest(guest)
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    escaped = False
    try:
        # Only now say we are ready: keys typed before raw mode are flushed by setraw.
        out.write(banner.replace("\n", "\r\n").encode())
        source.tee = lambda data: (out.write(data.replace(b"\n", b"\r\n")), out.flush())
        out.write(source.text().replace("\n", "\r\n").encode())
        out.flush()
        while m.running and not m.console.eof and not m.ended and not (until and until()):
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            data = os.read(fd, 1024)
            for byte in (data[i:i + 1] for i in range(len(data))):
                if escaped:
                    escaped = False
                    if byte in (b"q", b"Q"):
                        return
                    if byte in (b"l", b"L"):
                        tail = m.log_text().splitlines()[-20:]
                        out.write(("\r\n--- hypervisor log ---\r\n" + "\r\n".join(tail) +
                                   "\r\n---\r\n").encode())
                        out.flush()
                        continue
                    if byte != ESCAPE:
                        continue
                elif byte == ESCAPE:
                    escaped = True
                    continue
                ch = "\n" if byte == b"\r" else byte.decode("latin-1")
                if keyboard:
                    try:
                        m.type_text(ch)
                    except ValueError:  # a key the US layout map does not have
                        continue
                else:
                    m.send(byte.decode("latin-1"))
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        source.tee = None
        out.write(b"\r\n")
        out.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gdb_script(workdir: Path, elf: Path, port: int) -> Path:
    """A gdb script that loads the hypervisor's symbols and connects to QEMU's gdbstub."""
    path = workdir / "gdbinit"
    path.write_text("\n".join([
        f"file {elf}",
        "set architecture i386:x86-64",
        f"target remote 127.0.0.1:{port}",
        "# The hypervisor starts in 32-bit mode; break in 64-bit code, e.g.:",
        "break hv_main",
        "",
    ]))
    return path
