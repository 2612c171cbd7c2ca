"""Tiny Multiboot kernels for testing the lab on broken hypervisors, and process checks."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab.broken import (  # noqa: F401 (the tests' kernels)
    BOOTS_THEN_HALTS,
    BOOTS_THEN_SPINS,
    GARBAGE,
    HANG,
    HEADER,
    TRIPLE_FAULT,
    assemble,
)


def emulators_under(folder: Path) -> list[int]:
    """Emulator processes whose working folder is inside `folder` (each run has its own)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            exe = os.readlink(proc / "exe")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if ("qemu-system" in exe or "bochs" in exe) and cwd.startswith(str(folder)):
            found.append(int(proc.name))
    return found


def wait_for_emulator(folder: Path, proc: subprocess.Popen, deadline_s: float) -> list[int]:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and proc.poll() is None:
        pids = emulators_under(folder)
        if pids:
            return pids
        time.sleep(0.1)  # polling /proc: there is no event for "a process appeared"
    pytest.fail("no emulator started under the lab")


def kill_emulators_under(folder: Path) -> None:
    """A test's last resort, so a failed check leaves no emulator behind."""
    for pid in emulators_under(folder):
        os.kill(pid, signal.SIGKILL)
