"""Machines: one interface over QEMU and Bochs (start, wait, send, screen, end, reap)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .base import ConsoleMismatch, Machine, MachineSpec, RunResult, Watch, Watcher, reap_all
from .bochs import BochsMachine
from .qemu import QemuMachine

__all__ = ["ConsoleMismatch", "Machine", "MachineSpec", "RunResult", "Watch", "Watcher",
           "make_machine", "reap_all"]


def make_machine(spec: MachineSpec, workdir: Path, kernel32: Path, iso_cache: Path,
                 echo: Callable[[str, str], None] | None = None) -> Machine:
    """The machine for the spec's platform; `kernel32` is QEMU's copy, `iso_cache` Bochs'."""
    if spec.platform == "bochs":
        return BochsMachine(spec, workdir, iso_cache, echo)
    return QemuMachine(spec, workdir, kernel32, echo)
