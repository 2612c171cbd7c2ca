"""GRUB ISOs that boot a hypervisor with its modules and command line (Bochs' boot path)."""
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


GRUB_DIR = Path("/usr/lib/grub/i386-pc")
# GRUB's BIOS core image is always LZMA-compressed, and Bochs spends about 190 instructions a
# byte unpacking it: grub-mkrescue's image took 60 M instructions (1 s) before the hypervisor's
# first one. So the image holds only what reads the CD; multiboot and its dependencies load
# from the ISO uncompressed, and an embedded config boots at once: no menu, no disk search.
CORE_MODULES = ["biosdisk", "iso9660"]
LOADER = "multiboot"
# A Linux kernel booted directly (a baseline on Bochs, which has no -kernel): GRUB's own Linux
# loader, the 32-bit boot protocol with the initrd its first module.
LINUX_LOADER = "linux"
RECIPE = "core=biosdisk,iso9660 strip-debug-of-elf"  # part of the cache key: a new recipe, new ISOs


def grub_cfg(cmdline: str, modules: list[Module], loader: str = LOADER) -> str:
    if loader == LINUX_LOADER:
        if len(modules) > 1:
            raise BuildError(f"a Linux kernel takes one module, its initrd, not {len(modules)}")
        lines = [f"insmod {loader}", f"linux /boot/hypervisor.elf {cmdline}".rstrip(),
                 *(["initrd /boot/module0"] if modules else [])]
    else:
        lines = [f"insmod {loader}", f"multiboot /boot/hypervisor.elf {cmdline}".rstrip()]
        for i, m in enumerate(modules):
            lines.append(f"module /boot/module{i} {m.string}".rstrip())
    lines += ["boot", ""]
    return "\n".join(lines)


def module_closure(name: str, grub_dir: Path = GRUB_DIR) -> list[str]:
    """`name` and every GRUB module it needs, from GRUB's own moddep.lst."""
    deps = {}
    for line in (grub_dir / "moddep.lst").read_text().splitlines():
        mod, _, needs = line.partition(":")
        deps[mod] = needs.split()
    seen: list[str] = []
    todo = [name]
    while todo:
        mod = todo.pop()
        if mod not in seen:
            seen.append(mod)
            todo += deps.get(mod, [])
    return seen


def make_iso(hypervisor: Path, cmdline: str, modules: list[Module], out: Path,
             loader: str = LOADER) -> Path:
    """Write a BIOS-bootable ISO (CD or, hybrid, USB disk) at `out`: GRUB boots `hypervisor`
    by `loader`, Multiboot or (a Linux kernel) Linux."""
    for tool in ("grub-mkimage", "xorriso"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is missing (apt-get install grub-pc-bin grub-common "
                             "xorriso)")
    if not (GRUB_DIR / "moddep.lst").is_file():
        raise BuildError(f"GRUB's BIOS modules are missing ({GRUB_DIR}): "
                         "apt-get install grub-pc-bin")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lab-iso-") as tmp:
        root = Path(tmp) / "iso"  # the ISO's tree; the embedded config stays beside it
        boot = root / "boot"
        (boot / "grub" / "i386-pc").mkdir(parents=True)
        for mod in module_closure(loader):
            shutil.copyfile(GRUB_DIR / f"{mod}.mod", boot / "grub" / "i386-pc" / f"{mod}.mod")
        _copy_without_debug_info(hypervisor, boot / "hypervisor.elf")
        for i, m in enumerate(modules):
            shutil.copyfile(m.path, boot / f"module{i}")
        early = Path(tmp) / "early.cfg"
        early.write_text(grub_cfg(cmdline, modules, loader))
        _tool(["grub-mkimage", "-O", "i386-pc-eltorito", "-p", "/boot/grub", "-c", str(early),
               "-o", str(boot / "grub" / "eltorito.img"), *CORE_MODULES])
        # A name of its own: parallel runs may build the same ISO at the same time.
        partial = out.with_name(f"{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
        # The El Torito options and the hybrid MBR are grub-mkrescue's own for BIOS.
        _tool(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-b", "boot/grub/eltorito.img",
               "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
               "--grub2-boot-info", "--grub2-mbr", str(GRUB_DIR / "boot_hybrid.img"),
               "-o", str(partial), str(root)])
        partial.replace(out)  # atomic: a reader sees no ISO or a whole one
    return out


def _copy_without_debug_info(elf: Path, to: Path) -> None:
    """GRUB loads every section of a Multiboot ELF into memory, DWARF included, by byte-wise
    copies: the reference's 580 KB of debug information cost Bochs 9.5 M instructions a boot.
    No hypervisor reads its own DWARF, so the ISO's copy goes without (symbols stay). Only an
    ELF: objcopy would also rewrite a bzImage's PE header (its EFI stub), breaking its boot
    protocol header for GRUB."""
    with open(elf, "rb") as f:
        if f.read(4) != b"\x7fELF":
            shutil.copyfile(elf, to)
            return
    done = subprocess.run(["objcopy", "--strip-debug", str(elf), str(to)],
                          capture_output=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:  # not an ELF objcopy knows: boot it as it is, GRUB will judge
        shutil.copyfile(elf, to)


def _tool(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildError(f"{argv[0]} failed: {tail}")


def cached_iso(cache: Path, hypervisor: Path, cmdline: str, modules: list[Module],
               loader: str = LOADER) -> Path:
    """An ISO for this exact content, made once: runs with the same inputs share it."""
    h = hashlib.sha256(f"{RECIPE}\n{grub_cfg(cmdline, modules, loader)}".encode())
    for path in [hypervisor, *(m.path for m in modules)]:
        h.update(path.read_bytes())
    out = cache / f"{h.hexdigest()[:20]}.iso"
    return out if out.is_file() else make_iso(hypervisor, cmdline, modules, out, loader)


def main() -> None:  # used by the build graph: python -m lab.iso HV OUT [CMDLINE]
    ap = argparse.ArgumentParser()
    ap.add_argument("hypervisor", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("cmdline", nargs="?", default="backend=auto")
    a = ap.parse_args()
    make_iso(a.hypervisor, a.cmdline, [], a.out)


if __name__ == "__main__":
    main()
