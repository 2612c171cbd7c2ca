"""Tiny Multiboot kernels for testing the lab on broken hypervisors, and process checks."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

HEADER = """.section .multiboot
.align 4
.long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
.text
.globl _start
.code32
_start:
"""
# An IDT with limit 0 turns the breakpoint into a triple fault at once.
TRIPLE_FAULT = HEADER + "  lidt idtr\n  int3\nidtr:\n  .word 0\n  .long 0\n"
HANG = HEADER + "  cli\n1: hlt\n  jmp 1b\n"


def assemble(source: str, out: Path) -> Path:
    src = out.with_suffix(".S")
    src.write_text(source)
    obj = out.with_suffix(".o")
    subprocess.run(["gcc", "-m32", "-c", str(src), "-o", str(obj)], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-Ttext=0x100000", "-o", str(out), str(obj)],
                   check=True)
    return out


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
