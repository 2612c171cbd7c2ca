"""SWEB, the course's guest OS: a team's source tree (built here) or a build folder.

A source tree is built out of tree with SWEB's own CMake into `build_root/sweb/<hash>`,
configured once and then `make -jN`. SWEB's Makefile relinks kernel.x and rewrites its disk
on every `make`, so a stamp of the tree's file sizes and mtimes skips `make` altogether when
nothing changed. An added or removed file re-runs cmake (SWEB collects sources by glob).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .disks import check_image
from .errors import ConfigError, LabError
from .multiboot import check_multiboot

# Booted directly on Bochs 2.7, stock SWEB takes a spurious interrupt at its first STI
# (Bochs' 8259 keeps INTR raised after IRQ14 drops while IF=0) and lives or panics by the
# timer's phase at that instant: at the lab's 50M instructions per emulated second the SWEB
# in ../shared/sweb panics, at 40M it lives. Direct SWEB boots on Bochs use this.
BOCHS_DIRECT_IPS = 40_000_000
KERNEL = "kernel.x"
DISK = "SWEB.qcow2"
TREE_MARKS = ("arch", "common", "userspace")  # folders beside SWEB's top CMakeLists.txt
TOOLS = {"cmake": "cmake", "make": "make", "gcc": "gcc", "g++": "g++"}  # program: Debian package
PROGRESS = re.compile(r"^\[\s*\d+%\]")
COMPILER_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:\d+:)?\s*"
                            r"(?:fatal )?error:\s*(?P<msg>.*)$")
LOG = "lab-build.log"
STAMP = "lab-build.stamp"


@dataclass
class Sweb:
    kernel: Path  # kernel.x
    disk: Path  # SWEB.qcow2 (or another disk image the lab accepts)
    source: Path | None  # the source tree it was built from, None for a given build folder


def is_source_tree(path: Path) -> bool:
    return (path / "CMakeLists.txt").is_file() and all((path / d).is_dir() for d in TREE_MARKS)


def resolve_sweb(path: Path, build_root: Path,
                 progress: Callable[[str], None] | None = None) -> Sweb:
    """The SWEB kernel and disk at `path`: a source tree (built first) or a build folder."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"SWEB path {path} does not exist")
    if not path.is_dir():
        raise ConfigError(f"SWEB path {path} is not a folder: give a SWEB source tree (with "
                          f"CMakeLists.txt) or a build folder holding {KERNEL} and {DISK}")
    path = path.resolve()
    if is_source_tree(path):
        out = _build(path, Path(build_root), progress)
        source = path
    elif (path / KERNEL).is_file() and (path / DISK).is_file():
        out, source = path, None
    else:
        if (path / "CMakeLists.txt").is_file():
            lacks = [f"{d}/" for d in TREE_MARKS if not (path / d).is_dir()]
        else:
            lacks = [f for f in ("CMakeLists.txt", KERNEL, DISK) if not (path / f).is_file()]
        raise ConfigError(f"{path} is not SWEB: it has no {' or '.join(lacks)}; give a SWEB "
                          "source tree (with CMakeLists.txt, arch/, common/, userspace/) or a "
                          f"build folder holding {KERNEL} and {DISK}")
    check_multiboot(out / KERNEL, "SWEB kernel")
    check_image(out / DISK)
    return Sweb(kernel=out / KERNEL, disk=out / DISK, source=source)


def build_folder(source: Path, build_root: Path) -> Path:
    """Where `source` is built: one folder per resolved source path."""
    digest = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:12]
    return Path(build_root).resolve() / "sweb" / digest


def _fingerprint(source: Path) -> tuple[str, str]:
    """Hashes of the tree's file names, and of names with sizes and mtimes."""
    names, full = hashlib.sha256(), hashlib.sha256()
    for top, dirs, files in os.walk(source):
        if "CMakeCache.txt" in files:  # somebody's own build folder inside the tree
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            p = os.path.join(top, name)
            try:
                st = os.stat(p)
            except OSError:  # a dangling symlink
                continue
            rel = os.path.relpath(p, source)
            names.update(f"{rel}\0".encode())
            full.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return names.hexdigest(), full.hexdigest()


def _build(source: Path, build_root: Path, progress: Callable[[str], None] | None) -> Path:
    missing = [pkg for prog, pkg in TOOLS.items() if shutil.which(prog) is None]
    if missing:
        raise LabError(f"building SWEB from source needs {', '.join(missing)}: install "
                       f"{'it' if len(missing) == 1 else 'them'} "
                       f"(apt-get install {' '.join(missing)})")
    out = build_folder(source, build_root)
    if out == source or source in out.parents:
        raise ConfigError(f"the build folder {out} would lie inside the SWEB source tree "
                          f"{source}: choose a build root outside it")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "lab-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers may build the same tree
        names, full = _fingerprint(source)
        stamp = out / STAMP
        old = stamp.read_text().split() if stamp.is_file() else []
        if old == [names, full] and (out / KERNEL).is_file() and (out / DISK).is_file():
            return out
        stamp.unlink(missing_ok=True)  # kept only by a configure or a build that succeeds
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("MAKEFLAGS", None)
        with open(out / LOG, "w") as log:
            if not (out / "Makefile").is_file() or old[:1] != [names]:
                _run(["cmake", str(source)], out, env, log, None, "SWEB's cmake configure")
            stamp.write_text(f"{names}\n-\n")  # configured for this set of files
            _run(["make", f"-j{os.cpu_count() or 1}"], out, env, log, progress, "SWEB build")
        stamp.write_text(f"{names}\n{full}\n")
    return out


def _run(cmd: list[str], cwd: Path, env: dict, log, progress, what: str) -> None:
    """Run one build step, its output into `log` (and progress lines to `progress`)."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    lines = []
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace") as proc:
        for line in proc.stdout:
            log.write(line)
            line = line.rstrip("\n")
            lines.append(line)
            if progress is not None and PROGRESS.match(line):
                progress(line)
    log.flush()
    if proc.returncode != 0:
        raise LabError(f"{what} failed: {first_error(lines)} (full log: {log.name})")


def first_error(lines: list[str]) -> str:
    """The first compiler error as `file:line: message`, or the best other line there is."""
    for line in lines:
        m = COMPILER_ERROR.match(line.strip())
        if m:
            return f"{m['file']}:{m['line']}: {m['msg'].strip()}"
    for i, line in enumerate(lines):
        if line.startswith("CMake Error"):  # its message follows on indented lines
            rest = " ".join(ln.strip() for ln in lines[i + 1:i + 4] if ln.startswith(" "))
            return f"{line.rstrip(':').strip()}: {rest}" if rest else line.strip()
    for line in lines:
        if re.search(r"error|undefined reference", line, re.I) and not line.startswith("make"):
            return line.strip()
    return (lines or ["no output"])[-1].strip()
