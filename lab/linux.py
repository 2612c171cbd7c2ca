"""The Linux test guest (issue 15): Debian's own kernel and busybox, unmodified, with a small
initramfs whose /init mounts /proc, /sys and /dev, says it is ready on the console, and
starts a shell there.

Built once per build folder, under `build/linux/`: `apt-get download` fetches the packages
(the kernel package that `linux-image-amd64` depends on, and `busybox-static`) from the
machine's Debian mirror, the kernel and busybox are taken out of them (`dpkg-deb
--fsys-tarfile`), and GNU cpio packs the initramfs
(the kernel's "newc" format, uncompressed). The packages' versions are the mirror's: the
kernel's file name says which one a run booted.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, InfraError
from .vmlinux import extract_pvh

KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"
READY = "lab-linux: ready"  # /init's line once the shell starts
# Added to the command line on Bochs: the kernel's deferred crypto self-tests
# (crypto_algapi_init) take 15 s of Bochs guest time, half of Linux's boot, in instructions
# that never exit: they test Bochs' CPU, not the hypervisor (they run on QEMU TCG).
BOCHS_ARGS = "cryptomgr.notests"
STAMP = "lab-build.done"
PVH = "vmlinux-pvh"
LOG = "lab-build.log"

# /init: busybox's own applets only (no other file is in the initramfs). cttyhack gives the
# shell the console as its controlling terminal, so Ctrl+C and job control work there.
INIT = f"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox --install -s /bin
echo "{READY}"
exec /bin/busybox setsid /bin/busybox cttyhack /bin/sh
"""


@dataclass
class LinuxGuest:
    kernel: Path  # the bzImage
    initrd: Path  # the initramfs (newc cpio)
    pvh: Path  # the same kernel taken out of it, booted by PVH (lab.vmlinux)

    @property
    def version(self) -> str:
        return self.kernel.name.removeprefix("vmlinuz-")


def _run(cmd: list[str], cwd: Path, log: Path) -> subprocess.CompletedProcess:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "LC_ALL": "C"})


def _after_update(attempt, work: Path, log: Path):
    """attempt()'s answer, tried once more after `apt-get update` when it gives None (the
    package lists are missing or stale); None if it fails both times."""
    found = attempt()
    if found is None:
        _run(["apt-get", "update", "-q"], work, log)
        found = attempt()
    return found


def _kernel_package(work: Path, log: Path) -> str:
    """The versioned kernel package the meta package depends on (linux-image-6.1.0-N-amd64)."""
    def depends() -> str | None:
        done = subprocess.run(["apt-cache", "depends", KERNEL_META], capture_output=True,
                              text=True, env={**os.environ, "LC_ALL": "C"})
        found = re.search(r"Depends: (linux-image-\S+)", done.stdout)
        return found[1] if done.returncode == 0 and found else None

    package = _after_update(depends, work, log)
    if package is None:
        raise InfraError(f"the Linux guest: `apt-cache depends {KERNEL_META}` names no "
                         "kernel package; is this Debian with a reachable mirror?")
    return package


def _download(packages: list[str], work: Path, log: Path) -> None:
    def download() -> bool | None:
        return _run(["apt-get", "download", "-q", *packages], work, log).returncode == 0 or None

    if _after_update(download, work, log) is None:
        raise InfraError(f"the Linux guest: `apt-get download {' '.join(packages)}` failed; "
                         f"see {log}")


# The two files the guest needs of the packages (the kernel's modules, 400 MB, are not).
WANTED = re.compile(r"\./(boot/vmlinuz-[^/]+|bin/busybox)")


def _unpack_wanted(deb: Path, root: Path, log: Path) -> None:
    """WANTED's files of a package's data archive (`dpkg-deb --fsys-tarfile`), into root."""
    with log.open("a") as err, subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                                                stdout=subprocess.PIPE, stderr=err) as p:
        try:
            with tarfile.open(fileobj=p.stdout, mode="r|") as t:
                for member in t:
                    if member.isfile() and WANTED.fullmatch(member.name):
                        out = root / member.name.removeprefix("./")
                        out.parent.mkdir(parents=True, exist_ok=True)
                        with t.extractfile(member) as src, out.open("wb") as dst:
                            shutil.copyfileobj(src, dst)
                        out.chmod(0o755)
        except tarfile.TarError as e:
            p.kill()
            raise BuildError(f"the Linux guest: cannot read {deb.name} ({e}); see {log}") \
                from None
    if p.returncode != 0:
        raise BuildError(f"the Linux guest: dpkg-deb cannot unpack {deb.name}; see {log}")


def _initramfs(busybox: Path, tree: Path, out: Path, log: Path) -> None:
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "bin").mkdir(parents=True)
    shutil.copy2(busybox, tree / "bin" / "busybox")
    (tree / "init").write_text(INIT)
    (tree / "init").chmod(0o755)
    names = sorted(str(p.relative_to(tree)) for p in tree.rglob("*"))
    with out.open("wb") as f, log.open("a") as err:
        done = subprocess.run(["cpio", "--create", "--format=newc", "--owner=0:0", "--quiet"],
                              cwd=tree, input="\n".join(names).encode(), stdout=f,
                              stderr=err)
    if done.returncode != 0:
        raise BuildError(f"the Linux guest: cpio could not pack the initramfs; see {log}")


def build_linux_guest(build_root: Path) -> LinuxGuest:
    """Debian's kernel and a busybox initramfs under build_root/linux, made once (two
    pytest workers share it). InfraError when the packages cannot be had here."""
    work = build_root / "linux"
    work.mkdir(parents=True, exist_ok=True)
    log = work / LOG
    with (work / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (work / STAMP).is_file():
            kernel = Path((work / STAMP).read_text().strip())
            if kernel.is_file():
                return _guest(kernel, work)
        if shutil.which("cpio") is None:
            raise InfraError("the Linux guest: GNU cpio is missing (apt-get install cpio)")
        log.write_text("")
        debs = work / "debs"
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir()
        _download([_kernel_package(work, log), BUSYBOX], debs, log)
        root = work / "root"
        shutil.rmtree(root, ignore_errors=True)
        for deb in sorted(debs.glob("*.deb")):
            _unpack_wanted(deb, root, log)
        kernels = sorted((root / "boot").glob("vmlinuz-*"))
        busybox = root / "bin" / "busybox"
        if len(kernels) != 1 or not busybox.is_file():
            raise BuildError(f"the Linux guest: the packages hold {len(kernels)} kernels and "
                             f"{'a' if busybox.is_file() else 'no'} busybox; see {log}")
        _initramfs(busybox, work / "initramfs", work / "initrd.cpio", log)
        shutil.rmtree(debs)
        guest = _guest(kernels[0], work)
        (work / STAMP).write_text(f"{kernels[0]}\n")
        return guest


def _guest(kernel: Path, work: Path) -> LinuxGuest:
    pvh = work / PVH
    if not pvh.is_file():
        extract_pvh(kernel, work / f"{PVH}.part").rename(pvh)
    return LinuxGuest(kernel, work / "initrd.cpio", pvh)
