"""kvm-unit-tests, a peer's test suite, built here and booted as guests (issue 15).

Each x86 test is a small Multiboot guest, `x86/NAME.flat`, that prints PASS/FAIL/SKIP lines
and a SUMMARY on COM1 and ends by writing its exit code to port 0xF4 (QEMU's isa-debug-exit,
which the contract's hypervisor offers too: CONTRACT.md 4). 0 is a pass; 38 is the suite's
skip (QEMU turns it into status 77, the suite's SKIP): the test found its feature missing.

The suite is built from a release tarball (`../shared/kvm-unit-tests/` holds one), a folder
holding one, or a source tree, always in a copy under `build/kvm-unit-tests/<key>` (a tree
given is never written): `./configure && make -j2`, about 10 s, once per source.
"""
from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

from .errors import BuildError, ConfigError

EXIT_PASS = 0
EXIT_SKIP = 38  # (38 << 1) | 1 = 77, the suite's SKIP status under QEMU
LOG = "lab-build.log"
STAMP = "lab-build.done"


def direct_exit_value(emulator_status: int | None) -> int | None:
    """The value a test wrote to port 0xF4 when it ran directly on QEMU, whose
    isa-debug-exit ends the process with status (value << 1) | 1; None for any other end."""
    if emulator_status is None or emulator_status < 0 or not emulator_status & 1:
        return None
    return emulator_status >> 1


def env_text(memory_mib: int) -> str:
    """The tests' environment (read as their first Multiboot module, or from QEMU's fw_cfg):
    one CPU and the guest's memory, as kvm-unit-tests' own runner gives it."""
    return f"NR_CPUS=1\nMEMSIZE={memory_mib}\nMEMLIMIT={memory_mib}\n"


def _source_key(path: Path) -> str:
    """A tarball's content hash, or a tree's file list with sizes and mtimes."""
    h = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    else:
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(path)} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _source(path: Path) -> Path:
    """The tarball or tree at `path`; a folder holding exactly one tarball means that one."""
    if not path.exists():
        raise ConfigError(f"kvm-unit-tests path {path} does not exist")
    if path.is_dir() and not (path / "configure").is_file():
        tarballs = sorted(path.glob("*.tar.gz"))
        if len(tarballs) != 1:
            raise ConfigError(f"kvm-unit-tests path {path} is neither a source tree (with "
                              "./configure) nor a folder with one .tar.gz of it")
        return tarballs[0]
    return path


def _unpack(src: Path, into: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, into, symlinks=True)
        return
    try:
        with tarfile.open(src) as t:
            for member in t.getmembers():  # what extraction filters refuse, by hand
                if member.name.startswith("/") or ".." in Path(member.name).parts:
                    raise ConfigError(f"kvm-unit-tests tarball {src}: member {member.name} "
                                      "points outside its folder")
            t.extractall(into.parent / "unpack")
    except (tarfile.TarError, OSError) as e:
        raise ConfigError(f"kvm-unit-tests tarball {src}: cannot unpack it ({e})") from None
    tops = list((into.parent / "unpack").iterdir())
    if len(tops) != 1 or not (tops[0] / "configure").is_file():
        raise ConfigError(f"kvm-unit-tests tarball {src} holds no source tree with ./configure")
    tops[0].rename(into)
    (into.parent / "unpack").rmdir()


def build_kvm_unit_tests(path: Path, build_root: Path) -> Path:
    """The folder of built x86 tests (NAME.flat) for the source at `path`. One line of error
    on a path that is not kvm-unit-tests or a build that fails; the log is kept."""
    src = _source(Path(path).resolve())
    work = build_root / "kvm-unit-tests" / _source_key(src)
    work.mkdir(parents=True, exist_ok=True)
    tree, log = work / "src", work / LOG
    with (work / "lock").open("w") as lock:  # two pytest workers build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (work / STAMP).is_file():
            return tree / "x86"
        shutil.rmtree(tree, ignore_errors=True)
        _unpack(src, tree)
        with log.open("w") as out:
            for cmd in (["./configure"], ["make", "-j2"]):
                done = subprocess.run(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT)
                if done.returncode != 0:
                    raise BuildError(f"kvm-unit-tests: `{' '.join(cmd)}` failed (exit "
                                     f"{done.returncode}); see {log}")
        (work / STAMP).write_text(str(src) + "\n")
    return tree / "x86"
