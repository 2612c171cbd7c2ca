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


def _prints_then(end: str) -> str:
    """Says the contract's boot marker on COM2 and its own text on COM1, then does `end`:
    the foreign hypervisor that boots but never ends a run."""
    def init(port: int) -> str:  # 8N1 at divisor 1: Bochs sends nothing with divisor 0
        return "".join(f"  mov ${port + reg:#x}, %dx\n  mov ${val:#x}, %al\n  outb %al, %dx\n"
                       for reg, val in ((3, 0x80), (0, 1), (1, 0), (3, 3)))

    def out(port: int, label: str) -> str:
        # each byte once the transmitter holds none (LSR bit 5): Bochs drops the others
        return (init(port) + f"  mov ${label}, %esi\n"
                f"1: lodsb\n  test %al, %al\n  jz 2f\n  mov %al, %ah\n"
                f"  mov ${port + 5:#x}, %dx\n3: inb %dx, %al\n  test $0x20, %al\n  jz 3b\n"
                f"  mov %ah, %al\n  mov ${port:#x}, %dx\n  outb %al, %dx\n  jmp 1b\n2:\n")
    return (HEADER + out(0x2F8, "marker") + out(0x3F8, "text") + end +
            'marker: .asciz "@lab boot name=broken\\n"\n'
            'text: .asciz "my own hypervisor says hello\\n"\n')


BOOTS_THEN_HALTS = _prints_then("  cli\n4: hlt\n  jmp 4b\n")
BOOTS_THEN_SPINS = _prints_then("  cli\n4: jmp 4b\n")


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
