"""Broken hypervisors: tiny Multiboot kernels that fail as team hypervisors do.

The lab's tests grade them to check the grader fails each cleanly, and `lab bench grading`
grades them beside the reference to check a broken hypervisor is graded no slower.
"""
from __future__ import annotations

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


def _uart_init(port: int) -> str:
    """8N1 at divisor 1: Bochs sends nothing with divisor 0."""
    return "".join(f"  mov ${port + reg:#x}, %dx\n  mov ${val:#x}, %al\n  outb %al, %dx\n"
                   for reg, val in ((3, 0x80), (0, 1), (1, 0), (3, 3)))


def _prints_then(end: str) -> str:
    """Says the contract's boot marker on COM2 and its own text on COM1, then does `end`:
    the foreign hypervisor that boots but never ends a run."""
    def out(port: int, label: str) -> str:
        # each byte once the transmitter holds none (LSR bit 5): Bochs drops the others
        return (_uart_init(port) + f"  mov ${label}, %esi\n"
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

# Text on both ports forever, never the contract's markers: a machine that is never quiet.
GARBAGE = HEADER + _uart_init(0x2F8) + _uart_init(0x3F8) + """  mov $0x2f8, %dx
1: mov $0x23, %al
  outb %al, %dx
  xor $0x100, %dx
  jmp 1b
"""


# What `lab bench grading` grades beside the reference: each way a team's hypervisor fails.
BROKEN = {
    "never-boots": HANG,  # cli; hlt before any output
    "boots-then-halts": BOOTS_THEN_HALTS,
    "boots-then-spins": BOOTS_THEN_SPINS,
    "triple-faults": TRIPLE_FAULT,  # the machine resets (QEMU and Bochs stop: -no-reboot)
    "prints-garbage": GARBAGE,  # never quiet, never a marker: waited for to the deadline
}
