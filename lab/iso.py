"""GRUB rescue ISOs that boot a hypervisor with its modules and command line (Bochs' boot path)."""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError


@dataclass(frozen=True)
class Module:
    path: Path
    string: str  # the module's Multiboot string, starting with its role word (CONTRACT.md 2)


def grub_cfg(cmdline: str, modules: list[Module]) -> str:
    lines = ["set timeout=0", "set default=0", 'menuentry "lab" {',
             f"  multiboot /boot/hypervisor.elf {cmdline}".rstrip()]
    for i, m in enumerate(modules):
        lines.append(f"  module /boot/module{i} {m.string}".rstrip())
    lines += ["  boot", "}", ""]
    return "\n".join(lines)


def make_iso(hypervisor: Path, cmdline: str, modules: list[Module], out: Path) -> Path:
    """Write an ISO at `out`; grub-mkrescue needs grub-pc-bin, xorriso and mtools."""
    if shutil.which("grub-mkrescue") is None:
        raise BuildError("grub-mkrescue is missing (apt-get install grub-pc-bin grub-common "
                         "xorriso mtools)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lab-iso-") as tmp:
        boot = Path(tmp) / "boot"
        (boot / "grub").mkdir(parents=True)
        shutil.copyfile(hypervisor, boot / "hypervisor.elf")
        for i, m in enumerate(modules):
            shutil.copyfile(m.path, boot / f"module{i}")
        (boot / "grub" / "grub.cfg").write_text(grub_cfg(cmdline, modules))
        # A name of its own: parallel runs may build the same ISO at the same time.
        partial = out.with_name(f"{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
        done = subprocess.run(["grub-mkrescue", "-o", str(partial), tmp],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BuildError(f"grub-mkrescue failed: {tail}")
        partial.replace(out)  # atomic: a reader sees no ISO or a whole one
    return out


def cached_iso(cache: Path, hypervisor: Path, cmdline: str, modules: list[Module]) -> Path:
    """An ISO for this exact content, made once: runs with the same inputs share it."""
    h = hashlib.sha256(grub_cfg(cmdline, modules).encode())
    for path in [hypervisor, *(m.path for m in modules)]:
        h.update(path.read_bytes())
    out = cache / f"{h.hexdigest()[:20]}.iso"
    return out if out.is_file() else make_iso(hypervisor, cmdline, modules, out)


def main() -> None:  # used by the build graph: python -m lab.iso HV OUT [CMDLINE]
    ap = argparse.ArgumentParser()
    ap.add_argument("hypervisor", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("cmdline", nargs="?", default="backend=auto")
    a = ap.parse_args()
    make_iso(a.hypervisor, a.cmdline, [], a.out)


if __name__ == "__main__":
    main()
