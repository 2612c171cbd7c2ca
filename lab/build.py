"""The build orchestrator: writes a Ninja graph for the hypervisor and the guest images and runs it.

Ninja tracks header dependencies from the compiler's depfiles (`deps = gcc`), so incremental
rebuilds are exact, and a no-op build is one stat pass. The graph is rewritten (only when its
text changes) on every `lab build`, so added and removed source files are picked up.
"""
from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

COMMON = ("-std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector "
          "-fno-asynchronous-unwind-tables -mgeneral-regs-only -Wall -Wextra")
HV_CFLAGS = (f"{COMMON} -m64 -mno-red-zone -Ihypervisor/include "
             "-Ihypervisor/devices")
# images/common: the freestanding C (string functions, the printf formatter) that the test
# guests, the OS kernel and the OS user programs share, compiled once and linked into each.
SHARED_CFLAGS = f"{COMMON} -m32 -march=i686 -Iimages/common"
GUEST_CFLAGS = f"{COMMON} -m32 -march=i686 -Iimages/lib -Iimages/common"
OS_CFLAGS = f"{COMMON} -m32 -march=i686 -Iimages/os/include -Iimages/common"
# images/mbload: the Multiboot loader GRUB boots for direct boots on Bochs; images/common only.
MBLOAD_CFLAGS = f"{COMMON} -m32 -march=i686 -Iimages/common"
OS_USER_CFLAGS = f"{OS_CFLAGS} -Iimages/os/user/lib"
OS_DISK_MIB = 16
HV_LDFLAGS = "-m elf_x86_64 -nostdlib -static -n -z max-page-size=0x1000"
GUEST_LDFLAGS = "-m elf_i386 -nostdlib -static -n -z max-page-size=0x1000"
# Device models are unit-tested on the host, with the sanitizers watching.
HOST_TEST_CFLAGS = ("-std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined "
                    "-Ihypervisor/include -Ihypervisor/devices")


@dataclass(frozen=True)
class Outputs:
    """Where the build puts what the runs need."""

    build: Path

    @property
    def hypervisor(self) -> Path:
        return self.build / "hypervisor" / "hypervisor.elf"

    @property
    def hypervisor32(self) -> Path:  # QEMU's -kernel refuses 64-bit ELFs (DESIGN.md)
        return self.build / "hypervisor" / "hypervisor32.elf"

    @property
    def iso(self) -> Path:
        return self.build / "hypervisor" / "hypervisor.iso"

    def host_test(self, name: str) -> Path:
        return self.build / "host-tests" / name

    @property
    def os_kernel(self) -> Path:
        return self.build / "images" / "os" / "kernel.elf"

    @property
    def os_disk(self) -> Path:
        return self.build / "images" / "os" / "disk.img"

    @property
    def mbload(self) -> Path:  # Bochs' stand-in for QEMU's -kernel loader (direct boots)
        return self.build / "images" / "mbload" / "mbload.elf"

    def test_guest(self, name: str) -> Path:
        return self.build / "images" / "tests" / f"{name}.elf"

    @property
    def iso_cache(self) -> Path:
        return self.build / "iso-cache"

    @property
    def runs(self) -> Path:
        """Run folders: $LAB_RUNS_DIR, or build/runs. A folder of their own lets a caller
        (the lab's tests of the grader) share a built tree yet find its own runs."""
        env = os.environ.get("LAB_RUNS_DIR")
        return Path(env).resolve() if env else self.build / "runs"


def project_root() -> Path:
    """The checkout the lab runs from: $LAB_ROOT, or the folder holding the lab package."""
    env = os.environ.get("LAB_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parent.parent


def build_dir(root: Path) -> Path:
    env = os.environ.get("LAB_BUILD_DIR")
    return Path(env).resolve() if env else root / "build"


def _sources(folder: Path, root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix in (".c", ".S") and not any(rel.startswith(e) for e in exclude):
            found.append(rel)
    return found


def _obj(build: str, src: str) -> str:
    return f"{build}/obj/{src}.o"


def ninja_file(root: Path, build: Path) -> str:
    """The whole build graph as Ninja text. Paths in it are relative to `root`."""
    b = os.path.relpath(build, root)
    py = shlex.quote(sys.executable)
    out = [
        "ninja_required_version = 1.10",
        f"builddir = {b}",
        "rule cc",
        "  command = gcc $cflags -MMD -MF $out.d -c $in -o $out",
        "  depfile = $out.d",
        "  deps = gcc",
        "  description = CC $in",
        "rule link",
        "  command = ld $ldflags -T $script -o $out $in",
        "  description = LD $out",
        "rule elf32",
        "  command = objcopy -O elf32-i386 $in $out",
        "  description = OBJCOPY $out",
        "rule hostcc",
        "  command = gcc $cflags -MMD -MF $out.d -o $out $in",
        "  depfile = $out.d",
        "  deps = gcc",
        "  description = HOSTCC $out",
        "rule mkdisk",
        f"  command = {py} images/os/mkdisk.py $out --size-mib {OS_DISK_MIB} $files",
        "  description = DISK $out",
        "rule iso",
        f"  command = {py} -m lab.iso $in $out",
        "  description = ISO $out",
        "",
    ]
    hv_srcs = _sources(root / "hypervisor", root,
                       exclude=("hypervisor/tests/", "hypervisor/fuzz/"))
    hv_objs = []
    for src in hv_srcs:
        obj = _obj(b, src)
        hv_objs.append(obj)
        out += [f"build {obj}: cc {src}", f"  cflags = {HV_CFLAGS}"]
    hv = f"{b}/hypervisor/hypervisor.elf"
    if hv_objs:
        out += [f"build {hv}: link {' '.join(hv_objs)} | hypervisor/link.ld",
                f"  ldflags = {HV_LDFLAGS}", "  script = hypervisor/link.ld",
                f"build {b}/hypervisor/hypervisor32.elf: elf32 {hv}",
                f"build {b}/hypervisor/hypervisor.iso: iso {hv}"]
    shared = []
    for src in _sources(root / "images" / "common", root):
        shared.append(_obj(b, src))
        out += [f"build {shared[-1]}: cc {src}", f"  cflags = {SHARED_CFLAGS}"]
    lib_objs = []
    for src in _sources(root / "images" / "lib", root):
        lib_objs.append(_obj(b, src))
        out += [f"build {lib_objs[-1]}: cc {src}", f"  cflags = {GUEST_CFLAGS}"]
    tests = root / "images" / "tests"
    for main in sorted(tests.glob("*.c")) if tests.is_dir() else []:
        objs = []
        # NAME.c, NAME.S, and a folder NAME/ of more sources for a guest split by purpose
        folder = main.with_suffix("")
        extra = sorted(folder.glob("*.[cS]")) if folder.is_dir() else []
        for src in (main, main.with_suffix(".S"), *extra):
            if src.is_file():
                rel = src.relative_to(root).as_posix()
                objs.append(_obj(b, rel))
                out += [f"build {objs[-1]}: cc {rel}", f"  cflags = {GUEST_CFLAGS}"]
        linked = " ".join(objs + lib_objs + shared)
        out += [f"build {b}/images/tests/{main.stem}.elf: link {linked} | images/lib/link.ld",
                f"  ldflags = {GUEST_LDFLAGS}", "  script = images/lib/link.ld"]
    out += _mbload(root, b, shared)
    out += _teaching_os(root, b, shared)
    devices = _sources(root / "hypervisor" / "devices", root)
    host_tests = root / "hypervisor" / "tests"
    for test in sorted(host_tests.glob("test_*.c")) if host_tests.is_dir() else []:
        rel = test.relative_to(root).as_posix()
        srcs = [rel] + devices + [s for s in _host_test_sources(test, root) if s not in devices]
        out += [f"build {b}/host-tests/{test.stem}: hostcc {' '.join(srcs)}",
                f"  cflags = {HOST_TEST_CFLAGS}"]
    out.append("")
    return "\n".join(out)


def _host_test_sources(test: Path, root: Path) -> list[str]:
    """The hypervisor sources a host test links besides the device models: those its line
    `host-test-sources: core/disk.c core/cmdline.c` (in its first 10 lines) names, relative
    to hypervisor/."""
    for line in test.read_text().splitlines()[:10]:
        _, found, names = line.partition("host-test-sources:")
        if found:
            srcs = [f"hypervisor/{n}" for n in names.replace("*/", " ").split()]
            for src in srcs:
                if not (root / src).is_file():
                    raise BuildError(f"{test.relative_to(root).as_posix()}: host-test-sources "
                                     f"names {src}, which does not exist")
            return srcs
    return []


def _mbload(root: Path, b: str, shared: list[str]) -> list[str]:
    """images/mbload: its entry and C, linked with the images/common objects `shared`."""
    objs, out = [], []
    for src in _sources(root / "images" / "mbload", root):
        objs.append(_obj(b, src))
        out += [f"build {objs[-1]}: cc {src}", f"  cflags = {MBLOAD_CFLAGS}"]
    if objs:
        out += [f"build {b}/images/mbload/mbload.elf: link {' '.join(objs + shared)}"
                " | images/mbload/link.ld",
                f"  ldflags = {GUEST_LDFLAGS}", "  script = images/mbload/link.ld"]
    return out


def _teaching_os(root: Path, b: str, shared: list[str]) -> list[str]:
    """images/os: the kernel, the user programs, and a disk image holding them.

    `shared` are the images/common objects, linked into the kernel and every program."""
    os_dir = root / "images" / "os"
    if not (os_dir / "kernel").is_dir():
        return []
    out, kobjs = [], []
    for src in _sources(os_dir / "kernel", root):
        kobjs.append(_obj(b, src))
        out += [f"build {kobjs[-1]}: cc {src}", f"  cflags = {OS_CFLAGS}"]
    if not kobjs:
        return []
    out += [f"build {b}/images/os/kernel.elf: link {' '.join(kobjs + shared)}"
            " | images/os/kernel/link.ld",
            f"  ldflags = {GUEST_LDFLAGS}", "  script = images/os/kernel/link.ld"]
    ulib = []
    for src in _sources(os_dir / "user" / "lib", root):
        ulib.append(_obj(b, src))
        out += [f"build {ulib[-1]}: cc {src}", f"  cflags = {OS_USER_CFLAGS}"]
    files, deps = [], []
    for prog in sorted((os_dir / "user").glob("*.c")):
        rel = prog.relative_to(root).as_posix()
        elf = f"{b}/images/os/user/{prog.stem}.elf"
        out += [f"build {_obj(b, rel)}: cc {rel}", f"  cflags = {OS_USER_CFLAGS}",
                f"build {elf}: link {' '.join([_obj(b, rel)] + ulib + shared)}"
                " | images/os/user/link.ld",
                f"  ldflags = {GUEST_LDFLAGS}", "  script = images/os/user/link.ld"]
        files.append(f"--file /bin/{prog.stem}={elf}")
        deps.append(elf)
    if (os_dir / "README.txt").is_file():
        files.append("--file /README.txt=images/os/README.txt")
        deps.append("images/os/README.txt")
    if (os_dir / "mkdisk.py").is_file():
        out += [f"build {b}/images/os/disk.img: mkdisk {' '.join(deps)} | images/os/mkdisk.py",
                f"  files = {' '.join(files)}"]
    return out


def write_graph(root: Path, build: Path) -> Path:
    build.mkdir(parents=True, exist_ok=True)
    path = build / "build.ninja"
    text = ninja_file(root, build)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def ninja_binary() -> str:
    try:
        import ninja  # the PyPI package ships the binary
        return str(Path(ninja.BIN_DIR) / "ninja")
    except ImportError:
        return "ninja"


def build(root: Path | None = None, targets: list[str] | None = None,
          verbose: bool = False, quiet: bool = False) -> Outputs:
    """Build everything (or `targets`); raises BuildError when a step fails."""
    root = root or project_root()
    if not (root / "hypervisor").is_dir():
        raise BuildError(f"{root} has no hypervisor/ folder: run lab from the lab checkout "
                         "or set LAB_ROOT")
    bdir = build_dir(root)
    bdir.mkdir(parents=True, exist_ok=True)
    # One build at a time per build folder: two ninjas sharing .ninja_log and .ninja_deps
    # corrupt them (seen: `lab run` beside a test run rebuilt everything, 12 s, each time).
    with open(bdir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        graph = write_graph(root, bdir)
        cmd = [ninja_binary(), "-f", str(graph)] + (["-v"] if verbose else []) + (targets or [])
        env = dict(os.environ, LAB_ROOT=str(root), LAB_BUILD_DIR=str(bdir))
        try:
            done = subprocess.run(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if quiet else None,
                                  stderr=subprocess.STDOUT if quiet else None, text=True)
        except FileNotFoundError:
            raise BuildError("ninja is missing: pip install ninja (the lab's setup does)") \
                from None
    if done.returncode != 0:
        if quiet and done.stdout:
            sys.stderr.write(done.stdout)
        raise BuildError("build failed: see the first error above (file:line)")
    return Outputs(bdir)


