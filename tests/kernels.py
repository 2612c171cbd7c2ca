"""Tiny Multiboot kernels for testing the lab on broken hypervisors, and process checks."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
